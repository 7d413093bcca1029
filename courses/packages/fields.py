"""Checks shared by every file of a package: keys, slugs, whole numbers and localised text.

Each check takes the document and the path of the value it checks, so its problem lands on the
line of that key; a typo in a key is reported, never silently ignored.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from courses.grading.texts import text_problems
from courses.packages.problems import Problem
from courses.packages.reader import Path_, YamlDoc

SLUG_RE = re.compile(r"[a-z0-9-]{1,64}")
TITLE_MAX = 200


@dataclass
class Walk:
    """What reading a package carries from file to file: where it is, the course's languages
    (None when course.yaml gives none usable), every problem so far, and where each lesson and
    exercise slug was first listed, since those are unique across the course."""

    root: Path
    languages: list[str] | None = None
    problems: list[Problem] = field(default_factory=list)
    lesson_slugs: dict[str, str] = field(default_factory=dict)
    exercise_slugs: dict[str, str] = field(default_factory=dict)

    def report(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)


def mapping_problems(
    doc: YamlDoc, value: Any, *, required: Sequence[str], optional: Sequence[str] = ()
) -> list[Problem]:
    """A file's top level: a mapping with every required key and no key it does not know."""
    if not isinstance(value, Mapping):
        return [doc.problem((), _("must be a mapping of keys to values"))]
    known = [*required, *optional]
    problems = []
    for key in required:
        if key not in value:
            problems.append(doc.problem((), _("'%(key)s' is required") % {"key": key}))
        elif value[key] is None:
            problems.append(doc.at((key,), _("'%(key)s' needs a value") % {"key": key}))
    for key in value:
        if key not in known:
            problems.append(doc.at((key,), unknown_key_message(key, known)))
    return problems


def unknown_key_message(key: Any, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(key), known, n=1)
    if close:
        return _("unknown key '%(key)s' (did you mean '%(close)s'?)") % {
            "key": key,
            "close": close[0],
        }
    return _("unknown key '%(key)s' (expected: %(known)s)") % {
        "key": key,
        "known": ", ".join(known),
    }


def slug_problems(doc: YamlDoc, path: Path_, value: Any) -> list[Problem]:
    if isinstance(value, str) and SLUG_RE.fullmatch(value):
        return []
    return [
        doc.problem(
            path,
            _("'%(value)s' is not a slug: use lowercase letters, digits and hyphens, at most 64")
            % {"value": value},
        )
    ]


def whole_number_problems(
    doc: YamlDoc, path: Path_, value: Any, *, minimum: int = 1
) -> list[Problem]:
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        return [
            doc.problem(
                path,
                _("must be a whole number of at least %(minimum)d, not %(value)r")
                % {"minimum": minimum, "value": value},
            )
        ]
    return []


def text_field_problems(
    walk: Walk,
    doc: YamlDoc,
    path: Path_,
    value: Any,
    *,
    required: bool = True,
    max_length: int | None = None,
) -> list[Problem]:
    """A localised text: a string, or a mapping with every course language (courses.grading's
    own rule, so specs and files agree). A missing value is `mapping_problems`' to report."""
    if value is None:
        return []
    if walk.languages is None:  # course.yaml's languages are broken: check the shape only
        shaped = isinstance(value, str) or (
            isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values())
        )
        if shaped:
            return []
        return [doc.problem(path, _("must be text, or a mapping from language to text"))]
    problems = [
        doc.problem(problem.path, problem.message)
        for problem in text_problems(value, path, walk.languages, required=required)
    ]
    if not problems and max_length is not None:
        texts = [value] if isinstance(value, str) else list((value or {}).values())
        if any(len(text) > max_length for text in texts):
            problems.append(
                doc.problem(path, _("is longer than %(max)d characters") % {"max": max_length})
            )
    return problems


def listed_slugs(
    doc: YamlDoc, data: Mapping, key: str
) -> tuple[list[tuple[str, int]], list[Problem]]:
    """The slugs a file lists under `key` in order, each with its index; what is not a slug or is
    listed twice is a problem and left out."""
    value = data.get(key)
    if value is None:
        return [], []
    if not isinstance(value, list):
        return [], [doc.problem((key,), _("must be a list of slugs"))]
    listed: list[tuple[str, int]] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, slug in enumerate(value):
        found = slug_problems(doc, (key, index), slug)
        if not found and slug in seen:
            found = [doc.problem((key, index), _("'%(slug)s' is listed twice") % {"slug": slug})]
        problems += found
        if not found:
            seen.add(slug)
            listed.append((slug, index))
    return listed, problems


def split_text(value: Any, languages: Sequence[str]) -> tuple[str, dict[str, str]]:
    """A checked localised text as stored: the default language's text, and the others'. A plain
    string serves every language, so it has no translations."""
    if isinstance(value, str):
        return value, {}
    if not isinstance(value, Mapping):
        return "", {}
    default, *others = languages
    return value.get(default, ""), {code: value.get(code, "") for code in others}


def translate(translations: dict[str, dict[str, str]], name: str, texts: Mapping[str, str]) -> None:
    for code, text in texts.items():
        translations.setdefault(code, {})[name] = text
