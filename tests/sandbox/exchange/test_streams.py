"""The Binance-shaped WebSocket streams: paths, combined streams, live subscriptions, the user
data stream, and depth diffs merged in update-id order."""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from campus.asgi import application
from sandbox.exchange.consumers import DepthBuffers
from sandbox.exchange.listenkeys import open_listen_key
from sandbox.exchange.streams import market_group, parse_stream, publish, user_group

pytestmark = pytest.mark.django_db(transaction=True)


def trade(symbol="BTCKRW", trade_id=1) -> dict:
    return {"e": "trade", "E": 1, "s": symbol, "t": trade_id, "p": "1.00000000", "q": "2.00000000"}


def run(coroutine_function):
    return async_to_sync(coroutine_function)()


async def subscribed(socket) -> None:
    """Redis pub/sub confirms a subscription asynchronously: a message published at the same
    instant may miss it (as on Binance, a stream starts shortly after it is asked for)."""
    await asyncio.sleep(0.2)


async def receive(communicator) -> dict:
    return json.loads(await communicator.receive_from(timeout=5))


def test_stream_names_parse_as_binance_spells_them():
    assert parse_stream("btckrw@trade").kind == "trade"
    assert parse_stream("btckrw@depth").every_ms == 1000
    assert parse_stream("btckrw@depth@100ms").every_ms == 100
    assert parse_stream("ethkrw@kline_1m").interval == "1m"
    assert parse_stream("btckrw@kline_7m") is None
    assert parse_stream("btckrw@kline_1d").interval == "1d"  # every interval REST serves
    assert parse_stream("btckrw@kline_1s") is None  # as REST: no 1s candles
    assert parse_stream("BTCKRW@trade") is None  # Binance's names are lower case
    assert parse_stream("btckrw@depth").group(4) == "md.4.BTCKRW.depth"


def test_a_raw_stream_delivers_the_event_itself(exchange):
    slug, offering = exchange.offering.slug, exchange.offering.pk

    async def scenario():
        socket = WebsocketCommunicator(application, f"/o/{slug}/ws/btckrw@trade")
        connected, _ = await socket.connect()
        await subscribed(socket)
        await sync_to_async(publish)(market_group(offering, "BTCKRW", "trade"), trade())
        message = await receive(socket)
        await socket.disconnect()
        return connected, message

    connected, message = run(scenario)

    assert connected
    assert message == trade()


def test_combined_streams_wrap_each_event_with_its_streams_name(exchange):
    slug, offering = exchange.offering.slug, exchange.offering.pk

    async def scenario():
        path = f"/o/{slug}/stream?streams=btckrw@trade/ethkrw@trade"
        socket = WebsocketCommunicator(application, path)
        await socket.connect()
        await subscribed(socket)
        await sync_to_async(publish)(market_group(offering, "ETHKRW", "trade"), trade("ETHKRW"))
        message = await receive(socket)
        await socket.disconnect()
        return message

    assert run(scenario) == {"stream": "ethkrw@trade", "data": trade("ETHKRW")}


def test_live_subscribe_unsubscribe_and_list_as_binance_answers_them(exchange):
    slug, offering = exchange.offering.slug, exchange.offering.pk

    async def scenario():
        socket = WebsocketCommunicator(application, f"/o/{slug}/ws/btckrw@trade")
        await socket.connect()
        answers = []
        for request in (
            {"method": "SUBSCRIBE", "params": ["ethkrw@trade"], "id": 1},
            {"method": "LIST_SUBSCRIPTIONS", "id": 2},
            {"method": "UNSUBSCRIBE", "params": ["btckrw@trade"], "id": 3},
            {"method": "SUBSCRIBE", "params": ["dogekrw@trade"], "id": 4},
        ):
            await socket.send_to(text_data=json.dumps(request))
            answers.append(await receive(socket))
        await subscribed(socket)
        await sync_to_async(publish)(market_group(offering, "BTCKRW", "trade"), trade())
        await sync_to_async(publish)(market_group(offering, "ETHKRW", "trade"), trade("ETHKRW"))
        delivered = await receive(socket)
        await socket.disconnect()
        return answers, delivered

    answers, delivered = run(scenario)

    assert answers[0] == {"result": None, "id": 1}
    assert answers[1] == {"result": ["btckrw@trade", "ethkrw@trade"], "id": 2}
    assert answers[2] == {"result": None, "id": 3}
    assert answers[3]["error"]["code"] == 2 and "dogekrw@trade" in answers[3]["error"]["msg"]
    assert delivered["s"] == "ETHKRW"  # the unsubscribed BTCKRW trade never came


def test_an_unknown_offering_or_listen_key_is_refused(exchange):
    async def scenario():
        results = []
        for path in ("/o/no-such-offering/ws/btckrw@trade", "/ws/" + "k" * 60):
            socket = WebsocketCommunicator(application, path)
            connected, code = await socket.connect()
            results.append((connected, code))
        return results

    assert run(scenario) == [(False, 4404), (False, 4404)]


def test_the_user_data_stream_delivers_the_owners_events_by_listen_key(exchange):
    offering, alice = exchange.offering.pk, exchange.alice.pk
    key = open_listen_key(api_key_id=1, offering_id=offering, owner_id=alice)
    event = {"e": "outboundAccountPosition", "E": 1, "u": 1, "B": []}

    async def scenario():
        socket = WebsocketCommunicator(application, f"/ws/{key}")
        connected, _ = await socket.connect()
        await subscribed(socket)
        await sync_to_async(publish)(user_group(offering_id=offering, owner_id=alice), event)
        message = await receive(socket)
        await socket.disconnect()
        return connected, message

    assert run(scenario) == (True, event)


def diff(first: int, last: int, bids=(), asks=(), at: int = 0) -> dict:
    return {
        "e": "depthUpdate",
        "E": at,
        "s": "BTCKRW",
        "U": first,
        "u": last,
        "b": list(bids),
        "a": list(asks),
    }


def test_depth_diffs_are_merged_in_update_id_order_whatever_order_they_arrived_in():
    buffers = DepthBuffers()
    stream = parse_stream("btckrw@depth@100ms")
    buffers.watch(stream)
    buffers.cursor[stream.name] = 10
    for event in (
        diff(12, 12, bids=[["100", "0"]], at=5_000),
        diff(11, 11, bids=[["100", "3"], ["99", "1"]], at=5_000),
    ):
        buffers.add(event)

    [(sent_stream, merged)] = buffers.due(at_ms=10**13)

    assert sent_stream == stream
    assert (merged["U"], merged["u"]) == (11, 12)
    assert dict(map(tuple, merged["b"])) == {"100": "0", "99": "1"}  # the later diff wins


def test_a_diff_after_a_gap_waits_for_the_missing_one():
    buffers = DepthBuffers()
    stream = parse_stream("btckrw@depth@100ms")
    buffers.watch(stream)
    buffers.cursor[stream.name] = 10
    buffers.add(diff(12, 12, at=10**13))

    assert buffers.due(at_ms=10**13) == []  # 11 is missing and 12 is fresh: wait
    buffers.add(diff(11, 11, at=10**13))
    [(_, merged)] = buffers.due(at_ms=10**13 + 1000)
    assert (merged["U"], merged["u"]) == (11, 12)


# the candles kept in the cache are by market id, which a new test database gives out again
@pytest.mark.usefixtures("empty_cache")
def test_tickers_and_candles_of_markets_that_traded_are_sent_every_second(exchange):
    from sandbox.exchange.tasks import publish_tickers_and_candles
    from tests.sandbox.trades import bob_sells_to_alice

    bob_sells_to_alice(exchange)
    slug = exchange.offering.slug

    async def scenario():
        socket = WebsocketCommunicator(
            application, f"/o/{slug}/stream?streams=btckrw@ticker/btckrw@kline_1m"
        )
        await socket.connect()
        await subscribed(socket)
        sent = await sync_to_async(publish_tickers_and_candles)()
        messages = {m["stream"]: m["data"] for m in [await receive(socket), await receive(socket)]}
        await socket.disconnect()
        return sent, messages

    sent, messages = run(scenario)

    assert sent == 1  # only BTCKRW traded
    ticker, candle = messages["btckrw@ticker"], messages["btckrw@kline_1m"]["k"]
    assert (ticker["e"], ticker["c"], ticker["n"]) == ("24hrTicker", "100000000.00000000", 1)
    assert (candle["i"], candle["c"], candle["v"]) == ("1m", "100000000.00000000", "0.01000000")
