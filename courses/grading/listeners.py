"""Who hears that a student's grade on an exercise may have changed: an attempt finished, an
override set or cleared, an extension moved a late penalty. Other apps (LMS grade passback)
register a listener in their `AppConfig.ready()`, so courses calls them without importing them.

Listeners are called after the change commits, with ids only; each is isolated: one that raises
is logged and the others still run (a grade is never lost to a listener's trouble).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

log = logging.getLogger(__name__)
GradeListener = Callable[[int, int, int], None]
"""listener(offering_id, exercise_id, user_id)"""
_listeners: list[GradeListener] = []


def on_grade_changed(listener: GradeListener) -> None:
    """Register a listener (idempotent: `ready()` may run more than once in tests)."""
    if listener not in _listeners:
        _listeners.append(listener)


def grade_changed_on_commit(*, offering_id: int, exercise_id: int, user_id: int) -> None:
    transaction.on_commit(lambda: _tell(offering_id, exercise_id, user_id))


def _tell(offering_id: int, exercise_id: int, user_id: int) -> None:
    for listener in list(_listeners):
        try:
            listener(offering_id, exercise_id, user_id)
        except Exception:
            log.exception("grade listener %r failed", listener)
