"""The simulated assets a sandbox exchange lists by default: (code, name, kind, precision)."""

STANDARD_ASSETS = [
    ("KRW", "Korean won", "fiat", 2),
    ("BTC", "Bitcoin", "crypto", 8),
    ("ETH", "Ether", "crypto", 8),
    ("KUSD", "Campus dollar stablecoin", "stablecoin", 2),
    ("DAX", "DAX101 course token", "course_token", 2),
]


def ensure_standard_assets() -> None:
    """Create any standard asset that is missing (tests that flush the database call this)."""
    from sandbox.wallet.models import Asset

    for code, name, kind, precision in STANDARD_ASSETS:
        Asset.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "precision": precision}
        )
