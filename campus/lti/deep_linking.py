"""Deep linking: an instructor launched from the LMS's "add content" picks the offering's course
page, a lesson or an exercise, and we answer the platform with a signed LtiDeepLinkingResponse
(pylti1p3's DeepLink signs it with our current key). An exercise comes with a line item, so the
LMS gradebook gets its column with the exercise's points as the maximum.
"""

from dataclasses import dataclass

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from campus.lti import claims as c
from campus.lti.connector import pylti_registration
from campus.lti.errors import LaunchError
from campus.lti.models import ContextLink, Launch
from campus.lti.targets import offering_path
from courses.api import Exercise, Offering

TEACHING = ("instructor", "ta")


@dataclass(frozen=True)
class Choice:
    key: str  # "course", "lesson/<slug>", "exercise/<slug>"
    kind: str
    title: str
    path: str
    points: int | None = None


@dataclass(frozen=True)
class DeepLinkResponse:
    return_url: str
    jwt: str


def linked_offering(launch: Launch) -> Offering:
    if launch.kind != c.DEEP_LINKING_REQUEST or launch.role not in TEACHING:
        raise LaunchError("not_instructor")
    link = ContextLink.objects.select_related("offering__course").filter(
        registration=launch.registration, context_id=launch.context_id
    )
    if not link.exists():
        raise LaunchError("not_instructor", "the course is not linked to an offering")
    return link.get().offering


def choices(offering: Offering) -> list[Choice]:
    base = offering_path(offering.slug)
    items = [Choice("course", "course", offering.course.title, base)]
    for lesson in offering.course.lessons.order_by("module__position", "position"):
        items.append(
            Choice(f"lesson/{lesson.slug}", "lesson", lesson.title, f"{base}lessons/{lesson.slug}/")
        )
    for exercise in Exercise.objects.filter(course=offering.course):
        items.append(
            Choice(
                f"exercise/{exercise.slug}",
                "exercise",
                exercise.title,
                f"{base}exercises/{exercise.slug}/",
                exercise.points,
            )
        )
    return items


def respond(*, launch: Launch, key: str, absolute) -> DeepLinkResponse:
    """The signed response for the chosen item; `absolute` turns a path into a URL."""
    offering = linked_offering(launch)
    choice = next((item for item in choices(offering) if item.key == key), None)
    if choice is None:
        raise LaunchError("missing_parameter", f"no item {key!r} in {offering.slug}")
    settings = launch.claims[c.DEEP_LINKING_SETTINGS]
    deep_link = DeepLink(pylti_registration(launch.registration), launch.deployment_id, settings)
    jwt = deep_link.get_response_jwt([_resource(choice, absolute)])
    return DeepLinkResponse(return_url=settings["deep_link_return_url"], jwt=jwt)


def _resource(choice: Choice, absolute) -> DeepLinkResource:
    resource = (
        DeepLinkResource()
        .set_type("ltiResourceLink")
        .set_title(choice.title)
        .set_url(absolute(choice.path))
    )
    if choice.kind != "course":
        resource.set_custom_params({"target": choice.key})
    if choice.points is not None:
        resource.set_lineitem(
            LineItem()
            .set_label(choice.title)
            .set_score_maximum(choice.points)
            .set_resource_id(choice.key)
        )
    return resource
