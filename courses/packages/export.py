"""Writing a course back out as a package folder, in the layout the importer reads.

Text in several languages is written as a mapping when any language other than the default has
its own text, else as one string, so importing an export gives back the same rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.utils.translation import gettext as _

from campus.errors import ServiceError
from courses.models import Course, Exercise, Lesson
from courses.packages.exercises import FILE_NAME_RE
from courses.packages.markdown import IMAGES

YAML_WIDTH = 100


class FlowList(list):
    """A list written on one line: `[en, ko]`, `["@account1", "100"]`."""


SPEC_KEY_ORDER = (
    *("id", "name", "level", "contract", "starter", "harness", "constructor_args"),
    *("call", "send", "balance", "storage", "from", "args", "value_wei"),
    *("returns", "equals", "expect_event", "expect_revert"),
    *("placed_order", "trades", "max_position", "min_return_percent"),
    *("symbol", "side", "type", "text", "choices", "answer", "tolerance"),
    *("rested", "filled", "min", "asset", "max", "explanation", "questions", "checks", "hint"),
)
"""The order README.md writes a spec's keys in (the database keeps JSON keys in its own order)."""


class PackageDumper(yaml.SafeDumper):
    """Block style, lists indented under their key, multi-line text as literal blocks, and
    double quotes where a string needs quoting (as authors write them)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_flow_list(dumper: yaml.SafeDumper, value: FlowList) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


PackageDumper.add_representer(str, _represent_str)
PackageDumper.add_representer(FlowList, _represent_flow_list)


def export_course(*, slug: str, path: Path | str) -> Path:
    """Write the course `slug` to the folder `path` (created; it must not hold anything yet)."""
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        raise ServiceError("course_not_found", _("There is no course '%(slug)s'.") % {"slug": slug})
    root = Path(path)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ServiceError(
            "export_target_not_empty",
            _("%(path)s already exists and is not an empty folder.") % {"path": root},
        )
    for rel, data in course_files(course).items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def course_files(course: Course) -> dict[str, bytes]:
    """Every file of the course's package, by path inside its folder."""
    languages = list(course.languages or [settings.LANGUAGE_CODE])
    modules = list(course.modules.order_by("position"))
    document: dict[str, Any] = {
        "slug": course.slug,
        "title": localised_text(course, "title", languages),
    }
    if course.summary or _has_translation(course, "summary"):
        document["summary"] = localised_text(course, "summary", languages)
    document["languages"] = FlowList(languages)
    document["modules"] = FlowList(module.slug for module in modules)
    files = {"course.yaml": dump(document)}
    for module in modules:
        lessons = list(module.lessons.order_by("position"))
        files[f"{module.slug}/module.yaml"] = dump(
            {
                "title": localised_text(module, "title", languages),
                "lessons": FlowList(lesson.slug for lesson in lessons),
            }
        )
        for lesson in lessons:
            files.update(_lesson_files(lesson, f"{module.slug}/{lesson.slug}", languages))
    return files


def _lesson_files(lesson: Lesson, rel: str, languages: list[str]) -> dict[str, bytes]:
    exercises = list(lesson.exercises.order_by("position"))
    document: dict[str, Any] = {"title": localised_text(lesson, "title", languages)}
    if lesson.minutes is not None:
        document["minutes"] = lesson.minutes
    if exercises:
        document["exercises"] = FlowList(exercise.slug for exercise in exercises)
    files = {f"{rel}/lesson.yaml": dump(document)}
    for code in languages:
        files[f"{rel}/{code}.md"] = _in_language(lesson, "body", code).encode()
    for image in lesson.images.order_by("name"):
        files[f"{rel}/{IMAGES}/{_safe_name(image.name)}"] = bytes(image.data)
    for exercise in exercises:
        files.update(_exercise_files(exercise, rel, languages))
    return files


def _exercise_files(exercise: Exercise, rel: str, languages: list[str]) -> dict[str, bytes]:
    document: dict[str, Any] = {
        "kind": exercise.kind,
        "title": localised_text(exercise, "title", languages),
        "prompt": localised_text(exercise, "prompt", languages),
        "points": exercise.points,
    }
    if exercise.max_attempts is not None:
        document["max_attempts"] = exercise.max_attempts
    document["spec"] = ordered(exercise.spec, [*languages, *SPEC_KEY_ORDER])
    files = {f"{rel}/{exercise.slug}.yaml": dump(document)}
    for name, text in sorted(exercise.files.items()):
        if not FILE_NAME_RE.fullmatch(name):
            raise ServiceError(
                "bad_file_name",
                _("Exercise '%(slug)s' has a file named '%(name)s', which cannot be written.")
                % {"slug": exercise.slug, "name": name},
            )
        files[f"{rel}/{name}"] = text.encode()
    return files


def ordered(value: Any, keys: list[str]) -> Any:
    """`value` with each mapping's keys in the order of `keys` (others after, alphabetically), and
    lists of short values on one line, as authors write them."""
    if isinstance(value, dict):
        rank = {key: index for index, key in enumerate(keys)}
        order = sorted(value, key=lambda key: (rank.get(key, len(rank)), str(key)))
        return {key: ordered(value[key], keys) for key in order}
    if isinstance(value, list):
        items = [ordered(item, keys) for item in value]
        return FlowList(items) if all(_short_scalar(item) for item in items) else items
    return value


def _short_scalar(value: Any) -> bool:
    """Fit for a one-line list: a number, true/false, null, or one line of text."""
    return not isinstance(value, dict | list) and not (isinstance(value, str) and "\n" in value)


def _safe_name(name: str) -> str:
    if "/" in name or "\\" in name or name.startswith("."):
        raise ServiceError(
            "bad_file_name",
            _("An image is named '%(name)s', which cannot be written.") % {"name": name},
        )
    return name


def localised_text(row: Any, name: str, languages: list[str]) -> str | dict[str, str]:
    """One string when only the default language has text (it serves them all), else a mapping
    with every language."""
    if not any(name in row.translations.get(code, {}) for code in languages[1:]):
        return getattr(row, name)
    return {code: _in_language(row, name, code) for code in languages}


def _in_language(row: Any, name: str, code: str) -> str:
    return row.translations.get(code, {}).get(name, getattr(row, name))


def _has_translation(row: Any, name: str) -> bool:
    return any(name in texts for texts in row.translations.values())


def dump(document: dict[str, Any]) -> bytes:
    text = yaml.dump(
        document,
        Dumper=PackageDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=YAML_WIDTH,
    )
    return text.encode()
