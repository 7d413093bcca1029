"""Statements sent together (campus/sqlrows.py `pipeline()`): answered when read or when the
block ends, with the same results and the same errors as one at a time."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from campus import sqlrows
from sandbox.exchange.models import Market, Order
from sandbox.exchange.services import _send_markets
from sandbox.exchange.units import MarketUnits
from sandbox.wallet.api import AVAILABLE, InsufficientBalance, LedgerBatch, Leg, user_accounts
from sandbox.wallet.models import Asset, Journal
from tests.sandbox.trades import unsaved_order

pytestmark = pytest.mark.django_db


def in_pipeline_mode() -> bool:
    from psycopg import pq

    return connection.connection.pgconn.pipeline_status != pq.PipelineStatus.OFF


def test_statements_sent_in_a_pipeline_are_read_after_it_ends(on_postgres):
    with sqlrows.pipeline():
        assert in_pipeline_mode() and sqlrows.in_pipeline()
        first = sqlrows.send("SELECT %s::int + 1", [1])
        second = sqlrows.send("SELECT %s::text", ["two"])

    assert not in_pipeline_mode() and not sqlrows.in_pipeline()
    assert (first(), second()) == ([(2,)], [("two",)])


def test_an_error_in_a_statement_sent_in_a_pipeline_is_raised_by_the_end_of_the_block(
    exchange, on_postgres
):
    duplicate = [("BTC", "Again", "crypto", 8)]  # BTC exists: the primary key refuses it
    sent = False

    with pytest.raises(IntegrityError), transaction.atomic(), sqlrows.pipeline():
        sqlrows.send_rows(Asset, ("code", "name", "kind", "precision"), duplicate)
        sent = True  # sending did not wait for the answer, so it did not raise

    assert sent
    assert Asset.objects.filter(code="BTC").count() == 1


def test_outside_a_pipeline_each_statement_is_answered_at_once(exchange):
    read = sqlrows.send_rows(
        Asset, ("code", "name", "kind", "precision"), [("T1", "T", "token", 2)]
    )

    assert Asset.objects.filter(code="T1").exists()  # already written, before reading the keys
    assert read() == ["T1"]


def test_keys_of_rows_inserted_in_a_pipeline_are_set_when_read(exchange, on_postgres):
    order = unsaved_order(exchange, "piped")

    with sqlrows.pipeline():
        saved = sqlrows.send_insert([order])
        assert order.pk is None  # the answer is not in yet

    saved()
    assert Order.objects.get(pk=order.pk).client_order_id == "piped"
    assert not order._state.adding


def test_a_balance_that_would_go_negative_in_a_pipeline_is_insufficient_balance(
    exchange, on_postgres
):
    """The balances' refusal comes back in the pipeline, where the ledger still turns it into
    InsufficientBalance, as it does one statement at a time."""
    accounts = user_accounts(
        offering_id=exchange.offering.pk, owner_id=exchange.alice.pk, asset_codes=["KRW"]
    )
    other = user_accounts(
        offering_id=exchange.offering.pk, owner_id=exchange.bob.pk, asset_codes=["KRW"]
    )
    too_much = accounts["KRW"].available + 1
    batch = LedgerBatch(exchange.offering.pk)
    batch.add(
        Journal.Kind.ADJUSTMENT,
        [Leg(accounts["KRW"], AVAILABLE, -too_much), Leg(other["KRW"], AVAILABLE, too_much)],
    )
    journals_before = Journal.objects.count()

    with pytest.raises(InsufficientBalance), transaction.atomic(), sqlrows.pipeline():
        batch.commit()

    assert Journal.objects.count() == journals_before


def test_balances_changed_in_a_pipeline_are_read_back(exchange, on_postgres):
    mine = user_accounts(
        offering_id=exchange.offering.pk, owner_id=exchange.alice.pk, asset_codes=["KRW"]
    )["KRW"]
    theirs = user_accounts(
        offering_id=exchange.offering.pk, owner_id=exchange.bob.pk, asset_codes=["KRW"]
    )["KRW"]
    batch = LedgerBatch(exchange.offering.pk)
    batch.add(
        Journal.Kind.ADJUSTMENT,
        [Leg(mine, AVAILABLE, Decimal("-5")), Leg(theirs, AVAILABLE, Decimal("5"))],
    )

    with transaction.atomic(), sqlrows.pipeline():
        [journal] = batch.commit()

    assert batch.balances[mine.pk] == (mine.available - 5, mine.locked)
    assert batch.balances[theirs.pk] == (theirs.available + 5, theirs.locked)
    assert journal.postings.count() == 2


def test_a_market_gone_is_found_when_the_markets_saved_in_a_pipeline_are_checked(
    exchange, on_postgres
):
    gone = Market.objects.get(pk=exchange.markets["ETHKRW"].pk)
    gone.pk = 987654
    markets = [Market.objects.get(pk=exchange.btc.pk), gone]
    engine = type("Engine", (), {"last_price": None})()
    units = MarketUnits(Decimal("1000"), Decimal("0.00001"))

    with transaction.atomic():
        with sqlrows.pipeline():
            check = _send_markets([(market, engine, units) for market in markets])
        with pytest.raises(Market.DoesNotExist, match="987654"):
            check()
