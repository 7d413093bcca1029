"""The demo course, offered at each demo university, with its instructors and students."""

from campus import demo as campus_demo
from campus.api import SeedContext, University, User
from courses.models import Course, Enrollment, Offering
from courses.services import enroll

COURSE_SLUG = "dax101"
COURSE_TITLE = "Digital Asset Exchanges and Smart Contracts"
COURSE_SUMMARY = (
    "Keys and wallets, transactions and gas, tokens, order books and AMMs, stablecoins, custody and "
    "smart-contract security, each practised on your own sandbox exchange and chain."
)
TERM = "2026 Fall"


def offering_slug(plan: campus_demo.DemoUniversity) -> str:
    return f"{COURSE_SLUG}-{plan.slug}-2026f"


def demo_offerings() -> list[Offering]:
    slugs = [offering_slug(plan) for plan in campus_demo.UNIVERSITIES]
    return list(Offering.objects.filter(slug__in=slugs).order_by("slug"))


def seed(ctx: SeedContext) -> None:
    course, created = Course.objects.get_or_create(
        slug=COURSE_SLUG, defaults={"title": COURSE_TITLE, "summary": COURSE_SUMMARY}
    )
    ctx.count(created)
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
