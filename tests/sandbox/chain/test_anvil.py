"""A student's Anvil node: its own chain id, secret-derived funded accounts, state kept across a
stop and a start."""

import pytest
from django.conf import settings
from eth_account import Account
from web3 import Web3

from sandbox.chain.anvil import ACCOUNT_BALANCE_ETH, AnvilNode, student_mnemonic
from sandbox.chain.compiler import WarmCompiler

PUBLIC_DEFAULT = "test test test test test test test test test test test junk"
TOKEN = (settings.BASE_DIR / "sandbox" / "chain" / "contracts" / "CampusToken.sol").read_text()


@pytest.fixture
def node(tmp_path):
    running = AnvilNode(
        chain_id=424242,
        mnemonic=student_mnemonic(offering_id=1, owner_id=7),
        state_file=tmp_path / "state.json",
    )
    running.start()
    yield running
    running.stop()


def web3_for(node: AnvilNode) -> Web3:
    return Web3(Web3.HTTPProvider(node.rpc_url))


def test_a_students_chain_has_its_own_chain_id_and_funded_accounts(node):
    w3 = web3_for(node)
    Account.enable_unaudited_hdwallet_features()
    first = Account.from_mnemonic(node.mnemonic, account_path="m/44'/60'/0'/0/0").address

    assert w3.eth.chain_id == 424242
    assert w3.eth.accounts[0] == first
    assert w3.eth.get_balance(first) == Web3.to_wei(ACCOUNT_BALANCE_ETH, "ether")


def test_mnemonics_are_per_student_stable_and_never_the_public_default():
    alice = student_mnemonic(offering_id=1, owner_id=7)

    assert alice == student_mnemonic(offering_id=1, owner_id=7)
    assert alice != student_mnemonic(offering_id=1, owner_id=8)
    assert alice != student_mnemonic(offering_id=2, owner_id=7)
    assert alice != PUBLIC_DEFAULT
    assert len(alice.split()) == 12


def test_contract_storage_survives_a_stop_and_a_restart(node, tmp_path):
    compiled = WarmCompiler().compile({"CampusToken.sol": TOKEN}).contracts["CampusToken"]
    w3 = web3_for(node)
    owner, holder = w3.eth.accounts[0], w3.eth.accounts[1]
    factory = w3.eth.contract(abi=compiled.abi, bytecode=compiled.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor("Campus", "CAMP", 10**24, 10**18).transact({"from": owner})
    )
    token = w3.eth.contract(address=receipt.contractAddress, abi=compiled.abi)
    w3.eth.wait_for_transaction_receipt(
        token.functions.mint(holder, 12345).transact({"from": owner})
    )

    node.stop()
    restored = AnvilNode(chain_id=node.chain_id, mnemonic=node.mnemonic, state_file=node.state_file)
    restored.start()
    try:
        again = web3_for(restored).eth.contract(address=receipt.contractAddress, abi=compiled.abi)
        assert again.functions.balanceOf(holder).call() == 12345
        assert again.functions.symbol().call() == "CAMP"
    finally:
        restored.stop()
