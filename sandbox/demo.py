"""The demo sandbox: each demo offering's markets, every enrolled person's wallet, and a house
market maker whose resting quotes give the books depth until the markets' bots take over."""

from decimal import Decimal

from campus.api import SeedContext, User
from courses.api import Enrollment, Offering, demo_offerings
from sandbox.exchange.filters import OrderRequest
from sandbox.exchange.markets import list_default_markets
from sandbox.exchange.models import OPEN_STATUSES, Market, Order
from sandbox.exchange.services import place_order
from sandbox.wallet.assets import ensure_standard_assets
from sandbox.wallet.services import open_funded_wallet, open_wallet

HOUSE_USERNAME = "house-maker"
REFERENCE_PRICES = {
    "BTCKRW": Decimal("150000000"),
    "ETHKRW": Decimal("5000000"),
    "KUSDKRW": Decimal("1400"),
}
HOUSE_FUNDS = {
    "KRW": Decimal("5000000000"),
    "BTC": Decimal("20"),
    "ETH": Decimal("500"),
    "KUSD": Decimal("2000000"),
}
LEVELS = 5
LEVEL_STEP = Decimal("0.002")  # 0.2% between quote levels
LEVEL_NOTIONAL = Decimal("2000000")  # KRW per level


def seed(ctx: SeedContext) -> None:
    ensure_standard_assets()  # normally there from the migration; not after a test's flush
    house = _house_user(ctx)
    for offering in demo_offerings():
        markets = list_default_markets(offering_id=offering.pk)
        for enrollment in Enrollment.objects.filter(offering=offering, is_active=True):
            _wallet, opened = open_wallet(offering_id=offering.pk, owner_id=enrollment.user_id)
            ctx.count(opened)
        _fund_house(ctx, offering, house)
        for market in markets:
            _quote_around_reference(ctx, market, house)


def _house_user(ctx: SeedContext) -> User:
    house, created = User.objects.get_or_create(
        username=HOUSE_USERNAME, defaults={"display_name": "House market maker", "is_active": False}
    )
    if created:
        house.set_unusable_password()
        house.save(update_fields=["password"])
    ctx.count(created)
    return house


def _fund_house(ctx: SeedContext, offering: Offering, house: User) -> None:
    ctx.count(
        open_funded_wallet(
            offering_id=offering.pk,
            owner_id=house.pk,
            amounts=HOUSE_FUNDS,
            memo="demo house liquidity",
        )
    )


def _quote_around_reference(ctx: SeedContext, market: Market, house: User) -> None:
    if Order.objects.filter(market=market, owner=house, status__in=OPEN_STATUSES).exists():
        return
    reference = REFERENCE_PRICES[market.symbol]
    for level in range(1, LEVELS + 1):
        for side, sign in (("BUY", -1), ("SELL", 1)):
            price = _on_tick(reference * (1 + sign * LEVEL_STEP * level), market.tick_size)
            quantity = _on_tick(LEVEL_NOTIONAL / price, market.lot_size)
            request = OrderRequest(
                side=side, type="LIMIT", time_in_force="GTC", price=price, quantity=quantity
            )
            place_order(owner_id=house.pk, market=market, request=request)
            ctx.count(True)


def _on_tick(amount: Decimal, step: Decimal) -> Decimal:
    return (amount / step).to_integral_value() * step
