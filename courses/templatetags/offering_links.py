"""`{% offering_link_sections offering as sections %}`: the links other apps registered."""

from django import template

from courses.links import offering_link_sections as sections_for

register = template.Library()


@register.simple_tag(takes_context=True)
def offering_link_sections(context, offering):
    return sections_for(context["request"].user, offering)
