"""LTI roles → enrolment roles.

Context roles decide (LIS v2 vocabulary, full URIs or the short forms LTI 1.3 allows): a teaching
assistant sub-role wins over its principal role Instructor (platforms send both); Instructor,
Administrator and ContentDeveloper of the course teach it; Learner and Mentor... learn. Institution
roles alone (a registrar browsing the LMS) give no course role: such a launch is refused rather
than quietly enrolled as a student.
"""

CONTEXT = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
TA_MARKERS = ("#TeachingAssistant", "/Instructor#TeachingAssistant")
INSTRUCTOR_ROLES = {"Instructor", "Administrator", "ContentDeveloper"}
STUDENT_ROLES = {"Learner", "Mentor", "Member"}


def course_role(lti_roles: list[str]) -> str | None:
    """'ta', 'instructor', 'student', or None when no context role is given."""
    names = {_context_role_name(role) for role in lti_roles}
    if any(role.endswith(marker) for role in lti_roles for marker in TA_MARKERS):
        return "ta"
    if names & INSTRUCTOR_ROLES:
        return "instructor"
    if names & STUDENT_ROLES:
        return "student"
    return None


def _context_role_name(role: str) -> str | None:
    if role.startswith(CONTEXT):
        return role.removeprefix(CONTEXT)
    if "/" not in role and "#" not in role:  # LTI 1.3 short form: "Learner"
        return role
    return None
