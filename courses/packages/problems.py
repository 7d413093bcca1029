"""What is wrong with a course package, located so an author can jump to it.

A problem's `file` is relative to the course folder (posix separators) and its `line` is 1-based;
`located(root)` prefixes the folder as the author named it, the way compilers report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from campus.errors import ServiceError


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"

    def located(self, root: Path | str) -> str:
        return f"{Path(root) / self.file}:{self.line}: {self.message}"


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """By file, then line; the same problem reported twice is shown once."""
    return sorted(set(problems))


class PackageInvalid(ServiceError):
    """The package has problems; nothing was changed. `problems` lists every one, sorted."""

    def __init__(self, problems: Iterable[Problem], root: Path | str | None = None) -> None:
        self.problems = sorted_problems(problems)
        self.root = root
        count = len(self.problems)
        lines = [p.located(root) if root is not None else str(p) for p in self.problems]
        summary = _("The course package has %(count)d problem(s); nothing was changed.") % {
            "count": count
        }
        super().__init__("package_invalid", "\n".join([summary, *lines]))

    def lines(self) -> list[str]:
        """One `path/to/file.yaml:LINE: message` per problem."""
        if self.root is None:
            return [str(p) for p in self.problems]
        return [p.located(self.root) for p in self.problems]
