"""Grading through a real Celery worker (prefork, so the soft time limit is enforced as in
production): a grader that runs too long is stopped and its attempt marked errored, naming the
limit; a quick grader's result arrives."""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings

from courses.grading.attempts import submit_attempt
from courses.models import Attempt
from tests.courses.test_attempts import RIGHT

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
TIME_LIMIT_S = 2  # the slow grader's own limit


@pytest.fixture
def worker(on_postgres):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis as the broker: set REDIS_URL=redis://... (CI does)")
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "COURSES_GRADERS": "tests.courses.slow_grader.slow_grader",
    }
    command = [sys.executable, "-m", "celery", "-A", "campus", "worker", "--pool=prefork"]
    command += ["--concurrency=1", "--loglevel=WARNING", "--without-heartbeat"]
    command += ["--without-gossip", "--without-mingle", "--queues=celery"]
    process = subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    yield process
    process.terminate()
    process.wait(timeout=30)


def wait_until_finished(attempt: Attempt, timeout: float = 45) -> Attempt:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        attempt.refresh_from_db()
        if attempt.finished:
            return attempt
        time.sleep(0.2)
    raise AssertionError(f"attempt still {attempt.status} after {timeout} s")


def test_a_worker_grades_a_quiz_submitted_on_the_site(quiz, worker):
    offering, exercise, student = quiz

    attempt = submit_attempt(offering=offering, exercise=exercise, user=student, data=RIGHT)

    assert wait_until_finished(attempt).status == Attempt.Status.PASSED


def test_a_grader_past_the_time_limit_is_stopped_and_the_attempt_errored(quiz, worker):
    from courses.grading.registry import register
    from tests.courses.slow_grader import slow_grader

    register(slow_grader)  # this process validates the submission; the worker grades it
    offering, exercise, student = quiz
    exercise.kind = "slow"
    exercise.save()
    started = time.monotonic()

    attempt = wait_until_finished(
        submit_attempt(offering=offering, exercise=exercise, user=student, data={})
    )

    assert attempt.status == Attempt.Status.ERRORED
    assert f"longer than {TIME_LIMIT_S} seconds" in attempt.error
    assert time.monotonic() - started < 30
