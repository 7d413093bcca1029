"""Drive random order flow into a market from this process (reliability tests, demos).

With --threads N, N flows run at once on threads of this process and place their orders through
the order desk, as the API's callers do, so that orders arriving together share transactions."""

import threading
from collections import Counter
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction

from campus.api import User
from sandbox.exchange import desk
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
        parser.add_argument("--threads", type=int, default=1, help="flows at once, via the desk")

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
        reference, threads = Decimal(options["reference"]), max(1, options["threads"])
        flows = [
            RandomFlow(
                market,
                owner_ids,
                reference,
                seed=options["seed"] * 1000 + n,
                **({"place": desk.place_order} if threads > 1 else {}),
            )
            for n in range(threads)
        ]
        steps = [
            options["orders"] // threads + (n < options["orders"] % threads) for n in range(threads)
        ]
        if threads == 1:
            _run(flows[0], steps[0], close=False)
        else:
            failures: list[BaseException] = []
            runners = [
                threading.Thread(target=_run, args=(flow, count), kwargs={"failures": failures})
                for flow, count in zip(flows, steps, strict=True)
            ]
            for runner in runners:
                runner.start()
            for runner in runners:
                runner.join()
            if failures:
                raise CommandError(f"a flow failed: {failures[0]!r}") from failures[0]
        outcomes = sum((flow.outcomes for flow in flows), Counter())
        self.stdout.write(" ".join(f"{k}={v}" for k, v in sorted(outcomes.items())))
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


def _run(flow: RandomFlow, steps: int, *, close: bool = True, failures: list | None = None) -> None:
    try:
        for _ in range(steps):
            flow.step()
    except Exception as error:
        if failures is None:
            raise
        failures.append(error)
    finally:
        if close:  # a thread's own connection
            connections.close_all()
