"""Celery: grading. Thin: the attempt id in, `courses.grading.attempts.grade` does the work.

The sender sets each grader's time limit (`attempts.time_limit`); past its soft limit a grader is
stopped and the attempt marked errored, naming the limit. A passing trouble is retried with
backoff, then marked errored. Late acknowledgement means a worker that dies mid-grade leaves the
task to another, which claims the attempt again.
"""

from celery import shared_task
from django.utils.translation import gettext as _

from courses.grading import attempts
from courses.grading.registry import RetryableGradingError

RETRY_DELAYS_S = (5, 20, 60)


@shared_task(bind=True, acks_late=True, ignore_result=True)
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
    return "skipped" if attempt is None else attempt.status
