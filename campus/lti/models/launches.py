"""What a launch leaves behind: the OIDC state of a login in progress, the person's identity at the
platform, the course context linked to an offering, and the launch itself (what later pages of
the same launch — the offering picker, deep linking, "open in a new window" — act on)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campus.lti.models.registrations import Registration


class LaunchState(models.Model):
    """An OIDC login in progress: the `state` we sent to the platform and the `nonce` its id_token
    must carry. `used_at` is set by the launch that consumes it, in the same UPDATE that checks it
    was still empty, so a nonce is accepted once across every process."""

    state = models.CharField(max_length=64, unique=True)
    nonce = models.CharField(max_length=64, unique=True)
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="+")
    target_link_uri = models.URLField(max_length=1000, blank=True)
    storage_target = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("LTI login state")
        verbose_name_plural = _("LTI login states")
        indexes = [models.Index(fields=["expires_at"], name="lti_state_expiry")]

    def __str__(self) -> str:
        return f"{self.registration_id} · {self.created_at:%Y-%m-%d %H:%M}"


class LtiIdentity(models.Model):
    """A person as the platform knows them (`sub`), linked to one campus user. Launches find people
    by this pair only: an e-mail address from the platform is never used to pick an account."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="identities"
    )
    sub = models.CharField(_("subject"), max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_identities"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("LTI identity")
        verbose_name_plural = _("LTI identities")
        constraints = [
            models.UniqueConstraint(fields=["registration", "sub"], name="lti_identity_once"),
        ]

    def __str__(self) -> str:
        return f"{self.sub} · {self.user}"


class ContextLink(models.Model):
    """An LMS course (its context id at one platform) taught as one offering here. The service
    URLs are refreshed on every launch from the context."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="contexts"
    )
    context_id = models.CharField(_("context ID"), max_length=255)
    title = models.CharField(_("LMS course title"), max_length=500, blank=True)
    offering = models.ForeignKey(
        "courses.Offering", on_delete=models.CASCADE, related_name="lti_contexts"
    )
    deployment_id = models.CharField(_("deployment ID"), max_length=255, blank=True)
    memberships_url = models.URLField(_("NRPS memberships URL"), max_length=1000, blank=True)
    lineitems_url = models.URLField(_("AGS line items URL"), max_length=1000, blank=True)
    ags_scopes = models.JSONField(_("AGS scopes"), default=list, blank=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    roster_synced_at = models.DateTimeField(_("roster synced"), null=True, blank=True)

    class Meta:
        verbose_name = _("LTI course link")
        verbose_name_plural = _("LTI course links")
        constraints = [
            models.UniqueConstraint(fields=["registration", "context_id"], name="lti_context_once"),
        ]

    def __str__(self) -> str:
        return f"{self.title or self.context_id} → {self.offering}"


class Launch(models.Model):
    """A validated launch. Its id is the capability the pages that follow it carry (offering
    picker, deep linking, "open in a new window"), so they work even where the browser drops
    the session cookie in the LMS iframe; it expires after `LTI_LAUNCH_TTL_SECONDS`."""

    class Kind(models.TextChoices):
        RESOURCE = "LtiResourceLinkRequest", _("Resource link")
        DEEP_LINKING = "LtiDeepLinkingRequest", _("Deep linking")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    deployment_id = models.CharField(max_length=255)
    context_id = models.CharField(max_length=255)
    context_title = models.CharField(max_length=500, blank=True)
    role = models.CharField(max_length=16)
    claims = models.JSONField(default=dict)
    landing = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("LTI launch")
        verbose_name_plural = _("LTI launches")
        indexes = [models.Index(fields=["expires_at"], name="lti_launch_expiry")]

    def __str__(self) -> str:
        return f"{self.kind} · {self.user_id} · {self.context_id}"
