"""The hot path's query budget: a change that adds round trips to every order shows up here."""

import pytest
from django.db import connection

from sandbox.exchange.services import cancel_order, place_order
from tests.sandbox.trades import limit

pytestmark = pytest.mark.django_db


def budget(on_postgres: int, accounts_updated: int) -> int:
    """PostgreSQL adds to balances in place (one UPDATE, or a lock and one UPDATE for many);
    SQLite reads and writes each balance (exact Decimals)."""
    if connection.vendor == "postgresql":
        return on_postgres
    return on_postgres + (accounts_updated if accounts_updated == 1 else 2 * accounts_updated - 2)


@pytest.fixture
def warm(exchange, django_capture_on_commit_callbacks):
    """One order first, so the engine is built, as in steady state; on-commit callbacks run as
    they would after a real commit, so the engine stays trusted between orders."""
    with django_capture_on_commit_callbacks(execute=True):
        place_order(
            owner_id=exchange.bob.pk, market=exchange.btc, request=limit("BUY", "0.001", "90000000")
        )
    exchange.committed = lambda: django_capture_on_commit_callbacks(execute=True)
    return exchange


def test_resting_limit_order_query_budget(warm, django_assert_max_num_queries):
    with django_assert_max_num_queries(budget(9, accounts_updated=1)):
        place_order(
            owner_id=warm.alice.pk, market=warm.btc, request=limit("BUY", "0.001", "91000000")
        )


def test_crossing_order_with_one_fill_query_budget(warm, django_assert_max_num_queries):
    with warm.committed():
        place_order(
            owner_id=warm.alice.pk, market=warm.btc, request=limit("SELL", "0.001", "100000000")
        )

    with django_assert_max_num_queries(budget(14, accounts_updated=6)):
        order = place_order(
            owner_id=warm.bob.pk, market=warm.btc, request=limit("BUY", "0.001", "100000000")
        )

    assert order.status == "FILLED"


def test_cancel_query_budget(warm, django_assert_max_num_queries):
    with warm.committed():
        order = place_order(
            owner_id=warm.alice.pk, market=warm.btc, request=limit("BUY", "0.001", "91000000")
        )

    with django_assert_max_num_queries(budget(10, accounts_updated=1)):
        cancel_order(owner_id=warm.alice.pk, market=warm.btc, order_id=order.pk)
