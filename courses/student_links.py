"""Links that other apps add about one student of an offering (their exchange activity, their
chain), shown on the instructor's roster progress page and the student's attempts page, so
courses can show them without importing those apps (the arrows point campus ← courses ← sandbox).

An app registers a provider in its `AppConfig.ready()`; a provider is called as
`provider(viewer, offering, student)` and returns the links `viewer` may follow about `student`
(anything with `label`, `url` and `description`, such as `StudentLink`), or nothing for a viewer
it would refuse. The pages only call it for people who may see the offering's roster (TAs
among them), once per student: a provider should not query per call; `viewer_manages` answers
"may this viewer manage the offering?" once per request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from campus.models import User
from courses.models import Offering
from courses.selectors import can_manage_offering


class LinkLike(Protocol):
    label: str
    url: str
    description: str


@dataclass(frozen=True)
class StudentLink:
    label: str
    url: str
    description: str = ""


StudentLinkProvider = Callable[[User, Offering, User], Iterable[LinkLike]]
_providers: list[StudentLinkProvider] = []


def register_student_links(provider: StudentLinkProvider) -> None:
    """Add a provider (idempotent: `ready()` may run more than once in tests)."""
    if provider not in _providers:
        _providers.append(provider)


def unregister_student_links(provider: StudentLinkProvider) -> None:
    """Remove a provider (tests that register one of their own)."""
    if provider in _providers:
        _providers.remove(provider)


def student_links(viewer: User, offering: Offering, student: User) -> list[StudentLink]:
    """Every provider's links about `student`, in registration order."""
    return [
        StudentLink(str(link.label), link.url, str(getattr(link, "description", "") or ""))
        for provider in _providers
        for link in provider(viewer, offering, student)
    ]


def viewer_manages(viewer: User, offering: Offering) -> bool:
    """Whether `viewer` manages `offering`, asked of the database once per viewer object (one
    request's user), so a provider called for each of 30 students costs one query, not 30."""
    known = viewer.__dict__.setdefault("_manages_offering", {})
    if offering.pk not in known:
        known[offering.pk] = can_manage_offering(viewer, offering)
    return known[offering.pk]
