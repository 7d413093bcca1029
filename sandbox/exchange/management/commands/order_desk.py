"""`python manage.py order_desk`: run the order desk process (the Procfile's `desk` process).

Listens on EXCHANGE_ORDER_DESK_SOCKET (or --socket) and places the orders the web processes hand
it, in batches (sandbox/exchange/deskprocess.py). SIGTERM or Ctrl-C stops it once the round in
hand is answered; orders it had read and not yet placed are not placed (their senders answer
-1007, status unknown). With no socket set it idles until stopped, so that the Procfile's other
processes run on: the web processes then place their own orders.
"""

import signal
import threading
from pathlib import Path

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.core.management.base import BaseCommand

from campus.serving import settle_startup_heap
from sandbox.exchange.deskprocess import OrderDesk


class Command(BaseCommand):
    help = "Run the order desk: place the web processes' orders in batches, one matcher per site."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--socket",
            default=settings.EXCHANGE_ORDER_DESK_SOCKET,
            help="Unix socket to listen on (default: EXCHANGE_ORDER_DESK_SOCKET).",
        )

    def handle(self, **options) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        if not options["socket"]:
            self.stdout.write(
                "No EXCHANGE_ORDER_DESK_SOCKET: the web processes place their own orders, and "
                "the order desk idles."
            )
            stop.wait()
            return
        if isinstance(get_channel_layer(), InMemoryChannelLayer):
            self.stderr.write(
                "The channel layer is in memory: the stream events of the orders placed here "
                "reach no web process's WebSocket clients. Set REDIS_URL."
            )
        path = Path(settings.BASE_DIR, options["socket"])  # a relative path: from the project
        order_desk = OrderDesk(path)
        settle_startup_heap()  # its full collections would stall every order in hand
        order_desk.serve(stop, ready=lambda: self.stdout.write(f"Order desk on {path}"))
        self.stdout.write(
            f"Order desk stopped: {order_desk.placed} orders placed or refused in "
            f"{order_desk.rounds} rounds, busy {order_desk.busy_s:.3f} s, placing "
            f"{order_desk.placing_s:.3f} s."
        )
