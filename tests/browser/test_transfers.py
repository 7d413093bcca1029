"""A student deposits and withdraws in Chromium against the whole ASGI site (uvicorn in a thread:
the WSGI live_server has no WebSockets). They open the deposit page from the offering page and
find their deposit address and its QR code; a deposit the chain side records shows up and is
credited without a reload; a withdrawal below the minimum is refused with what they typed kept;
a valid one lands in the history as pending and moves on to broadcast and confirmed live.

The chain side is played by the test: its rows (custody, tokens) are created directly and its
service calls (record and credit a deposit, broadcast and settle a withdrawal) are made from a
thread of their own (their push goes through async_to_sync, which cannot run in this thread,
where Playwright keeps an event loop)."""

import re
import threading
from decimal import Decimal as D

import pytest
from django.db import connections
from django.urls import reverse
from playwright.sync_api import expect

from courses.models import Enrollment
from sandbox.chain.api import ChainCustody, ChainToken, custody_addresses, open_chain
from sandbox.chain.selectors import dev_accounts
from sandbox.wallet.assets import ensure_standard_assets
from sandbox.wallet.models import Withdrawal
from sandbox.wallet.services import open_wallet
from sandbox.wallet.transfers import (
    credit_deposit,
    mark_withdrawal_broadcast,
    record_deposit,
    settle_withdrawal,
)
from tests.browser.conftest import (
    check_the_page,
    log_in,
    screenshot,
    wait_until_live,
)
from tests.factories import EnrollmentFactory, OfferingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SOON_MS = 10_000
BTC_TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
KUSD_TOKEN = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
FAKE_WALLET = """window.ethereum = { requests: [], request(call) {
  this.requests.push(call); return Promise.resolve(true); } };"""


def tx(n: int) -> str:
    return "0x" + f"{n:064x}"


@pytest.fixture
def desk(monkeypatch):
    """Given minji enrolled with a wallet (the starting grant) and her chain's custody
    provisioned with the BTC and KUSD tokens."""
    ensure_standard_assets()  # a transactional test's flush removed the migrated assets
    offering = OfferingFactory(
        slug="dax101-haeundae-2026f", course__title="Digital Asset Exchanges"
    )
    minji = EnrollmentFactory(offering=offering, user__username="minji").user
    open_wallet(offering_id=offering.pk, owner_id=minji.pk)
    chain = open_chain(offering_id=offering.pk, owner_id=minji.pk)
    deposit_address, hot_address = custody_addresses(chain.pk)
    ChainCustody.objects.create(
        chain=chain, deposit_address=deposit_address, hot_address=hot_address, provisioned=True
    )
    for code, address, decimals in (("BTC", BTC_TOKEN, 8), ("KUSD", KUSD_TOKEN, 2)):
        ChainToken.objects.create(
            chain=chain, asset_code=code, address=address, decimals=decimals, code_hash=tx(0)
        )
    # no worker: the chain side's broadcast is played by the test
    monkeypatch.setattr("sandbox.wallet.withdrawals._send_broadcast_task", lambda pk: None)
    return offering, minji, chain, deposit_address


def as_the_chain_side(work) -> object:
    """Run a service in a thread of its own, as the watcher would, and return its result."""
    result = {}

    def run():
        try:
            result["value"] = work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return result["value"]


def still_the_same_document(page) -> bool:
    return page.evaluate("window.sameDocument === true")


def test_a_student_deposits_and_withdraws_and_sees_each_state_live(site, browser, desk):
    offering, minji, chain, deposit_address = desk
    context = browser.new_context(viewport=DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    context.add_init_script(FAKE_WALLET)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, site.url, "minji")
    page.goto(site.url + reverse("offering-detail", args=[offering.slug]))
    screenshot(page, "transfers-offering-links-desktop")
    page.get_by_role("link", name="Deposit & withdraw").click()

    # the deposit page: the address, its QR code, the tokens
    expect(page.get_by_test_id("deposit-address")).to_have_text(deposit_address)
    qr = page.get_by_test_id("deposit-qr")
    expect(qr.locator("svg")).to_be_visible()
    assert qr.bounding_box()["width"] >= 140
    expect(page.get_by_test_id("deposit-assets")).to_contain_text(BTC_TOKEN)
    wait_until_live(page)
    check_the_page(page, "transfers-deposit-desktop")

    # copy the address; ask the wallet to show the BTC token
    page.get_by_role("button", name="Copy the deposit address").click()
    expect(page.get_by_role("button", name="Copied the deposit address")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == deposit_address
    page.get_by_role("button", name="Add BTC to wallet").click()
    expect(page.get_by_text("Your wallet now shows this token.")).to_be_visible()
    assert page.evaluate("window.ethereum.requests") == [
        {
            "method": "wallet_watchAsset",
            "params": {
                "type": "ERC20",
                "options": {"address": BTC_TOKEN, "symbol": "cBTC", "decimals": 8},
            },
        }
    ]

    # a deposit arrives and is credited, live
    deposit = as_the_chain_side(
        lambda: record_deposit(
            offering_id=offering.pk,
            owner_id=minji.pk,
            asset_code="BTC",
            chain_id=chain.chain_id,
            tx_hash=tx(1),
            log_index=0,
            block_number=5,
            block_hash=tx(2),
            from_address=dev_accounts(chain)[0].address,
            to_address=deposit_address,
            amount=D("0.1"),
        )
    )
    as_the_chain_side(lambda: credit_deposit(deposit_id=deposit.pk, confirmations=1))
    row = page.locator(f"#deposit-{deposit.pk}")
    expect(row).to_contain_text("1 of 2 confirmations", timeout=SOON_MS)
    expect(row.locator("[data-state]")).to_have_text("Seen")
    screenshot(page, "transfers-deposit-seen-desktop")
    as_the_chain_side(lambda: credit_deposit(deposit_id=deposit.pk, confirmations=2))
    expect(row.locator("[data-state]")).to_have_text("Credited", timeout=SOON_MS)
    assert still_the_same_document(page)

    # a withdrawal below the minimum is refused, what was typed kept
    page.get_by_role("link", name="Withdraw", exact=True).click()
    check_the_page(page, "transfers-withdraw-desktop")
    page.get_by_label("Asset").select_option("ETH")
    page.get_by_label("Amount").fill("0.005")
    page.get_by_text("Your chain's accounts").click()
    page.get_by_role("button", name="Use account 1", exact=True).click()
    page.get_by_role("button", name="Request withdrawal").click()
    refusal = page.get_by_test_id("withdraw-refusal")
    expect(refusal).to_contain_text("code below_minimum")
    expect(page.get_by_label("Amount")).to_have_value("0.005")
    expect(page.get_by_label("Destination address")).to_have_value(dev_accounts(chain)[1].address)
    check_the_page(page, "transfers-withdraw-refused-desktop")
    assert not Withdrawal.objects.exists()

    # a valid one lands in the history, pending, then moves on live
    page.get_by_label("Amount").fill("0.25")
    page.get_by_role("button", name="Request withdrawal").click()
    withdrawal = Withdrawal.objects.get()
    row = page.locator(f"#withdrawal-{withdrawal.pk}")
    expect(row.locator("[data-state]")).to_have_text("Pending")
    expect(row).to_have_class(re.compile(r"\bis-new\b"))
    expect(page.get_by_role("status").first).to_contain_text("Withdrawal #")
    wait_until_live(page)
    check_the_page(page, "transfers-history-pending-desktop")
    as_the_chain_side(
        lambda: mark_withdrawal_broadcast(
            withdrawal_id=withdrawal.pk, chain_id=chain.chain_id, tx_hash=tx(3)
        )
    )
    expect(row.locator("[data-state]")).to_have_text("Broadcast", timeout=SOON_MS)
    as_the_chain_side(
        lambda: settle_withdrawal(withdrawal_id=withdrawal.pk, block_number=7, gas_cost_wei=21000)
    )
    expect(row.locator("[data-state]")).to_have_text("Confirmed", timeout=SOON_MS)
    expect(row.get_by_role("link")).to_have_attribute(
        "href", reverse("chain-tx", args=[offering.slug, tx(3)])
    )
    assert still_the_same_document(page)
    screenshot(page, "transfers-history-confirmed-desktop")

    # on a phone: nothing sticks out
    page.set_viewport_size(PHONE)
    for name in ("wallet-transfers", "wallet-withdraw", "wallet-deposit"):
        page.goto(site.url + reverse(name, args=[offering.slug]))
        check_the_page(page, f"{name}-phone")
    # and in Korean
    context.add_cookies([{"name": "django_language", "value": "ko", "url": site.url}])
    for name in ("wallet-deposit", "wallet-withdraw"):
        page.goto(site.url + reverse(name, args=[offering.slug]))
        check_the_page(page, f"{name}-ko-phone")
    assert errors == []
    context.close()


def test_an_instructor_reads_the_reserves_and_halts_withdrawals_for_the_students(
    site, browser, desk
):
    offering, minji, chain, deposit_address = desk
    instructor = EnrollmentFactory(
        offering=offering, user__username="prof", role=Enrollment.Role.INSTRUCTOR
    ).user
    deposit = as_the_chain_side(
        lambda: record_deposit(
            offering_id=offering.pk,
            owner_id=minji.pk,
            asset_code="BTC",
            chain_id=chain.chain_id,
            tx_hash=tx(1),
            log_index=0,
            block_number=5,
            block_hash=tx(2),
            from_address=dev_accounts(chain)[0].address,
            to_address=deposit_address,
            amount=D("0.3"),
        )
    )
    as_the_chain_side(lambda: credit_deposit(deposit_id=deposit.pk, confirmations=2))
    # the watcher last read 0.2 BTC at the exchange's addresses: 0.1 short
    ChainCustody.objects.update(holdings={"BTC": "0.2", "ETH": "0", "KUSD": "0"}, holdings_block=5)
    page = browser.new_context(viewport=DESKTOP).new_page()
    log_in(page, site.url, instructor.username)
    page.goto(site.url + reverse("offering-detail", args=[offering.slug]))
    page.get_by_role("link", name="Proof of reserves").click()

    reserves = page.get_by_test_id("reserves")
    expect(reserves.locator("tr[data-asset='BTC']")).to_contain_text("0.3")
    expect(page.get_by_test_id("difference-BTC")).to_have_text("does not reconcile: −0.1")
    expect(page.get_by_test_id("difference-ETH")).to_have_text("reconciled: 0")
    check_the_page(page, "transfers-reserves-desktop")

    page.get_by_label("Reason shown to students").fill("Bank run drill until 15:00")
    page.get_by_role("button", name="Halt withdrawals").click()
    expect(page.get_by_test_id("halt-state")).to_contain_text("Bank run drill until 15:00")
    check_the_page(page, "transfers-reserves-halted-desktop")
    page.set_viewport_size(PHONE)
    check_the_page(page, "transfers-reserves-phone")
    page.context.close()

    student = browser.new_context(viewport=PHONE).new_page()
    log_in(student, site.url, "minji")
    student.goto(site.url + reverse("wallet-withdraw", args=[offering.slug]))
    expect(student.get_by_test_id("withdrawals-halted")).to_contain_text("Bank run drill")
    expect(student.get_by_test_id("withdraw-form")).to_have_count(0)
    check_the_page(student, "transfers-withdraw-halted-phone")
    student.context.close()
