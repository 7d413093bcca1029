"""The explorer's pages on a real chain host and Anvil: blocks, transactions and addresses, with
the student's contracts' calls and events decoded; other people's chains stay out of reach."""

import pytest
from django.conf import settings
from django.urls import reverse
from web3 import Web3

from sandbox.chain.models import Deployment
from sandbox.chain.nodes import chain_web3
from sandbox.chain.services import open_chain
from sandbox.chain.studio import compile_sources, deploy_artifact, send_transaction
from tests.factories import EnrollmentFactory, UserFactory

TOKEN = (settings.BASE_DIR / "sandbox" / "chain" / "contracts" / "CampusToken.sol").read_text()


@pytest.fixture
def token_on_chain(chain_host, student_chain):
    """Given a student who deployed CampusToken through the studio and minted 7 tokens."""
    chain, _ = student_chain()
    artifacts, _ = compile_sources(
        offering_id=chain.offering_id, owner_id=chain.owner_id, sources={"CampusToken.sol": TOKEN}
    )
    [token] = artifacts
    w3 = chain_web3(chain)
    owner, receiver = w3.eth.accounts[:2]
    deployment = deploy_artifact(
        chain=chain,
        artifact=token,
        sender=owner,
        constructor_args=["Campus Token", "CAMP", "1000", "1"],
    )
    mint = send_transaction(
        chain=chain, deployment=deployment, function="mint", args=[receiver, "7"], sender=owner
    )
    return chain, deployment, mint, receiver


def page(client, chain, name, *args):
    client.force_login(chain.owner)
    return client.get(reverse(name, args=[chain.offering.slug, *args]))


def test_the_latest_blocks_list_number_transactions_and_gas(client, token_on_chain):
    chain, deployment, mint, _ = token_on_chain

    response = page(client, chain, "chain-explorer")

    assert response.status_code == 200
    blocks = response.context["blocks"]
    assert [b.number for b in blocks[:2]] == [mint.block_number, deployment.block_number]
    assert blocks[0].tx_count == 1 and blocks[0].gas_used == mint.gas_used
    assert reverse("chain-block", args=[chain.offering.slug, mint.block_number]) in (
        response.content.decode()
    )


def test_a_block_lists_its_transactions_with_the_method_called(client, token_on_chain):
    chain, _, mint, _ = token_on_chain

    response = page(client, chain, "chain-block", mint.block_number)

    assert response.status_code == 200
    html = response.content.decode()
    assert mint.tx_hash in html
    assert "<code>mint</code>" in html


def test_a_transaction_shows_its_decoded_call_and_events(client, token_on_chain):
    chain, _, mint, receiver = token_on_chain

    response = page(client, chain, "chain-tx", mint.tx_hash)

    tx = response.context["tx"]
    assert tx.status is True and tx.to_name == "CampusToken"
    assert (tx.call.function, [(a.name, a.value) for a in tx.call.args]) == (
        "mint",
        [("to", receiver), ("amount", "7")],
    )
    [transfer] = tx.logs
    assert (transfer.event, transfer.contract) == ("Transfer", "CampusToken")
    assert [a.value for a in transfer.args] == ["0x" + "0" * 40, receiver, "7"]
    assert "<code>Transfer</code>" in response.content.decode()


def test_a_contract_creation_is_decoded_as_its_constructor(client, token_on_chain):
    chain, deployment, _, _ = token_on_chain

    tx = page(client, chain, "chain-tx", deployment.tx_hash).context["tx"]

    assert tx.summary.created == deployment.address and tx.created_name == "CampusToken"
    assert tx.call.function == "constructor"
    assert [a.value for a in tx.call.args] == ["Campus Token", "CAMP", "1000", "1"]
    assert [log.event for log in tx.logs] == ["OwnershipTransferred"]


def test_logs_of_a_contract_deployed_outside_the_studio_decode_by_event_topic(
    client, token_on_chain
):
    chain, deployment, _, receiver = token_on_chain
    w3 = chain_web3(chain)
    artifact = deployment.artifact
    created = w3.eth.wait_for_transaction_receipt(
        w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        .constructor("Script Token", "SCR", 50, 0)
        .transact({"from": w3.eth.accounts[3]})
    )
    script_token = w3.eth.contract(address=created["contractAddress"], abi=artifact.abi)
    minted = script_token.functions.mint(receiver, 5).transact({"from": w3.eth.accounts[3]})

    tx = page(client, chain, "chain-tx", minted.to_0x_hex()).context["tx"]

    assert not Deployment.objects.filter(address=created["contractAddress"]).exists()
    assert tx.call is None  # the input is only decoded for known deployments
    [transfer] = tx.logs
    assert (transfer.event, transfer.contract) == ("Transfer", "")
    assert transfer.args[2].value == "5"


def test_an_address_shows_balance_code_name_and_its_transactions(client, token_on_chain):
    chain, deployment, mint, _ = token_on_chain

    contract = page(client, chain, "chain-address", deployment.address).context["detail"]
    deployer = page(client, chain, "chain-address", deployment.deployer.lower()).context["detail"]

    assert contract.deployment.pk == deployment.pk and contract.code_size > 0
    assert [t.hash for t in contract.transactions] == [mint.tx_hash, deployment.tx_hash]
    assert deployer.nonce == 2 and deployer.code_size == 0
    assert deployer.balance_wei < 1000 * 10**18  # gas was paid
    assert (deployer.scanned_from, deployer.scanned_to) == (0, mint.block_number)


def test_search_goes_to_a_block_a_transaction_or_an_address(client, token_on_chain):
    chain, deployment, mint, _ = token_on_chain
    client.force_login(chain.owner)
    url = reverse("chain-explorer", args=[chain.offering.slug])

    to_block = client.get(url, {"q": str(mint.block_number)})
    to_tx = client.get(url, {"q": mint.tx_hash})
    to_address = client.get(url, {"q": deployment.address})
    nonsense = client.get(url, {"q": "hello"})

    assert to_block.url.endswith(f"/block/{mint.block_number}/")
    assert to_tx.url.endswith(f"/tx/{mint.tx_hash}/")
    assert to_address.url.endswith(f"/address/{deployment.address}/")
    assert nonsense.status_code == 400
    assert "not a block number" in nonsense.content.decode()


def test_unknown_or_malformed_blocks_hashes_and_addresses_are_404_with_a_message(
    client, token_on_chain
):
    chain, *_ = token_on_chain

    missing_block = page(client, chain, "chain-block", 99_999)
    missing_tx = page(client, chain, "chain-tx", "0x" + "ab" * 32)
    malformed_tx = page(client, chain, "chain-tx", "0x1234")
    malformed_address = page(client, chain, "chain-address", "0xnothex")

    for response in (missing_block, missing_tx, malformed_tx, malformed_address):
        assert response.status_code == 404
        assert response.context["problem"]
    assert "no block 99999" in missing_block.content.decode()


def test_another_student_cannot_see_a_chain_that_is_not_theirs(client, token_on_chain):
    chain, _, mint, _ = token_on_chain
    outsider = UserFactory()
    classmate = EnrollmentFactory(offering=chain.offering).user

    client.force_login(outsider)
    not_enrolled = client.get(reverse("chain-tx", args=[chain.offering.slug, mint.tx_hash]))
    client.force_login(classmate)
    own_chain = client.get(reverse("chain-tx", args=[chain.offering.slug, mint.tx_hash]))

    assert not_enrolled.status_code == 404
    assert own_chain.status_code == 404  # the classmate's explorer reads the classmate's chain
    assert open_chain(offering_id=chain.offering_id, owner_id=classmate.pk).pk != chain.pk


@pytest.mark.django_db
def test_a_chain_that_cannot_start_is_explained_not_a_server_error(client):
    student = EnrollmentFactory()  # and no chain host is running
    client.force_login(student.user)

    response = client.get(reverse("chain-explorer", args=[student.offering.slug]))

    assert response.status_code == 503
    assert "No chain host is running" in response.content.decode()


def test_addresses_are_accepted_in_any_case_and_shown_checksummed(client, token_on_chain):
    chain, deployment, *_ = token_on_chain

    response = page(client, chain, "chain-address", deployment.address.lower())

    assert response.context["detail"].address == Web3.to_checksum_address(deployment.address)
