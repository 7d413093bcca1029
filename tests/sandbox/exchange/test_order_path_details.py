"""Details of the order path's fast reads and writes that the API relies on."""

import pytest

from campus import sidecar
from sandbox.exchange import selectors
from sandbox.exchange.models import Order
from sandbox.exchange.services import place_order
from tests.sandbox.trades import limit

pytestmark = pytest.mark.django_db


def test_new_fills_are_the_trades_a_query_would_find_in_the_same_order(exchange):
    for price in ("100000000", "100001000", "100002000"):  # three makers at rising prices
        place_order(
            owner_id=exchange.alice.pk, market=exchange.btc, request=limit("SELL", "0.001", price)
        )

    sweeping = place_order(
        owner_id=exchange.bob.pk, market=exchange.btc, request=limit("BUY", "0.003", "100002000")
    )

    assert sweeping.status == "FILLED"
    assert [t.pk for t in sweeping.new_fills] == [t.pk for t in selectors.order_fills(sweeping)]
    assert len(sweeping.new_fills) == 3


def test_a_channel_layer_failure_never_turns_a_placed_order_into_an_error(
    exchange, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    def broken(awaitable):
        awaitable.close()
        raise TimeoutError("the layer did not answer")

    monkeypatch.setattr(sidecar, "run", broken)

    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(
            owner_id=exchange.alice.pk,
            market=exchange.btc,
            request=limit("BUY", "0.001", "90000000"),
        )

    assert Order.objects.get(pk=order.pk).status == "NEW"
    assert "could not publish" in caplog.text


def test_a_batch_s_messages_that_cannot_be_sent_are_logged_and_its_orders_stand(
    exchange, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from sandbox.exchange import streams
    from sandbox.exchange.services import place_batches

    class BrokenLayer:
        async def group_send(self, group, message):
            raise ConnectionError("the layer is down")

    monkeypatch.setattr(streams, "get_channel_layer", BrokenLayer)

    with django_capture_on_commit_callbacks(execute=True):
        [[order]] = place_batches(
            [(exchange.btc, [(exchange.alice.pk, limit("BUY", "0.001", "90000000"))])]
        )

    assert Order.objects.get(pk=order.pk).status == "NEW"
    assert "could not publish" in caplog.text
