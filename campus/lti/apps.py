from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LtiConfig(AppConfig):
    name = "campus.lti"
    label = "lti"
    verbose_name = _("LMS integration (LTI 1.3)")

    def ready(self) -> None:
        # Grade passback: courses tells its listeners when a grade may have changed.
        from campus.lti.listeners import pass_back_grade
        from courses.api import on_grade_changed

        on_grade_changed(pass_back_grade)
