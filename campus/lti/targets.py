"""Where a launch lands: the linked offering's page, or one of its lessons or exercises.

A link may name its target with the custom parameter `target` ("lesson/<slug>" or
"exercise/<slug>", what deep linking writes) or with a `target_link_uri` path on this site
(/offerings/<slug>/lessons/<slug>/ or .../exercises/<slug>/). Either way the offering is the one
linked to the LMS course, never the one in the URL: a course copied in the LMS keeps its links
and lands in the offering its new context is linked to.
"""

import re
from urllib.parse import urlsplit

PATH = re.compile(r"^/offerings/[\w-]+/(?P<kind>lessons|exercises)/(?P<slug>[\w-]+)/?$")
CUSTOM = re.compile(r"^(?P<kind>lesson|exercise)/(?P<slug>[\w-]+)$")


def offering_path(offering_slug: str) -> str:
    return f"/offerings/{offering_slug}/"


def landing_path(offering_slug: str, *, target_link_uri: str, custom: dict) -> str:
    custom_target = CUSTOM.match(str(custom.get("target", "")).strip())
    if custom_target:
        kind, slug = custom_target["kind"] + "s", custom_target["slug"]
        return f"{offering_path(offering_slug)}{kind}/{slug}/"
    path_target = PATH.match(urlsplit(target_link_uri or "").path)
    if path_target:
        return f"{offering_path(offering_slug)}{path_target['kind']}/{path_target['slug']}/"
    return offering_path(offering_slug)
