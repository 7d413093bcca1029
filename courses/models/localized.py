"""Text in several languages: the default language on the field, the others beside it."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Localized(models.Model):
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        abstract = True

    def localized(self, field: str, language: str | None) -> str:
        """`field` in `language` when the course has it, else in the course's default language."""
        text = self.translations.get(language or "", {}).get(field)
        return text if text else getattr(self, field)
