import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from campus import demo
from campus.models import Membership, University, User
from courses import demo as course_demo
from courses.models import Course, Enrollment, Offering

pytestmark = pytest.mark.django_db


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (User, University, Membership, Course, Offering, Enrollment)
    }


def test_seed_demo_creates_the_busan_campus(capsys):
    call_command("seed_demo")

    assert University.objects.filter(city="Busan").count() == 2
    assert Course.objects.count() == 1
    assert Offering.objects.filter(course__slug=course_demo.COURSE_SLUG).count() == 2
    assert Enrollment.objects.filter(role="student").count() == 20
    assert Enrollment.objects.filter(role="instructor").count() == 2
    assert "student01" in capsys.readouterr().out


def test_seed_demo_twice_creates_nothing_the_second_time(capsys):
    call_command("seed_demo")
    before = counts()
    capsys.readouterr()

    call_command("seed_demo")

    assert counts() == before
    assert "nothing new" in capsys.readouterr().out


def test_demo_logins_printed_by_the_seed_work():
    call_command("seed_demo")

    for username, kind in (("student01", "student"), ("instructor2", "instructor")):
        assert authenticate(username=username, password=demo.DEMO_PASSWORDS[kind]) is not None


def test_each_demo_instructor_teaches_at_their_own_university():
    call_command("seed_demo")

    for plan in demo.UNIVERSITIES:
        enrollment = Enrollment.objects.get(user__username=plan.instructor)
        assert enrollment.offering.university.slug == plan.slug
        assert enrollment.role == "instructor"
