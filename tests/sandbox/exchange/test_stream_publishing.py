"""What the exchange's changes send on the streams: trades, depth diffs a client can sync a book
from (Binance's documented procedure), and the user data stream reached with a listen key."""

import asyncio
import json
import time
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.test import Client

from campus.asgi import application
from sandbox.exchange.api import cancel_order, place_order
from sandbox.exchange.apikeys import create_api_key
from sandbox.exchange.streams import publish_many
from tests.factories import EnrollmentFactory
from tests.sandbox.trades import bob_sells_to_alice, limit

pytestmark = pytest.mark.django_db(transaction=True)


def rest_depth(slug: str) -> dict:
    return Client().get(f"/o/{slug}/api/v3/depth", {"symbol": "BTCKRW", "limit": 1000}).json()


async def listen(path: str):
    socket = WebsocketCommunicator(application, path)
    connected, _ = await socket.connect()
    assert connected
    await asyncio.sleep(0.2)  # Redis confirms a subscription asynchronously
    return socket


async def drain(socket, seconds: float = 1.5) -> list[dict]:
    """Everything the socket is sent for `seconds` (receive_from's own timeout would stop the
    application, so wait with receive_nothing)."""
    messages = []
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if not await socket.receive_nothing(timeout=0.05, interval=0.01):
            messages.append(json.loads(await socket.receive_from()))
    return messages


def test_a_trade_is_sent_on_the_trade_stream_after_it_commits(exchange):
    slug = exchange.offering.slug

    async def scenario():
        socket = await listen(f"/o/{slug}/ws/btckrw@trade")
        await sync_to_async(bob_sells_to_alice)(exchange, bought="0.004")
        messages = await drain(socket, 1.0)
        await socket.disconnect()
        return messages

    [trade] = async_to_sync(scenario)()

    assert (trade["e"], trade["s"], trade["p"], trade["q"]) == (
        "trade",
        "BTCKRW",
        "100000000.00000000",
        "0.00400000",
    )
    assert trade["m"] is False  # the buyer took the seller's resting order


def test_a_client_that_connects_mid_stream_rebuilds_the_exact_book(exchange):
    slug, btc = exchange.offering.slug, exchange.btc
    alice, bob = exchange.alice.pk, exchange.bob.pk
    place, cancel = sync_to_async(place_order), sync_to_async(cancel_order)

    async def scenario():
        # the book has a history before the client arrives
        for price in ("101000000", "102000000", "103000000"):
            await place(owner_id=bob, market=btc, request=limit("SELL", "0.005", price))
        socket = await listen(f"/o/{slug}/ws/btckrw@depth@100ms")
        # Binance's procedure: open the stream, buffer it, then take a snapshot
        await place(owner_id=alice, market=btc, request=limit("BUY", "0.01", "99000000"))
        snapshot = await sync_to_async(rest_depth)(slug)
        first = await place(owner_id=alice, market=btc, request=limit("BUY", "0.002", "98000000"))
        await place(
            owner_id=alice, market=btc, request=limit("BUY", "0.007", "102000000")
        )  # crosses
        await cancel(owner_id=alice, market=btc, order_id=first.pk)
        await place(owner_id=bob, market=btc, request=limit("SELL", "0.003", "104000000"))
        events = await drain(socket)
        await socket.disconnect()
        return snapshot, events

    snapshot, events = async_to_sync(scenario)()
    final = rest_depth(slug)

    book = {"bids": dict(snapshot["bids"]), "asks": dict(snapshot["asks"])}
    last = snapshot["lastUpdateId"]
    applied = [e for e in events if e["u"] > last]
    assert applied and applied[0]["U"] <= last + 1 <= applied[0]["u"]
    for event in applied:
        assert event["U"] == last + 1 or event is applied[0]  # an unbroken sequence
        for side, levels in (("bids", event["b"]), ("asks", event["a"])):
            for price, quantity in levels:
                if Decimal(quantity) == 0:
                    book[side].pop(price, None)
                else:
                    book[side][price] = quantity
        last = event["u"]
    assert last == final["lastUpdateId"]
    assert book == {"bids": dict(final["bids"]), "asks": dict(final["asks"])}


def test_the_user_data_stream_reports_orders_and_balances_by_listen_key(exchange):
    EnrollmentFactory(offering=exchange.offering, user=exchange.alice)
    api_key, _ = create_api_key(user_id=exchange.alice.pk, offering_id=exchange.offering.pk)
    client, headers = Client(), {"HTTP_X_MBX_APIKEY": api_key.key}
    key = client.post("/api/v3/userDataStream", **headers).json()["listenKey"]

    async def scenario():
        socket = await listen(f"/ws/{key}")
        await sync_to_async(bob_sells_to_alice)(exchange, bought="0.004")
        messages = await drain(socket, 1.0)
        await socket.disconnect()
        return messages

    messages = async_to_sync(scenario)()

    reports = [m for m in messages if m["e"] == "executionReport"]
    assert [(r["x"], r["X"]) for r in reports] == [("NEW", "FILLED"), ("TRADE", "FILLED")]
    assert reports[1]["l"] == "0.00400000" and reports[1]["L"] == "100000000.00000000"
    [position] = [m for m in messages if m["e"] == "outboundAccountPosition"]
    balances = {b["a"]: b["f"] for b in position["B"]}
    assert balances["KRW"] == "9600000.00000000"  # 10,000,000 less 400,000
    assert client.put(f"/api/v3/userDataStream?listenKey={key}", **headers).json() == {}
    assert client.delete(f"/api/v3/userDataStream?listenKey={key}", **headers).json() == {}
    refused = client.put(f"/api/v3/userDataStream?listenKey={key}", **headers)
    assert refused.status_code == 400 and refused.json()["code"] == -1125


def sent_to_layer(monkeypatch) -> list:
    """The (group, message) pairs `publish_many` hands the channel layer, in turn."""
    from sandbox.exchange import streams

    sent = []

    async def recorded(layer, messages):
        sent.extend(messages)

    monkeypatch.setattr(streams, "_send_all", recorded)
    return sent


def test_a_group_s_events_of_one_commit_go_through_the_layer_as_one_message(monkeypatch):
    sent = sent_to_layer(monkeypatch)
    user, trades = "ud.1.1", "md.1.BTCKRW.trade"

    publish_many(
        [
            (user, {"e": "executionReport", "x": "NEW"}),
            (trades, {"e": "trade"}),
            (user, {"e": "executionReport", "x": "TRADE"}),
            (user, {"e": "outboundAccountPosition"}),
        ]
    )

    assert [group for group, _ in sent] == [user, trades]
    events = sent[0][1]["events"]
    assert [json.loads(e["text"]).get("x", "-") for e in events] == ["NEW", "TRADE", "-"]
    assert json.loads(sent[1][1]["text"]) == {"e": "trade"}  # alone: as it always went


@pytest.mark.skipif(
    not isinstance(get_channel_layer(), RedisPubSubChannelLayer),
    reason="needs the Redis channel layer: set REDIS_URL (CI does)",
)
def test_with_redis_a_publish_goes_as_one_pipeline_and_reaches_each_group(monkeypatch):
    from redis.asyncio.client import Pipeline

    layer = get_channel_layer()
    user, trades = "ud.999.1", "md.999.BTCKRW.trade"
    pipelines = []
    execute = Pipeline.execute

    async def counted(pipe, *args, **kwargs):
        pipelines.append(len(pipe.command_stack))
        return await execute(pipe, *args, **kwargs)

    async def one_by_one(group, message):
        raise AssertionError("sent with group_send, one message at a time")

    async def scenario():
        channel = await layer.new_channel()
        for group in (user, trades):
            await layer.group_add(group, channel)
        await asyncio.sleep(0.2)  # Redis confirms a subscription asynchronously
        monkeypatch.setattr(Pipeline, "execute", counted)
        monkeypatch.setattr(layer, "group_send", one_by_one)
        await sync_to_async(publish_many)(
            [(user, {"e": "executionReport", "x": "NEW"}), (trades, {"e": "trade"})]
        )
        received = [await asyncio.wait_for(layer.receive(channel), 3) for _ in range(2)]
        monkeypatch.undo()
        for group in (user, trades):
            await layer.group_discard(group, channel)
        return received

    received = async_to_sync(scenario)()

    assert pipelines == [2]  # both PUBLISHes in one round trip
    assert sorted(json.loads(m["text"])["e"] for m in received) == ["executionReport", "trade"]
    assert {m["group"] for m in received} == {user, trades}


def test_publishing_handed_elsewhere_sends_nothing_until_that_publishes(monkeypatch):
    from sandbox.exchange.streams import handed_to

    sent = sent_to_layer(monkeypatch)
    held: list = []

    with handed_to(held.extend):
        publish_many([("ud.1.1", {"e": "executionReport", "x": "NEW"})])
        publish_many([("md.1.BTCKRW.trade", {"e": "trade"})])
    assert sent == []
    publish_many(held)

    assert held == [
        ("ud.1.1", {"e": "executionReport", "x": "NEW"}),
        ("md.1.BTCKRW.trade", {"e": "trade"}),
    ]
    assert [group for group, _ in sent] == ["ud.1.1", "md.1.BTCKRW.trade"]


def test_publishing_is_best_effort_even_for_an_event_it_cannot_encode(monkeypatch, caplog):
    sent = sent_to_layer(monkeypatch)

    publish_many([("md.1.BTCKRW.trade", {"e": "trade", "p": {1, 2}})])  # a set: not JSON

    assert sent == []
    assert "could not publish 1 stream messages" in caplog.text


@pytest.fixture
def behind(monkeypatch):
    """`streams`, with no sending of an earlier test still counted as on its way."""
    from collections import deque

    from sandbox.exchange import streams

    monkeypatch.setattr(streams, "_behind", deque())
    return streams


def held_back_layer(monkeypatch) -> tuple[list, object]:
    """A layer whose sending waits until the event returned is set (from any thread); the
    messages it was given, in the order it began sending them."""
    import threading

    from sandbox.exchange import streams

    sent, release = [], threading.Event()

    async def held(layer, messages):
        sent.extend(messages)
        await asyncio.get_running_loop().run_in_executor(None, release.wait, 10)

    monkeypatch.setattr(streams, "_send_all", held)
    return sent, release


def test_publishing_without_waiting_returns_at_once_and_keeps_the_order(monkeypatch, behind):
    sent, release = held_back_layer(monkeypatch)

    publish_many([("ud.1.1", {"e": "executionReport", "x": "NEW"})], wait=False)
    publish_many([("ud.1.1", {"e": "executionReport", "x": "TRADE"})], wait=False)
    on_their_way = [sending for sending in behind._behind if not sending.done()]
    assert len(on_their_way) == 2  # both returned while the layer held the first
    deadline = time.monotonic() + 5
    while not sent and time.monotonic() < deadline:  # the loop begins the first
        time.sleep(0.01)
    time.sleep(0.2)
    assert len(sent) == 1  # the second waits for the first to be sent
    release.set()
    behind.flush()

    assert [json.loads(m["text"])["x"] for _, m in sent] == ["NEW", "TRADE"]
    assert not behind._behind


def test_publishing_without_waiting_waits_for_the_oldest_past_its_limit(monkeypatch, behind):
    import threading

    sent, release = held_back_layer(monkeypatch)
    monkeypatch.setattr(behind, "MAX_BEHIND", 1)
    publish_many([("md.1.BTCKRW.trade", {"e": "trade", "t": 1})], wait=False)
    second = threading.Thread(
        target=publish_many,
        args=([("md.1.BTCKRW.trade", {"e": "trade", "t": 2})],),
        kwargs={"wait": False},
    )
    second.start()
    second.join(0.3)
    assert second.is_alive()  # two on their way would pass the limit: it waits
    release.set()
    second.join(10)
    behind.flush()

    assert not second.is_alive()
    assert [json.loads(m["text"])["t"] for _, m in sent] == [1, 2]


def test_publishing_without_waiting_logs_a_layer_that_fails(monkeypatch, behind, caplog):
    async def failing(layer, messages):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(behind, "_send_all", failing)
    publish_many([("md.1.BTCKRW.trade", {"e": "trade"})], wait=False)
    behind.flush()
    deadline = time.monotonic() + 5  # the sidecar's thread logs it once the sending is done
    while "could not publish" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.01)

    assert "could not publish stream messages" in caplog.text
    assert "Redis is down" in caplog.text


def test_publishing_without_waiting_gives_up_on_a_layer_that_hangs_and_says_so(
    monkeypatch, behind, caplog
):
    _, release = held_back_layer(monkeypatch)
    monkeypatch.setattr(behind, "MAX_BEHIND", 0)  # wait for each at once
    monkeypatch.setattr(behind.sidecar, "TIMEOUT_S", 0.2)

    publish_many([("md.1.BTCKRW.trade", {"e": "trade"})], wait=False)
    release.set()

    assert "gave up publishing stream messages" in caplog.text
    assert not behind._behind


@pytest.mark.skipif(
    not isinstance(get_channel_layer(), RedisPubSubChannelLayer),
    reason="needs the Redis channel layer: set REDIS_URL (CI does)",
)
def test_with_redis_events_published_without_waiting_arrive_in_order(behind):
    layer = get_channel_layer()
    group = "ud.999.2"

    async def scenario():
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        await asyncio.sleep(0.2)  # Redis confirms a subscription asynchronously
        for n in range(40):
            await sync_to_async(publish_many)(
                [(group, {"e": "executionReport", "i": n})], wait=False
            )
        received = [await asyncio.wait_for(layer.receive(channel), 3) for _ in range(40)]
        await layer.group_discard(group, channel)
        return received

    received = async_to_sync(scenario)()

    assert [json.loads(m["text"])["i"] for m in received] == list(range(40))
