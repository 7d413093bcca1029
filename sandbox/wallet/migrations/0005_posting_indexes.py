"""Postings keep only the indexes their queries use: every index costs every posting written,
and an order placed writes several.

- (journal, asset), made on PostgreSQL by 0003 for the balance trigger, becomes the model's own
  index (made here on other databases too); the index on the journal alone goes, since this one
  leads with it. Going back leaves the index on PostgreSQL, where 0003 made it and owns it.
- The index on the asset alone goes (and with it the `_like` index Django adds for a text key):
  no query looks postings up by asset alone; the ledger check reads them all.

`DropFieldIndex` drops only the indexes (Django's AlterField would also check each foreign key
again over the whole table, holding it locked).
"""

import django.db.models.deletion
from django.db import migrations, models

from campus.schema import DropFieldIndex

CREATE_INDEX = (
    "CREATE INDEX IF NOT EXISTS wallet_posting_journal_asset "
    "ON wallet_posting (journal_id, asset_id)"
)

DROP_INDEX = "DROP INDEX IF EXISTS wallet_posting_journal_asset"


def add_index(apps, schema_editor):
    schema_editor.execute(CREATE_INDEX, params=None)


def drop_index_elsewhere(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.execute(DROP_INDEX, params=None)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0004_transfers")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="posting",
                    index=models.Index(
                        fields=["journal", "asset"], name="wallet_posting_journal_asset"
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(add_index, drop_index_elsewhere)],
        ),
        DropFieldIndex(
            model_name="posting",
            name="asset",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="wallet.asset",
            ),
        ),
        DropFieldIndex(
            model_name="posting",
            name="journal",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="postings",
                to="wallet.journal",
            ),
        ),
    ]
