"""Course Markdown → safe HTML for students' pages: lesson bodies, exercise prompts, quiz texts.

Authors are trusted to teach, not to script: the text is parsed as CommonMark with tables and raw
HTML off (it shows as text), links may only be http(s), mailto or relative, images may only be the
lesson's own (`images/<name>`, rewritten to the lesson image URL; any other image is dropped and its
alt text kept), fenced code keeps its `language-xxx` class, and headings get ids for in-page
anchors. The HTML then goes through nh3 with an allow-list, so a gap in one layer is closed by the
other. Rendering is cached by the sha256 of the text and the options, so a page view costs a
cache read.

Headings are fitted under the page's own `<h1>`: a body that opens with a level-1 heading (the
lesson's title again) loses it when `drop_title` is set, and the rest are shifted so the highest
becomes `top_level` (h2 by default), keeping the page's heading order.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

import nh3
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.token import Token

RENDER_VERSION = 1
CACHE_SECONDS = 7 * 24 * 3600
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
LESSON_IMAGE = re.compile(r"^(?:\./)?images/([^/?#]+)$")
CODE_CLASS = re.compile(r"^language-[A-Za-z0-9_+#.\-]{1,40}$")
ALIGN_CLASS = re.compile(r"^align-(left|center|right)$")
HEADING_ID = re.compile(r"^[\w\-]{1,80}$")
TOC_DEPTH = 2
"""The table of contents lists the top heading level and the one below it."""

RESERVED_IDS = frozenset(
    {"main", "language-select", "toc-title", "lesson-title", "lesson-body", "lesson-exercises"}
)
"""Ids the lesson page around a body uses: a heading never takes one of them. (Other pages
give their rendered text's headings an `id_prefix` none of their own ids starts with.)"""

TAGS = frozenset(
    {
        *("p", "br", "hr", "blockquote", "pre", "code", "strong", "em", "a", "img"),
        *("ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td"),
        *("h1", "h2", "h3", "h4", "h5", "h6"),
    }
)
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "loading"},
    "ol": {"start"},
    "code": {"class"},
    "th": {"class"},
    "td": {"class"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
}


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Rendered:
    html: SafeString
    headings: tuple[Heading, ...] = ()

    def toc(self) -> list[Heading]:
        """The headings a table of contents lists: the top level present and the one below."""
        if not self.headings:
            return []
        top = min(heading.level for heading in self.headings)
        return [heading for heading in self.headings if heading.level < top + TOC_DEPTH]


def _link_is_allowed(url: str) -> bool:
    scheme = SCHEME.match(url.strip())
    return scheme is None or scheme.group(1).lower() in ALLOWED_SCHEMES


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    md.validateLink = _link_is_allowed
    return md


MARKDOWN = _markdown()


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3's last word on the attributes the allow-list keeps."""
    if attribute == "class":
        pattern = CODE_CLASS if tag == "code" else ALIGN_CLASS
        return value if pattern.match(value) else None
    if attribute == "id":
        return value if HEADING_ID.match(value) and value not in RESERVED_IDS else None
    if attribute == "loading":
        return "lazy"
    return value


CLEANER = nh3.Cleaner(
    tags=set(TAGS),
    attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
    attribute_filter=_keep_attribute,
    url_schemes=set(ALLOWED_SCHEMES),
    link_rel="noopener noreferrer",
    # Code and tables scroll sideways on a phone: keyboard users must be able to reach them.
    set_tag_attribute_values={"pre": {"tabindex": "0"}, "table": {"tabindex": "0"}},
)


# --- the token passes --------------------------------------------------------------------------


def _plain_text(tokens: Iterable[Token] | None) -> str:
    parts = []
    for token in tokens or ():
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.children:
            parts.append(_plain_text(token.children))
    return "".join(parts)


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s\-]", "", text)
    return re.sub(r"[\s_\-]+", "-", text).strip("-")[:64] or "section"


def _drop_title(tokens: list[Token]) -> list[Token]:
    if len(tokens) >= 3 and tokens[0].type == "heading_open" and tokens[0].tag == "h1":
        return tokens[3:]
    return tokens


def _fit_headings(tokens: list[Token], top_level: int, id_prefix: str) -> tuple[Heading, ...]:
    """Shift heading levels so the highest is `top_level`, give each a unique id, list them."""
    opens = [i for i, token in enumerate(tokens) if token.type == "heading_open"]
    if not opens:
        return ()
    shift = top_level - min(int(tokens[i].tag[1]) for i in opens)
    seen: set[str] = set(RESERVED_IDS)
    headings = []
    for i in opens:
        level = min(max(int(tokens[i].tag[1]) + shift, 1), 6)
        tokens[i].tag = tokens[i + 2].tag = f"h{level}"
        text = _plain_text(tokens[i + 1].children)
        base = anchor = id_prefix + _slug(text)
        counter = 1
        while anchor in seen:
            counter += 1
            anchor = f"{base}-{counter}"
        seen.add(anchor)
        tokens[i].attrSet("id", anchor)
        headings.append(Heading(level=level, id=anchor, text=text))
    return tuple(headings)


def _align_to_class(token: Token) -> None:
    style = str(token.attrGet("style") or "")
    token.attrs.pop("style", None)
    match = re.match(r"text-align:(left|center|right)$", style)
    if match:
        token.attrSet("class", f"align-{match.group(1)}")


def _only_lesson_images(children: list[Token], images: Mapping[str, str]) -> list[Token]:
    kept = []
    for token in children:
        if token.children:
            token.children = _only_lesson_images(token.children, images)
        if token.type != "image":
            kept.append(token)
            continue
        match = LESSON_IMAGE.match(str(token.attrGet("src") or ""))
        url = images.get(unquote(match.group(1))) if match else None
        if url is None:
            text = Token("text", "", 0)
            text.content = _plain_text(token.children)
            kept.append(text)
            continue
        token.attrSet("src", url)
        token.attrSet("loading", "lazy")
        kept.append(token)
    return kept


def _rewrite(tokens: list[Token], images: Mapping[str, str]) -> None:
    for token in tokens:
        if token.type in ("th_open", "td_open"):
            _align_to_class(token)
        elif token.type == "inline" and token.children:
            token.children = _only_lesson_images(token.children, images)


# --- rendering ---------------------------------------------------------------------------------


def _cache_key(kind: str, text: str, options: dict) -> str:
    digest = hashlib.sha256()
    digest.update(text.encode())
    digest.update(json.dumps(options, sort_keys=True).encode())
    return f"courses.md.{RENDER_VERSION}.{kind}.{digest.hexdigest()}"


def render_markdown(
    text: str,
    *,
    images: Mapping[str, str] | None = None,
    top_level: int = 2,
    drop_title: bool = False,
    id_prefix: str = "",
) -> Rendered:
    """`text` as safe HTML with its headings. `images` maps a lesson image's name to its URL:
    the only images the HTML may show."""
    images = dict(images or {})
    options = {
        "images": images,
        "top_level": top_level,
        "drop_title": drop_title,
        "id_prefix": id_prefix,
    }
    key = _cache_key("block", text, options)
    stored = cache.get(key)
    if stored is None:
        stored = _render_block(text, options)
        cache.set(key, stored, CACHE_SECONDS)
    return Rendered(
        html=mark_safe(stored["html"]),  # noqa: S308  (sanitised by nh3 just above)
        headings=tuple(Heading(*heading) for heading in stored["headings"]),
    )


def _render_block(text: str, options: dict) -> dict:
    env: dict = {}
    tokens = MARKDOWN.parse(text or "", env)
    if options["drop_title"]:
        tokens = _drop_title(tokens)
    headings = _fit_headings(tokens, options["top_level"], options["id_prefix"])
    _rewrite(tokens, options["images"])
    html = CLEANER.clean(MARKDOWN.renderer.render(tokens, MARKDOWN.options, env))
    return {"html": html, "headings": [[h.level, h.id, h.text] for h in headings]}


def render_inline(text: str) -> SafeString:
    """One line of Markdown (a quiz question, a choice, a check's name): emphasis, code and
    links, no blocks and no images."""
    key = _cache_key("inline", text, {})
    html = cache.get(key)
    if html is None:
        env: dict = {}
        tokens = MARKDOWN.parseInline(text or "", env)
        for token in tokens:
            token.children = _only_lesson_images(token.children or [], {})
        html = CLEANER.clean(MARKDOWN.renderer.render(tokens, MARKDOWN.options, env))
        cache.set(key, html, CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308  (sanitised by nh3)


def reading_minutes(text: str) -> int:
    """An estimate for a lesson without `minutes`: 200 words a minute (a Korean word, an eojeol,
    reads at about the same pace), at least one."""
    return max(1, round(len((text or "").split()) / 200))
