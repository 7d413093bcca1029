"""What an import did, part by part, for the command to print and the demo seed to count."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CREATED, UPDATED, UNCHANGED, DELETED = "created", "updated", "unchanged", "deleted"
ACTIONS = (CREATED, UPDATED, UNCHANGED, DELETED)
KINDS = {
    "course": gettext_lazy("course"),
    "module": gettext_lazy("modules"),
    "lesson": gettext_lazy("lessons"),
    "image": gettext_lazy("images"),
    "exercise": gettext_lazy("exercises"),
}
ACTION_LABELS = {
    CREATED: gettext_lazy("created"),
    UPDATED: gettext_lazy("updated"),
    UNCHANGED: gettext_lazy("unchanged"),
    DELETED: gettext_lazy("deleted"),
}


@dataclass(frozen=True)
class Change:
    kind: str
    slug: str
    action: str


@dataclass
class ImportReport:
    course: str
    changes: list[Change] = field(default_factory=list)

    def add(self, kind: str, slug: str, action: str) -> None:
        self.changes.append(Change(kind, slug, action))

    def count(self, action: str, kind: str | None = None) -> int:
        return sum(1 for c in self.changes if c.action == action and kind in (None, c.kind))

    def slugs(self, action: str, kind: str) -> list[str]:
        return [c.slug for c in self.changes if c.action == action and c.kind == kind]

    @property
    def changed(self) -> bool:
        return any(change.action != UNCHANGED for change in self.changes)

    def lines(self) -> list[str]:
        """Each part created, updated or deleted by name, then a count per kind; or one line
        saying nothing changed."""
        if not self.changed:
            return [
                _("Course '%(slug)s' unchanged (%(counts)s).")
                % {"slug": self.course, "counts": self._totals()}
            ]
        lines = [
            f"  {ACTION_LABELS[c.action]} {c.kind} {c.slug}"
            for c in self.changes
            if c.action != UNCHANGED
        ]
        lines += [self._kind_line(kind) for kind in KINDS if self._has(kind)]
        lines.append(_("Course '%(slug)s' imported.") % {"slug": self.course})
        return lines

    def _has(self, kind: str) -> bool:
        return any(change.kind == kind for change in self.changes)

    def _kind_line(self, kind: str) -> str:
        counts = ", ".join(
            f"{self.count(action, kind)} {ACTION_LABELS[action]}" for action in ACTIONS
        )
        return f"{KINDS[kind]}: {counts}"

    def _totals(self) -> str:
        return ", ".join(
            f"{sum(1 for c in self.changes if c.kind == kind)} {KINDS[kind]}"
            for kind in KINDS
            if kind != "course"
        )
