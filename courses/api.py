"""What other apps may use of courses (OEP-49 style boundary): sandbox imports only this."""

from courses.demo import demo_offerings
from courses.links import OfferingLink, register_offering_links
from courses.models import Course, Enrollment, Offering
from courses.selectors import (
    active_students,
    is_enrolled,
    manageable_offerings,
    member_offering,
    visible_offerings,
)
from courses.services import enroll

__all__ = [
    "Course",
    "Enrollment",
    "Offering",
    "OfferingLink",
    "active_students",
    "demo_offerings",
    "enroll",
    "is_enrolled",
    "manageable_offerings",
    "member_offering",
    "register_offering_links",
    "visible_offerings",
]
