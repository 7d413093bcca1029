"""Lesson bodies and the images they show.

A body may show only images from its lesson's images/ folder; each reference is checked where it
is written (its line in the .md file), and every file in images/ is stored, so an export gives
back the folder as it was.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath
from urllib.parse import unquote

from django.utils.translation import gettext as _

from courses.packages.fields import Walk
from courses.packages.plan import ImagePlan
from courses.packages.problems import Problem
from courses.packages.reader import human_size, read_bytes, read_text

MAX_BODY_BYTES = 200 * 1024
MAX_IMAGE_BYTES = 1024 * 1024
IMAGES = "images"
CONTENT_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}
IMAGE_NAME_MAX = 100

FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")
CODE_SPAN_RE = re.compile(r"`+[^`]*`+")
INLINE_IMAGE_RE = re.compile(r"!\[(?:[^\]\\]|\\.)*\]\(\s*<?([^\s)>]*)>?[^)]*\)")
REF_IMAGE_RE = re.compile(r"!\[((?:[^\]\\]|\\.)*)\]\[([^\]]*)\]")
REF_DEFINITION_RE = re.compile(r"^ {0,3}\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s|$)")


def read_body(walk: Walk, rel: str) -> str | None:
    text, problems = read_text(walk.root, rel, limit=MAX_BODY_BYTES)
    walk.report(problems)
    return text


def image_references(body: str) -> list[tuple[str, int]]:
    """Each image a Markdown body shows, with its line; code is not looked into."""
    found: list[tuple[str, int]] = []
    definitions: dict[str, str] = {}
    pending: list[tuple[str, int]] = []
    in_fence = False
    for number, line in enumerate(body.split("\n"), start=1):
        if FENCE_RE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        line = CODE_SPAN_RE.sub("", line)
        definition = REF_DEFINITION_RE.match(line)
        if definition:
            definitions[definition.group(1).strip().lower()] = definition.group(2)
        found += [(match.group(1), number) for match in INLINE_IMAGE_RE.finditer(line)]
        for match in REF_IMAGE_RE.finditer(line):
            label = (match.group(2) or match.group(1)).strip().lower()
            pending.append((label, number))
    found += [(definitions[label], number) for label, number in pending if label in definitions]
    return sorted(found, key=lambda ref: ref[1])


def read_images(walk: Walk, lesson_rel: str) -> dict[str, tuple[ImagePlan | None, list[str]]]:
    """Every file in the lesson's images/ folder: its plan, or what is wrong with it."""
    folder = walk.root / lesson_rel / IMAGES
    if not folder.is_dir():
        return {}
    images: dict[str, tuple[ImagePlan | None, list[str]]] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        images[path.name] = _read_image(walk, f"{lesson_rel}/{IMAGES}/{path.name}", path.name)
    return images


def _read_image(walk: Walk, rel: str, name: str) -> tuple[ImagePlan | None, list[str]]:
    suffix = PurePosixPath(name).suffix.lower()
    if not (walk.root / rel).is_file():
        return None, [_("images/%(name)s is not a file") % {"name": name}]
    if suffix not in CONTENT_TYPES:
        allowed = ", ".join(sorted({s.lstrip(".") for s in CONTENT_TYPES}))
        return None, [
            _("images/%(name)s is not an image type a page may show (%(allowed)s)")
            % {"name": name, "allowed": allowed}
        ]
    if len(name) > IMAGE_NAME_MAX:
        return None, [_("images/%(name)s: the name is too long") % {"name": name}]
    size = (walk.root / rel).stat().st_size
    if size > MAX_IMAGE_BYTES:
        return None, [
            _("images/%(name)s is %(size)s; an image may be at most %(limit)s")
            % {"name": name, "size": human_size(size), "limit": human_size(MAX_IMAGE_BYTES)}
        ]
    data, problems = read_bytes(walk.root, rel)
    if data is None:
        return None, [problem.message for problem in problems]
    return ImagePlan(name, CONTENT_TYPES[suffix], data, hashlib.sha256(data).hexdigest()), []


def image_problems(
    body_rel: str, body: str, images: dict[str, tuple[ImagePlan | None, list[str]]]
) -> tuple[list[Problem], set[str]]:
    """What is wrong with the images one body shows, at their lines; and which it shows."""
    problems: list[Problem] = []
    shown: set[str] = set()
    for url, line in image_references(body):
        name = _image_name(url)
        if name is None:
            message = _(
                "image '%(url)s' must come from this lesson's images/ folder (images/<name>)"
            ) % {"url": url}
            problems.append(Problem(body_rel, line, message))
        elif name not in images:
            message = _("image '%(url)s' is not in this lesson's images/ folder") % {"url": url}
            problems.append(Problem(body_rel, line, message))
        else:
            shown.add(name)
            problems += [Problem(body_rel, line, message) for message in images[name][1]]
    return problems, shown


def _image_name(url: str) -> str | None:
    path = unquote(url.split("#", 1)[0].split("?", 1)[0])
    if path.startswith("./"):
        path = path[2:]
    prefix = f"{IMAGES}/"
    if not path.startswith(prefix) or "/" in path[len(prefix) :] or path == prefix:
        return None
    return path[len(prefix) :]


def unshown_image_problems(
    lesson_rel: str, images: dict[str, tuple[ImagePlan | None, list[str]]], shown: set[str]
) -> list[Problem]:
    """A bad file in images/ that no body shows is reported at the file itself."""
    return [
        Problem(f"{lesson_rel}/{IMAGES}/{name}", 1, message)
        for name, (_plan, messages) in images.items()
        if name not in shown
        for message in messages
    ]
