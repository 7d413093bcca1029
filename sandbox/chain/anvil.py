"""One student's local chain: an Anvil node from the npm registry package @foundry-rs/anvil.

Each chain gets its own chain id, port and mnemonic. The mnemonic is derived from the server's
secret and the (offering, student) pair, never Anvil's public default ("test test ... junk" is
watched on mainnet), so it is stable across restarts and unguessable to other students. `--state`
keeps the chain across a stop (SIGINT, so Anvil writes it) and a start.

This module runs one node; the chain host (next slice) decides which nodes run, on which ports,
and restores them on demand.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from eth_account.hdaccount.mnemonic import Language, Mnemonic

ACCOUNTS = 10
ACCOUNT_BALANCE_ETH = 1000
START_TIMEOUT_S = 10.0


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
    state_file: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start the node (restoring `state_file` if it exists); return seconds until it answered."""
        started = time.monotonic()
        command = [
            str(anvil_binary()),
            "--host", "127.0.0.1", "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            "--mnemonic", self.mnemonic,
            "--accounts", str(ACCOUNTS), "--balance", str(ACCOUNT_BALANCE_ETH),
            "--hardfork", settings.CHAIN_EVM_VERSION,
            "--state", str(self.state_file),
            "--prune-history",
        ]  # fmt: skip
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._wait_until_answering(started)
        return time.monotonic() - started

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

    def _wait_until_answering(self, started: float) -> None:
        while time.monotonic() - started < START_TIMEOUT_S:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode(errors="replace")[-500:]
                raise AnvilUnavailable(f"anvil exited with {self.process.returncode}: {error}")
            try:
                self.rpc("eth_chainId")
                return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise AnvilUnavailable(f"anvil did not answer within {START_TIMEOUT_S} s")
