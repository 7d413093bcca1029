from datetime import timedelta

import pytest
from django.utils import timezone

from campus.errors import ServiceError
from courses.grading import attempts
from courses.grading.registry import GradingError, Outcome, RetryableGradingError, register
from courses.models import Attempt, Deadline, Extension
from tests.factories import ExerciseFactory, UserFactory

pytestmark = pytest.mark.django_db

RIGHT = {"q1": ["b"], "q2": ["a", "b"], "q3": ["21000"]}


def submit(offering, exercise, user, data=RIGHT):
    return attempts.submit_attempt(offering=offering, exercise=exercise, user=user, data=data)


def test_a_right_quiz_is_graded_passed_with_every_check_named(
    quiz, eager_celery, django_capture_on_commit_callbacks
):
    offering, exercise, student = quiz

    with django_capture_on_commit_callbacks(execute=True):
        attempt = submit(offering, exercise, student)

    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.PASSED
    assert attempt.score == 1
    assert attempt.runs == 1
    assert [check["passed"] for check in attempt.feedback] == [True, True, True]
    assert attempt.feedback[0]["name"]["en"] == "Which curve do Ethereum keys use?"


def test_a_partly_wrong_quiz_scores_the_share_right_and_hints_at_the_wrong_one(
    quiz, eager_celery, django_capture_on_commit_callbacks
):
    offering, exercise, student = quiz
    wrong_first = {**RIGHT, "q1": ["a"], "q2": ["a"]}

    with django_capture_on_commit_callbacks(execute=True):
        attempt = submit(offering, exercise, student, wrong_first)

    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.FAILED
    assert attempt.score == pytest.approx(attempt.score.__class__("0.3333"))
    assert attempt.feedback[0]["hint"]["en"] == "Ethereum uses secp256k1."
    assert attempt.feedback[1]["passed"] is False


def test_a_numeric_answer_within_tolerance_passes(quiz):
    offering, exercise, student = quiz
    exercise.spec["questions"][2]["tolerance"] = "5"
    exercise.save()
    attempt = submit(offering, exercise, student, {**RIGHT, "q3": ["21,004"]})

    graded = attempts.grade(attempt.pk)

    assert graded.status == Attempt.Status.PASSED


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({**RIGHT, "q3": ["lots"]}, "not_a_number"),
        ({"q1": ["b"], "q2": ["a"]}, "unanswered"),
        ({**RIGHT, "q1": ["z"]}, "unknown_choice"),
    ],
)
def test_a_malformed_quiz_submission_is_refused_and_nothing_is_recorded(quiz, data, code):
    offering, exercise, student = quiz

    with pytest.raises(ServiceError) as refused:
        submit(offering, exercise, student, data)

    assert refused.value.code == code
    assert not Attempt.objects.exists()


def test_someone_not_in_the_offering_cannot_submit(quiz):
    offering, exercise, _ = quiz

    with pytest.raises(ServiceError) as refused:
        submit(offering, exercise, UserFactory())

    assert refused.value.code == "not_enrolled"
    assert not Attempt.objects.exists()


def test_an_exercise_of_another_course_is_refused(quiz):
    offering, _, student = quiz

    with pytest.raises(ServiceError) as refused:
        submit(offering, ExerciseFactory(), student)

    assert refused.value.code == "exercise_not_in_course"


def test_after_the_hard_deadline_a_submission_is_refused_unless_extended(quiz):
    offering, exercise, student = quiz
    now = timezone.now()
    Deadline.objects.create(
        offering=offering,
        exercise=exercise,
        due_at=now - timedelta(days=2),
        hard_deadline_at=now - timedelta(days=1),
    )
    with pytest.raises(ServiceError) as refused:
        submit(offering, exercise, student)
    assert refused.value.code == "deadline_passed"

    Extension.objects.create(
        offering=offering, exercise=exercise, user=student, until=now + timedelta(hours=1)
    )
    assert submit(offering, exercise, student).number == 1


def test_an_exercise_not_yet_open_is_refused(quiz):
    offering, exercise, student = quiz
    Deadline.objects.create(
        offering=offering, exercise=exercise, opens_at=timezone.now() + timedelta(days=1)
    )

    with pytest.raises(ServiceError) as refused:
        submit(offering, exercise, student)

    assert refused.value.code == "not_open"


def test_attempts_are_numbered_and_limited(quiz):
    offering, exercise, student = quiz
    exercise.max_attempts = 2
    exercise.save()
    for _ in range(2):
        attempts.grade(submit(offering, exercise, student).pk)

    with pytest.raises(ServiceError) as refused:
        submit(offering, exercise, student)

    assert refused.value.code == "no_attempts_left"
    assert sorted(Attempt.objects.values_list("number", flat=True)) == [1, 2]


def test_a_second_submission_waits_for_the_first_to_be_graded(quiz):
    offering, exercise, student = quiz
    submit(offering, exercise, student)

    with pytest.raises(ServiceError) as refused:
        submit(offering, exercise, student)

    assert refused.value.code == "attempt_in_progress"


def test_a_duplicate_grading_of_a_finished_attempt_changes_nothing(quiz):
    offering, exercise, student = quiz
    attempt = submit(offering, exercise, student)
    attempts.grade(attempt.pk)

    assert attempts.grade(attempt.pk) is None
    attempt.refresh_from_db()
    assert attempt.runs == 1


class Exploding:
    kind = "exploding"
    label = "Exploding"
    form_template = ""
    time_limit_seconds = 5

    def __init__(self, error):
        self.error = error

    def validate_spec(self, spec, *, languages, files):
        return []

    def clean_submission(self, *, exercise, data):
        return {}

    def workspace(self, *, exercise, offering, user):
        return {}

    def grade(self, ctx):
        raise self.error


@pytest.mark.parametrize(
    ("error", "shown"),
    [(GradingError("the level is gone"), "the level is gone"), (KeyError("x"), "KeyError")],
)
def test_a_grader_that_errors_marks_the_attempt_errored_not_failed(quiz, error, shown):
    offering, exercise, student = quiz
    register(Exploding(error))
    exercise.kind = "exploding"
    exercise.save()

    attempt = attempts.grade(submit(offering, exercise, student).pk)

    assert attempt.status == Attempt.Status.ERRORED
    assert shown in attempt.error
    assert attempt.score is None


def test_an_instructor_can_regrade_an_errored_attempt(quiz):
    offering, exercise, student = quiz
    attempt = submit(offering, exercise, student)
    register(Exploding(RetryableGradingError("chain starting")))
    exercise.kind = "exploding"
    exercise.save()
    with pytest.raises(RetryableGradingError):
        attempts.grade(attempt.pk)
    attempts.record_error(attempt.pk, "gave up")
    exercise.kind = "quiz"
    exercise.save()

    attempts.regrade_attempt(attempt=attempt, by=UserFactory())
    regraded = attempts.grade(attempt.pk)

    assert regraded.status == Attempt.Status.PASSED
    assert regraded.runs == 2
    assert regraded.error == ""


def test_outcome_score_is_the_share_of_checks_passed():
    from courses.grading.registry import CheckResult

    outcome = Outcome(
        checks=[CheckResult("a", True), CheckResult("b", False), CheckResult("c", True)]
    )

    assert str(outcome.fraction()) == "0.6666"
