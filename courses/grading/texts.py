"""Localised text in specs and feedback: a plain string, or a mapping from language to string."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

from courses.grading.registry import SpecProblem, Text


def localize(text: Text | None, language: str | None, default_language: str = "en") -> str:
    """`text` in `language`, else in the default language, else in any language it has."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    for code in (language, default_language):
        if code and text.get(code):
            return text[code]
    return next((value for value in text.values() if value), "")


def text_problems(
    value: Any, path: tuple[str | int, ...], languages: Sequence[str], *, required: bool = True
) -> list[SpecProblem]:
    """What is wrong with a localised text: missing, not text, or lacking one of `languages`."""
    if value is None or value == "":
        return [SpecProblem(path, _("is required"))] if required else []
    if isinstance(value, str):
        return []
    if not isinstance(value, Mapping):
        return [SpecProblem(path, _("must be text, or a mapping from language to text"))]
    problems = [
        SpecProblem(path, _("has no text in language '%(code)s'") % {"code": code})
        for code in languages
        if not isinstance(value.get(code), str) or not value.get(code).strip()
    ]
    problems += [
        SpecProblem(
            (*path, code),
            _("'%(code)s' is not one of the course's languages (%(languages)s)")
            % {"code": code, "languages": ", ".join(languages)},
        )
        for code in value
        if code not in languages
    ]
    return problems
