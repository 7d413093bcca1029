"""Course Markdown renders to safe HTML: whatever an author writes, no script runs in a student's
page, and links and images go only where they may; code, tables and Korean text survive."""

from html.parser import HTMLParser

import pytest
from django.core.cache import cache

from courses import rendering
from courses.rendering import render_inline, render_markdown

IMAGES = {"keypair.svg": "/courses/dax101/lessons/keys/images/keypair.svg"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def html_of(text: str, **options) -> str:
    return str(render_markdown(text, **options).html)


def test_a_script_tag_is_shown_as_text_not_run():
    html = html_of("Before\n\n<script>alert('hi')</script>\n\nAfter")

    assert "<script" not in html
    assert "&lt;script&gt;alert" in html


def test_raw_html_blocks_and_inline_tags_are_escaped():
    html = html_of(
        '<div onclick="x()">block</div>\n\nsome <b>bold</b> and <iframe src="//e"></iframe>'
    )

    assert "<div" not in html and "<b>" not in html and "<iframe" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def attribute_names(html: str) -> set[str]:
    names: set[str] = set()

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            names.update(name for name, _ in attrs)

    Collector().feed(html)
    return names


def test_an_onerror_attribute_never_reaches_the_page():
    html = html_of(
        '<img src=x onerror="alert(1)">\n\n![x](images/keypair.svg "t\\" onerror=\\"alert(1)")',
        images=IMAGES,
    )

    assert "onerror" not in attribute_names(html)
    assert "<img src=x" not in html


def test_the_sanitiser_strips_event_handlers_even_from_html_the_parser_let_through():
    html = rendering.CLEANER.clean('<p onclick="x()"><img src="/i.png" onerror="alert(1)"></p>')

    assert attribute_names(html) == {"src"}


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "jav&#x61;script:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
    ],
)
def test_a_link_with_a_dangerous_scheme_is_not_a_link(link):
    html = html_of(f"[click]({link}) and <{link}>")

    assert "<a " not in html
    assert 'href="javascript' not in html.lower()


@pytest.mark.parametrize(
    ("link", "href"),
    [
        ("https://ethereum.org/en/", "https://ethereum.org/en/"),
        ("http://example.test/a", "http://example.test/a"),
        ("mailto:ta@example.test", "mailto:ta@example.test"),
        ("../other-lesson/", "../other-lesson/"),
        ("#summary", "#summary"),
    ],
)
def test_http_mailto_and_relative_links_are_kept(link, href):
    html = html_of(f"[there]({link})")

    assert f'<a href="{href}" rel="noopener noreferrer">there</a>' in html


def test_an_external_image_is_dropped_and_its_alt_text_kept():
    html = html_of("![a tracking pixel](https://evil.test/pixel.png)")

    assert "<img" not in html
    assert "evil.test" not in html
    assert "a tracking pixel" in html


def test_an_image_the_lesson_does_not_have_is_dropped():
    html = html_of("![missing](images/nothere.png) ![up](images/../../secret.png)", images=IMAGES)

    assert "<img" not in html
    assert "missing" in html


def test_a_lesson_image_points_at_the_lesson_image_url():
    html = html_of("![A key pair](images/keypair.svg)", images=IMAGES)

    assert (
        '<img src="/courses/dax101/lessons/keys/images/keypair.svg" alt="A key pair" '
        'loading="lazy">' in html
    )


def test_a_fenced_code_block_keeps_its_language_class_and_escapes_its_code():
    html = html_of('```solidity\nif (a < b) { x = "<script>"; }\n```')

    assert '<pre tabindex="0"><code class="language-solidity">' in html
    assert "a &lt; b" in html
    assert "&lt;script&gt;" in html


def test_a_code_class_that_is_not_a_language_is_removed():
    html = html_of('```"><script>alert(1)</script>\ncode\n```')

    assert "<script" not in html
    assert '<pre tabindex="0"><code>code' in html


def test_a_table_is_kept_with_its_alignment_as_a_class():
    html = html_of("| Item | Size |\n|:--|--:|\n| Address | 20 bytes |")

    assert "<table" in html and "<thead>" in html
    assert '<td class="align-right">20 bytes</td>' in html
    assert "style=" not in html


def test_headings_get_ids_and_are_listed_for_the_table_of_contents():
    rendered = render_markdown("## Private keys\n\ntext\n\n### Sizes\n\n## Private keys")

    assert '<h2 id="private-keys">Private keys</h2>' in str(rendered.html)
    assert [(h.level, h.id) for h in rendered.toc()] == [
        (2, "private-keys"),
        (3, "sizes"),
        (2, "private-keys-2"),
    ]


def test_a_leading_title_is_dropped_and_sections_fit_under_the_page_heading():
    rendered = render_markdown("# Keys\n\nIntro\n\n# Addresses\n\n## Checksums", drop_title=True)

    html = str(rendered.html)
    assert "Keys</h" not in html
    assert '<h2 id="addresses">Addresses</h2>' in html
    assert '<h3 id="checksums">Checksums</h3>' in html


def test_a_heading_never_takes_an_id_the_page_uses():
    html = html_of("## Main")

    assert 'id="main"' not in html
    assert 'id="main-2"' in html


def test_korean_text_renders_with_a_korean_heading_anchor():
    rendered = render_markdown("## 키와 지갑\n\n**개인 키**는 누구에게도 보여 주지 않습니다.")

    html = str(rendered.html)
    assert '<h2 id="키와-지갑">키와 지갑</h2>' in html
    assert "<strong>개인 키</strong>는 누구에게도 보여 주지 않습니다." in html


def test_inline_markdown_keeps_emphasis_and_code_but_no_blocks_or_images():
    html = str(render_inline("Which **curve**? `secp256k1` <b>x</b> ![i](https://e.test/i.png)"))

    assert html.startswith("Which <strong>curve</strong>? <code>secp256k1</code>")
    assert "<p>" not in html and "<img" not in html and "<b>" not in html


def test_rendering_is_cached_by_the_texts_hash(monkeypatch):
    text = "## Cached\n\nonce"
    first = render_markdown(text)
    monkeypatch.setattr(rendering, "_render_block", lambda *a, **k: pytest.fail("re-rendered"))

    again = render_markdown(text)

    assert again == first
