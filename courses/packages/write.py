"""Applying a checked plan to the database, in place.

Rows are matched by slug (the course's; modules within the course; lessons and exercises across
it, so a lesson or exercise may move), and a row is saved only when a value differs, so the same
folder imported twice changes nothing and an edited one keeps its exercises' primary keys (their
students' attempts stay attached). Parts no longer in the folder are deleted after everything
else is in place, so a moved lesson is never deleted with its old module; an exercise that
students attempted is never deleted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from courses.models import Course, Exercise, Lesson, LessonImage, Module
from courses.packages.plan import CoursePlan, LessonPlan
from courses.packages.problems import PackageInvalid, Problem
from courses.packages.report import CREATED, DELETED, UNCHANGED, UPDATED, ImportReport


def apply_plan(plan: CoursePlan, root: Path | str) -> ImportReport:
    """Write `plan` in one transaction; raise PackageInvalid (nothing written) if it would
    delete an exercise students have attempted."""
    report = ImportReport(plan.slug)
    with transaction.atomic(durable=True):
        course = Course.objects.select_for_update().filter(slug=plan.slug).first()
        problems = removal_problems(course, plan) if course is not None else []
        if problems:
            raise PackageInvalid(problems, root)
        course = _save(
            course,
            Course,
            {"slug": plan.slug, **plan.fields, "translations": plan.translations},
            report,
            "course",
        )
        lessons = _sync_lessons(course, plan, _sync_modules(course, plan, report), report)
        _sync_exercises(course, plan, lessons, report)
        try:
            _delete_stale(course, plan, report)
        except models.ProtectedError as error:  # an attempt arrived since the check above
            raise PackageInvalid(removal_problems(course, plan), root) from error
    return report


def removal_problems(course: Course | None, plan: CoursePlan) -> list[Problem]:
    """Each exercise the plan drops that students have attempted, reported at the list it was
    removed from."""
    if course is None:
        return []
    keep = [exercise.slug for _lesson, exercise in plan.exercises()]
    attempted = (
        course.exercises.exclude(slug__in=keep)
        .annotate(attempt_count=Count("attempts"))
        .filter(attempt_count__gt=0)
        .select_related("lesson__module")
        .order_by("pk")
    )
    problems = []
    for exercise in attempted:
        file, line = plan.where_removed(exercise.lesson.module.slug, exercise.lesson.slug)
        message = _(
            "exercise '%(slug)s' has %(count)d student attempt(s) and cannot be removed; "
            "keep it in the course (it may move to another lesson)"
        ) % {"slug": exercise.slug, "count": exercise.attempt_count}
        problems.append(Problem(file, line, message))
    return problems


def _save(
    row: models.Model | None,
    model: type[models.Model],
    values: dict[str, Any],
    report: ImportReport,
    kind: str,
) -> Any:
    """Create the row, or update the fields that differ, and say which it was."""
    slug = values["slug"]
    if row is None:
        report.add(kind, slug, CREATED)
        return model.objects.create(**values)
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    if changed:
        row.save(update_fields=changed)
    report.add(kind, slug, UPDATED if changed else UNCHANGED)
    return row


def _sync_modules(course: Course, plan: CoursePlan, report: ImportReport) -> dict[str, Module]:
    existing = {module.slug: module for module in course.modules.all()}
    return {
        part.slug: _save(
            existing.get(part.slug),
            Module,
            {
                "course_id": course.pk,
                "slug": part.slug,
                **part.fields,
                "translations": part.translations,
            },
            report,
            "module",
        )
        for part in plan.modules
    }


def _sync_lessons(
    course: Course, plan: CoursePlan, modules: dict[str, Module], report: ImportReport
) -> dict[str, Lesson]:
    existing = {lesson.slug: lesson for lesson in course.lessons.all()}
    lessons = {}
    for module_plan, part in plan.lessons():
        values = {
            "course_id": course.pk,
            "module_id": modules[module_plan.slug].pk,
            "slug": part.slug,
            **part.fields,
            "translations": part.translations,
        }
        lessons[part.slug] = _save(existing.get(part.slug), Lesson, values, report, "lesson")
        _sync_images(lessons[part.slug], part, report)
    return lessons


def _sync_images(lesson: Lesson, part: LessonPlan, report: ImportReport) -> None:
    """Images by name; one whose sha256 and type are the same is left alone."""
    existing = {image.name: image for image in lesson.images.defer("data")}
    for image in part.images:
        slug = f"{lesson.slug}/{image.name}"
        row = existing.pop(image.name, None)
        if row is None:
            LessonImage.objects.create(
                lesson=lesson,
                name=image.name,
                content_type=image.content_type,
                data=image.data,
                sha256=image.sha256,
            )
            report.add("image", slug, CREATED)
        elif (row.sha256, row.content_type) != (image.sha256, image.content_type):
            row.data, row.sha256, row.content_type = image.data, image.sha256, image.content_type
            row.save(update_fields=["data", "sha256", "content_type"])
            report.add("image", slug, UPDATED)
        else:
            report.add("image", slug, UNCHANGED)
    for name, row in existing.items():
        row.delete()
        report.add("image", f"{lesson.slug}/{name}", DELETED)


def _sync_exercises(
    course: Course, plan: CoursePlan, lessons: dict[str, Lesson], report: ImportReport
) -> None:
    existing = {exercise.slug: exercise for exercise in course.exercises.all()}
    for lesson_plan, part in plan.exercises():
        values = {
            "course_id": course.pk,
            "lesson_id": lessons[lesson_plan.slug].pk,
            "slug": part.slug,
            **part.fields,
            "translations": part.translations,
        }
        _save(existing.get(part.slug), Exercise, values, report, "exercise")


def _delete_stale(course: Course, plan: CoursePlan, report: ImportReport) -> None:
    """Exercises first, then lessons, then modules: each is already emptied of what moved."""
    keep = {
        "exercise": [exercise.slug for _lesson, exercise in plan.exercises()],
        "lesson": [lesson.slug for _module, lesson in plan.lessons()],
        "module": [module.slug for module in plan.modules],
    }
    stale = {
        "exercise": course.exercises.exclude(slug__in=keep["exercise"]),
        "lesson": course.lessons.exclude(slug__in=keep["lesson"]),
        "module": course.modules.exclude(slug__in=keep["module"]),
    }
    for kind, rows in stale.items():
        for row in rows.order_by("pk"):
            row.delete()
            report.add(kind, row.slug, DELETED)
