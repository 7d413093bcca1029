"""The deposit, withdrawal and history pages (a student's) and the proof of reserves (an
instructor's) through the Django test client: who may open them, what they show, and that a
withdrawal is refused with nothing held or accepted and redirected to the history.

The chain side's rows (the exchange's custody of the student's chain, its token contracts) are
created directly: these pages only read them."""

import re
from decimal import Decimal as D
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from courses.models import Enrollment
from sandbox.chain.api import open_chain
from sandbox.chain.models import ChainCustody, ChainToken
from sandbox.chain.nodes import chain_web3
from sandbox.chain.selectors import dev_accounts
from sandbox.chain.watcher import watch_chain
from sandbox.chain.withdrawals import broadcast_withdrawal
from sandbox.wallet import selectors
from sandbox.wallet.assets import ensure_standard_assets
from sandbox.wallet.links import transfer_offering_links
from sandbox.wallet.models import Account, Deposit, TransferSettings, Withdrawal
from sandbox.wallet.services import open_wallet
from sandbox.wallet.transfers import credit_deposit
from sandbox.wallet.views_desk import address_qr_svg
from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory

pytestmark = pytest.mark.django_db

DEPOSIT_ADDRESS = "0xafD92075c4C1543cA9b3013469a5973EEe559697"
HOT_ADDRESS = "0x" + "e" * 40
BTC_TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
KUSD_TOKEN = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"


def tx(n: int) -> str:
    return "0x" + f"{n:064x}"


@pytest.fixture
def desk(assets):
    """Given an offering, a student with a wallet (the starting grant) and a chain whose custody
    is provisioned with the BTC and KUSD tokens."""
    offering = OfferingFactory(course__title="Digital Asset Exchanges")
    student = EnrollmentFactory(offering=offering, user__username="minji").user
    open_wallet(offering_id=offering.pk, owner_id=student.pk)
    chain = open_chain(offering_id=offering.pk, owner_id=student.pk)
    # stored in lower case: the pages show each address with its EIP-55 checksum
    ChainCustody.objects.create(
        chain=chain,
        deposit_address=DEPOSIT_ADDRESS.lower(),
        hot_address=HOT_ADDRESS,
        provisioned=True,
    )
    for code, address, decimals in (("BTC", BTC_TOKEN, 8), ("KUSD", KUSD_TOKEN, 2)):
        ChainToken.objects.create(
            chain=chain,
            asset_code=code,
            address=address.lower(),
            decimals=decimals,
            code_hash=tx(0),
        )
    return offering, student, chain


@pytest.fixture
def student_client(client, desk):
    client.force_login(desk[1])
    return client


def url(offering, name, *args):
    return reverse(name, args=[offering.slug, *args])


def make_deposit(offering, owner, n, *, status="seen", confirmations=1, asset="BTC", amount="0.1"):
    return Deposit.objects.create(
        offering=offering,
        owner=owner,
        asset_id=asset,
        chain_id=31337,
        tx_hash=tx(n),
        log_index=0,
        block_number=10 + n,
        block_hash=tx(1000 + n),
        from_address="0x" + "1" * 40,
        to_address=DEPOSIT_ADDRESS,
        amount=D(amount),
        status=status,
        confirmations=confirmations,
    )


def available(offering, owner, asset):
    account = Account.objects.get(offering=offering, owner=owner, asset_id=asset)
    return account.available, account.locked


def withdraw(client, offering, **fields):
    data = {"asset": "ETH", "amount": "0.1", "to_address": "0x" + "a" * 40} | fields
    return client.post(url(offering, "wallet-withdraw"), data)


# -- who may open them -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["wallet-deposit", "wallet-withdraw", "wallet-transfers"])
def test_a_student_of_another_offering_gets_a_404(client, desk, name):
    offering, _student, _chain = desk
    stranger = EnrollmentFactory(offering=OfferingFactory()).user
    client.force_login(stranger)

    response = client.get(url(offering, name))

    assert response.status_code == 404


def test_an_anonymous_visitor_is_asked_to_log_in(client, desk):
    response = client.get(url(desk[0], "wallet-deposit"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_proof_of_reserves_is_a_404_for_a_student(student_client, desk):
    response = student_client.get(url(desk[0], "wallet-reserves"))

    assert response.status_code == 404


def test_a_student_cannot_halt_withdrawals(student_client, desk):
    offering = desk[0]

    response = student_client.post(
        url(offering, "wallet-reserves-halt"), {"halted": "1", "reason": "mine"}
    )

    assert response.status_code == 404
    assert not TransferSettings.objects.filter(offering=offering).exists()


# -- deposit -----------------------------------------------------------------------------------


def test_the_deposit_page_shows_the_address_its_qr_code_and_the_token_contracts(
    student_client, desk
):
    response = student_client.get(url(desk[0], "wallet-deposit"))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count(DEPOSIT_ADDRESS) >= 2  # shown, and in the web3.py example
    assert address_qr_svg(DEPOSIT_ADDRESS) in html  # the QR code of exactly this address
    assert BTC_TOKEN in html and KUSD_TOKEN in html
    assert "ERC-20 token, symbol cBTC" in html
    cards = {card.asset: (card.contract, card.decimals) for card in response.context["assets"]}
    assert cards == {"BTC": (BTC_TOKEN, 8), "ETH": ("", 18), "KUSD": (KUSD_TOKEN, 2)}
    assert "Credited after 2 confirmations" in html


def test_the_deposit_page_explains_when_the_chain_is_not_set_up_yet(student_client, desk):
    ChainCustody.objects.update(provisioned=False)

    response = student_client.get(url(desk[0], "wallet-deposit"))

    assert response.status_code == 200
    assert "Your deposit address is not ready yet." in response.content.decode()
    assert DEPOSIT_ADDRESS not in response.content.decode()


def test_the_deposit_page_lists_only_the_students_own_deposits(student_client, desk):
    offering, student, _chain = desk
    classmate = EnrollmentFactory(offering=offering).user
    make_deposit(offering, student, 1, confirmations=1)
    make_deposit(offering, classmate, 2)

    response = student_client.get(url(offering, "wallet-deposit"))

    rows = [(row.tx_hash, row.explanation) for row in response.context["deposits"]]
    assert rows == [(tx(1), "1 of 2 confirmations: credited when it has them all.")]
    assert tx(2) not in response.content.decode()


# -- withdraw ----------------------------------------------------------------------------------


def test_the_withdrawal_form_shows_fees_minimums_balances_and_the_students_accounts(
    student_client, desk
):
    offering, _student, chain = desk

    response = student_client.get(url(offering, "wallet-withdraw"))

    terms = {t.asset: (t.fee, t.minimum, t.available, t.most) for t in response.context["terms"]}
    assert terms == {
        "BTC": ("0.0001", "0.001", "0.05", "0.0499"),
        "ETH": ("0.001", "0.01", "1", "0.999"),
        "KUSD": ("1", "10", "1,000", "999"),
    }
    html = response.content.decode()
    assert html.count('<option value="0x') == 10
    assert dev_accounts(chain)[3].address in html


def test_a_withdrawal_below_the_minimum_is_refused_with_the_input_kept_and_nothing_held(
    student_client, desk
):
    offering, student, _chain = desk

    response = withdraw(student_client, offering, amount="0.005")

    assert response.status_code == 400
    assert response.context["refusal"].code == "below_minimum"
    html = response.content.decode()
    assert "The exchange refused this withdrawal" in html
    assert 'value="0.005"' in html and 'value="0x' + "a" * 40 + '"' in html
    assert not Withdrawal.objects.exists()
    assert available(offering, student, "ETH") == (D(1), D(0))


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"to_address": "0x1234"}, "invalid_address"),
        ({"amount": "2"}, "insufficient_balance"),
        ({"asset": "BTC", "amount": "0.001000001"}, "too_precise"),
    ],
)
def test_a_refused_withdrawal_says_why_and_holds_nothing(student_client, desk, fields, code):
    offering, student, _chain = desk

    response = withdraw(student_client, offering, **fields)

    assert response.status_code == 400
    assert response.context["refusal"].code == code
    assert f"code {code}" in response.content.decode()
    assert not Withdrawal.objects.exists()
    assert available(offering, student, "ETH") == (D(1), D(0))


def test_an_amount_that_is_not_a_number_is_a_form_error(student_client, desk):
    response = withdraw(student_client, desk[0], amount="lots")

    assert response.status_code == 400
    assert "Enter a number." in response.content.decode()
    assert not Withdrawal.objects.exists()


def test_a_halted_offering_shows_the_reason_instead_of_the_form(student_client, desk):
    offering = desk[0]
    TransferSettings.objects.create(
        offering=offering, withdrawals_halted=True, halted_reason="Bank run drill"
    )

    response = student_client.get(url(offering, "wallet-withdraw"))

    html = response.content.decode()
    assert "Withdrawals are halted" in html and "Bank run drill" in html
    assert 'data-testid="withdraw-form"' not in html


def test_a_withdrawal_posted_during_a_halt_is_refused_and_holds_nothing(student_client, desk):
    offering, student, _chain = desk
    TransferSettings.objects.create(offering=offering, withdrawals_halted=True)

    response = withdraw(student_client, offering)

    assert response.status_code == 400
    assert response.context["refusal"].code == "withdrawals_halted"
    assert not Withdrawal.objects.exists()
    assert available(offering, student, "ETH") == (D(1), D(0))


def test_an_accepted_withdrawal_redirects_to_the_history_with_it_marked(student_client, desk):
    offering, student, _chain = desk

    response = withdraw(student_client, offering, amount="0.25")

    withdrawal = Withdrawal.objects.get()
    history = url(offering, "wallet-transfers")
    assert response.status_code == 302
    assert response["Location"] == f"{history}?new={withdrawal.pk}#withdrawal-{withdrawal.pk}"
    assert available(offering, student, "ETH") == (D("0.749"), D("0.251"))
    page = student_client.get(response["Location"])
    html = page.content.decode()
    assert f'id="withdrawal-{withdrawal.pk}"' in html and 'class="is-new"' in html
    assert f"Withdrawal #{withdrawal.pk} requested: 0.25 ETH" in html
    assert [row.status for row in page.context["withdrawals"]] == ["pending"]


# -- history -----------------------------------------------------------------------------------


def test_the_history_shows_the_students_own_transfers_with_links_to_their_explorer(
    student_client, desk
):
    offering, student, _chain = desk
    classmate = EnrollmentFactory(offering=offering).user
    make_deposit(offering, student, 1, status="credited", confirmations=2)
    make_deposit(offering, classmate, 2)
    Withdrawal.objects.create(
        offering=offering,
        owner=classmate,
        asset_id="ETH",
        amount=1,
        fee=0,
        to_address="0x" + "9" * 40,
    )

    response = student_client.get(url(offering, "wallet-transfers"))

    html = response.content.decode()
    assert [row.tx_hash for row in response.context["deposits"]] == [tx(1)]
    assert response.context["withdrawals"] == []
    assert reverse("chain-tx", args=[offering.slug, tx(1)]) in html
    assert "In your exchange wallet" in html
    assert tx(2) not in html


def test_a_row_fragment_is_the_owners_only(client, student_client, desk):
    offering, student, _chain = desk
    own = make_deposit(offering, student, 1)
    classmate = EnrollmentFactory(offering=offering).user
    theirs = make_deposit(offering, classmate, 2)

    mine = student_client.get(url(offering, "wallet-transfer-row", "deposit", own.pk))
    other = student_client.get(url(offering, "wallet-transfer-row", "deposit", theirs.pk))

    assert mine.status_code == 200
    assert mine.content.decode().lstrip().startswith(f'<tr id="deposit-{own.pk}"')
    assert other.status_code == 404


# -- proof of reserves -------------------------------------------------------------------------


@pytest.fixture
def instructor_client(client, desk):
    instructor = EnrollmentFactory(offering=desk[0], role=Enrollment.Role.INSTRUCTOR).user
    client.force_login(instructor)
    return client


def test_the_proof_of_reserves_sets_what_is_owed_against_what_is_on_chain(instructor_client, desk):
    offering, student, _chain = desk
    deposit = make_deposit(offering, student, 1, amount="0.5")
    credit_deposit(deposit_id=deposit.pk, confirmations=2)
    # what the watcher last read the exchange's addresses to hold, net of its floats
    ChainCustody.objects.update(holdings={"BTC": "0.5", "ETH": "0", "KUSD": "0"}, holdings_block=5)

    response = instructor_client.get(url(offering, "wallet-reserves"))

    lines = {line.asset: line for line in response.context["lines"]}
    btc = lines["BTC"]
    assert (btc.owed_for_deposits, btc.owed_to_users, btc.onchain, btc.difference) == (
        "0.5",
        "0.55",
        "0.5",
        "0",
    )
    assert btc.verdict == "ok" and btc.unbacked == "0.05"
    assert lines["ETH"].difference == "0" and lines["ETH"].unbacked == "1"
    assert 'data-testid="difference-BTC"' in response.content.decode()
    assert "last read on 1 student's chain" in response.content.decode()
    assert "not been read yet" not in response.content.decode()


def test_the_proof_of_reserves_lists_flagged_deposits(instructor_client, desk):
    offering, student, _chain = desk
    make_deposit(offering, student, 7, status="flagged", confirmations=2)

    response = instructor_client.get(url(offering, "wallet-reserves"))

    assert [row.tx_hash for row in response.context["flagged"]] == [tx(7)]
    assert "minji" in response.content.decode()


def test_an_instructor_halts_withdrawals_with_a_reason(instructor_client, desk):
    offering = desk[0]

    response = instructor_client.post(
        url(offering, "wallet-reserves-halt"), {"halted": "1", "reason": "Bank run drill"}
    )

    assert response.status_code == 302
    settings = TransferSettings.objects.get(offering=offering)
    assert (settings.withdrawals_halted, settings.halted_reason) == (True, "Bank run drill")


def test_an_instructor_resumes_withdrawals(instructor_client, desk):
    offering = desk[0]
    TransferSettings.objects.create(offering=offering, withdrawals_halted=True, halted_reason="x")

    instructor_client.post(url(offering, "wallet-reserves-halt"), {"halted": "0"})

    assert TransferSettings.objects.get(offering=offering).withdrawals_halted is False


def test_an_instructor_sets_the_confirmations(instructor_client, desk):
    offering = desk[0]

    response = instructor_client.post(
        url(offering, "wallet-reserves-confirmations"), {"confirmations": "5"}
    )

    assert response.status_code == 302
    assert TransferSettings.objects.get(offering=offering).confirmations == 5


def test_too_many_confirmations_are_refused_and_change_nothing(instructor_client, desk):
    offering = desk[0]

    response = instructor_client.post(
        url(offering, "wallet-reserves-confirmations"), {"confirmations": "65"}
    )

    assert response.status_code == 400
    assert "less than or equal to 64" in response.content.decode()
    assert not TransferSettings.objects.filter(offering=offering).exists()


def test_an_instructor_sets_an_assets_fee_and_minimum(instructor_client, desk, client):
    offering, student, _chain = desk

    response = instructor_client.post(
        url(offering, "wallet-reserves-rule", "KUSD"),
        {
            "KUSD-withdrawal_fee": "2",
            "KUSD-withdrawal_minimum": "25",
            "KUSD-deposits_enabled": "on",
        },
    )

    assert response.status_code == 302
    client.force_login(student)
    terms = {
        t.asset: (t.fee, t.minimum)
        for t in client.get(url(offering, "wallet-withdraw")).context["terms"]
    }
    assert terms["KUSD"] == ("2", "25")


def test_a_fee_rule_for_an_asset_that_cannot_move_is_a_404(instructor_client, desk):
    response = instructor_client.post(
        url(desk[0], "wallet-reserves-rule", "KRW"),
        {"KRW-withdrawal_fee": "1", "KRW-withdrawal_minimum": "1"},
    )

    assert response.status_code == 404


# -- links on the offering page ----------------------------------------------------------------


def test_members_get_deposit_and_withdraw_and_managers_the_proof_of_reserves(desk):
    offering, student, _chain = desk
    instructor = EnrollmentFactory(offering=offering, role=Enrollment.Role.INSTRUCTOR).user

    student_labels = [link.label for link in transfer_offering_links(student, offering)]
    instructor_labels = [link.label for link in transfer_offering_links(instructor, offering)]
    stranger_labels = transfer_offering_links(UserFactory(), offering)

    assert student_labels == ["Deposit & withdraw"]
    assert instructor_labels == ["Deposit & withdraw", "Proof of reserves"]
    assert stranger_labels == []


# -- on a real chain ---------------------------------------------------------------------------


@pytest.fixture
def no_broker(monkeypatch):
    monkeypatch.setattr("sandbox.wallet.withdrawals._send_broadcast_task", lambda pk: None)


@pytest.mark.django_db(transaction=True)
def test_the_deposit_page_sets_up_a_real_chain_and_its_web3_example_deposits(
    site, chain_host, student_chain, no_broker
):
    """The page provisions the exchange's custody on the student's chain (Anvil behind a real
    chain host), and its web3.py example, run as shown against the site's RPC proxy, makes two
    deposits the watcher credits."""
    ensure_standard_assets()  # a transactional test's flush removed the migrated assets
    chain, _path = student_chain()
    client = Client()
    client.force_login(chain.owner)
    offering = chain.offering

    page = client.get(url(offering, "wallet-deposit"))

    custody = ChainCustody.objects.get(chain=chain)
    assert custody.provisioned
    assert page.context["facts"].address == custody.deposit_address
    snippet = unescape(
        re.search(r'data-testid="web3-snippet"><code>(.*?)</code>', page.content.decode(), re.S)[1]
    )
    exec(snippet.replace("http://testserver", site.url), {})  # the student's script
    for _ in range(6):
        watch_chain(chain.pk)
    accounts = {
        a.asset_id: a.available
        for a in selectors.wallet_accounts(offering_id=offering.pk, owner_id=chain.owner_id)
    }
    assert (accounts["ETH"], accounts["BTC"]) == (D("1.5"), D("0.15"))
    history = client.get(url(offering, "wallet-transfers"))
    assert sorted(row.status for row in history.context["deposits"]) == ["credited", "credited"]


@pytest.mark.django_db(transaction=True)
def test_a_withdrawal_from_the_form_reaches_the_students_own_account_on_a_real_chain(
    chain_host, student_chain, no_broker
):
    """Posted with one of the accounts the form offers, sent by the chain side's hot wallet and
    confirmed by the watcher: the history says confirmed and the account holds the ether."""
    ensure_standard_assets()
    chain, _path = student_chain()
    open_wallet(offering_id=chain.offering_id, owner_id=chain.owner_id)
    client = Client()
    client.force_login(chain.owner)
    offering = chain.offering
    form = client.get(url(offering, "wallet-withdraw"))
    account = form.context["own_accounts"][9]
    before = chain_web3(chain).eth.get_balance(account.address)

    response = withdraw(client, offering, amount="0.25", to_address=account.address)

    withdrawal = Withdrawal.objects.get()
    assert response.status_code == 302
    broadcast_withdrawal(withdrawal.pk)
    for _ in range(4):
        watch_chain(chain.pk)
    history = client.get(url(offering, "wallet-transfers"))
    assert [row.status for row in history.context["withdrawals"]] == ["confirmed"]
    after = chain_web3(chain).eth.get_balance(account.address)
    assert after - before == 25 * 10**16


def test_the_wallet_page_says_a_hold_is_for_a_withdrawal_and_links_to_it(
    student_client, desk, broadcasts
):
    from sandbox.wallet.api import request_withdrawal

    offering, student, _ = desk
    withdrawal = request_withdrawal(
        offering_id=offering.pk,
        owner_id=student.pk,
        asset_code="BTC",
        amount=D("0.01"),
        to_address="0x" + "ab" * 20,
    )

    page = student_client.get(url(offering, "sandbox-wallet")).content.decode()

    assert f"locked for withdrawal #{withdrawal.pk} to your chain" in page
    assert f"{url(offering, 'wallet-transfers')}#withdrawal-{withdrawal.pk}" in page
