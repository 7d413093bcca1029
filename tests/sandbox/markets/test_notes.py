"""Teaching notes: paragraphs and **bold** become HTML; anything else is shown as text."""

from sandbox.markets.catalogue import shipped_scenarios
from sandbox.markets.notes import render_notes


def test_blank_lines_separate_paragraphs_and_lines_within_one_are_joined():
    html = render_notes("First line\nsame paragraph.\n\n  \nSecond paragraph.\n")

    assert html == "<p>First line same paragraph.</p>\n<p>Second paragraph.</p>"


def test_double_asterisks_make_bold_text():
    html = render_notes("**Before the run.** Ask students **where** their assets are.")

    assert html == (
        "<p><strong>Before the run.</strong> Ask students <strong>where</strong> their assets are.</p>"
    )


def test_html_in_the_notes_is_escaped_not_interpreted():
    html = render_notes('<script>alert("x")</script> **<b>bold</b>** & 5 < 6')

    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html
    assert "<strong>&lt;b&gt;bold&lt;/b&gt;</strong>" in html
    assert "&amp; 5 &lt; 6" in html


def test_unpaired_or_spaced_asterisks_stay_as_they_are():
    assert render_notes("a ** b and **c") == "<p>a ** b and **c</p>"


def test_windows_line_endings_still_separate_paragraphs():
    assert render_notes("One.\r\n\r\nTwo.") == "<p>One.</p>\n<p>Two.</p>"


def test_empty_notes_render_nothing():
    assert render_notes("") == ""


def test_every_shipped_scenario_has_notes_that_render_to_paragraphs():
    for slug, (scenario, _text) in shipped_scenarios().items():
        html = render_notes(scenario.teaching_notes)

        assert html.startswith("<p><strong>"), slug
        assert "**" not in html, slug
