"""A course's title in the reader's language, for every page that names an offering.

Courses carry their own translations (`Localized.translations`), which gettext cannot reach:
a page that prints `offering.course.title` shows a Korean reader the English title. Pages and
views name the course through these instead.
"""

from __future__ import annotations

from django.utils.translation import get_language

from courses.models import Offering


def course_title(offering: Offering, language: str | None = None) -> str:
    """The offering's course title in `language` (default: the active one), else its default."""
    return offering.course.localized("title", language or get_language())


def offering_label(offering: Offering, language: str | None = None) -> str:
    """`course title · university · term`, the line that tells one run of a course from another."""
    parts = (course_title(offering, language), offering.university.name, offering.term)
    return " · ".join(str(part) for part in parts if part)
