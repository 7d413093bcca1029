from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LtiConfig(AppConfig):
    name = "campus.lti"
    label = "lti"
    verbose_name = _("LMS integration (LTI 1.3)")
