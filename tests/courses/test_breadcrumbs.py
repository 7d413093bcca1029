"""The offering pages' one breadcrumb and course title (`{% load offering_pages %}`): the course
named in the reader's language, the page's own crumbs after it, and nothing unescaped."""

import pytest
from django.template import Context, Engine, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation

from courses.api import course_title, offering_label
from courses.models import Enrollment
from tests.factories import EnrollmentFactory, OfferingFactory

pytestmark = pytest.mark.django_db

KOREAN_TITLE = "디지털 자산 거래소"


@pytest.fixture
def offering():
    """Given an offering of a course titled in English, with a Korean title beside it."""
    return OfferingFactory(
        slug="dax101-pnu",
        course__title="Digital Asset Exchanges",
        course__translations={"ko": {"title": KOREAN_TITLE}},
        university__name="Pukyong",
        term="2026 Fall",
    )


def render(source: str, language: str = "en", **context) -> str:
    with translation.override(language):
        return Template("{% load offering_pages %}" + source).render(Context(context))


def test_breadcrumb_names_the_course_in_the_readers_language(offering):
    html = render(
        "{% offering_breadcrumb offering %}{% endoffering_breadcrumb %}", "ko", offering=offering
    )

    assert f'<a href="/offerings/dax101-pnu/">{KOREAN_TITLE}</a>' in html
    assert "Digital Asset Exchanges" not in html


def test_breadcrumb_falls_back_to_the_course_title_without_a_translation(offering):
    offering.course.translations = {}

    html = render(
        "{% offering_breadcrumb offering %}{% endoffering_breadcrumb %}", "ko", offering=offering
    )

    assert '<a href="/offerings/dax101-pnu/">Digital Asset Exchanges</a>' in html


def test_breadcrumb_goes_home_then_to_the_course_then_to_the_pages_crumbs(offering):
    html = render(
        '{% offering_breadcrumb offering %}<span aria-current="page">Wallet</span>'
        "{% endoffering_breadcrumb %}",
        offering=offering,
    )

    assert html == (
        '<nav aria-label="Breadcrumb" class="breadcrumb"><a href="/">Home</a> › '
        '<a href="/offerings/dax101-pnu/">Digital Asset Exchanges</a> › '
        '<span aria-current="page">Wallet</span></nav>'
    )


def test_breadcrumb_without_crumbs_ends_at_the_course(offering):
    html = render(
        "{% offering_breadcrumb offering %} {% endoffering_breadcrumb %}", offering=offering
    )

    assert html.endswith('">Digital Asset Exchanges</a></nav>')


def test_breadcrumb_escapes_the_course_title_and_keeps_the_crumbs_markup(offering):
    offering.course.title = "<b>Bold</b>"

    html = render(
        "{% offering_breadcrumb offering %}<em>{{ name }}</em>{% endoffering_breadcrumb %}",
        offering=offering,
        name="<i>x</i>",
    )

    assert "&lt;b&gt;Bold&lt;/b&gt;" in html
    assert "<em>&lt;i&gt;x&lt;/i&gt;</em>" in html


def test_breadcrumb_in_the_korean_interface_says_home_in_korean(offering):
    html = render(
        "{% offering_breadcrumb offering %}{% endoffering_breadcrumb %}", "ko", offering=offering
    )

    assert '<a href="/">홈</a>' in html
    assert 'aria-label="Breadcrumb"' not in html


def test_breadcrumb_takes_exactly_one_offering():
    from django.template import TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError, match="one argument"):
        Template("{% load offering_pages %}{% offering_breadcrumb %}{% endoffering_breadcrumb %}")


def test_a_block_inside_the_breadcrumb_is_filled_by_the_page_that_extends_it(offering):
    engine = Engine(
        loaders=[
            (
                "django.template.loaders.locmem.Loader",
                {
                    "layout.html": "{% load offering_pages %}{% offering_breadcrumb offering %}"
                    "{% block crumbs %}{% endblock %}{% endoffering_breadcrumb %}",
                    "page.html": '{% extends "layout.html" %}{% block crumbs %}Gradebook{% endblock %}',
                },
            )
        ],
        libraries={"offering_pages": "courses.templatetags.offering_pages"},
    )

    html = engine.get_template("page.html").render(Context({"offering": offering}))

    assert html.endswith("Digital Asset Exchanges</a> › Gradebook</nav>")


def test_course_title_filter_follows_the_active_language(offering):
    english = render("{{ offering|course_title }}", "en", offering=offering)
    korean = render("{{ offering|course_title }}", "ko", offering=offering)

    assert (english, korean) == ("Digital Asset Exchanges", KOREAN_TITLE)


def test_offering_label_is_title_university_and_term_in_the_language_asked(offering):
    assert offering_label(offering, "ko") == f"{KOREAN_TITLE} · Pukyong · 2026 Fall"
    assert course_title(offering, "en") == "Digital Asset Exchanges"


def test_korean_gradebook_names_the_course_in_korean_in_its_breadcrumb_title_and_meta(offering):
    instructor = EnrollmentFactory(offering=offering, role=Enrollment.Role.INSTRUCTOR).user
    client = Client()
    client.force_login(instructor)
    client.cookies["django_language"] = "ko"

    html = client.get(reverse("teach-gradebook", args=[offering.slug])).content.decode()

    assert (
        f'<a href="/offerings/dax101-pnu/">{KOREAN_TITLE}</a> › <span aria-current="page">성적부</span>'
        in html
    )
    assert f"<title>성적부 · {KOREAN_TITLE} · BlockCampus</title>" in html
    assert f'<p class="meta">{KOREAN_TITLE} · Pukyong · 2026 Fall' in html
    assert "Digital Asset Exchanges" not in html


def test_korean_roster_names_the_course_in_korean(offering):
    instructor = EnrollmentFactory(offering=offering, role=Enrollment.Role.INSTRUCTOR).user
    client = Client()
    client.force_login(instructor)
    client.cookies["django_language"] = "ko"

    html = client.get(reverse("offering-roster", args=[offering.slug])).content.decode()

    assert f'<a href="/offerings/dax101-pnu/">{KOREAN_TITLE}</a>' in html
    assert "Digital Asset Exchanges" not in html


def test_korean_home_lists_the_offering_by_its_korean_title(offering):
    student = EnrollmentFactory(offering=offering, role=Enrollment.Role.STUDENT).user
    client = Client()
    client.force_login(student)
    client.cookies["django_language"] = "ko"

    html = client.get(reverse("home")).content.decode()

    assert f'<a href="/offerings/dax101-pnu/">{KOREAN_TITLE}</a>' in html
    assert "Digital Asset Exchanges" not in html
