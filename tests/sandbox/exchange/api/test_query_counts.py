"""The API's order placement, end to end, within a fixed number of queries: what a change that
adds round trips to every order would cost shows up here, not in a benchmark months later."""

import pytest
from django.db import connection

from tests.sandbox.exchange.api.conftest import limit_order

pytestmark = pytest.mark.django_db


def on_postgres(queries: int, sqlite_extra: int) -> int:
    """SQLite reads and writes each balance in Python (exact Decimals): a few more queries."""
    return queries if connection.vendor == "postgresql" else queries + sqlite_extra


@pytest.fixture
def warm(api, django_capture_on_commit_callbacks):
    """One order first, so the engine is built and trusted, as in steady state."""
    with django_capture_on_commit_callbacks(execute=True):
        api.bob.post("order", **limit_order(side="BUY", price="90000000"))
    return api


def test_resting_limit_order_through_the_api_query_budget(warm, django_assert_max_num_queries):
    # key with its market, BEGIN, lock, accounts, order, journal, postings, balance, market,
    # COMMIT (here a savepoint and its release, inside the test's transaction)
    with django_assert_max_num_queries(on_postgres(10, sqlite_extra=1)):
        response = warm.alice.post("order", **limit_order(side="BUY", price="91000000"))

    assert response.json()["status"] == "NEW"


def test_crossing_order_through_the_api_query_budget(
    warm, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        warm.alice.post("order", **limit_order(side="SELL", price="100000000"))

    # as resting, plus the maker and the counterparties' and fee accounts, the orders' and
    # trade's writes, the balances' lock, and the fills for the answer
    with django_assert_max_num_queries(on_postgres(14, sqlite_extra=11)):
        response = warm.bob.post("order", **limit_order(side="BUY", price="100000000"))

    assert response.json()["status"] == "FILLED"
