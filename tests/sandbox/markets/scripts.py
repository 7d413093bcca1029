"""The scenario scripts the project ships, for the tests that check each of them."""

from pathlib import Path

from django.conf import settings

SHIPPED = sorted((Path(settings.BASE_DIR) / "sandbox" / "markets" / "scenarios").glob("*.yaml"))
