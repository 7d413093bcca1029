"""The tables an order writes to carry no index that another already covers.

Placing an order writes an order row, often trades, and journals with their postings; every
index on those tables is updated for every row, so one whose columns lead another index (as
Django's own index on a foreign key does, beside a composite index that starts with it) costs
each order and serves no query the other cannot.
"""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def hot_models() -> list:
    from sandbox.exchange.models import Order, Trade
    from sandbox.wallet.models import Journal, Posting

    return [Order, Trade, Journal, Posting]


HOT_TABLES = [model._meta.db_table for model in hot_models()]


INDEXES = """
SELECT c.relname, string_to_array(i.indkey::text, ' ')::int[],
       string_to_array(i.indclass::text, ' ')::oid[], i.indisunique,
       i.indpred IS NOT NULL OR i.indexprs IS NOT NULL
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = %s::regclass
"""


def indexes(table: str) -> list[tuple[str, list[int], list[int], bool, bool]]:
    with connection.cursor() as cursor:
        cursor.execute(INDEXES, [table])
        return cursor.fetchall()


def covered(table: str) -> list[tuple[str, str]]:
    """(index, the index that covers it): a plain index whose columns, with their operator
    classes, begin another plain index's."""
    found = []
    plain = [row for row in indexes(table) if not row[4]]
    for name, columns, classes, unique, _ in plain:
        for other, other_columns, other_classes, _, _ in plain:
            leads = other_columns[: len(columns)] == columns
            if other != name and not unique and leads and other_classes[: len(classes)] == classes:
                found.append((name, other))
    return found


@pytest.mark.parametrize("table", HOT_TABLES)
def test_no_index_on_a_table_an_order_writes_is_covered_by_another(on_postgres, table):
    assert indexes(table), f"{table} has no indexes at all: the query above read nothing"
    assert covered(table) == []


def test_postings_are_indexed_for_the_balance_trigger_and_not_by_asset_alone(on_postgres):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'wallet_posting' ORDER BY 1"
        )
        definitions = [row[0] for row in cursor.fetchall()]
    assert any("(journal_id, asset_id)" in d for d in definitions), definitions
    assert not any("(asset_id" in d for d in definitions), definitions


@pytest.mark.parametrize("model", hot_models(), ids=lambda model: model.__name__)
def test_the_indexes_a_model_declares_are_all_in_the_database(on_postgres, model):
    """The covering indexes stay: dropping the indexes they cover took nothing else with it."""
    from django.db.models import UniqueConstraint

    declared = {index.name for index in model._meta.indexes} | {
        c.name for c in model._meta.constraints if isinstance(c, UniqueConstraint)
    }
    with connection.cursor() as cursor:
        present = set(connection.introspection.get_constraints(cursor, model._meta.db_table))

    assert declared, f"{model.__name__} declares no index: nothing was checked"
    assert declared - present == set()
