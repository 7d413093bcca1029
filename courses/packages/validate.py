"""Reading a course folder into a plan, checking everything on the way.

The walk goes course.yaml → each listed module → each listed lesson → each listed exercise, and
keeps going past problems so that one run reports every problem it can see. Folders that are
listed but missing, and folders or exercise files present but not listed, are problems too: an
author's typo must not silently drop a lesson.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from courses.packages.exercises import read_exercise
from courses.packages.fields import (
    TITLE_MAX,
    Walk,
    listed_slugs,
    mapping_problems,
    slug_problems,
    split_text,
    text_field_problems,
    translate,
    whole_number_problems,
)
from courses.packages.markdown import (
    IMAGES,
    image_problems,
    read_body,
    read_images,
    unshown_image_problems,
)
from courses.packages.plan import CoursePlan, ExercisePlan, LessonPlan, ModulePlan
from courses.packages.problems import Problem, sorted_problems
from courses.packages.reader import YamlDoc, load_yaml

COURSE_KEYS = ("slug", "title", "languages", "modules")


def read_package(root: Path) -> tuple[CoursePlan | None, list[Problem]]:
    """The course folder at `root` as a plan, and every problem found (sorted); the plan is only
    fit to apply when there are none."""
    walk = Walk(root=Path(root))
    plan = _course(walk)
    return plan, sorted_problems(walk.problems)


def _course(walk: Walk) -> CoursePlan | None:
    if not (walk.root / "course.yaml").is_file():
        walk.report([Problem("course.yaml", 1, _("the course folder has no course.yaml"))])
        return None
    doc = _load(walk, "course.yaml")
    if doc is None or not isinstance(doc.data, Mapping):
        return None
    data = doc.data
    walk.report(mapping_problems(doc, data, required=COURSE_KEYS, optional=("summary",)))
    walk.languages = _languages(walk, doc, data.get("languages"))
    if data.get("slug") is not None:
        walk.report(slug_problems(doc, ("slug",), data["slug"]))
    walk.report(text_field_problems(walk, doc, ("title",), data.get("title"), max_length=TITLE_MAX))
    walk.report(text_field_problems(walk, doc, ("summary",), data.get("summary"), required=False))
    listed = _listing(walk, doc, "", "modules")
    plan = CoursePlan(
        slug=data.get("slug"),
        fields={"languages": walk.languages},
        translations={},
        listed_at=(doc.file, doc.line(("modules",))),
    )
    _texts(walk, plan.fields, plan.translations, data, ("title", "summary"))
    for position, (slug, index) in enumerate(listed, start=1):
        module = _module(walk, doc, slug, index)
        if module is not None:
            module.fields["position"] = position
            plan.modules.append(module)
    return plan


def _languages(walk: Walk, doc: YamlDoc, value: Any) -> list[str] | None:
    """The course's languages, or None when they are unusable (text is then checked for its
    shape only, and bodies are not looked for)."""
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        walk.report([doc.problem(("languages",), _("must list at least one language code"))])
        return None
    codes: list[str] = []
    for index, code in enumerate(value):
        message = _language_problem(code, codes)
        if message:
            walk.report([doc.problem(("languages", index), message)])
        else:
            codes.append(code)
    return codes if len(codes) == len(value) else None


def _language_problem(code: Any, earlier: list[str]) -> str | None:
    known = [known_code for known_code, _name in settings.LANGUAGES]
    if not isinstance(code, str) or code not in known:
        message = _("'%(code)s' is not a language this site offers (%(known)s)")
        return message % {"code": code, "known": ", ".join(known)}
    if code in earlier:
        return _("'%(code)s' is listed twice") % {"code": code}
    return None


def _module(walk: Walk, course_doc: YamlDoc, slug: str, index: int) -> ModulePlan | None:
    doc = _listed_file(walk, course_doc, ("modules", index), slug, "module.yaml")
    if doc is None or not isinstance(doc.data, Mapping):
        return None
    walk.report(mapping_problems(doc, doc.data, required=("title", "lessons")))
    walk.report(
        text_field_problems(walk, doc, ("title",), doc.data.get("title"), max_length=TITLE_MAX)
    )
    listed = _listing(walk, doc, slug, "lessons")
    plan = ModulePlan(slug, {}, {}, listed_at=(doc.file, doc.line(("lessons",))))
    _texts(walk, plan.fields, plan.translations, doc.data, ("title",))
    for position, (lesson_slug, index) in enumerate(listed, start=1):
        first = walk.lesson_slugs.setdefault(lesson_slug, slug)
        if first != slug:
            message = _(
                "lesson '%(slug)s' is also in module '%(first)s': lesson slugs are unique in the course"
            ) % {"slug": lesson_slug, "first": first}
            walk.report([doc.at(("lessons", index), message)])
            continue
        lesson = _lesson(walk, doc, f"{slug}/{lesson_slug}", index)
        if lesson is not None:
            lesson.fields["position"] = position
            plan.lessons.append(lesson)
    return plan


def _lesson(walk: Walk, module_doc: YamlDoc, rel: str, index: int) -> LessonPlan | None:
    doc = _listed_file(walk, module_doc, ("lessons", index), rel, "lesson.yaml")
    if doc is None or not isinstance(doc.data, Mapping):
        return None
    data = doc.data
    walk.report(mapping_problems(doc, data, required=("title",), optional=("minutes", "exercises")))
    walk.report(text_field_problems(walk, doc, ("title",), data.get("title"), max_length=TITLE_MAX))
    walk.report(whole_number_problems(doc, ("minutes",), data.get("minutes")))
    listed, problems = listed_slugs(doc, data, "exercises")
    walk.report(problems)
    walk.report(_lesson_folder_problems(walk, doc, rel, _raw_listing(data, "exercises")))
    slug = rel.rsplit("/", 1)[1]
    plan = LessonPlan(
        slug, {"minutes": data.get("minutes")}, {}, (doc.file, doc.line(("exercises",)))
    )
    _texts(walk, plan.fields, plan.translations, data, ("title",))
    _bodies(walk, doc, rel, plan)
    for position, (exercise_slug, index) in enumerate(listed, start=1):
        exercise = _exercise(walk, doc, rel, exercise_slug, index)
        if exercise is not None:
            exercise.fields["position"] = position
            plan.exercises.append(exercise)
    return plan


def _exercise(walk: Walk, doc: YamlDoc, rel: str, slug: str, index: int) -> ExercisePlan | None:
    lesson_slug = rel.rsplit("/", 1)[1]
    first = walk.exercise_slugs.setdefault(slug, lesson_slug)
    if first != lesson_slug:
        message = _(
            "exercise '%(slug)s' is also in lesson '%(first)s': exercise slugs are unique in the course"
        ) % {"slug": slug, "first": first}
        walk.report([doc.at(("exercises", index), message)])
        return None
    if not (walk.root / rel / f"{slug}.yaml").is_file():
        message = _("'%(slug)s.yaml' is not in this lesson's folder") % {"slug": slug}
        walk.report([doc.at(("exercises", index), message)])
        return None
    return read_exercise(walk, rel, slug)


def _bodies(walk: Walk, doc: YamlDoc, rel: str, plan: LessonPlan) -> None:
    """Each language's body, and the images they show (every file in images/ is kept)."""
    images = read_images(walk, rel)
    shown: set[str] = set()
    plan.fields["body"] = ""
    for position, code in enumerate(walk.languages or []):
        body_rel = f"{rel}/{code}.md"
        if not (walk.root / body_rel).is_file():
            message = _("the lesson has no body in '%(code)s' (%(code)s.md is missing)")
            walk.report([doc.problem((), message % {"code": code})])
            continue
        body = read_body(walk, body_rel)
        if body is None:
            continue
        problems, seen = image_problems(body_rel, body, images)
        walk.report(problems)
        shown |= seen
        if position == 0:
            plan.fields["body"] = body
        else:
            translate(plan.translations, "body", {code: body})
    walk.report(unshown_image_problems(rel, images, shown))
    plan.images = [image for image, _messages in images.values() if image is not None]


def _lesson_folder_problems(walk: Walk, doc: YamlDoc, rel: str, listed: set[str]) -> list[Problem]:
    """What is in a lesson's folder that nothing lists: another folder, an exercise file not in
    `exercises`, a body in a language the course does not have."""
    problems = []
    for path in sorted((walk.root / rel).iterdir()):
        name, stem, suffix = path.name, path.stem, path.suffix
        if name.startswith((".", "_")) or name == "lesson.yaml":
            continue
        if path.is_dir() and name != IMAGES:
            message = _("folder '%(name)s' does not belong in a lesson (only images/ does)")
            problems.append(doc.problem((), message % {"name": name}))
        elif suffix == ".yml":
            message = _("'%(name)s': exercise files end in .yaml") % {"name": name}
            problems.append(doc.at(("exercises",), message))
        elif suffix == ".yaml" and stem not in listed:
            message = _("exercise file '%(name)s' is not listed in exercises") % {"name": name}
            problems.append(doc.at(("exercises",), message))
        elif suffix == ".md" and walk.languages is not None and stem not in walk.languages:
            message = _("is not a lesson body in one of the course's languages (%(languages)s)")
            problems.append(
                Problem(f"{rel}/{name}", 1, message % {"languages": ", ".join(walk.languages)})
            )
    return problems


def _listing(walk: Walk, doc: YamlDoc, rel: str, key: str) -> list[tuple[str, int]]:
    """The child folders `doc` lists under `key`; folders present but not listed are problems."""
    listed, problems = listed_slugs(doc, doc.data, key)
    walk.report(problems)
    names = _raw_listing(doc.data, key)
    folder = walk.root / rel if rel else walk.root
    for path in sorted(folder.iterdir()):
        if path.is_dir() and not path.name.startswith((".", "_")) and path.name not in names:
            message = _("folder '%(name)s' is not listed in %(key)s") % {
                "name": path.name,
                "key": key,
            }
            walk.report([doc.at((key,), message)])
    return listed


def _raw_listing(data: Mapping, key: str) -> set[str]:
    value = data.get(key)
    return {item for item in value if isinstance(item, str)} if isinstance(value, list) else set()


def _listed_file(walk: Walk, parent: YamlDoc, path: tuple, rel: str, name: str) -> YamlDoc | None:
    """The YAML of a folder `parent` lists at `path`: a missing folder or file is reported there."""
    if not (walk.root / rel).is_dir():
        message = _("folder '%(rel)s' is listed but missing") % {"rel": rel}
        walk.report([parent.at(path, message)])
        return None
    if not (walk.root / rel / name).is_file():
        message = _("folder '%(rel)s' has no %(name)s") % {"rel": rel, "name": name}
        walk.report([parent.at(path, message)])
        return None
    return _load(walk, f"{rel}/{name}")


def _load(walk: Walk, rel: str) -> YamlDoc | None:
    doc, problems = load_yaml(walk.root, rel)
    walk.report(problems)
    if doc is not None and not isinstance(doc.data, Mapping):
        walk.report(mapping_problems(doc, doc.data, required=()))
    return doc


def _texts(walk: Walk, fields: dict, translations: dict, data: Mapping, names: tuple) -> None:
    for name in names:
        fields[name], texts = split_text(data.get(name), walk.languages or ["en"])
        translate(translations, name, texts)
