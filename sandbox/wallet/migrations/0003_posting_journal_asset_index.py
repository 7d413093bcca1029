"""An index on postings by (journal, asset) for the balance trigger of 0002.

The trigger sums a journal's postings per asset once for every posting inserted. With only the
single-column indexes, and no fresh statistics (autovacuum off, or a table that grew since it last
ran), PostgreSQL walked the asset index in order and filtered on the journal: a scan of the whole
table per posting, which made every COMMIT slower as the ledger grew (95 ms at 36,000 postings).
This index answers the trigger's query directly, in the order its GROUP BY wants, whatever the
statistics say.
"""

from django.db import migrations

CREATE_INDEX = (
    "CREATE INDEX IF NOT EXISTS wallet_posting_journal_asset "
    "ON wallet_posting (journal_id, asset_id)"
)
DROP_INDEX = "DROP INDEX IF EXISTS wallet_posting_journal_asset"


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_INDEX, params=None)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_INDEX, params=None)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0002_assets_and_balance_trigger")]

    operations = [migrations.RunPython(add_index, drop_index)]
