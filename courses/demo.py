"""The demo course, imported from its package in courses/catalog/, offered at each demo
university, with its instructors and students."""

from pathlib import Path

from campus import demo as campus_demo
from campus.api import SeedContext, University, User
from courses.models import Course, Enrollment, Offering
from courses.packages import import_course
from courses.packages.report import CREATED
from courses.services import enroll

COURSE_SLUG = "dax101"
COURSE_TITLE = "Digital Asset Exchanges and Smart Contracts"
"""The course's English title, as its course.yaml gives it (pages and browser tests look for it)."""
CATALOG = Path(__file__).resolve().parent / "catalog"
TERM = "2026 Fall"


def offering_slug(plan: campus_demo.DemoUniversity) -> str:
    return f"{COURSE_SLUG}-{plan.slug}-2026f"


def demo_offerings() -> list[Offering]:
    slugs = [offering_slug(plan) for plan in campus_demo.UNIVERSITIES]
    return list(Offering.objects.filter(slug__in=slugs).order_by("slug"))


def seed(ctx: SeedContext) -> None:
    """Import the shipped course (again: an unchanged package changes nothing), then offer it.
    A package with problems raises PackageInvalid listing them all, before anything is seeded."""
    report = import_course(path=CATALOG / COURSE_SLUG)
    for _change in range(report.count(CREATED)):
        ctx.count(True)
    course = Course.objects.get(slug=COURSE_SLUG)
    for plan in campus_demo.UNIVERSITIES:
        offering, created = Offering.objects.get_or_create(
            slug=offering_slug(plan),
            defaults={
                "course": course,
                "university": University.objects.get(slug=plan.slug),
                "term": TERM,
            },
        )
        ctx.count(created)
        _enroll(ctx, offering, plan.instructor, Enrollment.Role.INSTRUCTOR)
        for username in plan.students:
            _enroll(ctx, offering, username, Enrollment.Role.STUDENT)


def _enroll(ctx: SeedContext, offering: Offering, username: str, role: str) -> None:
    user = User.objects.get(username=username)
    if not Enrollment.objects.filter(offering=offering, user=user).exists():
        enroll(offering=offering, user=user, role=role)
        ctx.count(True)
