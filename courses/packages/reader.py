"""Reading a package's files: YAML that remembers where each value starts, and UTF-8 text.

PyYAML builds values without positions, but the importer must say "quiz.yaml:14" for a problem at
spec path ("questions", 2, "answer"). So each document is first composed into nodes, the nodes
are walked to record the line of every mapping key and sequence item by its path, and only then
constructed into plain values (dates stay text so a spec is JSON-safe as written).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from courses.packages.problems import Problem

Path_ = tuple[Any, ...]
MERGE_TAG = "tag:yaml.org,2002:merge"
MAX_YAML_BYTES = 1024 * 1024


class LineLoader(yaml.SafeLoader):
    """A SafeLoader whose timestamps stay strings: a spec is stored as JSON, and
    `opens: 2026-09-01` should reach the grader as the text the author wrote."""


LineLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


@dataclass
class YamlDoc:
    """One YAML file's value and the 1-based line where each path into it starts."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Path_) -> int:
        """The line of `path`, or of its nearest ancestor that exists (a missing key is reported
        where its mapping starts)."""
        for length in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:length]))
            if line is not None:
                return line
        return 1

    def problem(self, path: Path_, message: str) -> Problem:
        """A problem with the value at `path`, named by its path (`spec.checks[2].call: ...`)."""
        if not path:
            return self.at(path, message)
        return Problem(self.file, self.line(path), f"{dotted(path)}: {message}")

    def at(self, path: Path_, message: str) -> Problem:
        """A problem at the line of `path`, whose message says what it is about by itself."""
        return Problem(self.file, self.line(path), message)


def dotted(path: Path_) -> str:
    """("spec", "checks", 2, "call") as spec.checks[2].call."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) and not isinstance(part, bool) else f".{part}"
    return text.lstrip(".")


def read_text(
    root: Path, rel: str, *, limit: int | None = None
) -> tuple[str | None, list[Problem]]:
    """A UTF-8 text file inside the course folder, with Windows line ends made plain."""
    data, problems = read_bytes(root, rel, limit=limit)
    if data is None:
        return None, problems
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return None, [Problem(rel, line, _("is not UTF-8 text"))]
    return text.replace("\r\n", "\n"), []


def read_bytes(
    root: Path, rel: str, *, limit: int | None = None
) -> tuple[bytes | None, list[Problem]]:
    """A file inside the course folder; a link that leads outside it is refused."""
    path = root / rel
    if not path.resolve().is_relative_to(root.resolve()):
        return None, [Problem(rel, 1, _("leads outside the course folder"))]
    size = path.stat().st_size
    if limit is not None and size > limit:
        message = _("is %(size)s; at most %(limit)s is allowed") % {
            "size": human_size(size),
            "limit": human_size(limit),
        }
        return None, [Problem(rel, 1, message)]
    return path.read_bytes(), []


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def load_yaml(root: Path, rel: str) -> tuple[YamlDoc | None, list[Problem]]:
    """Parse `root/rel`; on a syntax error, one problem at the line the parser stopped."""
    text, problems = read_text(root, rel, limit=MAX_YAML_BYTES)
    if text is None:
        return None, problems
    loader = LineLoader(text)
    try:
        node = loader.get_single_node()
        doc = YamlDoc(rel, None, {(): 1})
        if node is not None:
            _record(node, (), doc.lines, problems, rel, loader, set())
            doc.data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        return None, [_syntax_problem(rel, error)]
    except yaml.YAMLError as error:
        return None, [Problem(rel, 1, _("is not valid YAML: %(error)s") % {"error": error})]
    finally:
        loader.dispose()
    return doc, problems


def _syntax_problem(rel: str, error: yaml.MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark else 1
    what = error.problem or error.context or ""
    if error.context and error.problem:
        context_line = error.context_mark.line + 1 if error.context_mark else line
        where = f" (line {context_line})" if context_line != line else ""
        what = f"{error.context}{where}: {error.problem}"
    return Problem(rel, line, _("YAML syntax error: %(what)s") % {"what": what})


def _record(
    node: Node,
    path: Path_,
    lines: dict[Path_, int],
    problems: list[Problem],
    rel: str,
    loader: LineLoader,
    active: set[int],
) -> None:
    """Note the line of `node` at `path` (a key's own line wins over its value's) and walk on;
    a key given twice in one mapping is a problem, since YAML would silently keep the last."""
    lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in active:  # an alias that contains itself
        return
    active.add(id(node))
    if isinstance(node, MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG or not isinstance(key_node, ScalarNode):
                continue
            key = loader.construct_object(key_node)
            if key in seen:
                message = _("'%(key)s' is given twice in this mapping") % {"key": key}
                problems.append(Problem(rel, key_node.start_mark.line + 1, message))
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _record(value_node, (*path, key), lines, problems, rel, loader, active)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _record(item, (*path, index), lines, problems, rel, loader, active)
    active.discard(id(node))
