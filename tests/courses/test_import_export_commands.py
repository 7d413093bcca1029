"""The import_course and export_course commands (what authors run), and the demo seed that
imports the shipped course through the same service."""

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import connections

from campus import demo as campus_demo
from campus.api import SeedContext
from courses import demo as course_demo
from courses.grading import registry
from courses.models import Course, Enrollment, Exercise, Offering
from courses.packages import PackageInvalid
from tests.courses.packages.helpers import (
    BROKEN,
    GOOD,
    GOOD_SLUG,
    ContractGrader,
    content_counts,
    copy_course,
    edit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def contract_grader(monkeypatch):
    grader = ContractGrader()
    monkeypatch.setitem(registry._graders, grader.kind, grader)
    return grader


@pytest.fixture
def run(monkeypatch):
    """Run a command as `manage.py` does, so its exit status is the one a shell would see. (It
    closes every connection when done, which would end the test's transaction: not here.)"""
    monkeypatch.setattr(connections, "close_all", lambda: None)
    return _run


def _run(*argv):
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", *argv, "--skip-checks"]).execute()
        raise SystemExit(0)
    return exited.value.code


# --- import_course --------------------------------------------------------------------------------


def test_import_course_prints_what_it_created_and_exits_0(capsys, run):
    status = run("import_course", str(GOOD))

    out = capsys.readouterr().out
    assert status == 0
    assert "created exercise write-a-token" in out
    assert "exercises: 3 created, 0 updated, 0 unchanged, 0 deleted" in out
    assert f"Course '{GOOD_SLUG}' imported." in out
    assert Course.objects.filter(slug=GOOD_SLUG).exists()


def test_import_course_twice_prints_unchanged(capsys):
    call_command("import_course", str(GOOD))
    capsys.readouterr()

    call_command("import_course", str(GOOD))

    assert capsys.readouterr().out == (
        f"Course '{GOOD_SLUG}' unchanged (2 modules, 3 lessons, 1 images, 3 exercises).\n"
    )


def test_import_course_prints_each_problem_as_file_line_message_and_exits_1(capsys, run):
    status = run("import_course", str(BROKEN))

    err = capsys.readouterr().err.splitlines()
    assert status == 1
    assert (
        err[0] == f"{BROKEN}/basics/one/en.md:3: image 'images/missing.png' is not in this "
        "lesson's images/ folder"
    )
    assert err[-2] == f"{BROKEN}/course.yaml:6: unknown key 'sumary' (did you mean 'summary'?)"
    assert err[-1] == "CommandError: 13 problem(s); nothing was changed."
    assert content_counts() == {name: 0 for name in content_counts()}


def test_import_course_check_reports_no_problems_and_writes_nothing(capsys):
    call_command("import_course", str(GOOD), "--check")

    assert capsys.readouterr().out == f"{GOOD}: no problems.\n"
    assert not Course.objects.exists()


def test_import_course_check_of_a_broken_course_raises_with_status_1():
    with pytest.raises(CommandError) as refused:
        call_command("import_course", str(BROKEN), "--check")

    assert refused.value.returncode == 1


# --- export_course --------------------------------------------------------------------------------


def test_export_course_writes_the_package_and_says_how_many_files(tmp_path, capsys, run):
    call_command("import_course", str(GOOD))
    capsys.readouterr()

    status = run("export_course", GOOD_SLUG, str(tmp_path / "out"))

    assert status == 0
    assert capsys.readouterr().out == (
        f"Course '{GOOD_SLUG}' written to {tmp_path / 'out'} (17 files).\n"
    )
    assert (tmp_path / "out/first-steps/keys/images/curve.png").read_bytes() == (
        GOOD / "first-steps/keys/images/curve.png"
    ).read_bytes()


def test_export_course_refuses_a_folder_that_holds_something(tmp_path, capsys, run):
    call_command("import_course", str(GOOD))
    (tmp_path / "notes.txt").write_text("mine")

    status = run("export_course", GOOD_SLUG, str(tmp_path))

    assert status == 1
    assert "already exists and is not an empty folder" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_export_course_of_an_unknown_course_exits_1(tmp_path, capsys, run):
    status = run("export_course", "no-such-course", str(tmp_path / "out"))

    assert status == 1
    assert "There is no course 'no-such-course'." in capsys.readouterr().err


# --- the demo seed --------------------------------------------------------------------------------


@pytest.fixture
def demo_catalog(tmp_path, monkeypatch):
    """A catalog whose dax101 is the good fixture course under the demo's slug, so the seed is
    tested whatever state the shipped course is in."""
    root = copy_course(tmp_path)
    root = root.rename(tmp_path / course_demo.COURSE_SLUG)
    edit(root, "course.yaml", f"slug: {GOOD_SLUG}", f"slug: {course_demo.COURSE_SLUG}")
    monkeypatch.setattr(course_demo, "CATALOG", tmp_path)
    campus_demo.seed(SeedContext(write=lambda line: None))
    return root


def test_the_demo_seed_imports_the_course_package_and_offers_it_at_each_university(demo_catalog):
    ctx = SeedContext(write=lambda line: None)

    course_demo.seed(ctx)

    course = Course.objects.get(slug=course_demo.COURSE_SLUG)
    assert course.translations["ko"]["title"] == "패키지 기초"
    assert Exercise.objects.filter(course=course).count() == 3
    assert [o.course_id for o in course_demo.demo_offerings()] == [course.pk, course.pk]
    assert Enrollment.objects.filter(role="student").count() == 20
    assert ctx.created == 10 + 2 + 22  # course rows, offerings, enrolments


def test_the_demo_seed_twice_creates_nothing_the_second_time(demo_catalog):
    course_demo.seed(SeedContext(write=lambda line: None))
    ctx = SeedContext(write=lambda line: None)

    course_demo.seed(ctx)

    assert ctx.created == 0
    assert Offering.objects.count() == 2


def test_the_demo_seed_fails_loudly_on_a_broken_package_and_seeds_no_course(demo_catalog):
    edit(demo_catalog, "first-steps/gas/gas-quiz.yaml", "points: 5", "points: five")

    with pytest.raises(PackageInvalid) as refused:
        course_demo.seed(SeedContext(write=lambda line: None))

    assert "gas-quiz.yaml:6: points: must be a whole number" in str(refused.value)
    assert not Course.objects.exists()
    assert not Offering.objects.exists()
