"""Reference solution for dax101 / verify-a-reserve-proof (testing only; never ship it in the course).

The level (courses/catalog/dax101/risk/custody-and-proof-of-reserves/reserve-proof.sol) publishes
eight customers, their amounts and their leaves, keccak256(abi.encodePacked(customer, amount)), and
commits to the Merkle root built with sorted-pair hashing. The player's leaf is at index 5, with
1.5 ETH (1500000000000000000 wei). The proof is the sibling at each level of the tree, from the
leaf up: for index 5 of 8, the leaf at index 4, then the parent of leaves 6 and 7, then the parent
of leaves 0 to 3. Sorted pairs mean the proof needs no left/right flags.

    python verify-a-reserve-proof.py RPC_URL LEVEL_ADDRESS PRIVATE_KEY

PRIVATE_KEY is the key of the account that opened the level (account 0 on "My chain").
"""

from __future__ import annotations

import sys

from web3 import Web3

ABI = [
    {"type": "function", "name": "customerCount", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "uint256"}]},
    {"type": "function", "name": "customers", "stateMutability": "view",
     "inputs": [{"name": "", "type": "uint256"}], "outputs": [{"name": "", "type": "address"}]},
    {"type": "function", "name": "amounts", "stateMutability": "view",
     "inputs": [{"name": "", "type": "uint256"}], "outputs": [{"name": "", "type": "uint256"}]},
    {"type": "function", "name": "root", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "bytes32"}]},
    {"type": "function", "name": "verified", "stateMutability": "view",
     "inputs": [{"name": "", "type": "address"}], "outputs": [{"name": "", "type": "bool"}]},
    {"type": "function", "name": "claimInclusion", "stateMutability": "nonpayable",
     "inputs": [{"name": "amount", "type": "uint256"}, {"name": "proof", "type": "bytes32[]"}],
     "outputs": []},
]  # fmt: skip


def leaf(customer: str, amount: int) -> bytes:
    return Web3.solidity_keccak(["address", "uint256"], [customer, amount])


def parent(a: bytes, b: bytes) -> bytes:
    return Web3.keccak(min(a, b) + max(a, b))


def merkle_proof(leaves: list[bytes], index: int) -> tuple[list[bytes], bytes]:
    """The siblings of leaves[index] from the bottom up, and the root (a power-of-two tree)."""
    proof, layer = [], list(leaves)
    while len(layer) > 1:
        proof.append(layer[index ^ 1])
        layer = [parent(layer[i], layer[i + 1]) for i in range(0, len(layer), 2)]
        index //= 2
    return proof, layer[0]


def main(rpc_url: str, level: str, private_key: str) -> None:
    w3 = Web3(Web3.HTTPProvider(rpc_url))
    me = w3.eth.account.from_key(private_key)
    contract = w3.eth.contract(address=Web3.to_checksum_address(level), abi=ABI)
    n = contract.functions.customerCount().call()
    customers = [contract.functions.customers(i).call() for i in range(n)]
    amounts = [contract.functions.amounts(i).call() for i in range(n)]
    index = customers.index(me.address)
    proof, root = merkle_proof([leaf(c, a) for c, a in zip(customers, amounts, strict=True)], index)
    assert root == contract.functions.root().call(), "the tree I built does not match the root"
    tx = contract.functions.claimInclusion(amounts[index], proof).build_transaction(
        {"from": me.address, "nonce": w3.eth.get_transaction_count(me.address)}
    )
    tx_hash = w3.eth.send_raw_transaction(me.sign_transaction(tx).raw_transaction)
    w3.eth.wait_for_transaction_receipt(tx_hash)
    print("verified:", contract.functions.verified(me.address).call())


if __name__ == "__main__":
    main(*sys.argv[1:4])
