"""The instructor's services: what they change, and that a refusal changes nothing."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.forms.models import model_to_dict

from campus.errors import ServiceError
from campus.models import Membership
from courses import services_teaching as services
from courses.models import Deadline, Enrollment, Exercise, Extension, GradeOverride, Lesson
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
    """Given an offering of a course in English and Korean with a 10-point quiz, its instructor,
    a TA and a student."""
    offering = OfferingFactory(course__languages=["en", "ko"])
    quiz = ExerciseFactory(lesson__module__course=offering.course, points=10)
    people = {
        role: EnrollmentFactory(offering=offering, role=role).user
        for role in (Enrollment.Role.INSTRUCTOR, Enrollment.Role.TA, Enrollment.Role.STUDENT)
    }
    return offering, quiz, people["instructor"], people["ta"], people["student"]


def deadline_args(offering, quiz, by, **changes):
    return {
        "offering": offering,
        "exercise": quiz,
        "opens_at": DUE - 7 * DAY,
        "due_at": DUE,
        "hard_deadline_at": DUE + 2 * DAY,
        "late_penalty_percent_per_day": Decimal(10),
        "by": by,
        **changes,
    }


def refused(code, call, **kwargs):
    with pytest.raises(ServiceError) as error:
        call(**kwargs)
    assert error.value.code == code


# Deadlines ------------------------------------------------------------------------------------


def test_set_deadline_saves_the_dates_and_the_penalty(cls):
    offering, quiz, instructor, _ta, _student = cls

    services.set_deadline(**deadline_args(offering, quiz, instructor))

    deadline = Deadline.objects.get(offering=offering, exercise=quiz)
    assert (deadline.due_at, deadline.late_penalty_percent_per_day) == (DUE, Decimal(10))


def test_set_deadline_again_updates_the_same_row(cls):
    offering, quiz, instructor, _ta, _student = cls
    services.set_deadline(**deadline_args(offering, quiz, instructor))

    services.set_deadline(**deadline_args(offering, quiz, instructor, due_at=DUE + DAY))

    assert list(Deadline.objects.values_list("due_at", flat=True)) == [DUE + DAY]


@pytest.mark.parametrize(
    ("code", "changes"),
    [
        ("hard_before_due", {"hard_deadline_at": DUE - DAY}),
        ("opens_too_late", {"opens_at": DUE + DAY}),
        ("penalty_out_of_range", {"late_penalty_percent_per_day": Decimal("100.01")}),
        ("penalty_out_of_range", {"late_penalty_percent_per_day": Decimal(-1)}),
        ("penalty_out_of_range", {"late_penalty_percent_per_day": Decimal("1.005")}),
    ],
)
def test_an_invalid_deadline_is_refused_and_the_old_one_stays(cls, code, changes):
    offering, quiz, instructor, _ta, _student = cls
    services.set_deadline(**deadline_args(offering, quiz, instructor))
    before = model_to_dict(Deadline.objects.get())

    refused(code, services.set_deadline, **deadline_args(offering, quiz, instructor, **changes))

    assert model_to_dict(Deadline.objects.get()) == before


def test_a_ta_cannot_set_a_deadline(cls):
    offering, quiz, _instructor, ta, _student = cls

    refused("not_allowed", services.set_deadline, **deadline_args(offering, quiz, ta))

    assert not Deadline.objects.exists()


def test_a_deadline_for_another_courses_exercise_is_refused(cls):
    offering, _quiz, instructor, _ta, _student = cls
    foreign = ExerciseFactory()

    refused(
        "exercise_not_in_course",
        services.set_deadline,
        **deadline_args(offering, foreign, instructor),
    )

    assert not Deadline.objects.exists()


def test_a_university_admin_may_set_a_deadline(cls):
    offering, quiz, _instructor, _ta, _student = cls
    admin = MembershipFactory(
        university=offering.university, role=Membership.Role.UNIVERSITY_ADMIN
    ).user

    services.set_deadline(**deadline_args(offering, quiz, admin))

    assert Deadline.objects.filter(offering=offering).exists()


# Extensions -----------------------------------------------------------------------------------


def extension_args(offering, quiz, student, by, **changes):
    return {
        "offering": offering,
        "exercise": quiz,
        "student": student,
        "until": DUE + 3 * DAY,
        "reason": "hospital",
        "by": by,
        **changes,
    }


def test_grant_extension_records_who_granted_it_and_why(cls):
    offering, quiz, instructor, _ta, student = cls

    services.grant_extension(**extension_args(offering, quiz, student, instructor))

    extension = Extension.objects.get(user=student)
    assert (extension.until, extension.reason, extension.granted_by) == (
        DUE + 3 * DAY,
        "hospital",
        instructor,
    )


def test_an_extension_ending_before_the_due_date_is_refused(cls):
    offering, quiz, instructor, _ta, student = cls
    services.set_deadline(**deadline_args(offering, quiz, instructor))

    refused(
        "extension_not_later",
        services.grant_extension,
        **extension_args(offering, quiz, student, instructor, until=DUE - DAY),
    )

    assert not Extension.objects.exists()


def test_an_extension_for_someone_who_is_not_a_student_here_is_refused(cls):
    offering, quiz, instructor, ta, _student = cls

    refused(
        "not_a_student",
        services.grant_extension,
        **extension_args(offering, quiz, ta, instructor),
    )
    refused(
        "not_a_student",
        services.grant_extension,
        **extension_args(offering, quiz, UserFactory(), instructor),
    )

    assert not Extension.objects.exists()


def test_revoking_an_extension_removes_it_and_a_second_revoke_is_refused(cls):
    offering, quiz, instructor, _ta, student = cls
    services.grant_extension(**extension_args(offering, quiz, student, instructor))
    revoke = {"offering": offering, "exercise": quiz, "student": student, "by": instructor}

    services.revoke_extension(**revoke)

    assert not Extension.objects.exists()
    refused("no_extension", services.revoke_extension, **revoke)


# Overrides ------------------------------------------------------------------------------------


def override_args(offering, quiz, student, by, **changes):
    return {
        "offering": offering,
        "exercise": quiz,
        "student": student,
        "points": Decimal("7.5"),
        "reason": "Regraded by hand after a grader bug",
        "by": by,
        **changes,
    }


def test_set_override_keeps_the_points_and_the_reason(cls):
    offering, quiz, instructor, _ta, student = cls

    services.set_override(**override_args(offering, quiz, student, instructor))

    override = GradeOverride.objects.get(user=student)
    assert (override.points, override.set_by) == (Decimal("7.50"), instructor)


@pytest.mark.parametrize(
    ("code", "changes"),
    [
        ("points_out_of_range", {"points": Decimal("10.01")}),
        ("points_out_of_range", {"points": Decimal("-0.01")}),
        ("points_out_of_range", {"points": Decimal("NaN")}),
        ("reason_required", {"reason": "   "}),
        ("reason_too_long", {"reason": "x" * 201}),
    ],
)
def test_an_invalid_override_is_refused_and_the_old_one_stays(cls, code, changes):
    offering, quiz, instructor, _ta, student = cls
    services.set_override(**override_args(offering, quiz, student, instructor))
    before = model_to_dict(GradeOverride.objects.get())

    refused(
        code, services.set_override, **override_args(offering, quiz, student, instructor, **changes)
    )

    assert model_to_dict(GradeOverride.objects.get()) == before


def test_a_ta_cannot_override_a_grade(cls):
    offering, quiz, _instructor, ta, student = cls

    refused("not_allowed", services.set_override, **override_args(offering, quiz, student, ta))

    assert not GradeOverride.objects.exists()


def test_another_offerings_instructor_cannot_override_a_grade(cls):
    offering, quiz, _instructor, _ta, student = cls
    stranger = EnrollmentFactory(
        offering=OfferingFactory(course=offering.course), role=Enrollment.Role.INSTRUCTOR
    ).user

    refused(
        "not_allowed", services.set_override, **override_args(offering, quiz, student, stranger)
    )

    assert not GradeOverride.objects.exists()


def test_clear_override_removes_it_and_clearing_nothing_is_refused(cls):
    offering, quiz, instructor, _ta, student = cls
    services.set_override(**override_args(offering, quiz, student, instructor))
    clear = {"offering": offering, "exercise": quiz, "student": student, "by": instructor}

    services.clear_override(**clear)

    assert not GradeOverride.objects.exists()
    refused("no_override", services.clear_override, **clear)


# Content --------------------------------------------------------------------------------------


def test_editing_a_lesson_in_the_default_language_changes_its_fields(cls):
    _offering, quiz, instructor, _ta, _student = cls

    services.edit_lesson(
        lesson=quiz.lesson, language="en", title="Keys", body="# New", by=instructor
    )

    lesson = Lesson.objects.get(pk=quiz.lesson_id)
    assert (lesson.title, lesson.body, lesson.translations) == ("Keys", "# New", {})


def test_editing_a_lesson_in_another_language_changes_only_its_translation(cls):
    _offering, quiz, instructor, _ta, _student = cls
    lesson = quiz.lesson
    lesson.translations = {"ko": {"title": "옛 제목", "summary": "kept"}}
    lesson.save()

    services.edit_lesson(lesson=lesson, language="ko", title="키", body="# 새 글", by=instructor)

    lesson.refresh_from_db()
    assert lesson.translations == {"ko": {"title": "키", "body": "# 새 글", "summary": "kept"}}
    assert lesson.title.startswith("Lesson")


@pytest.mark.parametrize(
    ("code", "changes"),
    [
        ("unknown_language", {"language": "fr"}),
        ("title_required", {"title": " "}),
        ("title_too_long", {"title": "x" * 201}),
    ],
)
def test_an_invalid_lesson_edit_is_refused_and_changes_nothing(cls, code, changes):
    _offering, quiz, instructor, _ta, _student = cls
    before = model_to_dict(Lesson.objects.get(pk=quiz.lesson_id))
    edit = {
        "lesson": quiz.lesson,
        "language": "ko",
        "title": "키",
        "body": "본문",
        "by": instructor,
        **changes,
    }

    refused(code, services.edit_lesson, **edit)

    assert model_to_dict(Lesson.objects.get(pk=quiz.lesson_id)) == before


def test_a_ta_cannot_edit_a_lesson(cls):
    _offering, quiz, _instructor, ta, _student = cls
    before = model_to_dict(Lesson.objects.get(pk=quiz.lesson_id))

    refused(
        "not_allowed",
        services.edit_lesson,
        lesson=quiz.lesson,
        language="en",
        title="T",
        body="",
        by=ta,
    )

    assert model_to_dict(Lesson.objects.get(pk=quiz.lesson_id)) == before


def exercise_edit(quiz, by, **changes):
    return {
        "exercise": quiz,
        "language": "ko",
        "title": "퀴즈",
        "prompt": "답하세요.",
        "points": 12,
        "max_attempts": 3,
        "by": by,
        **changes,
    }


def test_editing_an_exercise_in_korean_translates_its_text_and_sets_its_points(cls):
    _offering, quiz, instructor, _ta, _student = cls

    services.edit_exercise_text(**exercise_edit(quiz, instructor))

    quiz.refresh_from_db()
    assert quiz.translations["ko"] == {"title": "퀴즈", "prompt": "답하세요."}
    assert (quiz.points, quiz.max_attempts, quiz.prompt) == (12, 3, "Answer the questions.")


@pytest.mark.parametrize(
    ("code", "changes"),
    [
        ("points_out_of_range", {"points": 0}),
        ("max_attempts_out_of_range", {"max_attempts": 0}),
        ("title_required", {"title": ""}),
        ("overrides_exceed_points", {"points": 5}),
    ],
)
def test_an_invalid_exercise_edit_is_refused_and_changes_nothing(cls, code, changes):
    offering, quiz, instructor, _ta, student = cls
    services.set_override(**override_args(offering, quiz, student, instructor))
    before = model_to_dict(Exercise.objects.get(pk=quiz.pk))

    refused(code, services.edit_exercise_text, **exercise_edit(quiz, instructor, **changes))

    assert model_to_dict(Exercise.objects.get(pk=quiz.pk)) == before
