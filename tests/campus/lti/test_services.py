"""Roster sync (NRPS) and score passback (AGS) over real HTTP: the tool's JWKS served by the site,
the simulated platform verifying the tool's client assertion against it."""

from decimal import Decimal

import pytest
from django.utils import timezone

from campus.errors import ServiceError
from campus.lti.ags import ScoreNotSent, post_score, send_score
from campus.lti.models import ContextLink, Deployment, LtiIdentity, Registration, ScoreSync
from campus.lti.nrps import sync_roster
from courses.api import Attempt, Enrollment
from tests.campus.lti.platform import AGS_SCOPES
from tests.factories import EnrollmentFactory, ExerciseFactory, OfferingFactory, UserFactory


@pytest.fixture
def context(site, platform):
    platform.tool_jwks_url = site.url + "/lti/jwks/"
    registration = Registration.objects.create(**platform.registration_fields())
    Deployment.objects.create(registration=registration, deployment_id=platform.deployment_id)
    return ContextLink.objects.create(
        registration=registration,
        context_id="ctx-1",
        offering=OfferingFactory(),
        memberships_url=f"{platform.url}/nrps/ctx-1",
        lineitems_url=f"{platform.url}/ags/ctx-1/lineitems",
        ags_scopes=AGS_SCOPES,
    )


def test_roster_sync_enrols_active_members_in_their_roles(context, platform):
    platform.members["ctx-1"] = [
        platform.member("s-1"),
        platform.member("t-1", roles=["Instructor"]),
        platform.member("s-gone", status="Inactive"),
    ]

    result = sync_roster(context=context)

    roles = dict(
        Enrollment.objects.filter(offering=context.offering).values_list(
            "user__lti_identities__sub", "role"
        )
    )
    assert roles == {"s-1": "student", "t-1": "instructor"}
    assert sorted(result.enrolled) == ["s-1", "t-1"]
    assert platform.token_requests[0]["grant_type"] == "client_credentials"


def test_roster_sync_deactivates_lms_members_who_left(context, platform):
    user = UserFactory()
    LtiIdentity.objects.create(registration=context.registration, sub="s-left", user=user)
    EnrollmentFactory(offering=context.offering, user=user, role="student")
    platform.members["ctx-1"] = [platform.member("s-1")]

    result = sync_roster(context=context)

    assert result.deactivated == ["s-left"]
    assert not Enrollment.objects.get(offering=context.offering, user=user).is_active


def test_roster_sync_leaves_campus_staff_without_lms_identity_alone(context, platform):
    staff = EnrollmentFactory(offering=context.offering, role="instructor")
    platform.members["ctx-1"] = [platform.member("s-1")]

    sync_roster(context=context)

    staff.refresh_from_db()
    assert staff.is_active


def test_roster_sync_refuses_when_the_platform_rejects_the_tool(context, platform):
    platform.tool_jwks_url = platform.url + "/jwks"  # the platform checks the wrong key set
    platform.members["ctx-1"] = [platform.member("s-1")]

    with pytest.raises(ServiceError) as refused:
        sync_roster(context=context)

    assert refused.value.code == "roster_unavailable"
    assert not Enrollment.objects.exists()


@pytest.fixture
def graded(context):
    student = UserFactory()
    LtiIdentity.objects.create(registration=context.registration, sub="s-1", user=student)
    EnrollmentFactory(offering=context.offering, user=student, role="student")
    exercise = ExerciseFactory(
        course=context.offering.course, lesson__module__course=context.offering.course, points=10
    )
    Attempt.objects.create(
        offering=context.offering,
        exercise=exercise,
        user=student,
        number=1,
        status="passed",
        score=Decimal("0.75"),
        submitted_at=timezone.now(),
    )
    return student, exercise


def test_post_score_creates_line_item_and_sends_points(context, platform, graded, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    student, exercise = graded

    [row] = post_score(offering=context.offering, exercise=exercise, user=student)

    row.refresh_from_db()
    assert (row.status, row.score_given, row.attempts) == ("sent", Decimal("7.50"), 1)
    [lineitem] = platform.lineitems["ctx-1"]
    assert lineitem["scoreMaximum"] == 10 and lineitem["tag"] == f"exercise/{exercise.slug}"
    [score] = platform.scores
    assert (score["userId"], score["scoreGiven"], score["scoreMaximum"]) == ("s-1", 7.5, 10)
    assert score["gradingProgress"] == "FullyGraded"


def test_second_score_reuses_the_line_item(context, platform, graded):
    student, exercise = graded
    row = ScoreSync.objects.create(context=context, exercise=exercise, user=student)

    send_score(row.pk)
    send_score(row.pk)

    assert len(platform.lineitems["ctx-1"]) == 1 and len(platform.scores) == 2


def test_failed_score_records_status_tries_and_error(context, platform, graded):
    student, exercise = graded
    row = ScoreSync.objects.create(context=context, exercise=exercise, user=student)
    platform.fail_scores = 1

    with pytest.raises(ScoreNotSent):
        send_score(row.pk)

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 1)
    assert "503" in row.last_error


def test_post_score_skips_students_without_lms_identity(context, graded):
    _, exercise = graded
    outsider = UserFactory()

    assert post_score(offering=context.offering, exercise=exercise, user=outsider) == []
