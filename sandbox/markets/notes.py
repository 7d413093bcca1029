"""Teaching notes to HTML, safely. The notes are a small subset of Markdown: paragraphs separated
by blank lines, and **bold**. There is no Markdown library in the project, and the notes need no
more; everything else in them is shown as the text it is (escaped, never interpreted as HTML).
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BLANK_LINE = re.compile(r"\n[ \t]*\n")
BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")


def render_notes(text: str) -> SafeString:
    """`<p>` per paragraph (its lines joined by spaces), `**x**` as `<strong>x</strong>`."""
    paragraphs = (
        " ".join(line.strip() for line in block.splitlines() if line.strip())
        for block in BLANK_LINE.split(text.replace("\r\n", "\n"))
    )
    return mark_safe(  # noqa: S308 - every piece of the text is escaped before it is marked up
        "\n".join(f"<p>{_inline(paragraph)}</p>" for paragraph in paragraphs if paragraph)
    )


def _inline(paragraph: str) -> str:
    return BOLD.sub(r"<strong>\1</strong>", escape(paragraph))
