"""What a student has earned on an exercise, as the LMS should see it: the gradebook's points
(late penalties, extensions and overrides applied), so the LMS and the site never disagree."""

from decimal import Decimal

from campus.models import User
from courses.api import Exercise, Offering, student_grades


def earned_points(*, offering: Offering, exercise: Exercise, user: User) -> Decimal | None:
    """Points with two places, or None when nothing is graded yet (or they left the offering)."""
    row = student_grades(offering, user)
    if row is None:
        return None
    grade = next((g for g in row.grades if g.exercise.pk == exercise.pk), None)
    return None if grade is None else grade.points
