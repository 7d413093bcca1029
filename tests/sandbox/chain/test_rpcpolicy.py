"""What the RPC proxy lets through, and the JSON-RPC errors for what it does not."""

import json

from sandbox.chain import rpcpolicy
from sandbox.chain.rpcpolicy import MAX_BATCH, MAX_BODY_BYTES, merge, screen


def call(method: str, request_id: int = 1, **extra) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": [], **extra}


def answer(screened) -> object:
    return json.loads(screened.reply_without_chain())


def test_an_ordinary_call_goes_to_the_chain_unchanged():
    screened = screen(json.dumps(call("eth_blockNumber")), allow_cheats=False)

    assert json.loads(screened.forward) == call("eth_blockNumber")
    assert screened.answers == []


def test_malformed_json_is_a_parse_error_object_not_a_failure():
    screened = screen(b"{not json", allow_cheats=False)

    assert screened.forward is None
    assert answer(screened)["error"]["code"] == rpcpolicy.PARSE_ERROR
    assert answer(screened)["id"] is None


def test_a_call_without_a_method_is_an_invalid_request_with_its_id():
    screened = screen(json.dumps({"jsonrpc": "2.0", "id": 7}), allow_cheats=False)

    assert answer(screened)["error"]["code"] == rpcpolicy.INVALID_REQUEST
    assert answer(screened)["id"] == 7


def test_cheat_methods_are_refused_unless_the_offering_allows_them():
    body = json.dumps(call("anvil_setBalance"))

    refused = screen(body, allow_cheats=False)
    allowed = screen(body, allow_cheats=True)

    assert refused.forward is None
    assert answer(refused)["error"]["code"] == rpcpolicy.METHOD_NOT_SUPPORTED
    assert "instructor" in answer(refused)["error"]["message"]
    assert allowed.forward is not None
    for method in ("evm_setNextBlockTimestamp", "hardhat_impersonateAccount", "evm_revert"):
        assert screen(json.dumps(call(method)), allow_cheats=False).forward is None


def test_pointing_the_chain_at_another_node_is_refused_even_with_cheats_allowed():
    set_url = screen(json.dumps(call("anvil_setRpcUrl")), allow_cheats=True)
    fork_reset = call("anvil_reset", params=[{"forking": {"jsonRpcUrl": "http://10.0.0.1"}}])

    assert set_url.forward is None
    assert screen(json.dumps(fork_reset), allow_cheats=True).forward is None
    assert screen(json.dumps(call("anvil_reset")), allow_cheats=True).forward is not None


def test_a_batch_forwards_the_allowed_calls_and_answers_the_refused_ones_itself():
    batch = [call("eth_chainId", 1), call("anvil_mine", 2), call("eth_blockNumber", 3)]

    screened = screen(json.dumps(batch), allow_cheats=False)
    chain_reply = json.dumps([{"id": 1, "result": "0x1"}, {"id": 3, "result": "0x0"}])

    assert [c["id"] for c in json.loads(screened.forward)] == [1, 3]
    merged = json.loads(merge(screened, chain_reply.encode()))
    assert sorted(r["id"] for r in merged) == [1, 2, 3]
    assert next(r for r in merged if r["id"] == 2)["error"]["code"] == -32004


def test_oversized_batches_and_bodies_and_empty_batches_are_refused():
    too_many = screen(
        json.dumps([call("eth_chainId", i) for i in range(MAX_BATCH + 1)]), allow_cheats=True
    )
    too_big = screen(b" " * (MAX_BODY_BYTES + 1), allow_cheats=True)
    empty = screen(b"[]", allow_cheats=True)

    assert too_many.forward is None and answer(too_many)["error"]["code"] == -32005
    assert too_big.forward is None and answer(too_big)["error"]["code"] == -32005
    assert empty.forward is None and answer(empty)["error"]["code"] == -32600


def test_while_a_grader_holds_the_chain_writes_are_refused_and_reads_pass():
    batch = [call("eth_sendRawTransaction", 1), call("eth_call", 2), call("evm_mine", 3)]

    screened = screen(json.dumps(batch), allow_cheats=True, grading=True)

    assert [c["method"] for c in json.loads(screened.forward)] == ["eth_call"]
    assert {a["id"] for a in screened.answers} == {1, 3}
    assert all(a["error"]["code"] == rpcpolicy.RESOURCE_UNAVAILABLE for a in screened.answers)
    assert "grading your submission" in screened.answers[0]["error"]["message"]


def test_only_a_request_that_may_write_makes_the_proxy_ask_about_grading():
    assert rpcpolicy.may_write(json.dumps(call("eth_sendRawTransaction")))
    assert rpcpolicy.may_write(json.dumps(call("anvil_mine")).encode())
    assert not rpcpolicy.may_write(json.dumps(call("eth_getBalance")))


EXCHANGE = "0x" + "ab" * 20


def test_cheats_that_touch_the_exchanges_addresses_are_refused_even_when_allowed():
    protected = frozenset([EXCHANGE])
    calls = [
        {**call("anvil_setBalance", 1), "params": [EXCHANGE.upper().replace("0X", "0x"), "0x1"]},
        {**call("anvil_impersonateAccount", 2), "params": [EXCHANGE]},
        {**call("anvil_setStorageAt", 3), "params": [EXCHANGE, "0x0", "0x1"]},
        {**call("anvil_autoImpersonateAccount", 4), "params": [True]},
        {**call("anvil_setBalance", 5), "params": ["0x" + "cd" * 20, "0x1"]},
    ]

    screened = screen(json.dumps(calls), allow_cheats=True, protected=protected)

    assert [c["id"] for c in json.loads(screened.forward)] == [5]  # the student's own account
    assert {a["id"] for a in screened.answers} == {1, 2, 3, 4}
    assert "exchange's own accounts" in screened.answers[0]["error"]["message"]
