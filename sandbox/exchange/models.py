"""Markets, orders and trades of an offering's sandbox exchange.

Field names follow Binance's where one exists, so the API layer maps them one to one. Amounts are
Decimals at the ledger's scale; the matching engine sees them as integer ticks and lots (`units.py`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sandbox.exchange import engine
from sandbox.wallet.models import Asset, money_field

OPEN_STATUSES = ("NEW", "PARTIALLY_FILLED")


class Market(models.Model):
    class Status(models.TextChoices):
        TRADING = "TRADING", _("Trading")
        HALT = "HALT", _("Halted")

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    symbol = models.CharField(_("symbol"), max_length=20, help_text=_("Binance style: BTCKRW."))
    base = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    quote = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.TRADING)
    tick_size = money_field(_("tick size"))
    lot_size = money_field(_("lot size"), help_text=_("Quantity step (Binance LOT_SIZE stepSize)."))
    min_qty = money_field(_("minimum quantity"))
    max_qty = money_field(_("maximum quantity"))
    min_price = money_field(_("minimum price"))
    max_price = money_field(_("maximum price"))
    min_notional = money_field(_("minimum notional"))
    maker_fee = models.DecimalField(_("maker fee rate"), max_digits=7, decimal_places=6)
    taker_fee = models.DecimalField(_("taker fee rate"), max_digits=7, decimal_places=6)
    last_price = money_field(_("last price"), null=True, blank=True)
    book_version = models.BigIntegerField(
        default=0,
        help_text=_("Bumped by every change to the book; engines compare it to stay in sync."),
    )

    class Meta:
        ordering = ["offering", "symbol"]
        verbose_name = _("market")
        verbose_name_plural = _("markets")
        constraints = [
            models.UniqueConstraint(
                fields=["offering", "symbol"], name="market_symbol_per_offering"
            ),
            models.CheckConstraint(
                condition=Q(tick_size__gt=0, lot_size__gt=0, min_qty__gt=0, min_price__gt=0),
                name="market_positive_steps",
            ),
            models.CheckConstraint(
                condition=Q(maker_fee__gte=0, maker_fee__lt=1, taker_fee__gte=0, taker_fee__lt=1),
                name="market_fee_rates",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.base_id}-{self.quote_id}"


class Order(models.Model):
    # The engine's vocabulary, as database choices: one list of names for both.
    Side = models.TextChoices("Side", [member.name for member in engine.Side])
    Type = models.TextChoices("Type", [member.name for member in engine.OrderKind])
    Status = models.TextChoices("Status", [member.name for member in engine.OrderStatus])

    # no index of their own: order_client_id_once and order_owner_market lead with them
    market = models.ForeignKey(
        Market, on_delete=models.CASCADE, related_name="orders", db_index=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="exchange_orders",
        db_index=False,
    )
    client_order_id = models.CharField(max_length=36)
    side = models.CharField(max_length=4, choices=Side.choices)
    type = models.CharField(max_length=20, choices=Type.choices)
    time_in_force = models.CharField(max_length=3, blank=True)
    price = money_field(_("price"), null=True, blank=True)
    stop_price = money_field(_("stop price"), null=True, blank=True)
    orig_qty = money_field(_("quantity"), null=True, blank=True)
    orig_quote_order_qty = money_field(_("quote quantity"), null=True, blank=True)
    executed_qty = money_field(_("executed quantity"), default=0)
    cummulative_quote_qty = money_field(_("executed quote quantity"), default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    self_trade_prevention_mode = models.CharField(max_length=12, default="EXPIRE_MAKER")
    held = money_field(_("held"), default=0, help_text=_("What the order still has locked."))
    stop_triggered = models.BooleanField(default=False)
    book_version = models.BigIntegerField(
        default=0,
        help_text=_(
            "The market's book_version when this order last changed: an engine that has seen "
            "version v catches up by reading the orders with a higher one."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(
                fields=["market", "owner", "client_order_id"], name="order_client_id_once"
            ),
            models.CheckConstraint(condition=Q(held__gte=0), name="order_held_not_negative"),
        ]
        indexes = [
            models.Index(
                fields=["market", "id"],
                condition=Q(status__in=OPEN_STATUSES),
                name="order_open_by_market",
            ),
            models.Index(fields=["owner", "market", "-id"], name="order_owner_market"),
            models.Index(fields=["market", "book_version"], name="order_book_changes"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.side} {self.type} {self.orig_qty} @ {self.price} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Trade(models.Model):
    # market, buyer, seller: no index of their own (trade_market_recent, trade_buyer and
    # trade_seller lead with them)
    market = models.ForeignKey(
        Market, on_delete=models.CASCADE, related_name="trades", db_index=False
    )
    price = money_field(_("price"))
    qty = money_field(_("quantity"))
    quote_qty = money_field(_("quote quantity"))
    buyer_order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    seller_order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    is_buyer_maker = models.BooleanField()
    buyer_fee = money_field(_("buyer fee (base asset)"))
    seller_fee = money_field(_("seller fee (quote asset)"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("trade")
        verbose_name_plural = _("trades")
        indexes = [
            models.Index(fields=["market", "-id"], name="trade_market_recent"),
            models.Index(fields=["market", "created_at"], name="trade_market_time"),
            models.Index(fields=["buyer", "market"], name="trade_buyer"),
            models.Index(fields=["seller", "market"], name="trade_seller"),
        ]

    def __str__(self) -> str:
        return f"{self.market} {self.qty} @ {self.price}"


class ApiKey(models.Model):
    """A key for the Binance-shaped HTTP API: it acts for its owner's wallet in one offering.

    `key` is the public identifier sent in X-MBX-APIKEY. The secret is shown once at creation and
    kept only encrypted (`apikeys.py`): HMAC verification needs the plaintext, so a hash would not
    do. A revoked key stays for the record and is refused.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exchange_api_keys"
    )
    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    label = models.CharField(_("label"), max_length=80, blank=True)
    key = models.CharField(_("API key"), max_length=64, unique=True)
    encrypted_secret = models.TextField(_("encrypted secret"))
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        indexes = [models.Index(fields=["owner", "offering"], name="apikey_owner_offering")]
        constraints = [
            models.CheckConstraint(
                condition=Q(key__regex=r"^[A-Za-z0-9]{64}$"), name="apikey_key_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label or self.key[:8]} · {self.owner_id} · {self.offering_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
