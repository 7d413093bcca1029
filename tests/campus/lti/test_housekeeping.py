"""The beat's purge of expired login states and launches, and what it leaves alone."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from campus.lti.housekeeping import purge_expired_launches
from campus.lti.models import ContextLink, Launch, LaunchState, LtiIdentity
from campus.lti.tasks import purge_expired_launches as purge_task
from tests.campus.lti.conftest import auth_url, start_login
from tests.factories import OfferingFactory, UserFactory


def make_state(registration, *, expires_in: int, n: int = 0) -> LaunchState:
    return LaunchState.objects.create(
        state=f"state-{expires_in}-{n}",
        nonce=f"nonce-{expires_in}-{n}",
        registration=registration,
        expires_at=timezone.now() + timedelta(seconds=expires_in),
    )


def make_launch(registration, *, expires_in: int) -> Launch:
    return Launch.objects.create(
        registration=registration,
        user=UserFactory(),
        kind=Launch.Kind.RESOURCE,
        deployment_id="dep-1",
        context_id="ctx-1",
        role="student",
        expires_at=timezone.now() + timedelta(seconds=expires_in),
    )


def test_expired_states_and_launches_are_deleted_and_current_ones_kept(registration):
    make_state(registration, expires_in=-1)
    fresh_state = make_state(registration, expires_in=600)
    make_launch(registration, expires_in=-1)
    fresh_launch = make_launch(registration, expires_in=600)

    purged = purge_expired_launches()

    assert (purged.states, purged.launches) == (1, 1)
    assert list(LaunchState.objects.all()) == [fresh_state]
    assert list(Launch.objects.all()) == [fresh_launch]


def test_purge_deletes_a_backlog_larger_than_one_batch(registration, monkeypatch):
    monkeypatch.setattr("campus.lti.housekeeping.BATCH", 2)
    for n in range(5):
        make_state(registration, expires_in=-1, n=n)

    purged = purge_expired_launches()

    assert purged.states == 5 and not LaunchState.objects.exists()


def test_purge_leaves_people_and_course_links(registration):
    launch = make_launch(registration, expires_in=-1)
    LtiIdentity.objects.create(registration=registration, sub="s-1", user=launch.user)
    ContextLink.objects.create(
        registration=registration, context_id="ctx-1", offering=OfferingFactory()
    )

    purge_expired_launches()

    assert LtiIdentity.objects.filter(user=launch.user).exists()
    assert ContextLink.objects.exists()


def test_id_token_replayed_after_the_purge_is_still_refused(client, platform, registration):
    ContextLink.objects.create(
        registration=registration, context_id="ctx-1", offering=OfferingFactory()
    )
    form = platform.authorize(auth_url(start_login(client, platform)))
    assert client.post("/lti/launch/", form).status_code == 302
    LaunchState.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    purge_expired_launches()

    replay = client.post("/lti/launch/", form)

    assert replay.status_code == 403 and replay["X-LTI-Error"] == "unknown_state"


def test_task_reports_what_it_purged(registration):
    make_state(registration, expires_in=-1)

    assert purge_task() == {"states": 1, "launches": 0}


def test_beat_runs_the_purge():
    entry = settings.CELERY_BEAT_SCHEDULE["lti-purge-expired"]

    assert entry["task"] == "campus.lti.tasks.purge_expired_launches"
    assert entry["schedule"] == settings.LTI_PURGE_SECONDS
