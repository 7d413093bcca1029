"""Talking to a chain from the server side (studio deploys, explorer reads, graders): through the
chain host, which starts the node first if it is stopped. Students' own tools use the proxy."""

from __future__ import annotations

from django.conf import settings
from web3 import Web3

from sandbox.chain.control import call_host
from sandbox.chain.models import Chain


def node_url(chain: Chain) -> str:
    """The node's loopback RPC address (for server-side code only: it bypasses the proxy's
    policy). Raises ChainUnavailable with a message for the student."""
    answer = call_host(chain, "ensure", timeout=settings.CHAIN_START_WAIT_SECONDS)
    return f"http://{answer['address']}:{answer['port']}"


def chain_web3(chain: Chain, *, timeout: float = 30) -> Web3:
    return Web3(Web3.HTTPProvider(node_url(chain), request_kwargs={"timeout": timeout}))
