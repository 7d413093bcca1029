"""Celery: grading. Thin: the attempt id in, `courses.grading.attempts.grade` does the work.

A soft time limit ends a grader that runs too long (the attempt is marked errored, naming the
limit); a passing trouble is retried with backoff, then marked errored. Late acknowledgement
means a worker that dies mid-grade leaves the task to another, which claims the attempt again.
"""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils.translation import gettext as _

from courses.grading import attempts
from courses.grading.registry import RetryableGradingError

RETRY_DELAYS_S = (5, 20, 60)


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    soft_time_limit=settings.COURSES_GRADING_TIME_LIMIT_S,
    time_limit=settings.COURSES_GRADING_TIME_LIMIT_S + 30,
)
def grade_attempt(self, attempt_id: int) -> str:
    try:
        attempt = attempts.grade(attempt_id)
    except RetryableGradingError as error:
        if self.request.retries < len(RETRY_DELAYS_S):
            raise self.retry(countdown=RETRY_DELAYS_S[self.request.retries]) from error
        attempt = attempts.record_error(
            attempt_id,
            _("Grading failed %(n)d times: %(error)s")
            % {"n": self.request.retries + 1, "error": error},
        )
    except SoftTimeLimitExceeded:
        attempt = attempts.record_error(
            attempt_id,
            _("Grading took longer than %(s)d seconds and was stopped.")
            % {"s": settings.COURSES_GRADING_TIME_LIMIT_S},
        )
    return "skipped" if attempt is None else attempt.status
