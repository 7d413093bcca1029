"""`python manage.py chainhost`: run the chain host (the Procfile's `chainhost` process).

Starts students' chains on first use, stops idle ones with their state saved, restores them on
the next request, restarts any that die. SIGTERM or Ctrl-C stops every chain (state saved) and
exits. Settings: CHAIN_HOST_NAME, CHAIN_HOST_BIND, CHAIN_DIR, CHAIN_PORTS, CHAIN_MAX_RUNNING,
CHAIN_IDLE_SECONDS.
"""

import signal
import threading

from django.core.management.base import BaseCommand

from sandbox.chain.hostserver import start_host

SUPERVISE_EVERY_S = 1.0


class Command(BaseCommand):
    help = "Run the chain host: students' Anvil chains on this machine, behind a control API."

    def handle(self, **options) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        supervisor, server = start_host()
        self.stdout.write(
            f"Chain host {supervisor.name} on {supervisor.control_url}: "
            f"ports {supervisor.ports.start}-{supervisor.ports.stop - 1}, "
            f"at most {supervisor.capacity} chains, idle stop after {supervisor.idle_seconds} s"
        )
        try:
            while not stop.wait(SUPERVISE_EVERY_S):
                supervisor.supervise_once()
        finally:
            server.shutdown()
            supervisor.shutdown()
            self.stdout.write("Chain host stopped; every chain's state is saved.")
