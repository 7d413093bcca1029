"""Real headless Chromium (Debian's package) driven by Playwright from PyPI.

Screenshots go to var/screenshots/ (not committed): look at them. Without /usr/bin/chromium the
tests are skipped with the reason, except in CI (BLOCKCAMPUS_REQUIRE_BROWSER=1), where it fails.
"""

import json
import os
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = settings.VAR_DIR / "screenshots"
AXE = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def browser():
    """Per module: Playwright's sync API keeps an event loop running in this thread while it is
    open, and tests after it that call async_to_sync (the streams') cannot run under one."""
    if not CHROMIUM.exists():
        message = "Chromium is not installed: apt-get install chromium chromium-driver"
        if os.environ.get("BLOCKCAMPUS_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make to
    # seed data are still plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_accessibility_violations(page) -> list[str]:
    """Run axe-core (from package.json's node_modules) in the page; return serious or critical rule ids."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => JSON.stringify(await axe.run(document))")
    violations = json.loads(result)["violations"]
    return [f"{v['id']}: {v['help']}" for v in violations if v["impact"] in ("serious", "critical")]
