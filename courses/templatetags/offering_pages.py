"""What every page about an offering shows the same way, in the reader's language.

`{% load offering_pages %}`, then:

- `{% offering_breadcrumb offering %}<span aria-current="page">Wallet</span>{% endoffering_breadcrumb %}`
  renders `Home › <course title> › Wallet` in one labelled <nav>; what is between the tags is the
  page's own crumbs (template blocks may sit inside, for pages that extend a layout);
- `{{ offering|course_title }}` and `{{ offering|offering_label }}` (title · university · term)
  for <title> blocks and meta lines.

Sandbox templates load this library by name; no Python import crosses the apps' boundary.
"""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from courses import titles
from courses.models import Offering

register = template.Library()


@register.filter
def course_title(offering: Offering) -> str:
    return titles.course_title(offering)


@register.filter
def offering_label(offering: Offering) -> str:
    return titles.offering_label(offering)


class OfferingBreadcrumbNode(template.Node):
    # `nodelist` is where Django's template inheritance looks for {% block %}s inside a tag
    child_nodelists = ("nodelist",)

    def __init__(self, offering: template.base.FilterExpression, nodelist: template.NodeList):
        self.offering = offering
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        offering = self.offering.resolve(context)
        # rendered (and escaped) by the template engine already; strip() drops its safe mark
        crumbs = mark_safe(self.nodelist.render(context).strip())  # noqa: S308
        return format_html(
            '<nav aria-label="{}" class="breadcrumb"><a href="{}">{}</a> › <a href="{}">{}</a>{}</nav>',
            gettext("Breadcrumb"),
            reverse("home"),
            gettext("Home"),
            reverse("offering-detail", args=[offering.slug]),
            titles.course_title(offering),
            format_html(" › {}", crumbs) if crumbs else "",
        )


@register.tag
def offering_breadcrumb(parser: template.base.Parser, token: template.base.Token):
    """`{% offering_breadcrumb offering %}crumbs…{% endoffering_breadcrumb %}`"""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one argument: the offering")
    nodelist = parser.parse(("endoffering_breadcrumb",))
    parser.delete_first_token()
    return OfferingBreadcrumbNode(parser.compile_filter(bits[1]), nodelist)
