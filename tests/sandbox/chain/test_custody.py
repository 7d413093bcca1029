"""The exchange's custody of a student's chain: derived keys, provisioning (idempotent, redone
after a reset), on real Anvil chains behind a real chain host. The helpers here (a provisioned
student `desk`, sending a deposit, a watcher pass) are shared by test_watcher and
test_withdrawals."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import override_settings

from sandbox.chain.custody import (
    HOT_ETH_FLOAT,
    balance_call,
    control_node,
    custody_addresses,
    ensure_custody,
    from_units,
    transfer_data,
)
from sandbox.chain.models import Chain, ChainCustody, ChainToken
from sandbox.chain.selectors import dev_accounts
from sandbox.chain.services import reset_chain
from sandbox.chain.watcher import watch_chain
from sandbox.wallet.api import open_wallet, user_accounts
from sandbox.wallet.assets import ensure_standard_assets


@pytest.fixture
def no_broker(monkeypatch):
    """Withdrawal broadcasts are run by the test, not sent to a Celery worker."""
    sent = []
    monkeypatch.setattr(
        "sandbox.wallet.withdrawals.celery_app.send_task",
        lambda name, args=None, **kwargs: sent.append((name, args)),
    )
    return sent


@pytest.fixture
def make_desk(chain_host, student_chain, no_broker):
    """Students with an opened wallet and a provisioned chain (in `offering`, or a new one)."""
    ensure_standard_assets()

    def make(offering=None):
        chain, _ = student_chain(offering)
        open_wallet(offering_id=chain.offering_id, owner_id=chain.owner_id)
        custody_row = ensure_custody(chain)
        return Desk(
            chain=Chain.objects.get(pk=chain.pk),
            custody=custody_row,
            student=dev_accounts(chain)[0].address,
            tokens={t.asset_code: t for t in ChainToken.objects.filter(chain=chain)},
        )

    return make


@pytest.fixture
def desk(make_desk):
    return make_desk()


class Desk(SimpleNamespace):
    @property
    def node(self):
        """Asked of the host each time: a reset or a revert restarts the node on another port."""
        return control_node(Chain.objects.get(pk=self.chain.pk))


def send_ether(desk, wei: int, to: str | None = None) -> str:
    tx = {"from": desk.student, "to": to or desk.custody.deposit_address, "value": hex(wei)}
    return desk.node.call("eth_sendTransaction", tx)


def send_token(desk, code: str, units: int, to: str | None = None) -> str:
    data = transfer_data(to or desk.custody.deposit_address, units)
    tx = {"from": desk.student, "to": desk.tokens[code].address, "data": "0x" + data.hex()}
    return desk.node.call("eth_sendTransaction", tx)


def token_balance(desk, code: str, holder: str) -> Decimal:
    units = int(desk.node.batch([balance_call(desk.tokens[code].address, holder)])[0], 16)
    return from_units(units, desk.tokens[code].decimals)


def available(desk, code: str) -> Decimal:
    """The student's available balance of `code` in their exchange wallet."""
    accounts = user_accounts(
        offering_id=desk.chain.offering_id, owner_id=desk.chain.owner_id, asset_codes=[code]
    )
    return accounts[code].available


def head(desk) -> int:
    return int(desk.node.call("eth_blockNumber"), 16)


def passes(desk, times: int) -> list:
    return [watch_chain(desk.chain.pk) for _ in range(times)]


# -- keys ----------------------------------------------------------------------------------------


def test_custody_keys_come_from_the_server_secret_not_the_students_mnemonic(settings):
    deposit, hot = custody_addresses(7)

    with override_settings(SECRET_KEY="another-secret-" + "x" * 40):
        other = custody_addresses(7)

    assert deposit != hot
    assert custody_addresses(7) == (deposit, hot)  # stable
    assert custody_addresses(8) != (deposit, hot)  # per chain
    assert other != (deposit, hot)  # unknowable without the secret


# -- provisioning --------------------------------------------------------------------------------


def test_provisioning_deploys_the_tokens_and_funds_the_hot_wallet_once(desk):
    first_head = head(desk)

    again = ensure_custody(desk.chain)

    assert again.pk == desk.custody.pk and again.provisioned
    assert head(desk) == first_head  # nothing deployed the second time
    assert {code: t.decimals for code, t in desk.tokens.items()} == {"BTC": 8, "KUSD": 2}
    assert token_balance(desk, "BTC", desk.student) == Decimal("0.5")
    assert token_balance(desk, "KUSD", desk.student) == Decimal(1000)
    assert token_balance(desk, "BTC", desk.custody.hot_address) == Decimal(10)
    hot_wei = int(desk.node.call("eth_getBalance", desk.custody.hot_address, "latest"), 16)
    assert 0 < HOT_ETH_FLOAT.scaleb(18) - hot_wei < 10**16  # the float, less deployment gas
    assert desk.custody.deposit_address not in {a.address for a in dev_accounts(desk.chain)}


def test_provisioning_is_redone_by_the_watcher_after_a_reset(desk):
    addresses = {code: t.address for code, t in desk.tokens.items()}
    passes(desk, 1)

    reset_chain(chain=desk.chain)
    gone = desk.node.call("eth_getCode", addresses["BTC"], "latest")
    report = watch_chain(desk.chain.pk)

    assert gone == "0x"
    assert report.provisioned, report
    assert {t.asset_code: t.address for t in ChainToken.objects.filter(chain=desk.chain)} == (
        addresses
    )  # the hot wallet deployed them at the same nonces again
    assert token_balance(desk, "BTC", desk.student) == Decimal("0.5")
    assert ChainCustody.objects.get(pk=desk.custody.pk).provisioned


def test_the_exchanges_accounts_and_tokens_are_out_of_reach_of_cheat_methods(desk):
    from sandbox.chain.custody import protected_addresses

    protected = protected_addresses(desk.chain.pk)

    assert {t.address.lower() for t in desk.tokens.values()} <= protected
    assert desk.custody.deposit_address.lower() in protected
    assert desk.custody.hot_address.lower() in protected
    assert desk.student.lower() not in protected
