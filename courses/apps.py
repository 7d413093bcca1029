from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Courses")

    def ready(self) -> None:
        from django.conf import settings
        from django.utils.module_loading import import_string

        from courses.grading.quiz import quiz_grader
        from courses.grading.registry import register

        register(quiz_grader)
        for dotted_path in settings.COURSES_GRADERS:
            register(import_string(dotted_path))
