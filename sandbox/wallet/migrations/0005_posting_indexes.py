"""Postings keep only the indexes their queries use: every index costs every posting written,
and an order placed writes several.

- (journal, asset), made on PostgreSQL by 0003 for the balance trigger, becomes the model's own
  index (made here on other databases too); the index on the journal alone goes, since this one
  leads with it. Going back leaves the index, which 0003 made and owns on PostgreSQL.
- The index on the asset alone goes (and with it the `_like` index Django adds for a text key):
  no query looks postings up by asset alone; the ledger check reads them all.
"""

import django.db.models.deletion
from django.db import migrations, models

CREATE_INDEX = (
    "CREATE INDEX IF NOT EXISTS wallet_posting_journal_asset "
    "ON wallet_posting (journal_id, asset_id)"
)


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
            database_operations=[migrations.RunSQL(CREATE_INDEX, migrations.RunSQL.noop)],
        ),
        migrations.AlterField(
            model_name="posting",
            name="asset",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="wallet.asset",
            ),
        ),
        migrations.AlterField(
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
