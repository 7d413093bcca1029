"""The authenticated RPC proxy at /chain/<token>/rpc, with the tools students use as they are."""

import json
import subprocess
import threading
import time

import pytest
import requests
import websockets.sync.client
from django.conf import settings
from web3 import Web3

from sandbox.chain import proxy
from sandbox.chain.compiler import WarmCompiler
from sandbox.chain.models import Chain
from sandbox.chain.services import rotate_token, rpc_path, set_cheats_allowed

TOKEN = (settings.BASE_DIR / "sandbox" / "chain" / "contracts" / "CampusToken.sol").read_text()
CLIENTS = settings.BASE_DIR / "tests" / "sandbox" / "chain" / "clients"


@pytest.fixture(scope="module")
def campus_token():
    return WarmCompiler().compile({"CampusToken.sol": TOKEN}).contracts["CampusToken"]


@pytest.fixture(autouse=True)
def _fresh_proxy_caches():
    proxy._routes.clear()
    proxy._addresses.clear()


def rpc(url: str, method: str, params: list | None = None) -> requests.Response:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
    return requests.post(url, json=body, timeout=30)


def test_web3_deploys_and_calls_a_contract_through_the_proxy(
    site, chain_host, student_chain, campus_token
):
    chain, path = student_chain()
    w3 = Web3(Web3.HTTPProvider(site.url + path))
    owner, holder = w3.eth.accounts[0], w3.eth.accounts[1]

    factory = w3.eth.contract(abi=campus_token.abi, bytecode=campus_token.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor("Campus", "CAMP", 10**24, 10**18).transact({"from": owner})
    )
    token = w3.eth.contract(address=receipt.contractAddress, abi=campus_token.abi)
    w3.eth.wait_for_transaction_receipt(token.functions.mint(holder, 99).transact({"from": owner}))

    assert w3.eth.chain_id == chain.chain_id
    assert token.functions.balanceOf(holder).call() == 99


def test_ethers_deploys_and_calls_a_contract_through_the_proxy(
    site, chain_host, student_chain, campus_token
):
    chain, path = student_chain()
    contract = {"abi": campus_token.abi, "bytecode": campus_token.bytecode}

    done = subprocess.run(
        ["node", str(CLIENTS / "ethers_deploy.mjs"), site.url + path],
        input=json.dumps(contract),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["chainId"] == str(chain.chain_id)
    assert (result["symbol"], result["balance"]) == ("ETHR", "4242")


def test_a_wrong_token_is_a_404_and_reaches_no_chain(site, chain_host, student_chain):
    student_chain()

    answer = rpc(f"{site.url}/chain/{'x' * 32}/rpc", "eth_chainId")

    assert answer.status_code == 404
    assert chain_host.running_chains() == []
    assert not Chain.objects.exclude(status="stopped").exists()


def test_each_token_reaches_only_its_own_students_chain(site, chain_host, student_chain):
    alice, alice_path = student_chain()
    bob, bob_path = student_chain(offering=alice.offering)

    alice_id = int(rpc(site.url + alice_path, "eth_chainId").json()["result"], 16)
    bob_id = int(rpc(site.url + bob_path, "eth_chainId").json()["result"], 16)

    assert (alice_id, bob_id) == (alice.chain_id, bob.chain_id)
    assert alice_id != bob_id


def test_a_rotated_token_stops_working_and_the_new_one_works(site, chain_host, student_chain):
    chain, old_path = student_chain()
    assert rpc(site.url + old_path, "eth_chainId").status_code == 200

    rotate_token(chain=chain)

    assert rpc(site.url + old_path, "eth_chainId").status_code == 404
    assert rpc(site.url + rpc_path(chain), "eth_chainId").json()["result"] == hex(chain.chain_id)


def test_a_student_who_left_the_offering_no_longer_reaches_their_chain(
    site, chain_host, student_chain
):
    chain, path = student_chain()
    chain.offering.enrollments.filter(user=chain.owner).update(is_active=False)

    assert rpc(site.url + path, "eth_chainId").status_code == 404


def test_browser_wallets_and_remix_get_cors_answers(site, chain_host, student_chain):
    _, path = student_chain()
    origin = {"Origin": "https://remix.ethereum.org"}

    preflight = requests.options(
        site.url + path,
        headers={**origin, "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    answer = requests.post(
        site.url + path, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, headers=origin
    )

    assert preflight.status_code == 204
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_malformed_and_oversized_requests_get_json_rpc_errors_never_a_500(
    site, chain_host, student_chain
):
    _, path = student_chain()
    url = site.url + path

    malformed = requests.post(url, data=b"{oops", timeout=10)
    oversized = requests.post(url, data=b"[" + b" " * (1024 * 1024 + 10) + b"]", timeout=10)
    big_batch = requests.post(
        url, json=[{"jsonrpc": "2.0", "id": i, "method": "eth_chainId"} for i in range(101)]
    )
    get = requests.get(url, timeout=10)

    assert malformed.status_code == 200 and malformed.json()["error"]["code"] == -32700
    assert oversized.status_code == 413 and oversized.json()["error"]["code"] == -32005
    assert big_batch.json()["error"]["code"] == -32005
    assert get.status_code == 405
    assert chain_host.running_chains() == []  # none of these woke the chain


def test_cheat_methods_follow_the_offerings_policy(site, chain_host, student_chain, monkeypatch):
    monkeypatch.setattr(proxy, "ROUTE_TTL_S", 0)
    chain, path = student_chain()
    account = "0x" + "ab" * 20

    refused = rpc(site.url + path, "anvil_setBalance", [account, "0x10"]).json()
    set_cheats_allowed(offering_id=chain.offering_id, allowed=True)
    allowed = rpc(site.url + path, "anvil_setBalance", [account, "0x10"]).json()

    assert refused["error"]["code"] == -32004
    assert "error" not in allowed
    assert rpc(site.url + path, "eth_getBalance", [account, "latest"]).json()["result"] == "0x10"


def test_a_websocket_subscription_receives_new_heads(site, chain_host, student_chain):
    _, path = student_chain()
    w3 = Web3(Web3.HTTPProvider(site.url + path))

    with websockets.sync.client.connect(site.ws + path) as socket:
        socket.send(
            json.dumps(
                {"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}
            )
        )
        subscription = json.loads(socket.recv(timeout=10))["result"]
        w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": w3.eth.accounts[1], "value": 1})
        head = json.loads(socket.recv(timeout=10))

    assert head["method"] == "eth_subscription"
    assert head["params"]["subscription"] == subscription
    assert int(head["params"]["result"]["number"], 16) == 1


def test_a_websocket_with_a_wrong_token_is_refused(site, chain_host, student_chain):
    student_chain()

    with pytest.raises(websockets.exceptions.InvalidStatus):
        websockets.sync.client.connect(f"{site.ws}/chain/{'y' * 32}/rpc")


def test_a_stopped_chain_is_started_transparently(site, chain_host, student_chain):
    chain, path = student_chain()
    assert rpc(site.url + path, "eth_chainId").status_code == 200
    chain_host.stop(chain.pk)
    proxy._addresses.clear()  # as if the cached address had expired

    answer = rpc(site.url + path, "eth_blockNumber")

    assert answer.json()["result"] == "0x0"
    assert chain_host.running_chains() == [chain.pk]


def test_without_a_chain_host_a_request_is_answered_with_the_reason(site, student_chain):
    _, path = student_chain()

    answer = rpc(site.url + path, "eth_chainId")

    assert answer.status_code == 503
    assert "No chain host is running" in answer.json()["error"]["message"]


def test_a_chain_that_takes_too_long_to_start_says_so(
    site, chain_host, student_chain, monkeypatch, settings
):
    settings.CHAIN_START_WAIT_SECONDS = 0.5
    slow_start = chain_host.ensure

    finished = threading.Event()

    def ensure_slowly(chain_pk):
        time.sleep(1.5)
        try:
            return slow_start(chain_pk)
        finally:
            finished.set()

    monkeypatch.setattr(chain_host, "ensure", ensure_slowly)
    _, path = student_chain()
    started = time.monotonic()

    answer = rpc(site.url + path, "eth_chainId")

    assert answer.status_code == 503
    assert "still starting" in answer.json()["error"]["message"]
    assert time.monotonic() - started < 1.4
    assert finished.wait(timeout=10)  # the host still started it, for the next request


def test_while_a_grader_holds_a_chain_the_proxy_refuses_its_owners_writes(
    site, chain_host, student_chain
):
    from django.core.cache import cache

    from sandbox.chain.execution import in_use_key

    chain, path = student_chain()
    w3 = Web3(Web3.HTTPProvider(site.url + path))
    cache.set(in_use_key(chain.pk), "grader", timeout=30)
    try:
        refused = w3.provider.make_request(
            "eth_sendTransaction",
            [{"from": w3.eth.accounts[0], "to": w3.eth.accounts[1], "value": 1}],
        )
        read = w3.eth.block_number
    finally:
        cache.delete(in_use_key(chain.pk))

    assert "grading your submission" in refused["error"]["message"]
    assert read == 0
