from django.contrib import admin

from sandbox.chain.models import (
    Chain,
    ChainCustody,
    ChainHost,
    ChainPolicy,
    ChainToken,
    LevelInstance,
    Snapshot,
)


@admin.register(ChainHost)
class ChainHostAdmin(admin.ModelAdmin):
    list_display = ["name", "control_url", "capacity", "heartbeat_at"]
    readonly_fields = ["heartbeat_at"]


@admin.register(ChainPolicy)
class ChainPolicyAdmin(admin.ModelAdmin):
    list_display = ["offering", "allow_cheats"]
    list_select_related = ["offering"]


@admin.register(Chain)
class ChainAdmin(admin.ModelAdmin):
    """Read-only: chains change through the chain host and the site's own pages."""

    list_display = ["chain_id", "owner", "offering", "status", "host", "port", "last_used_at"]
    list_filter = ["status", "host"]
    list_select_related = ["owner", "offering", "host"]
    search_fields = ["owner__username", "chain_id"]
    exclude = ["token_digest", "encrypted_token"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ["chain", "label", "block_number", "created_at"]
    list_select_related = ["chain"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the platform writes (custody, tokens, level instances): to look at, not to edit."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ChainCustody)
class ChainCustodyAdmin(ReadOnlyAdmin):
    list_display = ["chain", "deposit_address", "hot_address", "provisioned", "provisioned_at"]
    list_select_related = ["chain"]


@admin.register(ChainToken)
class ChainTokenAdmin(ReadOnlyAdmin):
    list_display = ["chain", "asset_code", "address", "decimals"]
    list_select_related = ["chain"]


@admin.register(LevelInstance)
class LevelInstanceAdmin(ReadOnlyAdmin):
    list_display = ["owner", "exercise", "address", "status", "deployed_at"]
    list_select_related = ["owner", "exercise"]
