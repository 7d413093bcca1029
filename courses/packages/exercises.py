"""One exercise file: its fields, the Solidity files its spec names, and its grader's verdict on
the spec, each problem at the line of the key it concerns."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from courses.grading.registry import Grader, grader_for, kinds
from courses.packages.fields import (
    TITLE_MAX,
    Walk,
    mapping_problems,
    split_text,
    text_field_problems,
    translate,
    whole_number_problems,
)
from courses.packages.plan import ExercisePlan
from courses.packages.problems import Problem
from courses.packages.reader import Path_, YamlDoc, load_yaml, read_text

REQUIRED = ("kind", "title", "prompt", "points", "spec")
OPTIONAL = ("max_attempts",)
FILE_KEYS = ("starter", "harness", "level")
"""Spec keys that name a .sol file beside the exercise's YAML."""
FILE_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.sol")
MAX_SOURCE_BYTES = 200 * 1024
MAX_DEPTH = 40


def read_exercise(walk: Walk, lesson_rel: str, slug: str) -> ExercisePlan | None:
    doc, problems = load_yaml(walk.root, f"{lesson_rel}/{slug}.yaml")
    walk.report(problems)
    if doc is None:
        return None
    data = doc.data
    walk.report(mapping_problems(doc, data, required=REQUIRED, optional=OPTIONAL))
    if not isinstance(data, Mapping):
        return None
    walk.report(text_field_problems(walk, doc, ("title",), data.get("title"), max_length=TITLE_MAX))
    walk.report(text_field_problems(walk, doc, ("prompt",), data.get("prompt")))
    walk.report(whole_number_problems(doc, ("points",), data.get("points")))
    walk.report(whole_number_problems(doc, ("max_attempts",), data.get("max_attempts")))
    spec = data.get("spec")
    files = _spec_problems(walk, doc, data.get("kind"), spec, lesson_rel)
    return _plan(walk, slug, data, files)


def _plan(walk: Walk, slug: str, data: Mapping, files: dict[str, str]) -> ExercisePlan:
    languages = walk.languages or ["en"]
    translations: dict[str, dict[str, str]] = {}
    fields: dict[str, Any] = {
        "kind": data.get("kind"),
        "points": data.get("points"),
        "max_attempts": data.get("max_attempts"),
        "spec": data.get("spec"),
        "files": files,
    }
    for name in ("title", "prompt"):
        fields[name], texts = split_text(data.get(name), languages)
        translate(translations, name, texts)
    return ExercisePlan(slug, fields, translations)


def _spec_problems(
    walk: Walk, doc: YamlDoc, kind: Any, spec: Any, lesson_rel: str
) -> dict[str, str]:
    """Check the spec (JSON-safe, its files, its grader's rules); return the files it names."""
    grader = _grader(walk, doc, kind)
    if spec is None:
        return {}
    if not isinstance(spec, Mapping):
        walk.report([doc.problem(("spec",), _("must be a mapping"))])
        return {}
    walk.report(json_problems(doc, ("spec",), spec))
    files, reported = _files(walk, doc, spec, lesson_rel)
    if grader is None or walk.languages is None:  # no rule to judge by, or no languages to judge
        return files
    try:
        found = grader.validate_spec(spec, languages=walk.languages, files=files)
    except Exception as error:  # noqa: BLE001 -- shown at the spec's line rather than a traceback
        message = _("the '%(kind)s' grader could not read this spec: %(error)s")
        walk.report([doc.problem(("spec",), message % {"kind": kind, "error": error})])
        return files
    walk.report(
        [
            doc.problem(("spec", *problem.path), problem.message)
            for problem in found
            if tuple(problem.path[:1]) not in reported
        ]
    )
    return files


def _grader(walk: Walk, doc: YamlDoc, kind: Any) -> Grader | None:
    if kind is None:
        return None
    grader = grader_for(kind) if isinstance(kind, str) else None
    if grader is None:
        message = _("no grader for kind '%(kind)s' (known kinds: %(kinds)s)") % {
            "kind": kind,
            "kinds": ", ".join(kinds()) or "-",
        }
        walk.report([doc.at(("kind",), message)])
    return grader


def _files(
    walk: Walk, doc: YamlDoc, spec: Mapping, lesson_rel: str
) -> tuple[dict[str, str], set[tuple[str]]]:
    """The .sol files the spec names, read from beside the YAML; and the spec keys already
    reported, so the grader's own "file missing" is not said twice."""
    files: dict[str, str] = {}
    reported: set[tuple[str]] = set()
    for key in FILE_KEYS:
        name = spec.get(key)
        if name is None:
            continue
        problem = _file_problem(walk, doc, key, name, lesson_rel)
        if problem is None:
            text, problems = read_text(walk.root, f"{lesson_rel}/{name}", limit=MAX_SOURCE_BYTES)
            walk.report(problems)
            if text is not None:
                files[name] = text
            continue
        walk.report([problem])
        reported.add((key,))
    return files, reported


def _file_problem(walk: Walk, doc: YamlDoc, key: str, name: Any, lesson_rel: str) -> Problem | None:
    path = ("spec", key)
    if not isinstance(name, str) or not FILE_NAME_RE.fullmatch(name):
        return doc.problem(path, _("must name a .sol file beside this YAML, such as vault.sol"))
    if not (walk.root / lesson_rel / name).is_file():
        return doc.problem(path, _("'%(name)s' is not in this lesson's folder") % {"name": name})
    return None


def json_problems(doc: YamlDoc, path: Path_, value: Any) -> list[Problem]:
    """A spec is stored as JSON: text keys, and values that are text, numbers, true/false, null,
    lists or mappings (no NaN, no binary, no sets, no alias that contains itself)."""
    if len(path) > MAX_DEPTH:
        return [doc.problem(path, _("is nested too deeply"))]
    if isinstance(value, Mapping):
        problems = []
        for key, item in value.items():
            if not isinstance(key, str):
                message = _("key %(key)r must be text (quote it)") % {"key": key}
                problems.append(doc.problem((*path, key), message))
            problems += json_problems(doc, (*path, key), item)
        return problems
    if isinstance(value, list):
        return [
            p for index, item in enumerate(value) for p in json_problems(doc, (*path, index), item)
        ]
    if isinstance(value, float) and not math.isfinite(value):
        return [doc.problem(path, _("must be a finite number"))]
    if value is None or isinstance(value, str | int | float | bool):
        return []
    return [doc.problem(path, _("must be text, a number, true/false, a list or a mapping"))]
