"""What other apps may use of the chain (graders, deposits/withdrawals, markets)."""

from sandbox.chain.host import ChainUnavailable
from sandbox.chain.models import Chain, ContractArtifact, Deployment
from sandbox.chain.nodes import chain_web3, node_url
from sandbox.chain.services import open_chain, reset_chain, rpc_path

__all__ = [
    "Chain",
    "ChainUnavailable",
    "ContractArtifact",
    "Deployment",
    "chain_web3",
    "node_url",
    "open_chain",
    "reset_chain",
    "rpc_path",
]
