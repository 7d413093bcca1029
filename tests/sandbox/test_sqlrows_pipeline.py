"""Statements sent together (campus/sqlrows.py `pipeline()`): answered when read or when the
block ends, with the same results and the same errors as one at a time."""

from decimal import Decimal

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from campus import sqlrows
from sandbox.exchange.models import Market, Order
from sandbox.exchange.services import _send_markets
from sandbox.exchange.units import MarketUnits
from sandbox.wallet.api import AVAILABLE, InsufficientBalance, LedgerBatch, Leg, user_accounts
from sandbox.wallet.models import Asset, Journal, Posting
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


def test_journals_and_their_postings_go_in_together_each_posting_with_its_journal(
    exchange, on_postgres
):
    owners = (exchange.alice.pk, exchange.bob.pk)
    krw = [
        user_accounts(offering_id=exchange.offering.pk, owner_id=owner, asset_codes=["KRW"])["KRW"]
        for owner in owners
    ]
    batch = LedgerBatch(exchange.offering.pk)
    amounts = [Decimal("1"), Decimal("2"), Decimal("3")]
    for n, amount in enumerate(amounts):  # 2, 4 and 2 legs
        legs = [Leg(krw[0], AVAILABLE, -amount), Leg(krw[1], AVAILABLE, amount)]
        if n == 1:
            legs += [Leg(krw[1], AVAILABLE, -amount), Leg(krw[0], AVAILABLE, amount)]
        batch.add(Journal.Kind.ADJUSTMENT, legs, reference=f"j{n}")

    with transaction.atomic(), CaptureQueriesContext(connection) as sent:
        with sqlrows.pipeline():
            written = batch.send()
        journals = written()

    assert len(sent) == 2  # the balances' and the journals' with their postings
    assert [j.reference for j in journals] == ["j0", "j1", "j2"]
    assert [j.pk for j in journals] == sorted(j.pk for j in journals)
    for journal, amount, legs in zip(journals, amounts, (2, 4, 2), strict=True):
        postings = list(Posting.objects.filter(journal=journal).order_by("pk"))
        assert len(postings) == legs
        assert {abs(p.amount) for p in postings} == {amount}
        assert sum(p.amount for p in postings) == 0
        assert Journal.objects.get(pk=journal.pk).reference == journal.reference


@pytest.mark.django_db(transaction=True)
def test_a_commit_sent_in_a_pipeline_commits_there_and_the_atomic_block_runs_its_hooks(
    exchange, on_postgres
):
    ran = []
    with transaction.atomic():
        with sqlrows.pipeline():
            sqlrows.send_rows(Asset, ("code", "name", "kind", "precision"), [NEW_ASSET])
            transaction.on_commit(lambda: ran.append("hook"))
            made = sqlrows.send_commit()
        made()
        assert seen_by_another_connection("ZZZ")  # committed before the block's end
        sqlrows.check_committed()
        assert ran == []

    assert ran == ["hook"]
    assert Asset.objects.filter(code="ZZZ").exists()


@pytest.mark.django_db(transaction=True)
def test_a_statement_refused_before_a_commit_in_a_pipeline_leaves_nothing_committed(
    exchange, on_postgres
):
    failed = None
    with pytest.raises(DataError), transaction.atomic():
        try:
            with sqlrows.pipeline():
                sqlrows.send_rows(Asset, ("code", "name", "kind", "precision"), [NEW_ASSET])
                sqlrows.send("SELECT 1 / 0", [])
                sqlrows.send_commit()
        finally:
            failed = sqlrows.transaction_failed()

    assert failed
    assert not Asset.objects.filter(code="ZZZ").exists()


@pytest.mark.django_db(transaction=True)
def test_a_commit_that_postgresql_answers_by_rolling_back_is_found(exchange, on_postgres):
    """A transaction that failed before the pipeline (its error caught): PostgreSQL answers its
    COMMIT with ROLLBACK, not with an error."""
    with transaction.atomic():
        Asset.objects.create(code="ZZZ", name="Test asset", kind="crypto", precision=8)
        with pytest.raises(DataError), connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")
        with sqlrows.pipeline():
            made = sqlrows.send_commit()
        with pytest.raises(sqlrows.CommitRolledBack, match="ROLLBACK"):
            made()

    assert not Asset.objects.filter(code="ZZZ").exists()


@pytest.mark.django_db(transaction=True)
def test_a_statement_run_after_a_commit_in_a_pipeline_is_refused_loudly(exchange, on_postgres):
    with pytest.raises(RuntimeError, match="after this transaction's COMMIT"), transaction.atomic():
        with sqlrows.pipeline():
            sqlrows.send_commit()
        Asset.objects.count()  # would begin a second transaction
        sqlrows.check_committed()


@pytest.mark.django_db(transaction=True)
def test_a_transaction_begun_in_a_pipeline_sends_its_begin_with_the_statements(
    exchange, on_postgres, monkeypatch
):
    """One round trip for the BEGIN and the statements behind it, not one for the BEGIN alone
    (psycopg's own BEGIN is followed by a Sync, and waited for)."""
    from psycopg._pipeline_base import BasePipeline

    syncs = []
    enqueue_sync = BasePipeline._enqueue_sync
    monkeypatch.setattr(
        BasePipeline, "_enqueue_sync", lambda self: syncs.append(1) or enqueue_sync(self)
    )
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        with sqlrows.pipeline():
            sqlrows.send_rows(Asset, ("code", "name", "kind", "precision"), [NEW_ASSET])
            mine = sqlrows.send("SELECT count(*) FROM wallet_asset WHERE code = %s", ["ZZZ"])
        assert len(syncs) == 1  # the block's end: nothing waited for before it
        assert mine() == [(1,)]
        assert not seen_by_another_connection("ZZZ")  # in a transaction, not yet committed
        raise ZeroDivisionError  # the block rolls it back

    assert not Asset.objects.filter(code="ZZZ").exists()


def test_inside_a_transaction_around_the_block_no_commit_is_sent(exchange, on_postgres):
    """A test's transaction, say: the inner atomic block is a savepoint, which its end releases."""
    with transaction.atomic(), sqlrows.pipeline():
        assert sqlrows.send_commit() is None
    assert connection.in_atomic_block  # the test's transaction is still open


NEW_ASSET = ("ZZZ", "Test asset", "crypto", 8)


def seen_by_another_connection(code: str) -> bool:
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM wallet_asset WHERE code = %s", [code])
            return cursor.fetchone()[0] == 1
    finally:
        other.close()
