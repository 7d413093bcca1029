"""Platforms the tool trusts (one row per LMS registration, with its deployments) and the tool's own
signing keys."""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Registration(models.Model):
    """One LMS that launches the tool: what it calls itself (`issuer`), what it calls us
    (`client_id`), and where its OIDC, token and key-set endpoints are.

    Canvas Cloud uses a single issuer for every institution, so a registration is identified by
    (issuer, client_id), never by issuer alone."""

    name = models.CharField(_("name"), max_length=200)
    issuer = models.CharField(_("issuer"), max_length=255)
    client_id = models.CharField(_("client ID"), max_length=255)
    auth_login_url = models.URLField(_("authorization (OIDC login) URL"), max_length=500)
    auth_token_url = models.URLField(_("access token URL"), max_length=500)
    auth_audience = models.CharField(
        _("token audience"),
        max_length=500,
        blank=True,
        help_text=_("Only when the platform asks for one; the token URL is used otherwise."),
    )
    key_set_url = models.URLField(_("platform key set (JWKS) URL"), max_length=500)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Who registered it and for which university: recorded by dynamic registration (/lti/register/)
    # for the audit trail; registrations made in the admin may leave them empty.
    university = models.ForeignKey(
        "campus.University",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("university"),
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("LTI platform registration")
        verbose_name_plural = _("LTI platform registrations")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "client_id"], name="lti_registration_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.issuer})"

    @property
    def frame_origins(self) -> list[str]:
        """Origins allowed to frame the site for people who launched from this platform: the
        issuer's and the OIDC login endpoint's (they differ on hosted platforms)."""
        origins = []
        for url in (self.issuer, self.auth_login_url):
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and parts.netloc:
                origin = f"{parts.scheme}://{parts.netloc}"
                if origin not in origins:
                    origins.append(origin)
        return origins


class Deployment(models.Model):
    """A deployment id the platform sends in launches: the tool installed in one place of the LMS.
    Launches with any other deployment id are refused."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="deployments"
    )
    deployment_id = models.CharField(_("deployment ID"), max_length=255)

    class Meta:
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "deployment_id"], name="lti_deployment_once"
            ),
        ]

    def __str__(self) -> str:
        return self.deployment_id


class ToolKey(models.Model):
    """An RSA key the tool signs with (deep-linking responses, service token assertions).

    Exactly one key is current (the database says so). A rotated key stays published in the JWKS for
    `LTI_KEY_GRACE_SECONDS`, so a platform still verifying something signed with it succeeds.
    The private half is encrypted at rest (campus.crypto)."""

    kid = models.CharField(_("key id"), max_length=64, unique=True)
    private_key = models.TextField(_("private key (encrypted)"))
    public_jwk = models.JSONField(_("public key (JWK)"))
    is_current = models.BooleanField(_("current"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("tool signing key")
        verbose_name_plural = _("tool signing keys")
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=models.Q(is_current=True),
                name="lti_one_current_key",
            ),
        ]

    def __str__(self) -> str:
        return self.kid
