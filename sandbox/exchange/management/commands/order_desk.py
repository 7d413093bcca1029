"""`python manage.py order_desk`: run the order desk process (the Procfile's `desk` process).

Listens on EXCHANGE_ORDER_DESK_SOCKET (or --socket) and places the orders the web workers hand
it, in batches (sandbox/exchange/deskprocess.py). SIGTERM or Ctrl-C stops it after the round in
hand; orders sent meanwhile are answered by their web workers with -1007 (status unknown) only if
they were already sent, otherwise placed there.
"""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sandbox.exchange.deskprocess import OrderDesk


class Command(BaseCommand):
    help = "Run the order desk: place the web workers' orders in batches, one matcher per site."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--socket",
            default=settings.EXCHANGE_ORDER_DESK_SOCKET,
            help="Unix socket to listen on (default: EXCHANGE_ORDER_DESK_SOCKET).",
        )

    def handle(self, **options) -> None:
        if not options["socket"]:
            raise CommandError("Set EXCHANGE_ORDER_DESK_SOCKET (the web workers use it too).")
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        order_desk = OrderDesk(options["socket"])
        order_desk.serve(
            stop, ready=lambda: self.stdout.write(f"Order desk on {options['socket']}")
        )
        self.stdout.write(
            f"Order desk stopped: {order_desk.answered} orders answered in "
            f"{order_desk.rounds} rounds."
        )
