from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LtiConfig(AppConfig):
    name = "campus.lti"
    label = "lti"
    verbose_name = _("LMS integration (LTI 1.3)")

    def ready(self) -> None:
        from campus.lti.links import lti_offering_links
        from campus.lti.listeners import pass_back_grade
        from courses.api import on_grade_changed, register_offering_links

        # Grade passback: courses tells its listeners when a grade may have changed.
        on_grade_changed(pass_back_grade)
        # The offering page links managers to its LMS connection without importing this app.
        register_offering_links(lti_offering_links)
