"""Create the demo campus in Busan. Safe to run again: what exists is left as it is."""

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction

from campus import demo
from campus.models import University, User
from campus.services import grant_membership
from courses.models import Course, Enrollment, Offering
from courses.services import enroll


class Command(BaseCommand):
    help = "Seed a demo campus (two universities, one course, instructors, students). Idempotent."

    def handle(self, *args, **options) -> None:
        self.hashes: dict[str, str] = {}
        self.created = 0
        course = self._course()
        for plan in demo.UNIVERSITIES:
            self._university(plan, course)
        self._user(demo.SUPERUSER, "superuser", is_staff=True, is_superuser=True)
        verb = f"created {self.created} records" if self.created else "nothing new: already seeded"
        self.stdout.write(self.style.SUCCESS(f"Demo campus ready ({verb})."))
        self._print_logins()

    def _course(self) -> Course:
        course, created = Course.objects.get_or_create(
            slug=demo.COURSE_SLUG,
            defaults={"title": demo.COURSE_TITLE, "summary": demo.COURSE_SUMMARY},
        )
        self.created += created
        return course

    def _university(self, plan: demo.DemoUniversity, course: Course) -> None:
        university, created = University.objects.get_or_create(
            slug=plan.slug, defaults={"name": plan.name, "city": "Busan"}
        )
        self.created += created
        offering, created = Offering.objects.get_or_create(
            slug=demo.offering_slug(plan),
            defaults={"course": course, "university": university, "term": demo.TERM},
        )
        self.created += created
        self._enroll(
            offering, self._user(plan.instructor, "instructor"), Enrollment.Role.INSTRUCTOR
        )
        for username in plan.students:
            self._enroll(offering, self._user(username, "student"), Enrollment.Role.STUDENT)
        admin = self._user(plan.admin, "university_admin")
        grant_membership(user=admin, university=university, role="university_admin")

    def _user(self, username: str, kind: str, **flags) -> User:
        user = User.objects.filter(username=username).first()
        if user is not None:
            return user
        with transaction.atomic():
            user = User.objects.create(
                username=username,
                email=f"{username}@demo.blockcampus.test",
                display_name=username.replace("student", "Student ")
                .replace("instructor", "Instructor ")
                .title(),
                password=self._hash(demo.DEMO_PASSWORDS[kind]),
                **flags,
            )
        self.created += 1
        return user

    def _enroll(self, offering: Offering, user: User, role: str) -> None:
        if not Enrollment.objects.filter(offering=offering, user=user).exists():
            enroll(offering=offering, user=user, role=role)
            self.created += 1

    def _hash(self, password: str) -> str:
        if password not in self.hashes:
            self.hashes[password] = make_password(password)
        return self.hashes[password]

    def _print_logins(self) -> None:
        self.stdout.write("Demo logins (username / password):")
        for plan in demo.UNIVERSITIES:
            self.stdout.write(f"  {plan.name}:")
            self.stdout.write(
                f"    instructor   {plan.instructor} / {demo.DEMO_PASSWORDS['instructor']}"
            )
            self.stdout.write(
                f"    univ. admin  {plan.admin} / {demo.DEMO_PASSWORDS['university_admin']}"
            )
            self.stdout.write(
                f"    students     {plan.students[0]} … {plan.students[-1]} / "
                f"{demo.DEMO_PASSWORDS['student']}"
            )
        self.stdout.write(f"  site admin     {demo.SUPERUSER} / {demo.DEMO_PASSWORDS['superuser']}")
