"""The exercise page's live feed: only a signed-in student connects, and they hear about their
own attempts, never a classmate's (channels' in-memory layer, the whole ASGI stack)."""

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from campus.asgi import application
from courses.grading import attempts, live
from courses.models import Attempt, Enrollment
from tests.factories import EnrollmentFactory, ExerciseFactory, OfferingFactory

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://127.0.0.1")
RIGHT = {"q1": ["b"], "q2": ["a", "b"], "q3": ["21000"]}


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def classroom(transactional_db):
    offering = OfferingFactory()
    exercise = ExerciseFactory(lesson__module__course=offering.course)
    minji, junho = (
        EnrollmentFactory(offering=offering, role=Enrollment.Role.STUDENT).user for _ in range(2)
    )
    return offering, exercise, minji, junho


def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


def socket_for(user=None) -> WebsocketCommunicator:
    headers = [ORIGIN] + ([session_cookie(user)] if user else [])
    return WebsocketCommunicator(application, "/ws/attempts/", headers=headers)


def test_an_anonymous_visitor_cannot_connect():
    socket = socket_for()

    async def connect():
        connected, code = await socket.connect()
        await socket.disconnect()
        return connected, code

    connected, code = async_to_sync(connect)()

    assert not connected
    assert code == 4401


def test_a_student_hears_each_state_of_their_own_attempt(classroom, monkeypatch):
    offering, exercise, minji, _ = classroom
    # grading is scheduled after commit; here the test grades, so no task reaches a broker
    monkeypatch.setattr("courses.tasks.grade_attempt.delay", lambda *args, **kwargs: None)
    monkeypatch.setattr("courses.tasks.grade_attempt.apply_async", lambda *args, **kwargs: None)
    socket = socket_for(minji)

    async def submit_and_grade():
        connected, _ = await socket.connect()
        assert connected
        attempt = await sync_to_async(attempts.submit_attempt)(
            offering=offering, exercise=exercise, user=minji, data=RIGHT
        )
        received = [json.loads(await socket.receive_from(timeout=5))]
        await sync_to_async(attempts.grade)(attempt.pk)
        received += [json.loads(await socket.receive_from(timeout=5)) for _ in range(2)]
        await socket.disconnect()
        return attempt, received

    attempt, received = async_to_sync(submit_and_grade)()

    assert [event["type"] for event in received] == ["attempt.update"] * 3
    assert [event["attempt"]["status"] for event in received] == [
        Attempt.Status.QUEUED,
        Attempt.Status.RUNNING,
        Attempt.Status.PASSED,
    ]
    assert received[-1]["attempt"] == {
        "id": attempt.pk,
        "exercise_id": exercise.pk,
        "offering_id": offering.pk,
        "number": 1,
        "status": "passed",
        "finished": True,
        "score": "1.0000",
    }


def test_a_student_does_not_hear_about_a_classmates_attempt(classroom, monkeypatch):
    offering, exercise, minji, junho = classroom
    monkeypatch.setattr("courses.tasks.grade_attempt.delay", lambda *args, **kwargs: None)
    monkeypatch.setattr("courses.tasks.grade_attempt.apply_async", lambda *args, **kwargs: None)
    minjis, junhos = socket_for(minji), socket_for(junho)

    async def listen_while_a_classmate_submits():
        await minjis.connect()
        await junhos.connect()
        await sync_to_async(attempts.submit_attempt)(
            offering=offering, exercise=exercise, user=junho, data=RIGHT
        )
        junho_heard = json.loads(await junhos.receive_from(timeout=5))
        minji_heard_nothing = await minjis.receive_nothing(timeout=0.5)
        await minjis.disconnect()
        await junhos.disconnect()
        return junho_heard, minji_heard_nothing

    junho_heard, minji_heard_nothing = async_to_sync(listen_while_a_classmate_submits)()

    assert junho_heard["attempt"]["status"] == Attempt.Status.QUEUED
    assert minji_heard_nothing


def test_what_the_student_sends_is_ignored(classroom):
    _, _, minji, junho = classroom

    socket = socket_for(minji)

    async def try_to_join_another_group():
        await socket.connect()
        await socket.send_json_to({"subscribe": live.attempt_group(junho.pk)})
        await get_channel_layer().group_send(
            live.attempt_group(junho.pk),
            {"type": live.EVENT_TYPE, "attempt": {"id": 99, "status": "passed"}},
        )
        heard_nothing = await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()
        return heard_nothing

    assert async_to_sync(try_to_join_another_group)()
