"""The bots' house accounts: a user per (offering, bot slot) with a wallet funded from issuance.

Funding comes from the offering's issuance account like a student's starting grant, so the
ledger sums to zero with bots in it and the ledger check covers everything they do.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from campus.api import User
from sandbox.exchange.api import ExchangeError, cancel_open_orders, market_by_symbol
from sandbox.markets.models import HouseBot
from sandbox.wallet.api import Wallet, open_funded_wallet

HOUSE_FUNDING = {
    "KRW": Decimal("50000000000"),
    "BTC": Decimal("200"),
    "ETH": Decimal("5000"),
    "KUSD": Decimal("20000000"),
}


def house_funding() -> dict[str, Decimal]:
    return dict(HOUSE_FUNDING)


def house_bot_user(*, offering_id: int, slot: int) -> User:
    """The house user for a bot slot, created and funded the first time it is asked for."""
    found = (
        HouseBot.objects.select_related("user").filter(offering_id=offering_id, slot=slot).first()
    )
    user = found.user if found is not None else _new_house_user(offering_id, slot)
    # Funded apart from its creation (both are durable transactions): a bot whose creation was
    # cut short before its wallet is funded on its next tick. Funding twice changes nothing.
    open_funded_wallet(
        offering_id=offering_id, owner_id=user.pk, amounts=house_funding(), memo="house bot"
    )
    return user


def house_bots(*, offering_id: int, slots: list[int]) -> dict[int, int]:
    """{slot: user id} of these slots' house bots: one query when each exists and is funded (a
    wallet is opened and funded in one transaction), as on every tick but a run's first; a slot
    whose bot is missing or was cut short before its funding goes through `house_bot_user`."""
    funded = Wallet.objects.filter(offering_id=offering_id, owner_id=OuterRef("user_id"))
    rows = (
        HouseBot.objects.filter(offering_id=offering_id, slot__in=slots)
        .annotate(funded=Exists(funded))
        .values_list("slot", "user_id", "funded")
    )
    found = {slot: user_id for slot, user_id, is_funded in rows if is_funded}
    for slot in slots:
        if slot not in found:
            found[slot] = house_bot_user(offering_id=offering_id, slot=slot).pk
    return found


def _new_house_user(offering_id: int, slot: int) -> User:
    try:
        with transaction.atomic(durable=True):
            user = User(username=f"house-{offering_id}-{slot}", first_name="House bot")
            user.set_unusable_password()
            user.save()
            HouseBot.objects.create(offering_id=offering_id, slot=slot, user=user)
            return user
    except IntegrityError:  # created at the same moment by another tick
        return HouseBot.objects.get(offering_id=offering_id, slot=slot).user


def withdraw_bots(*, offering_id: int, scenario) -> None:
    """Every bot of the scenario takes its orders out of the books."""
    for slot, bot in enumerate(scenario.bots):
        market = market_by_symbol(offering_id=offering_id, symbol=bot.market)
        owner = house_bot_user(offering_id=offering_id, slot=slot)
        withdraw_quotes(owner_id=owner.pk, market=market)


def withdraw_quotes(*, owner_id: int, market) -> None:
    """Cancel the bot's open orders in the market, if it has any."""
    with contextlib.suppress(ExchangeError):  # nothing open
        cancel_open_orders(owner_id=owner_id, market=market)
