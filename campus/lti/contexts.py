"""Linking an LMS course to an offering: the first instructor who launches from an unlinked
course picks one of the offerings they manage; everyone after lands in it."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from campus.lti import claims as c
from campus.lti.errors import LaunchError
from campus.lti.launches import enter_offering, service_fields
from campus.lti.models import ContextLink, Launch
from campus.models import User
from courses.api import Offering, manageable_offerings


def open_launch(launch_id: str, *, user: User | None = None) -> Launch:
    """The launch a follow-up page acts on; `launch_expired` when unknown, expired, or (with
    `user`) someone else's."""
    launch = Launch.objects.select_related("user", "registration").filter(pk=launch_id).first()
    if launch is None or launch.expires_at < timezone.now():
        raise LaunchError("launch_expired")
    if user is not None and user.is_authenticated and user.pk != launch.user_id:
        raise LaunchError("launch_expired", "the launch belongs to someone else")
    return launch


def claim_resume(launch_id: str) -> Launch:
    """The launch whose "open in a new window" link this is, claimed once: the link logs its
    person in, so it works a single time and only within LTI_RESUME_TTL_SECONDS."""
    launch = open_launch(launch_id)
    fresh_since = timezone.now() - timedelta(seconds=settings.LTI_RESUME_TTL_SECONDS)
    with transaction.atomic(durable=True):
        claimed = Launch.objects.filter(
            pk=launch.pk, resumed_at__isnull=True, created_at__gte=fresh_since
        ).update(resumed_at=timezone.now())
    if not claimed:
        raise LaunchError("launch_expired", "the new-window link was already used or is too old")
    return launch


def linkable_offerings(launch: Launch):
    return manageable_offerings(launch.user).order_by("course__title", "term")


def link_context(*, launch: Launch, offering_id: int) -> tuple[ContextLink, str]:
    """Link the launch's LMS course to one of the instructor's offerings and enrol them there.
    Refuses a non-instructor (`not_instructor`) and an offering they do not manage."""
    if launch.role != "instructor":
        raise LaunchError("not_instructor")
    offering = linkable_offerings(launch).filter(pk=offering_id).first()
    if offering is None:
        raise LaunchError("not_instructor", f"offering {offering_id} is not theirs to manage")
    link = _create_link(launch, offering)
    return link, enter_offering(launch, link.offering)


def _create_link(launch: Launch, offering: Offering) -> ContextLink:
    fields = service_fields(launch.claims)
    try:
        with transaction.atomic(durable=True):
            return ContextLink.objects.create(
                registration=launch.registration,
                context_id=launch.claims[c.CONTEXT]["id"],
                offering=offering,
                linked_by=launch.user,
                **fields,
            )
    except IntegrityError:  # linked meanwhile (another instructor's tab): keep the first link
        return ContextLink.objects.select_related("offering").get(
            registration=launch.registration, context_id=launch.context_id
        )
