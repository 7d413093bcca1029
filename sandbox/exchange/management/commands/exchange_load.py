"""Drive random order flow into a market from this process (reliability tests, demos)."""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from campus.api import User
from sandbox.exchange.engines import engine_for, market_writer, rebuild_engine
from sandbox.exchange.loadgen import RandomFlow
from sandbox.exchange.models import Market


class Command(BaseCommand):
    help = "Place and cancel random orders in a market as the given users."

    def add_arguments(self, parser):
        parser.add_argument("--offering", required=True, help="offering slug")
        parser.add_argument("--symbol", default="BTCKRW")
        parser.add_argument("--users", required=True, help="comma-separated usernames")
        parser.add_argument("--orders", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--reference", default="100000000", help="reference price")

    def handle(self, *args, **options) -> None:
        market = (
            Market.objects.select_related("base", "quote")
            .filter(offering__slug=options["offering"], symbol=options["symbol"])
            .first()
        )
        if market is None:
            raise CommandError(f"no market {options['symbol']} in offering {options['offering']}")
        names = options["users"].split(",")
        owner_ids = list(User.objects.filter(username__in=names).values_list("pk", flat=True))
        if len(owner_ids) != len(names):
            raise CommandError("unknown user among --users")
        flow = RandomFlow(market, owner_ids, Decimal(options["reference"]), seed=options["seed"])
        for _ in range(options["orders"]):
            flow.step()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in sorted(flow.outcomes.items())))
        self._check_book(market)

    def _check_book(self, market: Market) -> None:
        """This process's engine, caught up on whatever other processes wrote since it last
        matched, must equal a fresh rebuild from the database."""
        with market_writer(market.pk) as book, transaction.atomic():
            locked = Market.objects.select_for_update(of=("self",)).get(pk=market.pk)
            live = engine_for(book, locked).open_orders()
            if live != rebuild_engine(locked).open_orders():
                raise CommandError("in-memory book differs from the open orders in the database")
        self.stdout.write("book-consistent (live engine equals the rebuild, caught up on others)")
