"""The student's dashboard on the offering page: next lessons, upcoming deadlines, grades so far,
the panels other apps register, and the instructors' page left as it was."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campus.models import User
from courses.gradebook import student_grades
from courses.models import Attempt, Deadline, Enrollment, Extension, GradeOverride
from courses.panels import Panel, register_dashboard_panel, unregister_dashboard_panel
from tests.factories import (
    EnrollmentFactory,
    ExerciseFactory,
    LessonFactory,
    MembershipFactory,
    ModuleFactory,
    OfferingFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    """Given a course of two modules: "Keys" (a quiz) and "Gas" (a quiz, then a reading-only
    lesson) in Foundations, "Order books" (a quiz) in Markets; minji studies it, ines teaches."""
    offering = OfferingFactory(slug="dax101", course__title="Digital Asset Exchanges")
    foundations = ModuleFactory(course=offering.course, title="Foundations", position=1)
    markets = ModuleFactory(course=offering.course, title="Markets", position=2)
    keys = LessonFactory(module=foundations, slug="keys", title="Keys", position=1, minutes=20)
    gas = LessonFactory(module=foundations, slug="gas", title="Gas", position=2)
    history = LessonFactory(module=foundations, slug="history", title="History", position=3)
    books = LessonFactory(module=markets, slug="books", title="Order books", position=1)
    minji = EnrollmentFactory(offering=offering, user__username="minji").user
    ines = EnrollmentFactory(
        offering=offering, role=Enrollment.Role.INSTRUCTOR, user__username="ines"
    ).user
    return SimpleNamespace(
        offering=offering,
        keys=keys,
        gas=gas,
        history=history,
        books=books,
        keys_quiz=ExerciseFactory(lesson=keys, slug="keys-quiz", title="Keys quiz", points=10),
        gas_quiz=ExerciseFactory(lesson=gas, slug="gas-quiz", title="Gas quiz", points=10),
        books_quiz=ExerciseFactory(lesson=books, slug="books-quiz", title="Books quiz", points=10),
        minji=minji,
        ines=ines,
    )


def attempt(course, exercise, *, user=None, status="passed", score="1", number=1, at=None):
    return Attempt.objects.create(
        offering=course.offering,
        exercise=exercise,
        user=user or course.minji,
        number=number,
        status=status,
        score=None if score is None else Decimal(score),
        submitted_at=at or timezone.now(),
    )


def deadline(course, exercise, *, due_in, hard_in=None, penalty="0"):
    now = timezone.now()
    return Deadline.objects.create(
        offering=course.offering,
        exercise=exercise,
        due_at=now + due_in,
        hard_deadline_at=None if hard_in is None else now + hard_in,
        late_penalty_percent_per_day=Decimal(penalty),
    )


def dashboard_of(client, course, user=None):
    client.force_login(user or course.minji)
    response = client.get(reverse("offering-detail", args=[course.offering.slug]))
    assert response.status_code == 200
    return response


def next_titles(response) -> list[str]:
    return [item.lesson.title for item in response.context["dashboard"].next_lessons]


def deadline_titles(response) -> list[str]:
    return [item.title for item in response.context["dashboard"].deadlines]


# -- next lessons ------------------------------------------------------------------------------


def test_a_new_student_is_shown_the_first_three_lessons_in_course_order(client, course):
    response = dashboard_of(client, course)

    assert next_titles(response) == ["Keys", "Gas", "History"]
    panel = response.content.decode()
    assert reverse("learn-lesson", args=["dax101", "keys"]) in panel
    assert "1 exercise · 20 min read" in panel


def test_a_lesson_begun_says_how_many_of_its_exercises_are_left(client, course):
    ExerciseFactory(lesson=course.keys, slug="keys-lab", title="Keys lab")
    attempt(course, course.keys_quiz)

    page = dashboard_of(client, course).content.decode()

    assert "In progress</span> 1 of 2 exercises left · 20 min read" in page


def test_a_lesson_whose_exercises_all_passed_is_not_next(client, course):
    attempt(course, course.keys_quiz)

    assert next_titles(dashboard_of(client, course)) == ["Gas", "History", "Order books"]


def test_a_reading_lesson_counts_as_read_once_a_later_lesson_is_tried(client, course):
    attempt(course, course.keys_quiz)
    attempt(course, course.gas_quiz, status="failed", score="0.5")
    attempt(course, course.books_quiz, status="failed", score="0")

    assert next_titles(dashboard_of(client, course)) == ["Gas", "Order books"]


def test_a_student_who_finished_every_lesson_is_told_so(client, course):
    course.history.delete()
    for exercise in (course.keys_quiz, course.gas_quiz, course.books_quiz):
        attempt(course, exercise)

    page = dashboard_of(client, course).content.decode()

    assert "You have done every lesson." in page


# -- deadlines ---------------------------------------------------------------------------------


def test_deadlines_list_open_exercises_not_yet_passed_soonest_first(client, course):
    deadline(course, course.books_quiz, due_in=timedelta(days=5))
    deadline(course, course.gas_quiz, due_in=timedelta(days=1, hours=2))
    deadline(course, course.keys_quiz, due_in=timedelta(days=2))
    attempt(course, course.keys_quiz)  # passed: nothing left to do

    response = dashboard_of(client, course)

    assert deadline_titles(response) == ["Gas quiz", "Books quiz"]
    assert "Due in 1 day" in response.content.decode()


def test_an_overdue_exercise_still_taking_work_comes_first_and_says_overdue(client, course):
    deadline(course, course.books_quiz, due_in=timedelta(days=5))
    deadline(course, course.gas_quiz, due_in=-timedelta(days=1), hard_in=timedelta(days=2))

    response = dashboard_of(client, course)

    assert deadline_titles(response) == ["Gas quiz", "Books quiz"]
    assert "Overdue" in response.content.decode()


def test_an_exercise_past_its_hard_deadline_is_not_listed(client, course):
    deadline(course, course.gas_quiz, due_in=-timedelta(days=3), hard_in=-timedelta(days=1))

    response = dashboard_of(client, course)

    assert deadline_titles(response) == []
    assert "Nothing is due" in response.content.decode()


def test_an_extension_past_the_hard_deadline_keeps_the_exercise_listed(client, course):
    deadline(course, course.gas_quiz, due_in=-timedelta(days=3), hard_in=-timedelta(days=1))
    Extension.objects.create(
        offering=course.offering,
        exercise=course.gas_quiz,
        user=course.minji,
        until=timezone.now() + timedelta(days=1),
    )

    response = dashboard_of(client, course)

    assert deadline_titles(response) == ["Gas quiz"]
    assert "Your extension: until" in response.content.decode()


# -- grades ------------------------------------------------------------------------------------


def test_grades_so_far_count_the_late_penalty_and_the_total(client, course):
    deadline(course, course.gas_quiz, due_in=-timedelta(days=1, hours=12), penalty="10")
    attempt(course, course.keys_quiz)
    attempt(course, course.gas_quiz, at=timezone.now())  # 2 days late: −20 %

    response = dashboard_of(client, course)

    grades = response.context["dashboard"].grade_lines
    assert [(line.title, line.grade.points) for line in grades] == [
        ("Keys quiz", Decimal("10.00")),
        ("Gas quiz", Decimal("8.00")),
    ]
    page = response.content.decode()
    assert '<strong data-testid="grade-total">18</strong> / 30 points' in page
    assert "2 days late" in page


def test_the_dashboards_grades_are_the_gradebooks_for_late_extended_overridden_and_pending_work(
    client, course
):
    deadline(course, course.keys_quiz, due_in=-timedelta(days=2, hours=12), penalty="25")
    deadline(course, course.gas_quiz, due_in=-timedelta(days=2), penalty="10")
    Extension.objects.create(
        offering=course.offering,
        exercise=course.gas_quiz,
        user=course.minji,
        until=timezone.now() + timedelta(hours=1),
    )
    attempt(course, course.keys_quiz, status="failed", score="0.8", number=1)
    attempt(course, course.keys_quiz, status="errored", score=None, number=2)
    attempt(course, course.gas_quiz, status="passed", score="1", number=1)
    attempt(course, course.books_quiz, status="running", score=None, number=1)
    GradeOverride.objects.create(
        offering=course.offering,
        exercise=course.books_quiz,
        user=course.minji,
        points=Decimal("7.5"),
        reason="Oral exam",
    )

    shown = dashboard_of(client, course).context["dashboard"].grades
    book = student_grades(course.offering, course.minji)

    def cells(row):
        return [
            (g.exercise.pk, g.points, g.days_late, g.overridden, g.pending, g.errored, g.passed)
            for g in row.grades
        ]

    assert cells(shown) == cells(book)
    assert shown.total == book.total == Decimal("2.00") + Decimal("10.00") + Decimal("7.5")


def test_an_instructors_override_replaces_the_points_and_says_so(client, course):
    attempt(course, course.keys_quiz, status="failed", score="0.2")
    GradeOverride.objects.create(
        offering=course.offering,
        exercise=course.keys_quiz,
        user=course.minji,
        points=Decimal("9"),
        reason="Server outage",
    )

    page = dashboard_of(client, course).content.decode()

    assert '<strong data-testid="grade-total">9</strong>' in page
    assert "Set by your instructor" in page


def test_an_attempt_being_graded_shows_as_pending_with_no_points_yet(client, course):
    attempt(course, course.keys_quiz, status="queued", score=None)

    page = dashboard_of(client, course).content.decode()

    assert "Being graded" in page
    assert "none yet" in page


def test_before_any_attempt_the_grades_panel_says_none_yet(client, course):
    page = dashboard_of(client, course).content.decode()

    assert "No grades yet" in page
    assert '<strong data-testid="grade-total">0</strong> / 30 points' in page


def test_other_students_grades_never_show(client, course):
    junho = EnrollmentFactory(offering=course.offering, user__username="junho").user
    attempt(course, course.keys_quiz, user=junho)

    page = dashboard_of(client, course).content.decode()

    assert "No grades yet" in page


# -- who gets a dashboard ----------------------------------------------------------------------


def test_an_instructor_gets_the_offering_page_without_a_dashboard(client, course):
    page = dashboard_of(client, course, course.ines).content.decode()

    assert 'data-testid="dashboard"' not in page
    assert reverse("teach-gradebook", args=["dax101"]) in page
    assert reverse("offering-roster", args=["dax101"]) in page


def test_a_student_gets_the_dashboard_and_still_the_link_to_the_course(client, course):
    page = dashboard_of(client, course).content.decode()

    assert 'data-testid="dashboard"' in page
    assert reverse("learn-outline", args=["dax101"]) in page
    assert reverse("teach-gradebook", args=["dax101"]) not in page


def test_a_university_admin_gets_the_offering_page_without_a_dashboard(client, course):
    admin = UserFactory()
    MembershipFactory(user=admin, university=course.offering.university, role="university_admin")

    page = dashboard_of(client, course, admin).content.decode()

    assert 'data-testid="dashboard"' not in page


def test_the_page_speaks_korean_with_the_courses_korean_title_and_summary(client, course):
    course.offering.course.translations = {
        "ko": {"title": "디지털 자산 거래소", "summary": "거래소와 스마트 계약을 직접 다룹니다."}
    }
    course.offering.course.save()
    client.cookies["django_language"] = "ko"

    page = dashboard_of(client, course).content.decode()

    assert 'lang="ko"' in page
    assert "<h1>디지털 자산 거래소</h1>" in page
    assert "거래소와 스마트 계약을 직접 다룹니다." in page


# -- the panel registry ------------------------------------------------------------------------


@pytest.fixture
def provider():
    """A provider registered for one test, answering what the test puts in `answer`."""
    state = SimpleNamespace(answer=[], calls=[])

    def panels(user, offering):
        state.calls.append(user.username)
        if isinstance(state.answer, Exception):
            raise state.answer
        return state.answer

    register_dashboard_panel(panels)
    yield state
    unregister_dashboard_panel(panels)


def a_panel(key="extra", title="Extra panel", order=5, template="courses/tests/extra_panel.html"):
    return Panel(key, title, template, {"word": "hello"}, order)


@pytest.fixture
def panel_template(settings, tmp_path):
    folder = tmp_path / "courses" / "tests"
    folder.mkdir(parents=True)
    (folder / "extra_panel.html").write_text(
        '<p data-testid="extra">{{ word }} {{ offering.slug }}</p>'
    )
    (folder / "broken_panel.html").write_text("{% url 'no-such-page' %}")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
    ]


def test_a_registered_panel_shows_under_its_title_with_its_context(
    client, course, provider, panel_template
):
    provider.answer = [a_panel()]

    page = dashboard_of(client, course).content.decode()

    assert '<h2 id="panel-extra-title">Extra panel</h2>' in page
    assert '<p data-testid="extra">hello dax101</p>' in page


def test_panels_show_in_their_order(client, course, provider, panel_template):
    provider.answer = [a_panel("late", "Late", 999), a_panel("early", "Early", -1)]

    keys = [p.key for p in dashboard_of(client, course).context["dashboard"].panels]

    assert keys.index("early") == 0
    assert keys[-1] == "late"


def test_a_provider_that_raises_leaves_the_rest_of_the_page_up(client, course, provider):
    provider.answer = RuntimeError("the markets app is broken")

    page = dashboard_of(client, course).content.decode()

    assert "Next up" in page


def test_a_panel_whose_template_fails_shows_as_unavailable(
    client, course, provider, panel_template
):
    provider.answer = [a_panel(template="courses/tests/broken_panel.html")]

    page = dashboard_of(client, course).content.decode()

    assert '<h2 id="panel-extra-title">Extra panel</h2>' in page
    assert "This panel cannot be shown right now." in page


def test_a_provider_returning_nothing_adds_no_panel(client, course, provider, caplog):
    provider.answer = None

    keys = [p.key for p in dashboard_of(client, course).context["dashboard"].panels]

    assert "extra" not in keys
    assert "failed" not in caplog.text  # nothing is an answer, not an error


def test_providers_are_asked_only_for_students(client, course, provider):
    dashboard_of(client, course, course.ines)
    dashboard_of(client, course, course.minji)

    assert provider.calls == ["minji"]


# -- cost --------------------------------------------------------------------------------------


def enrol_classmates(course, count: int) -> None:
    """`count` more students, each with an attempt at every exercise."""
    users = User.objects.bulk_create(User(username=f"classmate{n}") for n in range(count))
    Enrollment.objects.bulk_create(
        Enrollment(offering=course.offering, user=user, role="student") for user in users
    )
    now = timezone.now()
    Attempt.objects.bulk_create(
        Attempt(
            offering=course.offering,
            exercise=exercise,
            user=user,
            number=1,
            status="passed",
            score=1,
            submitted_at=now,
        )
        for user in users
        for exercise in (course.keys_quiz, course.gas_quiz, course.books_quiz)
    )


def give_history(course, attempts_each: int) -> None:
    for exercise in (course.keys_quiz, course.gas_quiz, course.books_quiz):
        for number in range(1, attempts_each + 1):
            attempt(course, exercise, status="failed", score="0.5", number=number)
        deadline(course, exercise, due_in=timedelta(days=3))


def queries_for_dashboard(client, course) -> int:
    client.force_login(course.minji)
    url = reverse("offering-detail", args=["dax101"])
    client.get(url)  # warm: the session, the content types
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_dashboards_queries_do_not_grow_with_the_class_or_the_students_history(
    client, course, django_assert_max_num_queries
):
    few = queries_for_dashboard(client, course)
    enrol_classmates(course, 500)
    give_history(course, attempts_each=20)

    with django_assert_max_num_queries(few):
        response = client.get(reverse("offering-detail", args=["dax101"]))

    assert response.context["dashboard"].grade_lines  # the history is there, and shown
    assert few <= 38  # 36 on 2026-11-25; a new one is a choice, not an accident
