"""Binance's Partial Book Depth streams (`<symbol>@depth5|10|20[@100ms|@1000ms]`): the top levels
as they are now, from each web process's mirror of the book, sent when the book changed."""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from campus.asgi import application
from sandbox.exchange.api import place_order
from sandbox.exchange.stream_books import RESYNC_AFTER_MS, BookMirror
from sandbox.exchange.streams import parse_stream
from tests.sandbox.trades import limit


def diff(first: int, last: int, bids=(), asks=()) -> dict:
    return {"e": "depthUpdate", "E": 0, "s": "BTCKRW", "U": first, "u": last, "b": bids, "a": asks}


def test_partial_depth_names_parse_with_their_levels_and_speed():
    five, twenty = parse_stream("btckrw@depth5"), parse_stream("btckrw@depth20@100ms")

    assert (five.kind, five.levels, five.every_ms) == ("depth_partial", 5, 1000)
    assert (twenty.levels, twenty.every_ms) == (20, 100)
    assert parse_stream("btckrw@depth10@1000ms").every_ms == 1000
    assert parse_stream("btckrw@depth7") is None  # Binance serves 5, 10 and 20 only
    assert five.group(4) == "md.4.BTCKRW.depth"  # built from the market's diffs


def test_a_mirror_applies_diffs_in_update_id_order_over_its_snapshot():
    mirror = BookMirror(1, "BTCKRW")
    mirror.pending = [diff(12, 12, bids=[["99", "0"]]), diff(11, 11, bids=[["99", "4"]])]
    mirror.load(10, bids=[("99", "1"), ("98", "2")], asks=[("101", "1")])

    assert mirror.version == 12
    assert json.loads(mirror.text(5)) == {
        "lastUpdateId": 12,
        "bids": [["98", "2"]],  # 99 was raised, then removed
        "asks": [["101", "1"]],
    }


def test_a_mirror_orders_levels_by_price_as_numbers_and_keeps_the_top_ones():
    mirror = BookMirror(1, "BTCKRW")
    mirror.load(
        1,
        bids=[("9.5", "1"), ("10", "1"), ("8", "1")],
        asks=[("11", "1"), ("100", "1"), ("12", "1")],
    )

    book = json.loads(mirror.text(2))

    assert book["bids"] == [["10", "1"], ["9.5", "1"]]
    assert book["asks"] == [["11", "1"], ["12", "1"]]


def test_a_mirror_waits_at_a_gap_and_asks_for_a_snapshot_when_it_lasts():
    mirror = BookMirror(1, "BTCKRW")
    mirror.load(10, bids=[], asks=[])

    mirror.pending.append(diff(12, 12, bids=[["99", "1"]]))
    mirror.apply_pending(at_ms=1_000)

    assert mirror.version == 10  # 11 is missing: 12 waits
    assert not mirror.needs_snapshot(at_ms=1_000 + RESYNC_AFTER_MS - 1)
    assert mirror.needs_snapshot(at_ms=1_000 + RESYNC_AFTER_MS)
    mirror.pending.append(diff(11, 11))
    mirror.apply_pending(at_ms=1_500)
    assert mirror.version == 12 and not mirror.needs_snapshot(at_ms=10**13)


def rest_depth(slug: str, limit: int) -> dict:
    return Client().get(f"/o/{slug}/api/v3/depth", {"symbol": "BTCKRW", "limit": limit}).json()


async def drain(socket, seconds: float) -> list[dict]:
    messages = []
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if not await socket.receive_nothing(timeout=0.05, interval=0.01):
            messages.append(json.loads(await socket.receive_from()))
    return messages


@pytest.mark.django_db(transaction=True)
def test_the_combined_stream_sends_the_top_levels_as_rest_depth_has_them(exchange):
    slug, btc, bob = exchange.offering.slug, exchange.btc, exchange.bob.pk
    place = sync_to_async(place_order)

    async def scenario():
        await place(owner_id=bob, market=btc, request=limit("SELL", "0.001", "101000000"))
        path = f"/o/{slug}/stream?streams=btckrw@depth5@100ms"
        socket = WebsocketCommunicator(application, path)
        await socket.connect()
        await asyncio.sleep(0.3)  # subscribed, snapshot read
        for price in ("102000000", "103000000", "104000000", "105000000", "106000000"):
            await place(owner_id=bob, market=btc, request=limit("SELL", "0.001", price))
        messages = await drain(socket, 1.0)
        await socket.disconnect()
        return messages

    messages = async_to_sync(scenario)()
    final = rest_depth(slug, 5)

    assert {m["stream"] for m in messages} == {"btckrw@depth5@100ms"}
    assert messages[-1]["data"] == final  # lastUpdateId, bids and asks, top 5
    assert len(final["asks"]) == 5


@pytest.mark.django_db(transaction=True)
def test_a_raw_partial_stream_sends_nothing_while_the_book_stands_still(exchange):
    slug, btc, bob = exchange.offering.slug, exchange.btc, exchange.bob.pk
    async_to_sync(sync_to_async(place_order))(
        owner_id=bob, market=btc, request=limit("SELL", "0.001", "101000000")
    )

    async def scenario():
        socket = WebsocketCommunicator(application, f"/o/{slug}/ws/btckrw@depth10@100ms")
        await socket.connect()
        messages = await drain(socket, 1.0)
        await socket.disconnect()
        return messages

    [book] = async_to_sync(scenario)()  # the book as it is, once; then nothing changed

    assert book == rest_depth(slug, 10)


@pytest.mark.django_db(transaction=True)
def test_a_process_mirrors_a_book_only_while_a_socket_watches_it(exchange):
    from sandbox.exchange.stream_books import book_mirrors

    slug, offering = exchange.offering.slug, exchange.offering.pk

    async def scenario():
        socket = WebsocketCommunicator(application, f"/o/{slug}/ws/btckrw@depth5/btckrw@depth20")
        await socket.connect()
        await asyncio.sleep(0.3)
        mirror = book_mirrors().get(offering, "BTCKRW")
        watched = (mirror.watchers, book_mirrors().get(offering, "ETHKRW"))
        await socket.send_to(
            text_data=json.dumps({"method": "UNSUBSCRIBE", "params": ["btckrw@depth5"], "id": 1})
        )
        while json.loads(await socket.receive_from(timeout=5)).get("id") != 1:
            pass  # a book sent meanwhile
        after_one = mirror.watchers
        await socket.disconnect()
        await asyncio.sleep(0.1)
        return watched, after_one, book_mirrors().get(offering, "BTCKRW")

    watched, after_one, after_all = async_to_sync(scenario)()

    assert watched == (2, None)  # two streams on BTCKRW; nobody watches ETHKRW's book
    assert after_one == 1
    assert after_all is None
