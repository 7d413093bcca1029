"""The grader registry and the protocol every grader follows.

A grader marks one kind of exercise. `courses` ships the quiz grader; the graders that need a
sandbox live beside what they read (`sandbox/chain/grading*.py`, `sandbox/markets/grading.py`) and
register here from their app's `ready()`, so `courses` never imports `sandbox`.

What a grader promises:
- `validate_spec` finds every problem in an exercise's spec (the course importer reports them with
  file and line, so it returns a path into the spec with each message);
- `clean_submission` turns what the student sent into the document stored on the attempt, or
  refuses it with a `ServiceError` (nothing is stored);
- `workspace` gives the exercise page what the student needs to work (a level's instance
  address, a starter source); it may prepare things, and must be idempotent;
- `grade` runs in a Celery worker, outside any transaction, and returns an `Outcome`: one
  `CheckResult` per check, named so the student knows what was checked and hinted so they can
  act on a failure. It raises `RetryableGradingError` for a passing trouble (a chain still
  starting), `GradingError` when it cannot grade at all; either way the attempt is marked
  errored, not failed, and an instructor can grade it again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any, Protocol

from campus.api import User
from courses.models import Exercise, Offering

Text = str | Mapping[str, str]
"""A string for every language, or a mapping from language code to string."""

SCORE_PLACES = Decimal("0.0001")


class GradingError(Exception):
    """The grader could not grade this attempt; the message says why, for the instructor."""


class RetryableGradingError(GradingError):
    """A passing trouble: the attempt is graded again after a pause."""


@dataclass(frozen=True)
class SpecProblem:
    path: tuple[str | int, ...]
    message: str


@dataclass(frozen=True)
class CheckResult:
    name: Text
    passed: bool
    detail: str = ""
    """What the grader saw ("returned 5, expected 10"), in the student's language."""
    hint: Text | None = None
    """What to try next, shown when the check failed."""

    def as_feedback(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "detail": self.detail, "hint": self.hint}


@dataclass(frozen=True)
class Outcome:
    checks: Sequence[CheckResult]
    score: Decimal | None = None
    """A fraction from 0 to 1; by default the share of checks that passed."""

    def fraction(self) -> Decimal:
        if self.score is not None:
            return min(max(self.score, Decimal(0)), Decimal(1)).quantize(SCORE_PLACES, ROUND_DOWN)
        if not self.checks:
            return Decimal(0)
        passed = sum(1 for check in self.checks if check.passed)
        return (Decimal(passed) / Decimal(len(self.checks))).quantize(SCORE_PLACES, ROUND_DOWN)


@dataclass(frozen=True)
class GradingContext:
    attempt_id: int
    exercise: Exercise
    offering: Offering
    user: User
    submission: Mapping[str, Any]
    submitted_at: datetime
    window_start: datetime
    """When the exercise opened for this offering: trading checks read activity from here on."""
    language: str


class Grader(Protocol):
    kind: str
    label: str
    form_template: str
    """The exercise page's form (and workspace) for this kind, rendered with `workspace()`."""
    time_limit_seconds: int

    def validate_spec(
        self, spec: Mapping[str, Any], *, languages: Sequence[str], files: Mapping[str, str]
    ) -> list[SpecProblem]: ...

    def clean_submission(
        self, *, exercise: Exercise, data: Mapping[str, list[str]]
    ) -> dict[str, Any]: ...

    def workspace(self, *, exercise: Exercise, offering: Offering, user: User) -> dict: ...

    def grade(self, ctx: GradingContext) -> Outcome: ...


@dataclass
class BaseGrader:
    """Defaults for a grader: no workspace, a one-minute limit."""

    kind: str = ""
    label: str = ""
    form_template: str = ""
    time_limit_seconds: int = 60

    def workspace(self, *, exercise: Exercise, offering: Offering, user: User) -> dict:
        return {}


_graders: dict[str, Grader] = {}


def register(grader: Grader) -> None:
    """Add or replace the grader for its kind (`ready()` may run more than once in tests)."""
    _graders[grader.kind] = grader


def grader_for(kind: str) -> Grader | None:
    return _graders.get(kind)


def kinds() -> list[str]:
    return sorted(_graders)
