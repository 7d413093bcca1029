"""The chain host's control API: loopback HTTP that the web calls to start and manage chains.

    POST /chains/<id>/ensure     -> {"address": "127.0.0.1", "port": 20001}
    POST /chains/<id>/stop | reset
    POST /chains/<id>/snapshot   -> {"file": "...", "block": 12}
    POST /chains/<id>/revert     body {"file": "..."}

Every call carries `X-Chainhost-Key` (derived from SECRET_KEY, see `control.control_key`). Errors
are `{"error": message}` with 404 (unknown chain), 503 (cannot run it now) or 500.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.db import connections

from sandbox.chain.control import KEY_HEADER, control_key
from sandbox.chain.host import ChainSupervisor, ChainUnavailable, UnknownChain, port_range

log = logging.getLogger(__name__)
ROUTE = re.compile(r"/chains/(\d+)/(ensure|stop|reset|snapshot|revert)")


class ControlServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], supervisor: ChainSupervisor | None, advertise: str
    ):
        super().__init__(address, _Handler)
        self.supervisor = supervisor
        self.advertise = advertise


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ControlServer

    def do_GET(self) -> None:
        if self.path == "/health":
            self._reply(200, {"host": self.server.supervisor.name})
        else:
            self._reply(404, {"error": "not found"})

    def do_POST(self) -> None:
        match = ROUTE.fullmatch(self.path)
        if match is None:
            self._reply(404, {"error": "not found"})
            return
        if not hmac.compare_digest(self.headers.get(KEY_HEADER, ""), control_key()):
            self._reply(403, {"error": "bad control key"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}") if length else {}
        try:
            self._reply(200, self._act(int(match[1]), match[2], body))
        except UnknownChain:
            self._reply(404, {"error": "unknown chain"})
        except ChainUnavailable as error:
            self._reply(503, {"error": str(error)})
        except Exception:
            log.exception("chain host: %s failed", self.path)
            self._reply(500, {"error": "The chain host failed; the error is in its log."})
        finally:
            connections.close_all()  # this thread's connections only

    def _act(self, chain_pk: int, action: str, body: dict) -> dict:
        supervisor = self.server.supervisor
        if action == "ensure":
            return {"address": self.server.advertise, "port": supervisor.ensure(chain_pk)}
        if action == "snapshot":
            file_name, block = supervisor.snapshot(chain_pk)
            return {"file": file_name, "block": block}
        if action == "revert":
            supervisor.revert(chain_pk, str(body.get("file", "")))
        elif action == "reset":
            supervisor.reset(chain_pk)
        else:
            supervisor.stop(chain_pk)
        return {}

    def _reply(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        log.debug("chain host control: " + format, *args)


def start_host(**overrides) -> tuple[ChainSupervisor, ControlServer]:
    """Register a host from the settings (or `overrides`) and serve its control API in a thread.
    The caller runs `supervisor.supervise_once()` every second and shuts both down."""
    bind_host, _, bind_port = overrides.pop("bind", settings.CHAIN_HOST_BIND).rpartition(":")
    server = ControlServer((bind_host, int(bind_port)), None, advertise="127.0.0.1")
    address, port = server.server_address[:2]
    options = {
        "name": settings.CHAIN_HOST_NAME,
        "control_url": f"http://{address}:{port}",
        "directory": settings.CHAIN_DIR,
        "ports": port_range(settings.CHAIN_PORTS),
        "capacity": settings.CHAIN_MAX_RUNNING,
        "idle_seconds": settings.CHAIN_IDLE_SECONDS,
        **overrides,
    }
    server.supervisor = ChainSupervisor(**options)
    server.supervisor.register()
    threading.Thread(target=server.serve_forever, name="chainhost-control", daemon=True).start()
    return server.supervisor, server
