"""Hand-written SQL for the order path (campus/sqlrows.py) gives what the ORM would."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from campus import sqlrows
from sandbox.exchange.models import Market, Order
from sandbox.exchange.selectors import market_row
from sandbox.exchange.services import place_order
from sandbox.exchange.settlement import send_orders
from sandbox.wallet.api import Account, Asset, accounts_for_trading
from tests.sandbox.trades import bob_sells_to_alice, limit, unsaved_order

pytestmark = pytest.mark.django_db


def as_dict(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_a_market_read_in_sql_equals_the_orm_read_with_its_assets_attached(exchange):
    orm = Market.objects.select_related("base", "quote").get(pk=exchange.btc.pk)

    sql = market_row("m.id = %s", [exchange.btc.pk])

    assert as_dict(sql) == as_dict(orm)
    assert (as_dict(sql.base), as_dict(sql.quote)) == (as_dict(orm.base), as_dict(orm.quote))
    assert type(sql.tick_size) is Decimal  # converted as the ORM converts, on SQLite too


def test_attached_relations_are_read_without_a_query(exchange, django_assert_num_queries):
    market = market_row("m.id = %s", [exchange.btc.pk])

    with django_assert_num_queries(0):
        names = (market.base.code, market.quote.code, market.quote.precision)

    assert names == ("BTC", "KRW", Asset.objects.get(code="KRW").precision)


def test_accounts_for_trading_equal_the_orm_filter(exchange):
    owners = [exchange.alice.pk, exchange.bob.pk]
    orm = Account.objects.filter(
        offering=exchange.offering, owner_id__in=owners, asset_id__in=["BTC", "KRW"]
    )

    sql = accounts_for_trading(
        offering_id=exchange.offering.pk, owner_ids=owners, asset_codes=["BTC", "KRW"]
    )

    assert sorted(map(as_dict, sql), key=lambda a: a["id"]) == sorted(
        map(as_dict, orm), key=lambda a: a["id"]
    )
    assert all(type(a.available) is Decimal for a in sql)


def test_insert_sets_primary_keys_and_stamps_creation_times(exchange):
    orders = [unsaved_order(exchange, f"sql-{n}") for n in range(3)]

    sqlrows.insert(orders)

    stored = {o.pk: o for o in Order.objects.filter(pk__in=[o.pk for o in orders])}
    assert [stored[o.pk].client_order_id for o in orders] == ["sql-0", "sql-1", "sql-2"]
    assert all(o.created_at is not None and not o._state.adding for o in orders)
    assert stored[orders[0].pk].created_at == orders[0].created_at


def test_update_writes_only_the_named_fields(exchange):
    market = Market.objects.get(pk=exchange.btc.pk)
    market.book_version, market.last_price, market.symbol = 41, Decimal("123000"), "CHANGED"

    sqlrows.update(market, ["book_version", "last_price"])

    stored = Market.objects.get(pk=market.pk)
    assert (stored.book_version, stored.last_price, stored.symbol) == (
        41,
        Decimal("123000"),
        "BTCKRW",
    )


def test_select_list_names_every_concrete_column_under_its_alias():
    columns = sqlrows.Columns(Asset, "s").then(Account, "a")

    names = columns.select.split(", ")

    quote = connection.ops.quote_name
    assert names == [
        f"{alias}.{quote(field.column)}"
        for model, alias in ((Asset, "s"), (Account, "a"))
        for field in model._meta.concrete_fields
    ]
    assert columns.width == len(names)


def test_insert_goes_in_batches_the_database_accepts(exchange, monkeypatch):
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    assets = [Asset(code=f"T{n}", name=f"Token {n}", kind="token", precision=2) for n in range(5)]

    with CaptureQueriesContext(connection) as queries:
        sqlrows.insert(assets)

    assert Asset.objects.filter(code__startswith="T").count() == 5
    assert sum(q["sql"].startswith("INSERT") for q in queries.captured_queries) == 3  # 2 + 2 + 1


def test_insert_refuses_a_row_pointing_at_an_unsaved_object(exchange):
    unsaved_market = Market(offering=exchange.offering, symbol="NEWKRW")
    order = Order(market=unsaved_market, owner=exchange.alice, client_order_id="x", side="BUY")

    with pytest.raises(ValueError, match="unsaved related object"):
        sqlrows.insert([order])


def test_update_of_a_row_that_is_gone_raises(exchange):
    market = Market.objects.get(pk=exchange.btc.pk)
    market.pk = 987654

    with pytest.raises(Market.DoesNotExist):
        sqlrows.update(market, ["book_version"])


def test_the_makers_read_in_sql_equal_the_orm_read(exchange):
    for price in ("100000000", "100001000"):
        place_order(
            owner_id=exchange.alice.pk, market=exchange.btc, request=limit("SELL", "0.001", price)
        )
    ids = sorted(Order.objects.values_list("pk", flat=True))

    sql = send_orders(ids)()

    assert sorted(map(as_dict, sql), key=lambda o: o["id"]) == [
        as_dict(o) for o in Order.objects.filter(pk__in=ids).order_by("pk")
    ]


def test_accounts_for_trading_with_fees_equal_the_orm_filter(exchange):
    bob_sells_to_alice(exchange)  # so the offering has fee accounts
    owners = [exchange.alice.pk]
    orm = Account.objects.filter(offering=exchange.offering, asset_id__in=["BTC", "KRW"]).filter(
        Q(owner_id__in=owners) | Q(kind=Account.Kind.FEES)
    )

    sql = accounts_for_trading(
        offering_id=exchange.offering.pk, owner_ids=owners, asset_codes=["BTC", "KRW"], fees=True
    )

    assert any(a.kind == Account.Kind.FEES for a in sql)
    assert sorted(map(as_dict, sql), key=lambda a: a["id"]) == sorted(
        map(as_dict, orm), key=lambda a: a["id"]
    )


def test_insert_can_keep_the_primary_keys_the_objects_have(exchange):
    order = unsaved_order(exchange, "kept")
    order.pk = (Order.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000

    sqlrows.insert([order], keep_pk=True)

    assert Order.objects.get(pk=order.pk).client_order_id == "kept"
    assert order._state.adding is False


def test_the_changed_orders_read_in_sql_equal_the_orm_read(exchange):
    from sandbox.exchange.engines import changed_orders

    for price in ("89000000", "88000000", "87000000"):
        place_order(
            owner_id=exchange.alice.pk, market=exchange.btc, request=limit("BUY", "0.001", price)
        )
    since = Order.objects.order_by("book_version").values_list("book_version", flat=True)[1]
    orm = Order.objects.filter(market=exchange.btc, book_version__gt=since).order_by(
        "book_version", "pk"
    )[:5]

    sql = changed_orders(exchange.btc.pk, since=since, limit=5)

    assert [as_dict(o) for o in sql] == [as_dict(o) for o in orm]
    assert len(sql) == 1
    assert len(changed_orders(exchange.btc.pk, since=0, limit=2)) == 2


def test_a_prepared_statement_is_planned_once_and_logged_with_its_values(exchange, on_postgres):
    from django.test.utils import CaptureQueriesContext

    sql = "SELECT symbol FROM exchange_market WHERE id = %s AND symbol = %s"
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            with sqlrows.prepared() as cursor:
                cursor.execute(sql, [exchange.btc.pk, "BTCKRW"])
                assert cursor.fetchone() == ("BTCKRW",)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans + custom_plans FROM pg_prepared_statements WHERE statement = %s",
            [sql.replace("%s", "$1", 1).replace("%s", "$2", 1)],
        )
        assert cursor.fetchone() == (3,)  # prepared once, run three times
    assert queries[0]["sql"] == (
        f"SELECT symbol FROM exchange_market WHERE id = {exchange.btc.pk} AND symbol = 'BTCKRW'"
    )


def test_plain_rows_are_inserted_as_given_and_their_keys_returned_in_order(exchange, monkeypatch):
    from sandbox.wallet.models import Journal

    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    now = timezone.now()
    stamp = sqlrows.db_value(Journal, "created_at", now)
    rows = [(exchange.offering.pk, "grant", f"ref-{n}", f"memo {n}", stamp) for n in range(5)]

    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        ids = sqlrows.insert_rows(
            Journal, ("offering", "kind", "reference", "memo", "created_at"), rows
        )

    assert sum(q["sql"].startswith("INSERT") for q in queries.captured_queries) == 3  # 2 + 2 + 1
    stored = Journal.objects.in_bulk(ids)
    assert [stored[pk].reference for pk in ids] == [f"ref-{n}" for n in range(5)]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert all(stored[pk].memo == f"memo {n}" for n, pk in enumerate(ids))
    assert {stored[pk].created_at for pk in ids} == {now}
    assert sqlrows.insert_rows(Journal, ("offering",), []) == []


AWKWARD_TEXT = ["", "NULL", "null", 'a"b', "a\\b", "{x}", "a,b", " lead", "trail ", "유니코드"]
AWKWARD_TEXT += ['\\"', "tab\there", "new\nline", "'quoted'", "}{", None]


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (AWKWARD_TEXT, "text"),
        (
            [Decimal("1.5"), Decimal("1E+2"), Decimal("-1E-8"), Decimal("1234567890.12345678")],
            "numeric",
        ),
        ([1, -2, 2**62, None], "bigint"),
        ([True, False, None], "boolean"),
        ([], "bigint"),
    ],
)
def test_an_array_parameter_reads_back_as_the_values_it_was_made_of(values, kind, on_postgres):
    with sqlrows.prepared() as cursor:
        cursor.execute(f"SELECT %s::{kind}[]", [sqlrows.array(values)])
        assert cursor.fetchone()[0] == values


def test_an_array_parameter_keeps_the_instant_of_each_time(on_postgres):
    from datetime import timedelta
    from datetime import timezone as tz

    times = [timezone.now(), timezone.now().astimezone(tz(timedelta(hours=9))), None]

    with sqlrows.prepared() as cursor:
        cursor.execute("SELECT %s::timestamptz[]", [sqlrows.array(times)])
        assert cursor.fetchone()[0] == times


def test_an_array_of_values_it_cannot_write_as_text_is_left_to_the_driver():
    from datetime import date

    assert sqlrows.array([date(2026, 1, 1)]) == [date(2026, 1, 1)]
    assert sqlrows.array([1, "a b", None]) == '{1,"a b",NULL}'


def test_an_array_of_choices_is_written_as_text_too(on_postgres):
    from sandbox.wallet.models import Journal, Posting

    values = [Journal.Kind.HOLD, Posting.Bucket.AVAILABLE, "plain"]

    written = sqlrows.array(values)

    assert isinstance(written, str)
    with sqlrows.prepared() as cursor:
        cursor.execute("SELECT %s::text[]", [written])
        assert cursor.fetchone()[0] == [str(v) for v in values]


def test_values_the_driver_sends_reach_postgresql_as_an_array(on_postgres):
    from datetime import date

    values = [date(2026, 1, 1), date(2026, 11, 26)]

    with sqlrows.prepared() as cursor:
        cursor.execute("SELECT %s::date[]", [sqlrows.array(values)])
        assert cursor.fetchone()[0] == values


def test_a_value_too_long_for_its_column_is_refused_not_cut(exchange, on_postgres):
    from django.db import DataError, transaction

    from sandbox.wallet.models import Journal

    stamp = sqlrows.db_value(Journal, "created_at", timezone.now())
    row = (exchange.offering.pk, "grant", "r" * 81, "memo", stamp)

    with pytest.raises(DataError), transaction.atomic():
        sqlrows.insert_rows(Journal, ("offering", "kind", "reference", "memo", "created_at"), [row])


def test_an_in_list_selects_what_the_orm_filter_selects(exchange):
    ids = list(Account.objects.filter(offering=exchange.offering).values_list("pk", flat=True))
    wanted = ids[::2]
    where, params = sqlrows.in_list("a.id", wanted, "bigint")

    with sqlrows.prepared() as cursor:
        cursor.execute(f"SELECT a.id FROM {sqlrows.table(Account)} a WHERE {where}", params)
        found = sorted(row[0] for row in cursor.fetchall())

    assert found == sorted(wanted)
    where, params = sqlrows.in_list("a.id", [], "bigint")
    with sqlrows.prepared() as cursor:
        cursor.execute(f"SELECT a.id FROM {sqlrows.table(Account)} a WHERE {where}", params)
        assert cursor.fetchall() == []


def test_the_client_order_ids_taken_in_sql_equal_the_orm_filter(exchange):
    from sandbox.exchange.filters import OrderRequest
    from sandbox.exchange.markets import list_default_markets
    from sandbox.exchange.services import _send_taken_in_markets, _taken_pairs

    for owner, client_id in [
        (exchange.alice, "a-1"),
        (exchange.alice, "a-2"),
        (exchange.bob, "b-1"),
    ]:
        place_order(
            owner_id=owner.pk,
            market=exchange.btc,
            request=limit("BUY", "0.01", "90000000", client_order_id=client_id),
        )
    entries = [
        (exchange.alice.pk, OrderRequest(side="BUY", type="LIMIT", client_order_id=cid))
        for cid in ("a-1", "b-1", "new", None)
    ] + [(exchange.bob.pk, OrderRequest(side="BUY", type="LIMIT", client_order_id="b-1"))]
    orm = set(
        Order.objects.filter(
            market=exchange.btc,
            owner_id__in=[exchange.alice.pk, exchange.bob.pk],
            client_order_id__in=["a-1", "b-1", "new"],
        ).values_list("owner_id", "client_order_id")
    )

    taken = _taken_pairs(exchange.btc, entries)

    assert taken == orm == {(exchange.alice.pk, "a-1"), (exchange.bob.pk, "b-1")}
    # in several markets at once, each market's own: "a-1" is free in ETHKRW
    eth = next(
        m
        for m in list_default_markets(offering_id=exchange.btc.offering_id)
        if m.symbol == "ETHKRW"
    )
    both = _send_taken_in_markets([(exchange.btc, entries), (eth, entries)])()
    assert both == {exchange.btc.pk: orm, eth.pk: set()}


def test_accounts_for_trading_can_be_only_some_pairs_and_keep_the_fee_accounts(exchange):
    from sandbox.wallet.api import send_accounts_for_trading, system_account

    system_account(offering_id=exchange.offering.pk, asset_code="BTC", kind="fees")
    fees = Account.objects.filter(
        offering=exchange.offering, kind="fees", asset_id__in=["BTC", "KRW"]
    )
    owners = [exchange.alice.pk, exchange.bob.pk]

    found = send_accounts_for_trading(
        offering_id=exchange.offering.pk,
        owner_ids=owners,
        asset_codes=["BTC", "KRW"],
        fees=True,
        only={(exchange.alice.pk, "BTC"), (exchange.bob.pk, "KRW")},
    )()

    assert sorted((a.owner_id, a.asset_id) for a in found if a.kind != "fees") == sorted(
        [(exchange.alice.pk, "BTC"), (exchange.bob.pk, "KRW")]
    )
    assert sorted(a.pk for a in found if a.kind == "fees") == sorted(a.pk for a in fees)
    assert all(a.asset.code == a.asset_id for a in found)


def test_the_changed_orders_read_walks_the_markets_changes_not_every_order(exchange, on_postgres):
    """Once statistics say the table is large, the read's generic plan (the one a connection
    keeps) must start at the changes, not walk every order ever placed in id order."""
    from sandbox.exchange.engines import changed_orders

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO exchange_order (market_id, owner_id, client_order_id, side, type,"
            " time_in_force, price, orig_qty, executed_qty, cummulative_quote_qty, status,"
            " self_trade_prevention_mode, held, stop_triggered, book_version, created_at,"
            " updated_at) SELECT %s, %s, 'past-' || n, 'BUY', 'LIMIT', 'GTC', 1000, 1, 0, 0,"
            " 'CANCELED', 'EXPIRE_MAKER', 0, false, 0, now(), now()"
            " FROM generate_series(1, 50000) AS n",
            [exchange.btc.pk, exchange.alice.pk],
        )
        cursor.execute("ANALYZE exchange_order")  # its counts in pg_class outlive the rollback
    for _ in range(2):  # prepared (sqlrows.prepared), as the desk's reads are
        assert changed_orders(exchange.btc.pk, since=0, limit=5) == []

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%book_version" > $2%'],
        )
        ((name,),) = cursor.fetchall()  # the one statement of the read
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"EXPLAIN EXECUTE {name}({exchange.btc.pk}, 0, 5)")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "order_book_changes" in plan, plan
    assert "exchange_order_pkey" not in plan, plan


def test_a_prepared_statement_runs_on_its_generic_plan_from_its_first_run(exchange, on_postgres):
    """campus/config.py `GENERIC_PLANS`: planned once, not again for each run's values."""
    sql = "SELECT symbol FROM exchange_market WHERE id = ANY(%s::bigint[])"
    for _ in range(3):
        with sqlrows.prepared() as cursor:
            cursor.execute(sql, [[exchange.btc.pk]])
            assert cursor.fetchone() == ("BTCKRW",)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = %s",
            [sql.replace("%s", "$1")],
        )
        assert cursor.fetchone() == (3, 0)
