"""What a student has earned on an exercise, as the LMS should see it.

The gradebook (courses.gradebook.student_grades: late penalties, extensions, overrides) is the
truth, but courses.api does not export it yet; until it does, this reads the best graded
attempt's score × points from `courses.api.Attempt`, which ignores late penalties and overrides.
Asked of courses: export `student_grades` in courses.api; then this function becomes one line.
"""

from decimal import ROUND_HALF_UP, Decimal

from campus.models import User
from courses.api import Attempt, Exercise, Offering

GRADED = ("passed", "failed")


def earned_points(*, offering: Offering, exercise: Exercise, user: User) -> Decimal | None:
    """Points with two places, or None when nothing is graded yet."""
    best = (
        Attempt.objects.filter(
            offering=offering, exercise=exercise, user=user, status__in=GRADED, score__isnull=False
        )
        .order_by("-score")
        .values_list("score", flat=True)
        .first()
    )
    if best is None:
        return None
    return (best * exercise.points).quantize(Decimal("0.01"), ROUND_HALF_UP)
