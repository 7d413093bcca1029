"""What a course teaches: modules, lessons (Markdown in each of the course's languages), the images
they show, and the exercises that grade what was learnt.

Text a student reads is stored in the course's default language on the field itself (`title`,
`body`, `prompt`) and in the other languages under `translations` ({"ko": {"title": ..., "body":
...}}), read through `localized()`, so a page in a language the course lacks falls back to the
default. An exercise's `spec` is the grader's own document (see courses/catalog/README.md); its
text values may be localised mappings too.
"""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from courses.models.localized import Localized
from courses.models.offerings import Course


class Module(Localized):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    slug = models.SlugField(_("slug"), max_length=64)
    position = models.PositiveIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        ordering = ["course", "position"]
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="module_slug_per_course"),
        ]

    def __str__(self) -> str:
        return self.title


class Lesson(Localized):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    slug = models.SlugField(_("slug"), max_length=64)
    position = models.PositiveIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True, help_text=_("Markdown"))
    minutes = models.PositiveIntegerField(_("reading time (minutes)"), null=True, blank=True)

    class Meta:
        ordering = ["course", "module__position", "position"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="lesson_slug_per_course"),
        ]

    def __str__(self) -> str:
        return self.title


class LessonImage(models.Model):
    """An image a lesson's body shows, kept in the database so a course is one import and any
    process serves it (no shared media volume)."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="images")
    name = models.CharField(_("name"), max_length=100)
    content_type = models.CharField(max_length=40)
    data = models.BinaryField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("lesson image")
        verbose_name_plural = _("lesson images")
        constraints = [
            models.UniqueConstraint(fields=["lesson", "name"], name="lesson_image_name_once"),
        ]

    def __str__(self) -> str:
        return f"{self.lesson.slug}/images/{self.name}"


class Exercise(Localized):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="exercises")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="exercises")
    slug = models.SlugField(_("slug"), max_length=64)
    position = models.PositiveIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=16)
    title = models.CharField(_("title"), max_length=200)
    prompt = models.TextField(_("prompt"), help_text=_("Markdown"))
    points = models.PositiveIntegerField(_("points"), validators=[MinValueValidator(1)])
    max_attempts = models.PositiveIntegerField(_("attempts allowed"), null=True, blank=True)
    spec = models.JSONField(_("grader specification"), default=dict)
    files = models.JSONField(
        _("files"), default=dict, blank=True, help_text=_("Source files the spec names.")
    )

    class Meta:
        ordering = ["course", "lesson__module__position", "lesson__position", "position"]
        verbose_name = _("exercise")
        verbose_name_plural = _("exercises")
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="exercise_slug_per_course"),
            models.CheckConstraint(condition=models.Q(points__gte=1), name="exercise_points_min"),
        ]

    def __str__(self) -> str:
        return self.title
