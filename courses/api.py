"""What other apps may use of courses (OEP-49 style boundary): sandbox imports only this."""

from courses.demo import demo_offerings
from courses.gradebook import student_grades
from courses.grading.attempts import submit_attempt, window_start
from courses.grading.listeners import on_grade_changed
from courses.grading.registry import (
    BaseGrader,
    CheckResult,
    Grader,
    GradingContext,
    GradingError,
    Outcome,
    RetryableGradingError,
    SpecProblem,
    grader_for,
    register,
)
from courses.grading.texts import localize, text_problems
from courses.links import OfferingLink, register_offering_links
from courses.models import Attempt, Course, Enrollment, Exercise, Offering
from courses.panels import Panel, register_dashboard_panel, unregister_dashboard_panel
from courses.selectors import (
    active_students,
    is_enrolled,
    manageable_offerings,
    member_offering,
    visible_offerings,
)
from courses.services import enroll, set_enrollment
from courses.student_links import StudentLink, register_student_links, viewer_manages
from courses.titles import course_title, offering_label

__all__ = [
    "Attempt",
    "BaseGrader",
    "CheckResult",
    "Course",
    "Enrollment",
    "Exercise",
    "Grader",
    "GradingContext",
    "GradingError",
    "Offering",
    "OfferingLink",
    "Outcome",
    "Panel",
    "RetryableGradingError",
    "SpecProblem",
    "StudentLink",
    "active_students",
    "course_title",
    "demo_offerings",
    "enroll",
    "grader_for",
    "is_enrolled",
    "localize",
    "manageable_offerings",
    "member_offering",
    "offering_label",
    "on_grade_changed",
    "register",
    "register_dashboard_panel",
    "register_offering_links",
    "register_student_links",
    "set_enrollment",
    "student_grades",
    "submit_attempt",
    "text_problems",
    "unregister_dashboard_panel",
    "viewer_manages",
    "visible_offerings",
    "window_start",
]
