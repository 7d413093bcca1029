"""Grade passback on every grade change courses announces (an attempt graded, an override,
an extension): queue the student's points for each linked LMS course."""

from campus.models import User
from courses.api import Exercise, Offering


def pass_back_grade(offering_id: int, exercise_id: int, user_id: int) -> None:
    from campus.lti.ags import post_score  # models are ready by the time a grade changes

    offering = Offering.objects.filter(pk=offering_id).first()
    exercise = Exercise.objects.filter(pk=exercise_id).first()
    user = User.objects.filter(pk=user_id).first()
    if offering is None or exercise is None or user is None:
        return
    post_score(offering=offering, exercise=exercise, user=user)
