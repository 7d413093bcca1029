"""What is taught and to whom: courses and their offerings, the content they teach, and how the
work is graded. One module per concern; import them from here."""

from courses.models.content import Exercise, Lesson, LessonImage, Module
from courses.models.grading import Attempt, Deadline, Extension, GradeOverride
from courses.models.offerings import Course, Enrollment, Offering

__all__ = [
    "Attempt",
    "Course",
    "Deadline",
    "Enrollment",
    "Exercise",
    "Extension",
    "GradeOverride",
    "Lesson",
    "LessonImage",
    "Module",
    "Offering",
]
