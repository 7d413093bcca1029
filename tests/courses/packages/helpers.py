"""What the course package tests share: the fixture courses beside this file, a stand-in grader
for a kind that names .sol files, and ways to copy, edit and photograph a course."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from courses.grading.registry import BaseGrader, Outcome, SpecProblem
from courses.grading.texts import text_problems
from courses.models import Course, Exercise, Lesson, LessonImage, Module

HERE = Path(__file__).parent
GOOD = HERE / "good"
BROKEN = HERE / "broken"
GOOD_SLUG = "pkg-basics"
CONTENT_MODELS = (Course, Module, Lesson, LessonImage, Exercise)


class ContractGrader(BaseGrader):
    """A grader for kind "contract" whose spec names a starter .sol file and lists checks, each
    with a `call` like "totalSupply()": enough to see its problems land on their lines."""

    def __init__(self) -> None:
        super().__init__(kind="contract", label="Contract")

    def validate_spec(
        self, spec: Mapping[str, Any], *, languages: Sequence[str], files: Mapping[str, str]
    ) -> list[SpecProblem]:
        problems = []
        if spec.get("starter") not in files:
            problems.append(SpecProblem(("starter",), "the starter file is missing"))
        checks = spec.get("checks")
        if not isinstance(checks, list) or not checks:
            return [*problems, SpecProblem(("checks",), "needs at least one check")]
        for index, check in enumerate(checks):
            problems += text_problems(check.get("name"), ("checks", index, "name"), languages)
            call = check.get("call")
            if not isinstance(call, str) or "(" not in call:
                problems.append(
                    SpecProblem(("checks", index, "call"), "a call looks like name(types)")
                )
        return problems

    def clean_submission(self, *, exercise, data) -> dict:
        return {}

    def grade(self, ctx) -> Outcome:
        return Outcome(checks=[])


def copy_course(tmp_path: Path, source: Path = GOOD) -> Path:
    """A copy of a fixture course to edit, named as its folder is."""
    return Path(shutil.copytree(source, tmp_path / source.name))


def write(root: Path, rel: str, text: str) -> None:
    """Replace a file of the course; `text` starts at line 1."""
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text, encoding="utf-8")


def edit(root: Path, rel: str, old: str, new: str) -> None:
    text = (root / rel).read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {rel}"
    (root / rel).write_text(text.replace(old, new, 1), encoding="utf-8")


def content_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in CONTENT_MODELS}


def snapshot(slug: str, *, with_ids: bool = False) -> dict[str, list]:
    """Every content row of a course as plain values, related rows named by slug (with primary
    keys too when `with_ids`), to compare two imports."""
    ids = ["id"] if with_ids else []
    images = LessonImage.objects.filter(lesson__course__slug=slug).order_by("lesson__slug", "name")
    return {
        "course": list(
            Course.objects.filter(slug=slug).values(
                *ids, "slug", "title", "summary", "languages", "translations"
            )
        ),
        "modules": list(
            Module.objects.filter(course__slug=slug)
            .order_by("position")
            .values(*ids, "slug", "position", "title", "translations")
        ),
        "lessons": list(
            Lesson.objects.filter(course__slug=slug)
            .order_by("module__position", "position")
            .values(
                *ids, "module__slug", "slug", "position", "title", "body", "minutes", "translations"
            )
        ),
        "images": [
            {**row, "data": bytes(row["data"])}
            for row in images.values(*ids, "lesson__slug", "name", "content_type", "sha256", "data")
        ],
        "exercises": list(
            Exercise.objects.filter(course__slug=slug)
            .order_by("lesson__module__position", "lesson__position", "position")
            .values(
                *ids,
                "lesson__slug",
                "slug",
                "position",
                "kind",
                "title",
                "prompt",
                "points",
                "max_attempts",
                "spec",
                "files",
                "translations",
            )
        ),
    }
