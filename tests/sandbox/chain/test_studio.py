"""The studio's services on a real chain host and Anvil: compile, deploy, call, send, refuse."""

import pytest
from django.conf import settings
from django.urls import reverse

from campus.errors import ServiceError
from sandbox.chain.models import ContractArtifact, Deployment
from sandbox.chain.nodes import chain_web3
from sandbox.chain.studio import (
    ArgumentRefused,
    call_function,
    compile_sources,
    deploy_artifact,
    send_transaction,
)
from tests.factories import EnrollmentFactory, UserFactory

TOKEN = (settings.BASE_DIR / "sandbox" / "chain" / "contracts" / "CampusToken.sol").read_text()
CAP = 1_000 * 10**18


def compiled_token(chain) -> ContractArtifact:
    artifacts, _ = compile_sources(
        offering_id=chain.offering_id, owner_id=chain.owner_id, sources={"CampusToken.sol": TOKEN}
    )
    return next(a for a in artifacts if a.name == "CampusToken")


def deployed_token(chain, **args) -> tuple[Deployment, str]:
    owner = chain_web3(chain).eth.accounts[0]
    texts = [args.get("name", "Campus Token"), "CAMP", str(args.get("cap", CAP)), "10"]
    deployment = deploy_artifact(
        chain=chain, artifact=compiled_token(chain), sender=owner, constructor_args=texts
    )
    return deployment, owner


@pytest.mark.django_db
def test_compiling_keeps_one_artifact_per_contract_in_the_students_files():
    student = EnrollmentFactory()

    artifacts, messages = compile_sources(
        offering_id=student.offering_id,
        owner_id=student.user_id,
        sources={"CampusToken.sol": TOKEN},
    )

    assert [a.name for a in artifacts] == ["CampusToken"]  # not ERC20, Ownable, ... it imports
    token = ContractArtifact.objects.get()
    assert token.sources == {"CampusToken.sol": TOKEN}
    assert token.evm_version == settings.CHAIN_EVM_VERSION
    assert token.compiler_version.startswith("0.8.37")
    assert any(e.get("name") == "Transfer" for e in token.abi)
    assert not [m for m in messages if m.severity == "error"]


@pytest.mark.django_db
def test_a_compile_error_names_line_and_column_and_stores_nothing():
    student = EnrollmentFactory()
    source = "pragma solidity ^0.8.20;\n\ncontract Broken {\n    uint256 x = ;\n}\n"

    artifacts, messages = compile_sources(
        offering_id=student.offering_id, owner_id=student.user_id, sources={"Broken.sol": source}
    )

    assert artifacts == []
    [error] = [m for m in messages if m.severity == "error"]
    assert (error.file, error.line, error.column) == ("Broken.sol", 4, 17)
    assert not ContractArtifact.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sources", "code"),
    [
        ({"Big.sol": "// " + "x" * 100_000}, "sources_too_large"),
        ({f"F{i}.sol": "contract A {}" for i in range(21)}, "too_many_files"),
        ({"../etc/passwd.sol": "contract A {}"}, "bad_file_name"),
        ({}, "no_sources"),
    ],
)
def test_oversized_or_oddly_named_sources_are_refused_before_compiling(sources, code):
    student = EnrollmentFactory()

    with pytest.raises(ServiceError) as refused:
        compile_sources(offering_id=student.offering_id, owner_id=student.user_id, sources=sources)

    assert refused.value.code == code
    assert not ContractArtifact.objects.exists()


def test_a_deployed_token_answers_calls_and_transactions_with_decoded_events(
    chain_host, student_chain
):
    chain, _ = student_chain()
    deployment, owner = deployed_token(chain)
    receiver = chain_web3(chain).eth.accounts[1]

    receipt = send_transaction(
        chain=chain,
        deployment=deployment,
        function="mint(address,uint256)",
        args=[receiver.lower(), "5e18"],
        sender=owner,
    )
    [balance] = call_function(
        chain=chain, deployment=deployment, function="balanceOf", args=[receiver]
    )
    [name] = call_function(chain=chain, deployment=deployment, function="name", args=[])

    assert (
        deployment.address
        == chain_web3(chain).eth.get_transaction_receipt(deployment.tx_hash)["contractAddress"]
    )
    assert (deployment.deployer, deployment.artifact.name) == (owner, "CampusToken")
    assert receipt.status and receipt.gas_used > 21_000
    [transfer] = receipt.events
    assert transfer.event == "Transfer" and transfer.contract == "CampusToken"
    assert [(a.name, a.value) for a in transfer.args] == [
        ("from", "0x" + "0" * 40),
        ("to", receiver),
        ("value", str(5 * 10**18)),
    ]
    assert (balance.abi_type, balance.value) == ("uint256", str(5 * 10**18))
    assert name.value == "Campus Token"


def test_a_bad_constructor_argument_is_refused_and_nothing_is_deployed(chain_host, student_chain):
    chain, _ = student_chain()
    artifact = compiled_token(chain)
    w3 = chain_web3(chain)
    height = w3.eth.block_number

    with pytest.raises(ArgumentRefused) as refused:
        deploy_artifact(
            chain=chain,
            artifact=artifact,
            sender=w3.eth.accounts[0],
            constructor_args=["Campus Token", "CAMP", "a lot", "10"],
        )

    assert refused.value.index == 2
    assert "not a whole number" in refused.value.message
    assert not Deployment.objects.exists()
    assert w3.eth.block_number == height


def test_a_revert_reason_is_surfaced_and_nothing_is_recorded(chain_host, student_chain):
    chain, _ = student_chain()
    w3 = chain_web3(chain)
    height = w3.eth.block_number

    with pytest.raises(ServiceError) as refused:
        deployed_token(chain, cap=0)

    assert refused.value.code == "reverted"
    assert "cap is zero" in refused.value.message
    assert not Deployment.objects.exists()
    assert w3.eth.block_number == height  # estimated first: nothing was sent


def test_custom_errors_are_decoded_with_the_contracts_abi(chain_host, student_chain):
    chain, _ = student_chain()
    deployment, owner = deployed_token(chain, cap=100)
    stranger = chain_web3(chain).eth.accounts[2]

    with pytest.raises(ServiceError) as over_cap:
        send_transaction(
            chain=chain, deployment=deployment, function="mint", args=[owner, "101"], sender=owner
        )
    with pytest.raises(ServiceError) as not_owner:
        send_transaction(
            chain=chain, deployment=deployment, function="mint", args=[owner, "1"], sender=stranger
        )

    assert "CapExceeded(requested=101, available=100)" in over_cap.value.message
    assert f"OwnableUnauthorizedAccount(account={stranger})" in not_owner.value.message


def test_only_the_chains_own_accounts_can_send(chain_host, student_chain):
    chain, _ = student_chain()
    artifact = compiled_token(chain)

    with pytest.raises(ServiceError) as refused:
        deploy_artifact(
            chain=chain,
            artifact=artifact,
            sender="0x" + "12" * 20,
            constructor_args=["Campus Token", "CAMP", "100", "1"],
        )

    assert refused.value.code == "unknown_sender"
    assert not Deployment.objects.exists()


def test_a_state_changing_function_cannot_be_called_as_a_read(chain_host, student_chain):
    chain, _ = student_chain()
    deployment, _ = deployed_token(chain)

    with pytest.raises(ServiceError) as refused:
        call_function(chain=chain, deployment=deployment, function="drip", args=[])

    assert refused.value.code == "not_a_read"


# -- the studio page ---------------------------------------------------------------------------

BROKEN = "pragma solidity ^0.8.20;\n\ncontract Broken {\n    uint256 x = ;\n}\n"


def studio_url(chain_or_offering, name="chain-studio", *args) -> str:
    offering = getattr(chain_or_offering, "offering", chain_or_offering)
    return reverse(name, args=[offering.slug, *args])


@pytest.mark.django_db
def test_the_page_starts_with_an_openzeppelin_erc20_example(client):
    student = EnrollmentFactory()
    client.force_login(student.user)

    response = client.get(studio_url(student.offering))

    assert response.status_code == 200
    assert 'import "@openzeppelin/contracts/token/ERC20/ERC20.sol";' in response.context["source"]


@pytest.mark.django_db
def test_compiling_without_javascript_shows_the_error_and_marks_its_line(client):
    student = EnrollmentFactory()
    client.force_login(student.user)

    response = client.post(
        studio_url(student.offering), {"file_name": "Broken.sol", "source": BROKEN}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Broken.sol:4:17" in html
    assert '<span class="marked">4</span>' in html
    assert response.context["source"] == BROKEN  # what they typed is kept
    assert not ContractArtifact.objects.exists()


@pytest.mark.django_db
def test_the_compile_endpoint_answers_json_with_errors_or_deploy_forms(client):
    student = EnrollmentFactory()
    client.force_login(student.user)
    url = studio_url(student.offering, "chain-studio-compile")

    failed = client.post(url, {"file_name": "Broken.sol", "source": BROKEN}).json()
    compiled = client.post(url, {"file_name": "CampusToken.sol", "source": TOKEN}).json()

    [error] = [m for m in failed["messages"] if m["severity"] == "error"]
    assert (failed["ok"], error["line"], error["column"]) == (False, 4, 17)
    assert compiled["ok"] and "Deploy CampusToken" in compiled["compiled_html"]


@pytest.mark.django_db
def test_only_enrolled_students_reach_the_studio(client):
    student = EnrollmentFactory()
    client.force_login(UserFactory())

    assert client.get(studio_url(student.offering)).status_code == 404
    assert client.post(studio_url(student.offering, "chain-studio-compile")).status_code == 404


def test_deploying_from_the_page_then_calling_and_sending(client, chain_host, student_chain):
    chain, _ = student_chain()
    artifact = compiled_token(chain)
    owner = chain_web3(chain).eth.accounts[0]
    client.force_login(chain.owner)
    deploy_url = studio_url(chain, "chain-studio-deploy", artifact.pk)

    refused = client.post(
        deploy_url, {"sender": owner, "arg0": "T", "arg1": "T", "arg2": "-5", "arg3": "1"}
    )
    deployed = client.post(
        deploy_url, {"sender": owner, "arg0": "T", "arg1": "T", "arg2": "100", "arg3": "1"}
    )
    deployment = Deployment.objects.get()
    use_url = studio_url(chain, "chain-studio-use", deployment.pk)
    json = {"HTTP_ACCEPT": "application/json"}
    sent = client.post(use_url, {"function": "drip()", "sender": owner}, **json).json()
    called = client.post(use_url, {"function": "balanceOf(address)", "arg0": owner}, **json)
    page = client.post(use_url, {"function": "remaining()"}, follow=True)

    assert refused.status_code == 400
    assert "out of range" in refused.content.decode()
    assert 'aria-invalid="true"' in refused.content.decode()
    assert deployed.status_code == 302
    assert sent["ok"] and "Dripped" in sent["html"] and "Transfer" in sent["html"]
    assert "<code>1</code>" in called.json()["html"]
    assert "<code>99</code>" in page.content.decode()  # without JavaScript: kept for the page
