"""The demo campus: what `seed_demo` creates. Each app seeds its own part (settings.DEMO_SEEDERS,
in order: campus, courses, sandbox), so the command needs no import against the arrows."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction

from campus.models import University, User
from campus.services import grant_membership

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


@dataclass
class SeedContext:
    """What the seeders share: a count of what they created and one hash per demo password."""

    write: Callable[[str], None]
    created: int = 0
    _hashes: dict[str, str] = field(default_factory=dict)

    def count(self, created: bool) -> None:
        self.created += int(created)

    def password_hash(self, kind: str) -> str:
        if kind not in self._hashes:
            self._hashes[kind] = make_password(DEMO_PASSWORDS[kind])
        return self._hashes[kind]


def seed(ctx: SeedContext) -> None:
    """Universities in Busan, their instructors, students and admins, and a site admin."""
    for plan in UNIVERSITIES:
        university, created = University.objects.get_or_create(
            slug=plan.slug, defaults={"name": plan.name, "city": "Busan"}
        )
        ctx.count(created)
        seed_user(ctx, plan.instructor, "instructor")
        for username in plan.students:
            seed_user(ctx, username, "student")
        admin = seed_user(ctx, plan.admin, "university_admin")
        grant_membership(user=admin, university=university, role="university_admin")
    seed_user(ctx, SUPERUSER, "superuser", is_staff=True, is_superuser=True)


def seed_user(ctx: SeedContext, username: str, kind: str, **flags) -> User:
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    with transaction.atomic():
        user = User.objects.create(
            username=username,
            email=f"{username}@demo.blockcampus.test",
            display_name=_display_name(username),
            password=ctx.password_hash(kind),
            **flags,
        )
    ctx.count(True)
    return user


def _display_name(username: str) -> str:
    for prefix, shown in (("student", "Student "), ("instructor", "Instructor ")):
        if username.startswith(prefix):
            return shown + username.removeprefix(prefix)
    return username


def print_logins(write: Callable[[str], None]) -> None:
    write("Demo logins (username / password):")
    for plan in UNIVERSITIES:
        write(f"  {plan.name}:")
        write(f"    instructor   {plan.instructor} / {DEMO_PASSWORDS['instructor']}")
        write(f"    univ. admin  {plan.admin} / {DEMO_PASSWORDS['university_admin']}")
        write(
            f"    students     {plan.students[0]} … {plan.students[-1]} / {DEMO_PASSWORDS['student']}"
        )
    write(f"  site admin     {SUPERUSER} / {DEMO_PASSWORDS['superuser']}")
