"""What the transfer pages read of the student's chain, through `sandbox.chain.api` only.

The deposit page needs the exchange's deposit address on the student's chain and its token
contracts there; the withdrawal form offers the student's own accounts as destinations; the
proof of reserves needs what the exchange's addresses hold. The chain is read here and nowhere
else in the wallet app, and a chain that is not set up yet or cannot be read gives the page a
sentence to show instead of an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

import segno
from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from eth_utils import to_checksum_address

from campus.errors import ServiceError
from courses.api import Offering
from sandbox.chain import api as chain_api
from sandbox.wallet.transfers_selectors import TransferRule

log = logging.getLogger(__name__)
NATIVE_ASSET = "ETH"  # the chain's own ether is the exchange's ETH
QR_DARK, QR_LIGHT = "#1b2430", "#ffffff"
PROVISION_WAIT_S = 5  # a page waits this long for another process setting up the same chain


@dataclass(frozen=True)
class TokenContract:
    address: str
    decimals: int
    symbol: str


@dataclass(frozen=True)
class DepositFacts:
    """Where the student sends a deposit, or why that cannot be shown yet (`problem`)."""

    ready: bool
    problem: str = ""
    chain_id: int | None = None
    address: str = ""
    qr_svg: SafeString = field(default_factory=lambda: mark_safe(""))
    rpc_url: str = ""
    tokens: dict[str, TokenContract] = field(default_factory=dict)
    chain_url: str = ""
    studio_url: str = ""


@dataclass(frozen=True)
class AssetCard:
    asset: str
    name: str
    native: bool
    contract: str
    decimals: int | None
    symbol: str
    deposits_enabled: bool
    watch: dict | None  # EIP-747 wallet_watchAsset parameters
    watch_id: str


@dataclass(frozen=True)
class OwnAccount:
    index: int
    address: str


def deposit_facts(request: HttpRequest, offering: Offering) -> DepositFacts:
    """The student's deposit address and the exchange's tokens on their chain. A chain whose
    custody is not provisioned yet is provisioned now (`ensure_custody` starts the chain if it
    is stopped); once it is, the page reads the rows and needs no node."""
    links = {
        "chain_url": reverse("chain-mine", args=[offering.slug]),
        "studio_url": reverse("chain-studio", args=[offering.slug]),
    }
    try:
        chain = chain_api.open_chain(offering_id=offering.pk, owner_id=request.user.pk)
    except ServiceError as error:
        return DepositFacts(ready=False, problem=error.message, **links)
    custody = chain_api.ChainCustody.objects.filter(chain=chain).first()
    if custody is None or not custody.provisioned:
        custody, problem = _provisioned(chain)
        if custody is None:
            return DepositFacts(ready=False, problem=problem, chain_id=chain.chain_id, **links)
    tokens = chain_api.ChainToken.objects.filter(chain=chain).order_by("asset_code")
    return DepositFacts(
        ready=True,
        chain_id=chain.chain_id,
        address=to_checksum_address(custody.deposit_address),
        qr_svg=address_qr_svg(to_checksum_address(custody.deposit_address)),
        rpc_url=_rpc_url(request, chain),
        tokens={
            token.asset_code: TokenContract(
                to_checksum_address(token.address), token.decimals, _token_symbol(token.asset_code)
            )
            for token in tokens
        },
        **links,
    )


def _provisioned(chain) -> tuple[object | None, str]:
    """Provision the chain's custody now, or say why it cannot be done."""
    try:
        return chain_api.ensure_custody(chain, wait_s=PROVISION_WAIT_S), ""
    except chain_api.ChainUnavailable as error:
        return None, str(error)
    except chain_api.CustodyUnavailable:
        log.warning("custody of chain %s could not be set up", chain.pk, exc_info=True)
        return None, _(
            "The exchange could not set up its contracts on your chain; try again in a minute, "
            "and tell your instructor if it keeps failing."
        )
    except OSError as error:
        return None, _("Your chain's node did not answer (%s).") % error
    except (chain_api.CustodyBusy, chain_api.ChainBusy):
        log.info("custody of chain %s busy", chain.pk, exc_info=True)
        return None, _("Your chain is busy with another task right now: reload in a few seconds.")


def asset_card(rule: TransferRule, name: str, facts: DepositFacts) -> AssetCard:
    native = rule.asset_code == NATIVE_ASSET
    token = facts.tokens.get(rule.asset_code)
    watch = None
    if token is not None:
        watch = {
            "type": "ERC20",
            "options": {
                "address": token.address,
                "symbol": token.symbol,
                "decimals": token.decimals,
            },
        }
    return AssetCard(
        asset=rule.asset_code,
        name=name,
        native=native,
        contract=token.address if token else "",
        decimals=18 if native else (token.decimals if token else None),
        symbol=token.symbol if token else "",
        deposits_enabled=rule.deposits_enabled,
        watch=watch,
        watch_id=f"watch-{rule.asset_code}",
    )


def own_accounts(offering: Offering, owner_id: int) -> list[OwnAccount]:
    """The student's ten chain accounts (derived without the node), or none if they have no
    chain in this offering."""
    try:
        chain = chain_api.open_chain(offering_id=offering.pk, owner_id=owner_id)
    except ServiceError:
        return []
    return [OwnAccount(a.index, a.address) for a in _dev_accounts(chain)]


@dataclass(frozen=True)
class Holdings:
    """What the exchange's addresses hold across the offering's chains, as the deposit watcher
    last read each chain, and how fresh that is."""

    onchain: dict[str, Decimal]
    chains: int  # chains the exchange has custody of
    unread: int  # of which the watcher has not read the holdings yet


def onchain_holdings(offering: Offering) -> Holdings:
    readings = chain_api.ChainCustody.objects.filter(
        chain__offering_id=offering.pk, chain__forked_from__isnull=True
    ).aggregate(chains=Count("pk"), unread=Count("pk", filter=Q(holdings_block__isnull=True)))
    return Holdings(onchain=chain_api.onchain_reserves(offering.pk), **readings)


def address_qr_svg(address: str) -> SafeString:
    """The address as a QR code, an inline SVG scaled by CSS (segno writes only path data and
    its own attributes, nothing taken from the request)."""
    qr = segno.make(address, error="m")
    svg = qr.svg_inline(
        scale=4, border=2, dark=QR_DARK, light=QR_LIGHT, omitsize=True, svgclass="qr-code"
    )
    return mark_safe(svg)  # noqa: S308


def short_hex(value: str) -> str:
    """0x1234…abcd: enough to recognise a hash or address; the full one is in the title."""
    if len(value) <= 14:
        return value
    return f"{value[:6]}…{value[-4:]}"


def _rpc_url(request: HttpRequest, chain) -> str:
    try:
        return request.build_absolute_uri(chain_api.rpc_path(chain))
    except ServiceError:
        return ""


def _token_symbol(asset_code: str) -> str:
    return chain_api.token_symbol(asset_code)


def _dev_accounts(chain) -> tuple:
    """The student's ten accounts, derived (no node needed)."""
    return chain_api.dev_accounts(chain)
