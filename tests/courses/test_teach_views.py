"""The instructor's pages: who gets in, what they show, and how a change or a refusal answers."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campus.models import Membership
from courses.models import Attempt, Deadline, Enrollment, Extension, GradeOverride, Lesson
from courses.student_links import (
    StudentLink,
    register_student_links,
    unregister_student_links,
    viewer_manages,
)
from tests.factories import (
    EnrollmentFactory,
    ExerciseFactory,
    MembershipFactory,
    OfferingFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SEOUL = ZoneInfo("Asia/Seoul")
DUE = datetime(2026, 10, 1, 23, 59, tzinfo=SEOUL)
DAY = timedelta(days=1)


@pytest.fixture
def cls():
    """Given an offering with a 10-point quiz due at DUE (20 % a day late), its instructor, a TA,
    and two students: Minji with a late passed attempt and an errored one, Junho with nothing."""
    offering = OfferingFactory(slug="dax101-pnu", course__languages=["en", "ko"])
    quiz = ExerciseFactory(
        lesson__module__course=offering.course, points=10, slug="keys-quiz", title="Keys quiz"
    )
    Deadline.objects.create(
        offering=offering, exercise=quiz, due_at=DUE, late_penalty_percent_per_day=20
    )
    instructor = EnrollmentFactory(
        offering=offering, role=Enrollment.Role.INSTRUCTOR, user__username="ines"
    ).user
    ta = EnrollmentFactory(offering=offering, role=Enrollment.Role.TA, user__username="tae").user
    minji = UserFactory(username="minji", first_name="민지", last_name="김")
    junho = UserFactory(username="junho", first_name="Junho", last_name="Park")
    for person in (minji, junho):
        EnrollmentFactory(offering=offering, user=person)
    Attempt.objects.create(
        offering=offering,
        exercise=quiz,
        user=minji,
        number=1,
        status=Attempt.Status.ERRORED,
        error="The grader failed: TimeoutError",
        submitted_at=DUE - DAY,
    )
    Attempt.objects.create(
        offering=offering,
        exercise=quiz,
        user=minji,
        number=2,
        status=Attempt.Status.PASSED,
        score=Decimal(1),
        feedback=[{"name": {"en": "Curve named", "ko": "곡선"}, "passed": True, "detail": ""}],
        submitted_at=DUE + timedelta(hours=5),
    )
    return {
        "offering": offering,
        "quiz": quiz,
        "instructor": instructor,
        "ta": ta,
        "minji": minji,
        "junho": junho,
    }


def url(name, cls, *args):
    return reverse(name, args=[cls["offering"].slug, *args])


def page_urls(cls):
    minji, slug, lesson = cls["minji"].pk, cls["quiz"].slug, cls["quiz"].lesson.slug
    return [
        url("teach-gradebook", cls),
        url("teach-gradebook-csv", cls),
        url("teach-progress", cls),
        url("teach-deadlines", cls),
        url("teach-student", cls, minji),
        url("teach-content", cls),
        url("teach-lesson", cls, lesson),
        url("teach-exercise", cls, slug),
    ]


def write_posts(cls):
    """(url, data) of every write action, with valid data."""
    minji, slug = cls["minji"], cls["quiz"].slug
    attempt = Attempt.objects.get(user=minji, number=2)
    return [
        (url("teach-deadline-save", cls, slug), {f"{slug}-late_penalty_percent_per_day": "5"}),
        (
            url("teach-override", cls, minji.pk, slug),
            {f"override-{slug}-points": "9", f"override-{slug}-reason": "oral exam"},
        ),
        (url("teach-override-clear", cls, minji.pk, slug), {}),
        (
            url("teach-extension", cls, minji.pk, slug),
            {f"extension-{slug}-until": "2026-10-05T12:00"},
        ),
        (url("teach-extension-revoke", cls, minji.pk, slug), {}),
        (url("teach-regrade", cls, minji.pk, attempt.pk), {}),
        (url("teach-lesson", cls, cls["quiz"].lesson.slug) + "?language=en", {"title": "T"}),
    ]


def nothing_written(cls):
    quiz = Lesson.objects.get(pk=cls["quiz"].lesson_id)
    return (
        not GradeOverride.objects.exists()
        and not Extension.objects.exists()
        and Deadline.objects.get().late_penalty_percent_per_day == 20
        and Attempt.objects.filter(status=Attempt.Status.QUEUED).count() == 0
        and quiz.title != "T"
    )


# Who gets in --------------------------------------------------------------------------------------


def test_the_instructor_opens_every_page(client, cls):
    client.force_login(cls["instructor"])

    statuses = {u: client.get(u).status_code for u in page_urls(cls)}

    assert set(statuses.values()) == {200}, statuses


def test_a_university_admin_opens_every_page(client, cls):
    admin = MembershipFactory(
        university=cls["offering"].university, role=Membership.Role.UNIVERSITY_ADMIN
    ).user
    client.force_login(admin)

    statuses = {u: client.get(u).status_code for u in page_urls(cls)}

    assert set(statuses.values()) == {200}, statuses


def test_a_ta_opens_the_pages_but_not_the_editors(client, cls):
    client.force_login(cls["ta"])

    statuses = [client.get(u).status_code for u in page_urls(cls)]

    assert statuses == [200] * 6 + [403, 403]


@pytest.mark.parametrize("who", ["student", "other_instructor", "stranger"])
def test_people_who_do_not_teach_the_offering_get_404_everywhere(client, cls, who):
    person = {
        "student": cls["minji"],
        "other_instructor": EnrollmentFactory(
            offering=OfferingFactory(course=cls["offering"].course),
            role=Enrollment.Role.INSTRUCTOR,
        ).user,
        "stranger": UserFactory(),
    }[who]
    client.force_login(person)

    get_statuses = {client.get(u).status_code for u in page_urls(cls)}
    post_statuses = {client.post(u, data).status_code for u, data in write_posts(cls)}

    assert get_statuses == post_statuses == {404}
    assert nothing_written(cls)


def test_an_anonymous_visitor_is_sent_to_log_in(client, cls):
    response = client.get(url("teach-gradebook", cls))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_ta_cannot_change_anything(client, cls):
    client.force_login(cls["ta"])

    statuses = {client.post(u, data).status_code for u, data in write_posts(cls)}

    assert statuses == {403}
    assert nothing_written(cls)


def test_the_instructor_can_make_every_change(client, cls):
    client.force_login(cls["instructor"])

    statuses = [client.post(u, data).status_code for u, data in write_posts(cls)]

    # clearing an override and revoking an extension run after setting them, so all succeed
    assert statuses == [302] * 7


def test_the_offering_page_links_to_the_course_admin_for_teachers_only(client, cls):
    detail = reverse("offering-detail", args=[cls["offering"].slug])
    client.force_login(cls["ta"])
    assert url("teach-gradebook", cls) in client.get(detail).content.decode()

    client.force_login(cls["minji"])
    assert url("teach-gradebook", cls) not in client.get(detail).content.decode()


# Gradebook ----------------------------------------------------------------------------------------


def test_the_gradebook_shows_each_students_points_late_flag_and_total(client, cls):
    client.force_login(cls["instructor"])

    page = client.get(url("teach-gradebook", cls)).content.decode()

    assert "민지 김" in page and "Junho Park" in page
    assert "Keys quiz" in page
    assert "8.00" in page  # 10 × (1 − 20 % × 1 day)
    assert "1 d late" in page
    assert "an attempt could not be graded" in page
    assert "every started 24 hours after the due date is a day" in page


def test_the_gradebook_marks_an_override_and_counts_it(client, cls):
    GradeOverride.objects.create(
        offering=cls["offering"],
        exercise=cls["quiz"],
        user=cls["junho"],
        points=Decimal("9.5"),
        reason="oral exam",
    )
    client.force_login(cls["instructor"])

    page = client.get(url("teach-gradebook", cls)).content.decode()

    assert "Overridden: oral exam" in page
    assert "9.50" in page


def _gradebook_queries(client, cls):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url("teach-gradebook", cls)).status_code == 200
    return len(captured)


def test_the_gradebook_page_costs_the_same_queries_for_30_students_as_for_2(client, cls):
    client.force_login(cls["instructor"])
    two = _gradebook_queries(client, cls)
    for _ in range(28):
        person = EnrollmentFactory(offering=cls["offering"]).user
        Attempt.objects.create(
            offering=cls["offering"],
            exercise=cls["quiz"],
            user=person,
            number=1,
            status=Attempt.Status.FAILED,
            score=Decimal("0.5"),
            submitted_at=DUE,
        )

    thirty = _gradebook_queries(client, cls)

    assert thirty == two


def test_the_gradebook_sorts_by_total_descending(client, cls):
    client.force_login(cls["instructor"])

    rows = client.get(url("teach-gradebook", cls), {"sort": "-total"}).context["rows"]

    assert [row.student.username for row in rows] == ["minji", "junho"]


def test_the_csv_is_utf8_with_a_bom_and_a_row_per_student(client, cls):
    client.force_login(cls["instructor"])

    response = client.get(url("teach-gradebook-csv", cls))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines == [
        "username,name,email,keys-quiz (10),total (10)",
        "junho,Junho Park,junho@example.test,,0.00",
        "minji,민지 김,minji@example.test,8.00,8.00",
    ]


# Deadlines ----------------------------------------------------------------------------------------


def test_deadlines_are_shown_in_the_offerings_time_zone(client, cls, settings):
    client.force_login(cls["instructor"])

    page = client.get(url("teach-deadlines", cls)).content.decode()

    assert 'value="2026-10-01T23:59"' in page
    assert "Asia/Seoul" in page


def test_saving_a_deadline_reads_the_times_in_the_offerings_time_zone(client, cls):
    slug = cls["quiz"].slug
    client.force_login(cls["instructor"])

    response = client.post(
        url("teach-deadline-save", cls, slug),
        {
            f"{slug}-due_at": "2026-11-02T18:00",
            f"{slug}-hard_deadline_at": "2026-11-04T18:00",
            f"{slug}-late_penalty_percent_per_day": "12.5",
        },
        follow=True,
    )

    deadline = Deadline.objects.get()
    assert deadline.due_at == datetime(2026, 11, 2, 18, 0, tzinfo=SEOUL)
    assert deadline.late_penalty_percent_per_day == Decimal("12.5")
    assert "Deadline for “Keys quiz” saved." in response.content.decode()


def test_a_refused_deadline_answers_400_beside_its_row_and_changes_nothing(client, cls):
    slug = cls["quiz"].slug
    client.force_login(cls["instructor"])

    response = client.post(
        url("teach-deadline-save", cls, slug),
        {
            f"{slug}-due_at": "2026-11-02T18:00",
            f"{slug}-hard_deadline_at": "2026-11-01T18:00",
            f"{slug}-late_penalty_percent_per_day": "5",
        },
    )

    assert response.status_code == 400
    assert "The hard deadline cannot be earlier than the due date." in response.content.decode()
    assert 'value="2026-11-01T18:00"' in response.content.decode()
    assert Deadline.objects.get().due_at == DUE


def test_a_ta_sees_the_deadlines_without_a_save_button(client, cls):
    client.force_login(cls["ta"])

    page = client.get(url("teach-deadlines", cls)).content.decode()

    assert "disabled" in page
    assert url("teach-deadline-save", cls, cls["quiz"].slug) not in page


# Progress and student links -----------------------------------------------------------------------


@pytest.fixture
def chain_links():
    """A sandbox app's provider: a link to each student's chain, for their teachers."""

    def provider(viewer, offering, student):
        return [StudentLink("Chain", f"/chains/{offering.slug}/{student.username}/", "Blocks")]

    register_student_links(provider)
    yield provider
    unregister_student_links(provider)


def test_progress_shows_each_lesson_passed_and_tried_and_the_students_links(
    client, cls, chain_links
):
    client.force_login(cls["ta"])

    page = client.get(url("teach-progress", cls)).content.decode()

    assert "1/1 passed" in page and "0/1 passed" in page
    assert "1 tried" in page
    assert "/chains/dax101-pnu/minji/" in page
    assert url("teach-student", cls, cls["minji"].pk) in page
    assert "2026-10-02 04:59" in page  # the last attempt, in Seoul


def test_a_provider_asking_whether_the_viewer_manages_costs_one_query_per_page(
    client, cls, django_assert_num_queries
):
    instructor, offering = cls["instructor"], cls["offering"]
    viewer_manages(instructor, offering)

    with django_assert_num_queries(0):
        answers = [viewer_manages(instructor, offering) for _ in range(30)]

    assert answers == [True] * 30
    assert viewer_manages(cls["ta"], offering) is False


def test_the_students_page_shows_every_attempt_with_feedback_errors_and_links(
    client, cls, chain_links
):
    client.force_login(cls["instructor"])

    page = client.get(url("teach-student", cls, cls["minji"].pk)).content.decode()

    assert "The grader failed: TimeoutError" in page
    assert "Curve named" in page
    assert "Re-grade" in page
    assert "/chains/dax101-pnu/minji/" in page
    assert 'data-testid="student-total">8.00<' in page


def test_the_students_page_of_a_non_student_is_404(client, cls):
    client.force_login(cls["instructor"])

    response = client.get(url("teach-student", cls, cls["ta"].pk))

    assert response.status_code == 404


# A student's grades -------------------------------------------------------------------------------


def test_an_override_redirects_with_a_message_and_changes_the_total(client, cls):
    minji, slug = cls["minji"], cls["quiz"].slug
    client.force_login(cls["instructor"])

    response = client.post(
        url("teach-override", cls, minji.pk, slug),
        {f"override-{slug}-points": "9.25", f"override-{slug}-reason": "oral exam"},
        follow=True,
    )

    page = response.content.decode()
    assert response.redirect_chain[-1][0].endswith(f"#exercise-{slug}")
    assert "Grade for “Keys quiz” overridden." in page
    assert 'data-testid="student-total">9.25<' in page
    assert GradeOverride.objects.get().reason == "oral exam"


def test_an_override_above_the_maximum_is_shown_beside_the_form_with_400(client, cls):
    minji, slug = cls["minji"], cls["quiz"].slug
    client.force_login(cls["instructor"])

    response = client.post(
        url("teach-override", cls, minji.pk, slug),
        {f"override-{slug}-points": "11", f"override-{slug}-reason": "bonus"},
    )

    assert response.status_code == 400
    assert "Points must be from 0 to 10" in response.content.decode()
    assert 'data-testid="override-error"' in response.content.decode()
    assert not GradeOverride.objects.exists()


def test_an_override_without_a_reason_is_refused(client, cls):
    minji, slug = cls["minji"], cls["quiz"].slug
    client.force_login(cls["instructor"])

    response = client.post(
        url("teach-override", cls, minji.pk, slug), {f"override-{slug}-points": "5"}
    )

    assert response.status_code == 400
    assert "the reason is kept with the grade" in response.content.decode()
    assert not GradeOverride.objects.exists()


def test_clearing_an_override_brings_the_attempts_back(client, cls):
    minji, quiz = cls["minji"], cls["quiz"]
    GradeOverride.objects.create(
        offering=cls["offering"], exercise=quiz, user=minji, points=2, reason="x"
    )
    client.force_login(cls["instructor"])

    response = client.post(url("teach-override-clear", cls, minji.pk, quiz.slug), follow=True)

    assert "the best attempt counts again" in response.content.decode()
    assert 'data-testid="student-total">8.00<' in response.content.decode()


def test_an_extension_lifts_the_late_penalty(client, cls):
    minji, slug = cls["minji"], cls["quiz"].slug
    client.force_login(cls["instructor"])

    response = client.post(
        url("teach-extension", cls, minji.pk, slug),
        {f"extension-{slug}-until": "2026-10-03T12:00", f"extension-{slug}-reason": "flu"},
        follow=True,
    )

    assert Extension.objects.get().until == datetime(2026, 10, 3, 12, tzinfo=SEOUL)
    assert 'data-testid="student-total">10.00<' in response.content.decode()


def test_an_extension_before_the_due_date_is_refused_with_400(client, cls):
    minji, slug = cls["minji"], cls["quiz"].slug
    client.force_login(cls["instructor"])

    response = client.post(
        url("teach-extension", cls, minji.pk, slug),
        {f"extension-{slug}-until": "2026-09-30T12:00"},
    )

    assert response.status_code == 400
    assert "An extension must end after the due date" in response.content.decode()
    assert not Extension.objects.exists()


def test_regrading_queues_the_attempt_again(client, cls, django_capture_on_commit_callbacks):
    errored = Attempt.objects.get(number=1)
    client.force_login(cls["instructor"])

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url("teach-regrade", cls, cls["minji"].pk, errored.pk), follow=True)

    errored.refresh_from_db()
    assert (errored.status, errored.error) == (Attempt.Status.QUEUED, "")
    assert "Attempt 1 at “Keys quiz” is queued to be graded again." in response.content.decode()


def test_regrading_an_attempt_still_being_graded_is_refused_with_400(client, cls):
    running = Attempt.objects.get(number=2)
    Attempt.objects.filter(pk=running.pk).update(status=Attempt.Status.RUNNING)
    client.force_login(cls["instructor"])

    response = client.post(url("teach-regrade", cls, cls["minji"].pk, running.pk))

    assert response.status_code == 400
    assert 'data-testid="regrade-error"' in response.content.decode()
    assert Attempt.objects.get(pk=running.pk).status == Attempt.Status.RUNNING


def test_writes_refuse_get(client, cls):
    client.force_login(cls["instructor"])

    response = client.get(url("teach-override", cls, cls["minji"].pk, cls["quiz"].slug))

    assert response.status_code == 405


# Content ------------------------------------------------------------------------------------------


def test_the_content_page_lists_lessons_and_exercises_and_warns_about_reimports(client, cls):
    client.force_login(cls["instructor"])

    page = client.get(url("teach-content", cls)).content.decode()

    assert cls["quiz"].lesson.title in page and "Keys quiz" in page
    assert "overwritten when the course package is imported again" in page
    assert url("teach-lesson", cls, cls["quiz"].lesson.slug) + "?language=ko" in page


def test_editing_a_lesson_in_korean_saves_its_translation(client, cls):
    lesson = cls["quiz"].lesson
    client.force_login(cls["instructor"])
    edit = url("teach-lesson", cls, lesson.slug) + "?language=ko"

    response = client.post(edit, {"title": "키와 지갑", "body": "# 키\n\n본문"}, follow=True)

    lesson.refresh_from_db()
    assert lesson.translations["ko"] == {"title": "키와 지갑", "body": "# 키\n\n본문"}
    assert "Lesson “키와 지갑” saved." in response.content.decode()
    assert "본문</textarea>" in response.content.decode()


def test_the_lesson_editor_shows_the_body_in_a_textarea(client, cls):
    client.force_login(cls["instructor"])

    page = client.get(url("teach-lesson", cls, cls["quiz"].lesson.slug)).content.decode()

    assert "<textarea" in page and "Some text.</textarea>" in page
    assert "overwritten when the course package is imported again" in page


def test_an_unknown_language_is_404(client, cls):
    client.force_login(cls["instructor"])

    response = client.get(url("teach-lesson", cls, cls["quiz"].lesson.slug) + "?language=fr")

    assert response.status_code == 404


def test_a_refused_exercise_edit_answers_400_and_changes_nothing(client, cls):
    quiz = cls["quiz"]
    client.force_login(cls["instructor"])

    response = client.post(
        url("teach-exercise", cls, quiz.slug) + "?language=en",
        {"title": "New", "prompt": "p", "points": "0"},
    )

    quiz.refresh_from_db()
    assert response.status_code == 400
    assert "An exercise is worth at least 1 point." in response.content.decode()
    assert (quiz.title, quiz.points) == ("Keys quiz", 10)
