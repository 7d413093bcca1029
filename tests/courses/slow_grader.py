"""A grader that takes longer than any time limit, for the real-worker test (its worker is told
about it through COURSES_GRADERS)."""

import time

from courses.grading.registry import BaseGrader, Outcome


class SlowGrader(BaseGrader):
    def validate_spec(self, spec, *, languages, files):
        return []

    def clean_submission(self, *, exercise, data):
        return {}

    def grade(self, ctx):
        time.sleep(60)
        return Outcome(checks=[])


slow_grader = SlowGrader(kind="slow", label="Slow", time_limit_seconds=2)
