"""Grades back to the LMS (Assignment and Grade Services).

`post_score(offering=, exercise=, user=)` is what courses calls when a student's grade on an
exercise may have changed: for each LMS course linked to the offering that granted the score
scope, it marks the student's ScoreSync pending and, after commit, queues `send_score` (Celery,
retried with backoff). `send_score` finds or creates the exercise's line item (tagged with the
exercise, scoreMaximum its points) and posts the points the student has now. Each ScoreSync row
shows instructors its status, tries and last error.
"""

from datetime import UTC, datetime
from decimal import Decimal

import requests
from django.db import transaction
from django.utils import timezone
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem

from campus.lti import claims as c
from campus.lti.connector import service_connector
from campus.lti.grade_source import earned_points
from campus.lti.models import ContextLink, LineItemLink, LtiIdentity, ScoreSync
from campus.models import User
from courses.api import Exercise, Offering


class ScoreNotSent(Exception):
    """The platform could not be reached or refused; worth retrying."""


def post_score(*, offering: Offering, exercise: Exercise, user: User) -> list[ScoreSync]:
    """Queue the student's current points on `exercise` for every linked LMS course that
    accepts scores. Safe to call on every grade change: one row per (course, exercise, student)."""
    from campus.lti.tasks import send_score_task  # tasks imports this module

    contexts = ContextLink.objects.filter(offering=offering, lineitems_url__gt="")
    contexts = [ctx for ctx in contexts if c.SCOPE_SCORE in ctx.ags_scopes]
    rows = []
    with transaction.atomic(durable=True):
        for context in contexts:
            if not LtiIdentity.objects.filter(
                registration_id=context.registration_id, user=user
            ).exists():
                continue
            row, _ = ScoreSync.objects.update_or_create(
                context=context,
                exercise=exercise,
                user=user,
                defaults={"status": ScoreSync.Status.PENDING},
            )
            rows.append(row)
            transaction.on_commit(lambda pk=row.pk: send_score_task.delay(pk))
    return rows


def send_score(score_id: int) -> ScoreSync:
    """Post one pending score; the row records the outcome. Raises ScoreNotSent to be retried."""
    row = ScoreSync.objects.select_related(
        "context__registration", "context__offering", "exercise", "user"
    ).get(pk=score_id)
    points = earned_points(offering=row.context.offering, exercise=row.exercise, user=row.user)
    try:
        lineitem = _lineitem(row.context, row.exercise)
        _service(row.context).put_grade(_grade(row, points), lineitem)
    except (LtiException, LtiServiceException, requests.RequestException) as error:
        _record_failure(row, error)
        raise ScoreNotSent(str(error)) from error
    with transaction.atomic(durable=True):
        ScoreSync.objects.filter(pk=row.pk).update(
            status=ScoreSync.Status.SENT,
            score_given=points,
            score_maximum=row.exercise.points,
            attempts=row.attempts + 1,
            last_error="",
            sent_at=timezone.now(),
        )
    row.refresh_from_db()
    return row


def _service(context: ContextLink) -> AssignmentsGradesService:
    data = {"scope": context.ags_scopes, "lineitems": context.lineitems_url}
    return AssignmentsGradesService(service_connector(context.registration), data)


def _lineitem(context: ContextLink, exercise: Exercise) -> LineItem:
    known = LineItemLink.objects.filter(context=context, exercise=exercise).first()
    if known is not None:
        return LineItem({"id": known.lineitem_url})
    wanted = (
        LineItem()
        .set_tag(f"exercise/{exercise.slug}")
        .set_resource_id(f"exercise/{exercise.slug}")
        .set_label(exercise.title)
        .set_score_maximum(exercise.points)
    )
    lineitem = _service(context).find_or_create_lineitem(wanted)
    with transaction.atomic(durable=True):
        LineItemLink.objects.get_or_create(
            context=context, exercise=exercise, defaults={"lineitem_url": lineitem.get_id()}
        )
    return lineitem


def _grade(row: ScoreSync, points: Decimal | None) -> Grade:
    sub = LtiIdentity.objects.get(registration_id=row.context.registration_id, user=row.user).sub
    grade = (
        Grade()
        .set_user_id(sub)
        .set_score_maximum(row.exercise.points)
        .set_timestamp(datetime.now(UTC).isoformat())
        .set_activity_progress("Completed" if points is not None else "Initialized")
        .set_grading_progress("FullyGraded" if points is not None else "NotReady")
    )
    if points is not None:
        grade.set_score_given(float(points))
    return grade


def _record_failure(row: ScoreSync, error: Exception) -> None:
    with transaction.atomic(durable=True):
        ScoreSync.objects.filter(pk=row.pk).update(
            status=ScoreSync.Status.FAILED,
            attempts=row.attempts + 1,
            last_error=str(error)[:2000],
        )
