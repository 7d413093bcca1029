"""What other apps may use of the chain (graders, deposits/withdrawals, markets)."""

from sandbox.chain.custody import (
    CustodyBusy,
    CustodyUnavailable,
    custody_addresses,
    ensure_custody,
    onchain_reserves,
    token_symbol,
)
from sandbox.chain.execution import ChainBusy
from sandbox.chain.host import ChainUnavailable
from sandbox.chain.models import Chain, ChainCustody, ChainToken, ContractArtifact, Deployment
from sandbox.chain.nodes import chain_web3, node_url
from sandbox.chain.selectors import dev_accounts
from sandbox.chain.services import open_chain, reset_chain, rpc_path

__all__ = [
    "Chain",
    "ChainBusy",
    "ChainCustody",
    "ChainToken",
    "ChainUnavailable",
    "ContractArtifact",
    "CustodyBusy",
    "CustodyUnavailable",
    "Deployment",
    "chain_web3",
    "custody_addresses",
    "dev_accounts",
    "ensure_custody",
    "node_url",
    "onchain_reserves",
    "open_chain",
    "reset_chain",
    "rpc_path",
    "token_symbol",
]
