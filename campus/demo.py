"""The demo campus: what `seed_demo` creates. Kept apart from the command so tests can read the
same plan the command follows."""

from dataclasses import dataclass

DEMO_PASSWORDS = {
    "student": "learn-blocks-2026",
    "instructor": "teach-blocks-2026",
    "university_admin": "run-campus-2026",
    "superuser": "admin-blocks-2026",
}


@dataclass(frozen=True)
class DemoUniversity:
    slug: str
    name: str
    instructor: str
    admin: str
    students: tuple[str, ...]


COURSE_SLUG = "dax101"
COURSE_TITLE = "Digital Asset Exchanges and Smart Contracts"
COURSE_SUMMARY = (
    "Keys and wallets, transactions and gas, tokens, order books and AMMs, stablecoins, custody and "
    "smart-contract security, each practised on your own sandbox exchange and chain."
)
TERM = "2026 Fall"
SUPERUSER = "admin"

UNIVERSITIES = (
    DemoUniversity(
        slug="haeundae",
        name="Haeundae University",
        instructor="instructor1",
        admin="uniadmin1",
        students=tuple(f"student{n:02d}" for n in range(1, 11)),
    ),
    DemoUniversity(
        slug="gwangan-tech",
        name="Gwangan Institute of Technology",
        instructor="instructor2",
        admin="uniadmin2",
        students=tuple(f"student{n:02d}" for n in range(11, 21)),
    ),
)


def offering_slug(university: DemoUniversity) -> str:
    return f"{COURSE_SLUG}-{university.slug}-2026f"
