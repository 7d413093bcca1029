"""The chain host: the one process that starts, stops and restores the Anvil nodes on its machine.

`ChainSupervisor` keeps the running nodes, hands each its own port (never one another chain holds,
nor one released in the last `PORT_QUARANTINE_S`, so a web process's short-lived route can never
reach the wrong chain), stops the least recently used when `capacity` is reached, stops idle
chains with their state saved, and brings back a node that died from its saved state. Every
change of a chain's status is written to its `Chain` row, so the web sees it and a restarted host
knows what it had. `hostserver.py` puts it behind a loopback control API; `manage.py chainhost`
runs both.
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import signal
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from sandbox.chain.anvil import AnvilNode, AnvilUnavailable, student_mnemonic
from sandbox.chain.models import Chain, ChainHost

log = logging.getLogger(__name__)

PORT_QUARANTINE_S = 60.0
DEATHS_BEFORE_FAILED = 3
DEATH_WINDOW_S = 300.0


class ChainUnavailable(RuntimeError):
    """The chain cannot be run here now; the message says why, for the student."""


class UnknownChain(LookupError):
    pass


@dataclass
class Running:
    node: AnvilNode
    last_used: float = field(default_factory=time.monotonic)
    deaths: list[float] = field(default_factory=list)


class ChainSupervisor:
    def __init__(
        self,
        *,
        name: str,
        control_url: str,
        directory: Path,
        ports: range,
        capacity: int,
        idle_seconds: float,
    ) -> None:
        self.name, self.control_url, self.directory = name, control_url, Path(directory)
        self.ports, self.capacity, self.idle_seconds = ports, capacity, idle_seconds
        self.row: ChainHost | None = None
        self._lock = threading.Lock()  # guards the maps below, never held while a node starts
        self._running: dict[int, Running] = {}
        self._chain_locks: dict[int, threading.Lock] = {}
        self._ports_taken: set[int] = set()
        self._ports_released: dict[int, float] = {}
        self._next_port = ports.start

    # --- lifecycle ------------------------------------------------------------------------------
    def register(self) -> ChainHost:
        """Record this host and stop whatever an earlier run of it left behind (state saved)."""
        self.row, _ = ChainHost.objects.update_or_create(
            name=self.name,
            defaults={
                "control_url": self.control_url,
                "capacity": self.capacity,
                "heartbeat_at": timezone.now(),
            },
        )
        for chain in Chain.objects.filter(host=self.row).exclude(pid=None):
            _stop_orphan(chain.pid, chain.port)
        mine = Chain.objects.filter(host=self.row)
        mine.update(port=None, pid=None)
        mine.filter(status__in=[Chain.Status.RUNNING, Chain.Status.STARTING]).update(
            status=Chain.Status.STOPPED
        )
        return self.row

    def shutdown(self) -> None:
        for chain_pk in list(self._running):
            self.stop(chain_pk)

    def running_chains(self) -> list[int]:
        with self._lock:
            return list(self._running)

    # --- what the web asks for ------------------------------------------------------------------
    def ensure(self, chain_pk: int) -> int:
        """The port of the chain's running node, starting (or restoring) it first if needed."""
        chain = self._chain(chain_pk)
        parent_port = self.ensure(chain.forked_from_id) if chain.is_fork else None
        with self._chain_lock(chain_pk):
            running = self._running.get(chain_pk)
            if running is not None and running.node.is_alive():
                running.last_used = time.monotonic()
                self._touch_parent(chain)
                return running.node.port
            return self._start(chain, parent_port)

    def stop(self, chain_pk: int) -> None:
        """Stop the chain's node, saving its state; a later `ensure` restores it."""
        with self._chain_lock(chain_pk):
            self._stop_locked(chain_pk)

    def snapshot(self, chain_pk: int) -> tuple[str, int]:
        """Save the chain's current state to a new file; returns (file name, block number)."""
        port = self.ensure(chain_pk)
        with self._chain_lock(chain_pk):
            node = self._running[chain_pk].node
            state = bytes.fromhex(node.rpc("anvil_dumpState")[2:])
            block = int(node.rpc("eth_blockNumber"), 16)
            name = f"{uuid.uuid4().hex}.json"
            path = self._snapshot_dir(chain_pk) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(gzip.decompress(state))
        log.info("chain %s: snapshot %s at block %s (port %s)", chain_pk, name, block, port)
        return name, block

    def revert(self, chain_pk: int, file_name: str) -> None:
        """Put the chain back to a snapshot's state (the snapshot itself is kept)."""
        snapshot = self._snapshot_dir(chain_pk) / Path(file_name).name
        if not snapshot.is_file():
            raise ChainUnavailable("That snapshot's file is missing on the chain host.")
        with self._chain_lock(chain_pk):
            self._stop_locked(chain_pk)
            shutil.copyfile(snapshot, self._state_file(chain_pk))
        self.ensure(chain_pk)

    def reset(self, chain_pk: int) -> None:
        """Back to genesis: same chain id and accounts, no history. Snapshots are kept. A chain
        that was stopped stays stopped (it starts at genesis on its next use)."""
        with self._chain_lock(chain_pk):
            was_running = chain_pk in self._running
            self._stop_locked(chain_pk)
            self._state_file(chain_pk).unlink(missing_ok=True)
        if was_running:
            self.ensure(chain_pk)

    # --- the supervision loop -------------------------------------------------------------------
    def supervise_once(self) -> None:
        """Bring back dead nodes, stop idle ones, and say we are alive. Called every second."""
        now = time.monotonic()
        with self._lock:
            running = list(self._running.items())
        for chain_pk, entry in running:
            if not entry.node.is_alive():
                self._revive(chain_pk, entry, now)
            elif now - entry.last_used > self.idle_seconds:
                log.info("chain %s idle for %.0f s: stopping", chain_pk, now - entry.last_used)
                self._try_stop(chain_pk)
        if self.row is not None:
            ChainHost.objects.filter(pk=self.row.pk).update(heartbeat_at=timezone.now())

    # --- inside -------------------------------------------------------------------------------
    def _chain(self, chain_pk: int) -> Chain:
        chain = Chain.objects.select_related("forked_from").filter(pk=chain_pk).first()
        if chain is None:
            raise UnknownChain(chain_pk)
        if chain.host_id not in (None, self.row.pk):
            raise ChainUnavailable(f"This chain lives on the chain host {chain.host}.")
        return chain

    def _start(self, chain: Chain, parent_port: int | None) -> int:
        self._make_room(chain.pk)
        port = self._take_port()
        self._record(chain.pk, status=Chain.Status.STARTING, host=self.row, port=port, pid=None)
        node = self._node(chain, port, parent_port)
        try:
            node.start()
        except (AnvilUnavailable, OSError) as error:
            self._release_port(port)
            self._record(
                chain.pk, status=Chain.Status.FAILED, port=None, pid=None, last_error=str(error)
            )
            raise ChainUnavailable(f"The chain could not start: {error}") from error
        with self._lock:
            previous = self._running.get(chain.pk)
            self._running[chain.pk] = Running(node, deaths=previous.deaths if previous else [])
        now = timezone.now()
        self._record(
            chain.pk,
            status=Chain.Status.RUNNING,
            pid=node.pid,
            started_at=now,
            last_used_at=now,
            last_error="",
        )
        log.info("chain %s running on port %s (pid %s)", chain.pk, port, node.pid)
        return port

    def _node(self, chain: Chain, port: int, parent_port: int | None) -> AnvilNode:
        origin = chain.forked_from or chain
        mnemonic = student_mnemonic(offering_id=origin.offering_id, owner_id=origin.owner_id)
        if chain.is_fork:
            return AnvilNode(
                chain_id=chain.chain_id,
                mnemonic=mnemonic,
                state_file=None,
                port=port,
                fork_url=f"http://127.0.0.1:{parent_port}",
            )
        return AnvilNode(
            chain_id=chain.chain_id,
            mnemonic=mnemonic,
            state_file=self._state_file(chain.pk),
            port=port,
        )

    def _stop_locked(self, chain_pk: int) -> None:
        with self._lock:
            entry = self._running.pop(chain_pk, None)
        if entry is None:
            return
        entry.node.stop()
        self._release_port(entry.node.port)
        self._record(chain_pk, status=Chain.Status.STOPPED, port=None, pid=None)
        log.info("chain %s stopped, state saved", chain_pk)

    def _try_stop(self, chain_pk: int) -> bool:
        lock = self._chain_lock(chain_pk)
        if not lock.acquire(blocking=False):
            return False  # busy: someone is using it right now
        try:
            self._stop_locked(chain_pk)
            return True
        finally:
            lock.release()

    def _make_room(self, chain_pk: int) -> None:
        """At capacity, stop the least recently used chains (other than this one) first."""
        while True:
            with self._lock:
                if len(self._running) < self.capacity:
                    return
                by_age = sorted(
                    (e.last_used, pk) for pk, e in self._running.items() if pk != chain_pk
                )
            if not by_age:
                raise ChainUnavailable("The chain host has no room for another chain.")
            if not any(self._try_stop(pk) for _, pk in by_age):
                raise ChainUnavailable("Every running chain is busy; try again in a moment.")

    def _revive(self, chain_pk: int, entry: Running, now: float) -> None:
        entry.deaths = [t for t in entry.deaths if now - t < DEATH_WINDOW_S] + [now]
        log.warning("chain %s: anvil died (exit %s)", chain_pk, entry.node.process.returncode)
        with self._chain_lock(chain_pk):
            with self._lock:
                self._running.pop(chain_pk, None)
            self._release_port(entry.node.port)
            Chain.objects.filter(pk=chain_pk).update(restarts=F("restarts") + 1)
            if len(entry.deaths) >= DEATHS_BEFORE_FAILED:
                self._record(
                    chain_pk,
                    status=Chain.Status.FAILED,
                    port=None,
                    pid=None,
                    last_error=f"anvil died {len(entry.deaths)} times in five minutes",
                )
                return
            try:
                chain = self._chain(chain_pk)
                parent_port = self.ensure(chain.forked_from_id) if chain.is_fork else None
                self._start(chain, parent_port)
                self._running[chain_pk].deaths = entry.deaths
            except (ChainUnavailable, UnknownChain) as error:
                log.error("chain %s could not be revived: %s", chain_pk, error)

    def _touch_parent(self, chain: Chain) -> None:
        if chain.is_fork:
            with self._lock:
                parent = self._running.get(chain.forked_from_id)
            if parent is not None:
                parent.last_used = time.monotonic()

    def _take_port(self) -> int:
        with self._lock:
            now = time.monotonic()
            for _ in range(len(self.ports)):
                port = self._next_port
                self._next_port = port + 1 if port + 1 < self.ports.stop else self.ports.start
                quarantined = now - self._ports_released.get(port, -PORT_QUARANTINE_S)
                if port in self._ports_taken or quarantined < PORT_QUARANTINE_S:
                    continue
                if _port_is_free(port):
                    self._ports_taken.add(port)
                    return port
        raise ChainUnavailable("The chain host has no free port.")

    def _release_port(self, port: int) -> None:
        with self._lock:
            self._ports_taken.discard(port)
            self._ports_released[port] = time.monotonic()

    def _chain_lock(self, chain_pk: int) -> threading.Lock:
        with self._lock:
            return self._chain_locks.setdefault(chain_pk, threading.Lock())

    def _state_file(self, chain_pk: int) -> Path:
        return self.directory / str(chain_pk) / "state.json"

    def _snapshot_dir(self, chain_pk: int) -> Path:
        return self.directory / str(chain_pk) / "snapshots"

    @staticmethod
    def _record(chain_pk: int, **fields) -> None:
        with transaction.atomic():
            Chain.objects.filter(pk=chain_pk).update(**fields)


def _port_is_free(port: int) -> bool:
    """Nothing listens there. SO_REUSEADDR as servers set it, so connections lingering in
    TIME_WAIT from a node that stopped do not count as a listener."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _stop_orphan(pid: int, port: int | None) -> None:
    """Stop an Anvil an earlier run of this host left running (SIGINT: it saves its state). The
    pid is checked against its command line first, since pids are reused."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return
    if not command or not command[0].endswith(b"anvil") or str(port).encode() not in command:
        return
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + 15
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    log.info("stopped anvil %s left by an earlier run of this host", pid)


def port_range(spec: str) -> range:
    low, _, high = spec.partition("-")
    return range(int(low), int(high or low) + 1)
