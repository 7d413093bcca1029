"""A university admin registers a platform here (issuer, client id, endpoints, deployments) and
rotates the tool's signing key."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from campus.lti.keys import rotate_tool_key
from campus.lti.models import (
    ContextLink,
    Deployment,
    LtiIdentity,
    Registration,
    ScoreSync,
    ToolKey,
)


class DeploymentInline(admin.TabularInline):
    model = Deployment
    extra = 1


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["name", "issuer", "client_id", "university", "is_active"]
    list_filter = ["is_active", "university"]
    search_fields = ["name", "issuer", "client_id"]
    raw_id_fields = ["registered_by"]
    inlines = [DeploymentInline]


@admin.register(ToolKey)
class ToolKeyAdmin(admin.ModelAdmin):
    list_display = ["kid", "is_current", "created_at", "retired_at"]
    readonly_fields = ["kid", "public_jwk", "is_current", "created_at", "retired_at"]
    exclude = ["private_key"]
    actions = ["rotate"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Rotate: make a new current key (the old one stays published)"))
    def rotate(self, request, queryset):
        key = rotate_tool_key()
        self.message_user(
            request, _("New current key %(kid)s.") % {"kid": key.kid}, messages.SUCCESS
        )


@admin.register(ContextLink)
class ContextLinkAdmin(admin.ModelAdmin):
    list_display = ["title", "context_id", "registration", "offering", "roster_synced_at"]
    list_select_related = ["registration", "offering"]
    raw_id_fields = ["offering", "linked_by"]


@admin.register(ScoreSync)
class ScoreSyncAdmin(admin.ModelAdmin):
    list_display = ["user", "exercise", "context", "status", "attempts", "updated_at"]
    list_filter = ["status"]
    raw_id_fields = ["user", "exercise", "context"]


@admin.register(LtiIdentity)
class LtiIdentityAdmin(admin.ModelAdmin):
    """Where an admin ties an LMS person (registration, sub) to an existing campus account, e.g.
    an instructor who already teaches offerings here: launches never match by e-mail."""

    list_display = ["sub", "registration", "user", "created_at"]
    search_fields = ["sub", "user__username"]
    raw_id_fields = ["user"]
