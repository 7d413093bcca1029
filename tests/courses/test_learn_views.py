"""The student's course pages: the outline with progress, a lesson, an exercise with its quiz,
submitting (and being refused), the feedback fragment, and the lessons' images."""

import hashlib
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.grading import attempts
from courses.models import Attempt, Deadline, Enrollment, LessonImage
from tests.factories import (
    EnrollmentFactory,
    ExerciseFactory,
    LessonFactory,
    ModuleFactory,
    OfferingFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

RIGHT = {"q1": ["b"], "q2": ["a", "b"], "q3": ["21000"]}
WRONG_FIRST = {"q1": ["a"], "q2": ["a", "b"], "q3": ["21000"]}
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def course(db):
    """An offering of a two-module course: a lesson with a quiz, then two lessons without one;
    a student enrolled, logged in."""
    offering = OfferingFactory(slug="dax101-2026f", course__title="Digital Asset Exchanges")
    first = ModuleFactory(course=offering.course, title="Foundations", position=1)
    second = ModuleFactory(course=offering.course, title="Markets", position=2)
    keys = LessonFactory(
        module=first,
        slug="keys",
        title="Keys and wallets",
        position=1,
        minutes=25,
        body="# Keys and wallets\n\n## Private keys\n\nA key is a number.\n\n"
        "```python\nprint(1)\n```\n\n![A key pair](images/keypair.svg)",
        translations={
            "ko": {"title": "키와 지갑", "body": "# 키와 지갑\n\n## 개인 키\n\n키는 수입니다."}
        },
    )
    gas = LessonFactory(module=first, slug="gas", title="Transactions and gas", position=2)
    books = LessonFactory(module=second, slug="books", title="Order books", position=1)
    quiz = ExerciseFactory(
        lesson=keys,
        slug="keys-quiz",
        title="Quiz: keys",
        prompt="Answer **three** questions.",
        points=10,
        max_attempts=3,
    )
    student = EnrollmentFactory(offering=offering, role=Enrollment.Role.STUDENT).user
    return SimpleNamespace(
        offering=offering, keys=keys, gas=gas, books=books, quiz=quiz, student=student
    )


@pytest.fixture
def student_client(client, course):
    client.force_login(course.student)
    return client


def url(name, *args):
    return reverse(name, args=args)


def graded(course, data, user=None):
    attempt = attempts.submit_attempt(
        offering=course.offering, exercise=course.quiz, user=user or course.student, data=data
    )
    return attempts.grade(attempt.pk)


# --- the outline -------------------------------------------------------------------------------


def test_the_outline_lists_modules_lessons_and_exercises_in_order(student_client, course):
    response = student_client.get(url("learn-outline", course.offering.slug))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Foundations") < html.index("Keys and wallets") < html.index("Markets")
    assert html.index("Transactions and gas") < html.index("Order books")
    assert url("learn-lesson", course.offering.slug, "keys") in html
    assert url("learn-exercise", course.offering.slug, "keys-quiz") in html
    assert "25 min read" in html
    assert "Not started" in html


def test_the_outline_shows_a_passed_exercise_and_the_points_earned(student_client, course):
    graded(course, RIGHT)

    response = student_client.get(url("learn-outline", course.offering.slug))

    html = response.content.decode()
    assert "✓</span> Passed" in html
    assert '<strong data-testid="points-earned">10</strong> / 10 points' in html
    assert "1 of 1 exercise passed" in html
    assert 'value="100"' in html


def test_the_outline_shows_a_partial_score_as_in_progress(student_client, course):
    graded(course, WRONG_FIRST)

    html = student_client.get(url("learn-outline", course.offering.slug)).content.decode()

    assert "In progress" in html
    assert "6.7 / 10" in html


def test_the_outline_says_when_an_exercise_is_due_soon(student_client, course):
    Deadline.objects.create(
        offering=course.offering,
        exercise=course.quiz,
        due_at=timezone.now() + timedelta(days=2, hours=3),
    )

    html = student_client.get(url("learn-outline", course.offering.slug)).content.decode()

    assert "Due in 2 days" in html


def test_the_outline_says_an_unpassed_exercise_is_overdue(student_client, course):
    Deadline.objects.create(
        offering=course.offering, exercise=course.quiz, due_at=timezone.now() - timedelta(hours=1)
    )

    html = student_client.get(url("learn-outline", course.offering.slug)).content.decode()

    assert "Overdue" in html


def test_the_outline_is_in_korean_when_the_page_is_korean(student_client, course):
    student_client.cookies["django_language"] = "ko"

    html = student_client.get(url("learn-outline", course.offering.slug)).content.decode()

    assert "키와 지갑" in html
    assert "Transactions and gas" in html  # no Korean title: the default


def test_the_outline_does_not_exist_for_someone_not_enrolled(client, course):
    client.force_login(UserFactory())

    response = client.get(url("learn-outline", course.offering.slug))

    assert response.status_code == 404


def test_the_outline_costs_the_same_queries_for_more_exercises(
    student_client, course, django_assert_max_num_queries
):
    for n in range(6):
        ExerciseFactory(lesson=course.gas, slug=f"extra-{n}")

    with django_assert_max_num_queries(11):
        response = student_client.get(url("learn-outline", course.offering.slug))

    assert response.content.decode().count('data-testid="exercise-row"') == 7


def test_the_offering_page_links_to_the_course(student_client, course):
    html = student_client.get(url("offering-detail", course.offering.slug)).content.decode()

    assert url("learn-outline", course.offering.slug) in html


# --- a lesson ----------------------------------------------------------------------------------


def test_a_lesson_shows_its_body_its_contents_and_its_exercises(student_client, course):
    LessonImage.objects.create(
        lesson=course.keys, name="keypair.svg", content_type="image/svg+xml", data=SVG, sha256="0"
    )

    response = student_client.get(url("learn-lesson", course.offering.slug, "keys"))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 id="lesson-title">Keys and wallets</h1>' in html
    assert '<h2 id="private-keys">Private keys</h2>' in html
    assert '<a href="#private-keys">Private keys</a>' in html
    assert '<code class="language-python">' in html
    assert (
        f'src="{url("lesson-image", course.offering.course.slug, "keys", "keypair.svg")}"' in html
    )
    assert "Quiz: keys" in html
    assert "25 min read" in html


def test_a_lesson_links_to_the_lessons_before_and_after_it(student_client, course):
    html = student_client.get(url("learn-lesson", course.offering.slug, "gas")).content.decode()

    assert f'rel="prev" href="{url("learn-lesson", course.offering.slug, "keys")}"' in html
    assert f'rel="next" href="{url("learn-lesson", course.offering.slug, "books")}"' in html


def test_a_lesson_is_read_in_korean_when_the_page_is_korean(student_client, course):
    student_client.cookies["django_language"] = "ko"

    html = student_client.get(url("learn-lesson", course.offering.slug, "keys")).content.decode()

    assert '<h1 id="lesson-title">키와 지갑</h1>' in html
    assert '<h2 id="개인-키">개인 키</h2>' in html
    assert "키는 수입니다." in html


def test_a_lesson_without_a_korean_text_falls_back_to_the_default(student_client, course):
    student_client.cookies["django_language"] = "ko"

    html = student_client.get(url("learn-lesson", course.offering.slug, "gas")).content.decode()

    assert "Transactions and gas" in html
    assert "Some text." in html


def test_a_lesson_of_another_course_is_not_found(student_client, course):
    other = LessonFactory(slug="elsewhere")

    response = student_client.get(url("learn-lesson", course.offering.slug, other.slug))

    assert response.status_code == 404


def test_a_lesson_does_not_exist_for_someone_not_enrolled(client, course):
    client.force_login(UserFactory())

    assert client.get(url("learn-lesson", course.offering.slug, "keys")).status_code == 404


# --- an exercise -------------------------------------------------------------------------------


def test_an_exercise_shows_its_prompt_points_attempts_and_quiz_form(student_client, course):
    response = student_client.get(url("learn-exercise", course.offering.slug, "keys-quiz"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Answer <strong>three</strong> questions." in html
    assert "10 points" in html
    assert "3 of 3 attempts left" in html
    assert '<legend><span class="question-number">Question 1</span>' in html
    assert 'type="radio" name="q1" value="b"' in html
    assert 'type="checkbox" name="q2" value="a"' in html
    assert 'name="q3" type="text" inputmode="decimal"' in html
    assert "secp256k1" in html
    assert "Ethereum uses secp256k1." not in html  # explanations only after a wrong answer


def test_an_exercise_shows_its_due_date_and_late_rule(student_client, course):
    due = timezone.now() + timedelta(days=5)
    Deadline.objects.create(
        offering=course.offering,
        exercise=course.quiz,
        due_at=due,
        hard_deadline_at=due + timedelta(days=3),
        late_penalty_percent_per_day=Decimal("10"),
    )

    html = student_client.get(
        url("learn-exercise", course.offering.slug, "keys-quiz")
    ).content.decode()

    assert f'datetime="{timezone.localtime(due).isoformat()}"' in html
    assert "10% of the points off per day late" in html
    assert f'datetime="{timezone.localtime(due + timedelta(days=3)).isoformat()}"' in html


def test_submitting_a_quiz_records_an_attempt_and_redirects_to_it(student_client, course):
    response = student_client.post(
        url("learn-exercise", course.offering.slug, "keys-quiz"),
        {"q1": "b", "q2": ["a", "b"], "q3": "21000"},
    )

    attempt = Attempt.objects.get()
    assert attempt.user == course.student
    assert attempt.status == Attempt.Status.QUEUED
    assert attempt.submission["answers"] == {"q1": "b", "q2": ["a", "b"], "q3": "21000"}
    exercise_url = url("learn-exercise", course.offering.slug, "keys-quiz")
    assert response.status_code == 302
    assert response["Location"] == f"{exercise_url}?attempt={attempt.pk}#attempt-{attempt.pk}"


def test_after_submitting_the_new_attempt_is_highlighted_and_waiting(student_client, course):
    exercise_url = url("learn-exercise", course.offering.slug, "keys-quiz")
    student_client.post(exercise_url, {"q1": "b", "q2": ["a", "b"], "q3": "21000"})
    attempt = Attempt.objects.get()

    html = student_client.get(f"{exercise_url}?attempt={attempt.pk}").content.decode()

    assert f'class="attempt attempt-queued is-new" id="attempt-{attempt.pk}"' in html
    assert "Waiting for a grader" in html
    assert "2 of 3 attempts left" in html
    assert 'type="radio" name="q1" value="b" checked' in html


def test_a_refused_submission_shows_why_keeps_the_input_and_records_nothing(student_client, course):
    response = student_client.post(
        url("learn-exercise", course.offering.slug, "keys-quiz"),
        {"q1": "b", "q2": ["a"], "q3": "lots"},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert not Attempt.objects.exists()
    assert 'role="alert"' in html
    assert "Question 3 needs a number, such as 0.0042; &#x27;lots&#x27; is not one." in html
    assert 'type="radio" name="q1" value="b" checked' in html
    assert 'value="lots"' in html


def test_a_graded_attempt_shows_each_check_and_the_hint_of_a_failed_one(student_client, course):
    graded(course, WRONG_FIRST)

    html = student_client.get(
        url("learn-exercise", course.offering.slug, "keys-quiz")
    ).content.decode()

    assert html.count('class="check check-failed"') == 1
    assert html.count('class="check check-passed"') == 2
    assert "That is not the right answer." in html
    assert "<strong>Hint:</strong> Ethereum uses secp256k1." in html
    assert "6.7 / 10 points" in html


def test_an_errored_attempt_says_it_will_be_graded_again_without_blame(student_client, course):
    attempt = attempts.submit_attempt(
        offering=course.offering, exercise=course.quiz, user=course.student, data=RIGHT
    )
    attempts.grade(attempt.pk)
    Attempt.objects.filter(pk=attempt.pk).update(
        status=Attempt.Status.ERRORED, score=None, feedback=[], error="chain down"
    )

    html = student_client.get(
        url("learn-exercise", course.offering.slug, "keys-quiz")
    ).content.decode()

    assert "could not be graded — your instructor has been told; it will be graded again" in html
    assert "chain down" not in html


def test_an_exercise_does_not_exist_for_someone_not_enrolled(client, course):
    client.force_login(UserFactory())

    response = client.post(url("learn-exercise", course.offering.slug, "keys-quiz"), RIGHT)

    assert response.status_code == 404
    assert not Attempt.objects.exists()


# --- the feedback fragment ---------------------------------------------------------------------


def test_the_feedback_fragment_shows_the_owners_attempt(student_client, course):
    attempt = graded(course, RIGHT)

    response = student_client.get(url("learn-attempt-feedback", course.offering.slug, attempt.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<li class="attempt attempt-passed" id="attempt-{attempt.pk}"')
    assert "<html" not in html
    assert html.count('class="check check-passed"') == 3


def test_the_feedback_fragment_of_someone_elses_attempt_is_not_found(client, course):
    classmate = EnrollmentFactory(offering=course.offering).user
    attempt = graded(course, RIGHT, user=classmate)
    client.force_login(course.student)

    response = client.get(url("learn-attempt-feedback", course.offering.slug, attempt.pk))

    assert response.status_code == 404


# --- lesson images -----------------------------------------------------------------------------


@pytest.fixture
def image(course):
    data = b"\x89PNG\r\n\x1a\nfake"
    return LessonImage.objects.create(
        lesson=course.keys,
        name="keypair.png",
        content_type="image/png",
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def image_url(course, name):
    return url("lesson-image", course.offering.course.slug, "keys", name)


def test_a_lesson_image_is_served_with_its_type_etag_and_cache_control(
    student_client, course, image
):
    response = student_client.get(image_url(course, "keypair.png"))

    assert response.status_code == 200
    assert response.content == bytes(image.data)
    assert response["Content-Type"] == "image/png"
    assert response["ETag"] == f'"{image.sha256}"'
    assert "max-age=3600" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_lesson_image_the_browser_has_is_not_sent_again(student_client, course, image):
    response = student_client.get(
        image_url(course, "keypair.png"), HTTP_IF_NONE_MATCH=f'"{image.sha256}"'
    )

    assert response.status_code == 304
    assert response.content == b""


def test_an_svg_lesson_image_is_served_with_a_policy_that_stops_its_scripts(student_client, course):
    LessonImage.objects.create(
        lesson=course.keys, name="keypair.svg", content_type="image/svg+xml", data=SVG, sha256="ab"
    )

    response = student_client.get(image_url(course, "keypair.svg"))

    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_lesson_image_is_not_found_for_someone_outside_the_course(client, course, image):
    client.force_login(UserFactory())

    assert client.get(image_url(course, "keypair.png")).status_code == 404
