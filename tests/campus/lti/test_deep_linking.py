"""Deep linking: an instructor picks an item; the platform receives a signed response it can
verify with the tool's published keys, with a line item for an exercise."""

import html
import re

import pytest

from campus.lti.models import ContextLink
from tests.campus.lti.conftest import launch
from tests.factories import ExerciseFactory, LessonFactory, OfferingFactory

DL = "LtiDeepLinkingRequest"
ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"


@pytest.fixture
def linked(registration):
    offering = OfferingFactory()
    ContextLink.objects.create(registration=registration, context_id="ctx-1", offering=offering)
    return offering


def returned_jwt(page: str) -> str:
    return html.unescape(re.search(r'name="JWT" value="([^"]+)"', page).group(1))


def test_deep_link_picker_lists_course_lessons_and_exercises(client, platform, linked):
    lesson = LessonFactory(course=linked.course, module__course=linked.course)
    exercise = ExerciseFactory(lesson=lesson, course=linked.course, points=7)

    picker = client.get(launch(client, platform, roles=["Instructor"], message_type=DL)["Location"])

    page = picker.content.decode()
    assert lesson.title in page and exercise.title in page and linked.course.title in page


def test_picked_exercise_returns_signed_link_with_line_item(client, platform, linked):
    exercise = ExerciseFactory(course=linked.course, lesson__module__course=linked.course, points=7)
    location = launch(client, platform, roles=["Instructor"], message_type=DL)["Location"]

    answer = client.post(location, {"item": f"exercise/{exercise.slug}"})

    page = answer.content.decode()
    assert f'action="{platform.url}/deep-link-return"' in page
    claims = platform.verify_tool_jwt(returned_jwt(page), client.get("/lti/jwks/").json())
    assert (
        claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingResponse"
    )
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-platform-data"
    [item] = claims[ITEMS]
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == f"http://testserver/offerings/{linked.slug}/exercises/{exercise.slug}/"
    assert item["custom"] == {"target": f"exercise/{exercise.slug}"}
    assert item["lineItem"]["scoreMaximum"] == 7


def test_picked_course_page_has_no_line_item(client, platform, linked):
    location = launch(client, platform, roles=["Instructor"], message_type=DL)["Location"]

    page = client.post(location, {"item": "course"}).content.decode()

    claims = platform.verify_tool_jwt(returned_jwt(page), client.get("/lti/jwks/").json())
    [item] = claims[ITEMS]
    assert item["url"] == f"http://testserver/offerings/{linked.slug}/" and "lineItem" not in item


def test_student_cannot_deep_link(client, platform, linked):
    response = launch(client, platform, roles=["Learner"], message_type=DL)

    assert client.get(response["Location"]).status_code == 403
