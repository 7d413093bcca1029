"""Links that other apps add to an offering's page, so courses can show them without importing
those apps (the arrows point campus ← courses ← sandbox).

An app registers a provider in its `AppConfig.ready()`; the offering page asks every provider, at
render time, for the links this viewer may follow, and shows them grouped under each section's
heading. A provider decides who sees what: it returns nothing for a viewer it would refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from campus.models import User
from courses.models import Offering


@dataclass(frozen=True)
class OfferingLink:
    section: str
    label: str
    url: str
    description: str = ""


LinkProvider = Callable[[User, Offering], Iterable[OfferingLink]]
_providers: list[LinkProvider] = []


def register_offering_links(provider: LinkProvider) -> None:
    """Add a provider (idempotent: `ready()` may run more than once in tests)."""
    if provider not in _providers:
        _providers.append(provider)


def offering_link_sections(user: User, offering: Offering) -> list[tuple[str, list[OfferingLink]]]:
    """[(section heading, [links])] in registration order, sections with no links left out."""
    sections: dict[str, list[OfferingLink]] = {}
    for provider in _providers:
        for link in provider(user, offering):
            sections.setdefault(str(link.section), []).append(link)
    return list(sections.items())
