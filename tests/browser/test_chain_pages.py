"""My chain and Students' chains in Chromium, on a real chain host and Anvil: a student copies
their RPC URL and it reaches their chain through the RPC proxy; "Add to wallet" asks a wallet, or
shows the settings when there is none; an instructor opens a fork from the roster."""

from urllib.parse import urlparse

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from web3 import Web3

from courses.models import Enrollment
from tests.browser.conftest import screenshot, serious_accessibility_violations
from tests.browser.test_trading import log_in
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}
FAKE_WALLET = """window.ethereum = { requests: [], request(call) {
  this.requests.push(call); return Promise.resolve(null); } };"""


def wider_than_the_screen(page) -> list[str]:
    """The innermost elements that stick out to the right of the viewport (empty when none)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
          .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
          .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
          .slice(0, 8).map(e => e.tagName + '.' + e.className)"""
    )


def looks_right_on_a_phone(page, name: str, *, check_accessibility: bool = True) -> None:
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-phone")
    assert wider_than_the_screen(page) == []
    if check_accessibility:  # axe runs as a script: not in a page without JavaScript
        assert serious_accessibility_violations(page) == []
    page.set_viewport_size(DESKTOP)


def test_a_student_copies_their_rpc_url_and_it_reaches_their_chain(
    live_server,
    page,
    site,
    chain_host,
    student_chain,
):
    chain, path = student_chain(offering__course__title="Smart Contracts")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    log_in(page, live_server.url, chain.owner.username)
    page.goto(live_server.url + reverse("offering-detail", args=[chain.offering.slug]))
    page.get_by_role("link", name="My chain").click()

    expect(page.get_by_test_id("rpc-url")).to_have_text(live_server.url + path)
    expect(page.get_by_test_id("chain-status")).to_contain_text("Running")
    balances = page.get_by_test_id("accounts").locator("tbody td.num").all_inner_texts()
    assert balances == ["1,000"] * 10
    screenshot(page, "chain-mine-desktop")
    assert serious_accessibility_violations(page) == []

    page.get_by_role("button", name="Copy the RPC URL").click()
    expect(page.get_by_role("button", name="Copied the RPC URL")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    # The proxy serves the ASGI site: the copied URL's path is the student's way in.
    w3 = Web3(Web3.HTTPProvider(site.url + urlparse(copied).path))
    assert w3.eth.chain_id == chain.chain_id

    page.get_by_text("Mnemonic and private keys").click()
    expect(page.get_by_test_id("mnemonic")).to_be_visible()
    screenshot(page, "chain-mine-keys-desktop")
    looks_right_on_a_phone(page, "chain-mine")


def test_add_to_wallet_asks_the_wallet_or_shows_the_settings_to_paste(
    live_server,
    page,
    chain_host,
    student_chain,
):
    chain, path = student_chain()
    log_in(page, live_server.url, chain.owner.username)
    url = live_server.url + reverse("chain-mine", args=[chain.offering.slug])

    page.goto(url)
    page.get_by_role("button", name="Add to wallet").click()
    expect(page.locator("#wallet-outcome")).to_contain_text("No browser wallet found")
    expect(page.get_by_test_id("wallet-json")).to_be_visible()
    assert hex(chain.chain_id) in page.get_by_test_id("wallet-json").inner_text()
    screenshot(page, "chain-mine-no-wallet-desktop")

    page.add_init_script(FAKE_WALLET)
    page.goto(url)
    page.get_by_role("button", name="Add to wallet").click()
    expect(page.locator("#wallet-outcome")).to_contain_text("Your wallet now knows this network")
    [call] = page.evaluate("window.ethereum.requests")
    assert call["method"] == "wallet_addEthereumChain"
    assert call["params"][0]["chainId"] == hex(chain.chain_id)
    assert call["params"][0]["rpcUrls"] == [live_server.url + path]


def test_a_student_takes_a_snapshot_and_confirms_a_reset_without_javascript(
    live_server,
    browser,
    chain_host,
    student_chain,
):
    chain, _ = student_chain()
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server.url, chain.owner.username)
        page.goto(live_server.url + reverse("chain-mine", args=[chain.offering.slug]))
        expect(page.get_by_role("button", name="Copy the RPC URL")).to_be_hidden()
        page.get_by_label("Label").fill("before the exercise")
        page.get_by_role("button", name="Take snapshot").click()
        expect(page.get_by_test_id("snapshots")).to_contain_text("before the exercise")

        page.get_by_role("link", name="Reset to genesis…").click()
        screenshot(page, "chain-mine-confirm-reset-desktop")
        page.get_by_role("button", name="Yes, reset it").click()
        expect(page.get_by_role("status").first).to_contain_text("back at genesis")
        screenshot(page, "chain-mine-after-reset-desktop")
        looks_right_on_a_phone(page, "chain-mine-after-reset", check_accessibility=False)
    finally:
        context.close()


def test_an_instructor_opens_the_roster_and_a_fork_of_a_students_chain(
    live_server,
    page,
    chain_host,
    student_chain,
):
    chain, _ = student_chain(user__username="minji", offering__course__title="Smart Contracts")
    student_chain(offering=chain.offering, user__username="junho")
    EnrollmentFactory(offering=chain.offering, user=UserFactory(username="seoyeon"))
    instructor = EnrollmentFactory(
        offering=chain.offering, role=Enrollment.Role.INSTRUCTOR, user__username="prof"
    )
    log_in(page, live_server.url, instructor.user.username)
    page.goto(live_server.url + reverse("offering-detail", args=[chain.offering.slug]))
    page.get_by_role("link", name="Students' chains").click()

    roster = page.get_by_test_id("roster")
    expect(roster).to_contain_text("minji")
    expect(roster).to_contain_text("No chain yet")
    screenshot(page, "chain-roster-desktop")
    assert serious_accessibility_violations(page) == []

    page.get_by_role("button", name="Open a fork of minji's chain").click()
    expect(page.get_by_test_id("fork-url")).to_contain_text("/chain/")
    page.get_by_role("button", name="Allow cheat methods").click()
    expect(page.get_by_test_id("cheats")).to_contain_text("Allowed")
    screenshot(page, "chain-roster-fork-desktop")
    looks_right_on_a_phone(page, "chain-roster-fork")

    page.get_by_role("link", name="Reset every chain in this offering…").click()
    screenshot(page, "chain-roster-confirm-reset-all-desktop")
    assert serious_accessibility_violations(page) == []
    looks_right_on_a_phone(page, "chain-roster-confirm-reset-all")
    page.get_by_role("button", name="Yes, reset every chain").click()
    expect(page.get_by_role("status").first).to_contain_text("0 chains reset.")
