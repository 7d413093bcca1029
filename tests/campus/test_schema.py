"""campus/schema.py: `DropFieldIndex` drops a field's own index and leaves its foreign key be."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db


def _sql_of_dropping_the_order_market_index() -> list[str]:
    """What exchange 0004's first operation sends, from the state before it to the state
    after it, with the SQL collected instead of run."""
    operation = (
        MigrationExecutor(connection)
        .loader.get_migration("exchange", "0004_no_redundant_fk_indexes")
        .operations[0]
    )
    loader = MigrationExecutor(connection).loader
    before = loader.project_state(("exchange", "0003_order_book_version"))
    after = before.clone()
    operation.state_forwards("exchange", after)
    with connection.schema_editor(collect_sql=True) as editor:
        operation.database_forwards("exchange", editor, before, after)
    return editor.collected_sql


def test_on_postgresql_only_the_field_s_own_index_is_dropped(on_postgres):
    with connection.cursor() as cursor:  # as Django made it before 0004 (the test rolls it back)
        cursor.execute('CREATE INDEX "order_market_alone" ON exchange_order (market_id)')

    sql = _sql_of_dropping_the_order_market_index()

    assert sql == ['DROP INDEX IF EXISTS "order_market_alone";']  # not the composite ones
