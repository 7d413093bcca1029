"""A real chain host (control API on loopback, real Anvil nodes); the site itself, served by
uvicorn for the tests that go through the RPC proxy, is tests/conftest.py's `site`."""

import random

import pytest
from django.db import connections

from sandbox.chain.hostserver import start_host
from sandbox.chain.services import open_chain, rpc_path
from tests.factories import EnrollmentFactory


def _port_block(size: int) -> range:
    """A block of ports unlikely to be used by anything else on the machine at the same time."""
    start = random.randrange(21_000, 32_000, size)  # below the kernel's ephemeral range
    return range(start, start + size)


@pytest.fixture
def make_host(transactional_db, tmp_path):
    """Starts chain hosts (stopped again after the test). Tests drive `supervise_once` themselves,
    so idle stops and revivals happen exactly when a test says."""
    running = []

    def make(**options):
        options = {
            "bind": "127.0.0.1:0",
            "directory": tmp_path / "chains",
            "ports": _port_block(200),
            "capacity": 10,
            "idle_seconds": 3600,
            **options,
        }
        supervisor, server = start_host(**options)
        running.append((supervisor, server))
        return supervisor

    yield make
    for supervisor, server in running:
        server.shutdown()
        server.server_close()
        supervisor.shutdown()
    connections.close_all()


@pytest.fixture
def chain_host(make_host):
    return make_host()


@pytest.fixture
def student_chain(transactional_db):
    """Enrols a new student and opens their chain; returns (chain, its RPC path)."""

    def make(offering=None, **enrollment):
        if offering is not None:
            enrollment["offering"] = offering
        student = EnrollmentFactory(**enrollment)
        chain = open_chain(offering_id=student.offering_id, owner_id=student.user_id)
        return chain, rpc_path(chain)

    return make
