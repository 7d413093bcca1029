"""Attempts: a student submits, a worker grades, an instructor may grade again.

Submitting is one transaction that checks everything first (enrolment, the exercise belongs to the
offering's course, it is open, the hard deadline, attempts left, no attempt still being graded,
the grader's own checks on the submission) and then records a queued attempt; grading is
scheduled after commit. Grading runs outside any transaction (graders talk to chains) and records
its result in one; an attempt that is already finished is never graded twice by a duplicate
delivery of the task.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, time

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from campus.api import ServiceError, User
from courses.grading import live
from courses.grading.listeners import grade_changed_on_commit
from courses.grading.registry import (
    Grader,
    GradingContext,
    GradingError,
    Outcome,
    RetryableGradingError,
    grader_for,
)
from courses.models import Attempt, Deadline, Enrollment, Exercise, Extension, Offering

log = logging.getLogger(__name__)
HARD_LIMIT_GRACE_S = 30
"""After the soft limit, how long a grader has to stop before its worker process is killed."""


def submit_attempt(
    *,
    offering: Offering,
    exercise: Exercise,
    user: User,
    data: Mapping[str, list[str]],
    language: str = "en",
) -> Attempt:
    """Record a queued attempt and schedule its grading. Refusals (nothing written):
    `not_enrolled`, `exercise_not_in_course`, `no_grader`, `not_open`, `deadline_passed`,
    `no_attempts_left`, `attempt_in_progress`, and whatever the grader refuses."""
    if exercise.course_id != offering.course_id:
        raise ServiceError(
            "exercise_not_in_course", _("This exercise is not part of this offering's course.")
        )
    grader = grader_for(exercise.kind)
    if grader is None:
        raise ServiceError(
            "no_grader",
            _("Exercises of kind '%(kind)s' cannot be graded on this site.")
            % {"kind": exercise.kind},
        )
    now = timezone.now()
    with transaction.atomic(durable=True):
        _lock_enrollment(offering, user)
        _check_window(offering, exercise, user, now)
        number = _next_number(offering, exercise, user)
        submission = grader.clean_submission(exercise=exercise, data=data)
        attempt = Attempt.objects.create(
            offering=offering,
            exercise=exercise,
            user=user,
            number=number,
            submission={**submission, "language": language},
            submitted_at=now,
        )
        _schedule(attempt)
    return attempt


def regrade_attempt(*, attempt: Attempt, by: User) -> Attempt:
    """Grade a finished attempt again (after an errored run, a fixed check, a disputed result)."""
    with transaction.atomic(durable=True):
        attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if not attempt.finished:
            raise ServiceError(
                "attempt_in_progress", _("This attempt is still being graded; wait for it to end.")
            )
        attempt.status = Attempt.Status.QUEUED
        attempt.error = ""
        attempt.save(update_fields=["status", "error"])
        _schedule(attempt)
    return attempt


def grade(attempt_id: int) -> Attempt | None:
    """Grade one attempt: claim it, run its grader, record the outcome. Returns None when there
    is nothing to do (finished already, or gone). `RetryableGradingError` propagates so the task
    can retry; `record_error` ends it for good."""
    attempt = _claim(attempt_id)
    if attempt is None:
        return None
    grader = grader_for(attempt.exercise.kind)
    if grader is None:
        return record_error(attempt_id, _("No grader is installed for this kind of exercise."))
    try:
        outcome = grader.grade(grading_context(attempt))
    except RetryableGradingError:
        raise
    except GradingError as error:
        return record_error(attempt_id, str(error))
    except SoftTimeLimitExceeded:
        return record_error(
            attempt_id,
            _("Grading took longer than %(s)d seconds and was stopped.")
            % {"s": time_limit(grader)},
        )
    except Exception as error:
        log.exception("grader %s failed on attempt %s", attempt.exercise.kind, attempt_id)
        return record_error(
            attempt_id, _("The grader failed: %(error)s") % {"error": type(error).__name__}
        )
    return record_outcome(attempt_id, outcome)


def grading_context(attempt: Attempt) -> GradingContext:
    return GradingContext(
        attempt_id=attempt.pk,
        exercise=attempt.exercise,
        offering=attempt.offering,
        user=attempt.user,
        submission=attempt.submission,
        submitted_at=attempt.submitted_at,
        window_start=window_start(attempt.offering, attempt.exercise, attempt.user),
        language=attempt.submission.get("language") or "en",
    )


def record_outcome(attempt_id: int, outcome: Outcome) -> Attempt | None:
    score = outcome.fraction()
    status = Attempt.Status.PASSED if score == 1 else Attempt.Status.FAILED
    feedback = [check.as_feedback() for check in outcome.checks]
    return _finish(attempt_id, status=status, score=score, feedback=feedback, error="")


def record_error(attempt_id: int, message: str) -> Attempt | None:
    return _finish(
        attempt_id, status=Attempt.Status.ERRORED, score=None, feedback=[], error=message
    )


def window_start(offering: Offering, exercise: Exercise, user: User) -> datetime:
    """When the exercise opened for this offering: its deadline's `opens_at`, else the
    offering's start, else when the student enrolled."""
    deadline = Deadline.objects.filter(offering=offering, exercise=exercise).first()
    if deadline is not None and deadline.opens_at is not None:
        return deadline.opens_at
    if offering.starts_on is not None:
        return timezone.make_aware(datetime.combine(offering.starts_on, time.min))
    enrolment = Enrollment.objects.filter(offering=offering, user=user).first()
    return enrolment.created_at if enrolment is not None else timezone.now()


def _lock_enrollment(offering: Offering, user: User) -> Enrollment:
    """The student's enrolment row, locked: one student's submissions are numbered one by one."""
    enrolment = (
        Enrollment.objects.select_for_update()
        .filter(offering=offering, user=user, is_active=True)
        .first()
    )
    if enrolment is None:
        raise ServiceError("not_enrolled", _("You are not enrolled in this offering."))
    return enrolment


def _check_window(offering: Offering, exercise: Exercise, user: User, now: datetime) -> None:
    deadline = Deadline.objects.filter(offering=offering, exercise=exercise).first()
    if deadline is None:
        return
    if deadline.opens_at is not None and now < deadline.opens_at:
        raise ServiceError(
            "not_open",
            _("This exercise opens on %(when)s.")
            % {"when": timezone.localtime(deadline.opens_at).strftime("%Y-%m-%d %H:%M")},
        )
    closes_at = deadline.hard_deadline_at
    extension = Extension.objects.filter(offering=offering, exercise=exercise, user=user).first()
    if extension is not None and (closes_at is None or extension.until > closes_at):
        closes_at = extension.until
    if closes_at is not None and now > closes_at:
        raise ServiceError(
            "deadline_passed",
            _(
                "The deadline for this exercise passed on %(when)s; ask your instructor for an "
                "extension."
            )
            % {"when": timezone.localtime(closes_at).strftime("%Y-%m-%d %H:%M")},
        )


def _next_number(offering: Offering, exercise: Exercise, user: User) -> int:
    mine = Attempt.objects.filter(offering=offering, exercise=exercise, user=user)
    if mine.filter(status__in=[Attempt.Status.QUEUED, Attempt.Status.RUNNING]).exists():
        raise ServiceError(
            "attempt_in_progress",
            _("Your last attempt is still being graded; wait for its result before trying again."),
        )
    used = mine.aggregate(n=Max("number"))["n"] or 0
    if exercise.max_attempts is not None and used >= exercise.max_attempts:
        raise ServiceError(
            "no_attempts_left",
            _("You have used all %(n)d attempts at this exercise.") % {"n": exercise.max_attempts},
        )
    return used + 1


def time_limit(grader: Grader) -> int:
    """The grader's own limit, capped by the site's (`COURSES_GRADING_TIME_LIMIT_S`)."""
    return min(grader.time_limit_seconds, settings.COURSES_GRADING_TIME_LIMIT_S)


def _schedule(attempt: Attempt) -> None:
    from courses.tasks import grade_attempt  # the task module imports this one

    attempt_id, limit = attempt.pk, time_limit(grader_for(attempt.exercise.kind))
    transaction.on_commit(
        lambda: grade_attempt.apply_async(
            (attempt_id,), soft_time_limit=limit, time_limit=limit + HARD_LIMIT_GRACE_S
        )
    )
    live.announce_on_commit(attempt)


def _claim(attempt_id: int) -> Attempt | None:
    """Mark the attempt as being graded, unless it is finished (a duplicate delivery)."""
    with transaction.atomic(durable=True):
        attempt = (
            Attempt.objects.select_for_update()
            .select_related("exercise", "offering__course", "user")
            .filter(pk=attempt_id)
            .first()
        )
        if attempt is None or attempt.finished:
            return None
        attempt.status = Attempt.Status.RUNNING
        attempt.runs += 1
        attempt.save(update_fields=["status", "runs"])
        live.announce_on_commit(attempt)
    return attempt


def _finish(attempt_id: int, **fields) -> Attempt | None:
    with transaction.atomic(durable=True):
        attempt = Attempt.objects.select_for_update().filter(pk=attempt_id).first()
        if attempt is None or attempt.status != Attempt.Status.RUNNING:
            return None
        for name, value in fields.items():
            setattr(attempt, name, value)
        attempt.graded_at = timezone.now()
        attempt.save(update_fields=[*fields, "graded_at"])
        live.announce_on_commit(attempt)
        if attempt.status != Attempt.Status.ERRORED:
            grade_changed_on_commit(
                offering_id=attempt.offering_id,
                exercise_id=attempt.exercise_id,
                user_id=attempt.user_id,
            )
    return attempt
