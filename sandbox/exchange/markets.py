"""Listing markets on an offering's exchange."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from campus.errors import ServiceError
from sandbox.exchange.models import Market
from sandbox.wallet.api import Account, Asset, system_account

D = Decimal
DEFAULT_MARKETS = [
    # symbol, base, quote, tick size, lot size, minimum notional
    ("BTCKRW", "BTC", "KRW", D("1000"), D("0.00001"), D("5000")),
    ("ETHKRW", "ETH", "KRW", D("100"), D("0.0001"), D("5000")),
    ("KUSDKRW", "KUSD", "KRW", D("0.1"), D("0.1"), D("5000")),
]
DEFAULT_MAKER_FEE = D("0.0005")
DEFAULT_TAKER_FEE = D("0.001")


def create_market(
    *,
    offering_id: int,
    symbol: str,
    base: str,
    quote: str,
    tick_size: Decimal,
    lot_size: Decimal,
    min_notional: Decimal,
    maker_fee: Decimal = DEFAULT_MAKER_FEE,
    taker_fee: Decimal = DEFAULT_TAKER_FEE,
) -> Market:
    """List a market. Refuses steps whose smallest notional the quote asset cannot represent
    exactly (the ledger would have to round), and a symbol listed already."""
    assets = Asset.objects.in_bulk([base, quote])
    if len(assets) != 2:
        raise ServiceError(
            "unknown_asset",
            _("Both %(base)s and %(quote)s must be assets.") % {"base": base, "quote": quote},
        )
    unit = tick_size * lot_size
    if unit != unit.quantize(assets[quote].quantum) or lot_size != lot_size.quantize(
        assets[base].quantum
    ):
        raise ServiceError(
            "inexact_steps",
            _("tick size × lot size (%(unit)s) must be a whole number of %(quantum)s %(quote)s.")
            % {"unit": unit, "quantum": assets[quote].quantum, "quote": quote},
        )
    with transaction.atomic(durable=True):
        if Market.objects.filter(offering_id=offering_id, symbol=symbol).exists():
            raise ServiceError(
                "duplicate_market", _("%(symbol)s is listed already.") % {"symbol": symbol}
            )
        for code in (base, quote):  # fees collect here; created now so trades need not
            system_account(offering_id=offering_id, asset_code=code, kind=Account.Kind.FEES)
        return Market.objects.create(
            offering_id=offering_id,
            symbol=symbol,
            base_id=base,
            quote_id=quote,
            tick_size=tick_size,
            lot_size=lot_size,
            min_qty=lot_size,
            max_qty=D("9000000"),
            min_price=tick_size,
            max_price=tick_size * D("10000000000"),
            min_notional=min_notional,
            maker_fee=maker_fee,
            taker_fee=taker_fee,
        )


def list_default_markets(*, offering_id: int) -> list[Market]:
    """The standard KRW markets, each listed once (safe to call again)."""
    listed = set(Market.objects.filter(offering_id=offering_id).values_list("symbol", flat=True))
    for symbol, base, quote, tick, lot, min_notional in DEFAULT_MARKETS:
        if symbol not in listed:
            create_market(
                offering_id=offering_id,
                symbol=symbol,
                base=base,
                quote=quote,
                tick_size=tick,
                lot_size=lot,
                min_notional=min_notional,
            )
    return list(Market.objects.filter(offering_id=offering_id))
