"""One student's local chain: an Anvil node from the npm registry package @foundry-rs/anvil.

Each chain gets its own chain id, port and mnemonic. The mnemonic is derived from the server's
secret and the (offering, student) pair, never Anvil's public default ("test test ... junk" is
watched on mainnet), so it is stable across restarts and unguessable to other students. `--state`
keeps the chain across a stop (SIGINT, so Anvil writes it) and a start.

This module runs one node; the chain host (`host.py`) decides which nodes run, on which ports,
and restores them on demand. `--state-interval` also saves the state every few seconds, so a node
that dies (or a host that is killed) loses at most those seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from eth_account.hdaccount.mnemonic import Language, Mnemonic

ACCOUNTS = 10
ACCOUNT_BALANCE_ETH = 1000
START_TIMEOUT_S = 10.0
STATE_INTERVAL_S = 5


class AnvilUnavailable(RuntimeError):
    """The npm package is not installed (run `make install`) or the node did not answer."""


def anvil_binary() -> Path:
    found = sorted((settings.BASE_DIR / "node_modules" / "@foundry-rs").glob("anvil-*/bin/anvil"))
    if not found:
        raise AnvilUnavailable("@foundry-rs/anvil is not installed: run `make install`")
    return found[0]


def student_mnemonic(*, offering_id: int, owner_id: int) -> str:
    """A BIP-39 mnemonic from HMAC(SECRET_KEY, offering and student): same every time, unique
    to the pair, and not derivable without the server's secret."""
    message = f"blockcampus-chain:{offering_id}:{owner_id}".encode()
    entropy = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()[:16]
    return Mnemonic(Language.ENGLISH).to_mnemonic(entropy)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class AnvilNode:
    chain_id: int
    mnemonic: str
    state_file: Path | None
    port: int = field(default_factory=free_port)
    fork_url: str | None = None
    process: subprocess.Popen | None = None

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start the node (restoring `state_file` if it exists); return seconds until it answered."""
        started = time.monotonic()
        # A file, not a pipe, that lives as long as the node: a long life cannot fill it.
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            self._command(),
            stdout=subprocess.DEVNULL,
            stderr=self._errors,
            start_new_session=True,  # the host signals it; a Ctrl-C in a terminal does not
        )
        self._wait_until_answering(started)
        return time.monotonic() - started

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def is_alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """SIGINT, so Anvil writes its state file before it exits."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def rpc(self, method: str, params: list | None = None) -> object:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
        request = urllib.request.Request(  # noqa: S310 - our own loopback node
            self.rpc_url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            answer = json.loads(response.read())
        if "error" in answer:
            raise AnvilUnavailable(f"{method}: {answer['error']}")
        return answer["result"]

    def _command(self) -> list[str]:
        command = [
            str(anvil_binary()),
            "--host", "127.0.0.1", "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            "--hardfork", settings.CHAIN_EVM_VERSION,
            "--prune-history",
        ]  # fmt: skip
        if self.fork_url is not None:
            # A fork reads its origin's state as it is: dev accounts would overwrite the origin's
            # balances, so it has none and sends from any address (the student's included).
            return [*command, "--fork-url", self.fork_url, "--accounts", "0", "--auto-impersonate"]
        command += ["--mnemonic", self.mnemonic]
        command += ["--accounts", str(ACCOUNTS), "--balance", str(ACCOUNT_BALANCE_ETH)]
        if self.state_file is not None:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            command += ["--state", str(self.state_file)]
            command += ["--state-interval", str(STATE_INTERVAL_S)]
        return command

    def _wait_until_answering(self, started: float) -> None:
        while time.monotonic() - started < START_TIMEOUT_S:
            if self.process.poll() is not None:
                self._errors.seek(0)
                error = self._errors.read().decode(errors="replace")[-500:]
                raise AnvilUnavailable(f"anvil exited with {self.process.returncode}: {error}")
            try:
                self.rpc("eth_chainId")
                return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise AnvilUnavailable(f"anvil did not answer within {START_TIMEOUT_S} s")
