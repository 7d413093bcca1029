"""The course package services: check a folder, import it."""

from __future__ import annotations

from pathlib import Path

from courses.models import Course
from courses.packages.problems import PackageInvalid, Problem, sorted_problems
from courses.packages.report import ImportReport
from courses.packages.validate import read_package
from courses.packages.write import apply_plan, removal_problems


def validate_course(path: Path | str) -> list[Problem]:
    """Every problem importing the folder at `path` would meet, sorted by file and line; nothing
    is written. Whether an exercise with attempts would be removed is only judged once the files
    themselves are clean (until then the folder's intent is not certain)."""
    plan, problems = read_package(Path(path))
    if problems or plan is None:
        return problems
    course = Course.objects.filter(slug=plan.slug).first()
    return sorted_problems(removal_problems(course, plan))


def import_course(*, path: Path | str) -> ImportReport:
    """Create or update the course from its folder, all in one transaction; raise PackageInvalid
    listing every problem, with nothing changed, if there is any."""
    root = Path(path)
    plan, problems = read_package(root)
    if problems or plan is None:
        raise PackageInvalid(problems, path)
    return apply_plan(plan, path)
