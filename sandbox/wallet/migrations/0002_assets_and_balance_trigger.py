"""The simulated assets every sandbox starts with, and on PostgreSQL the deferred constraint
trigger that refuses, at commit, any journal whose postings do not sum to zero per asset."""

from django.db import migrations

from sandbox.wallet.assets import STANDARD_ASSETS as ASSETS  # plain data, no models

BALANCE_TRIGGER = """
CREATE FUNCTION wallet_journal_balanced() RETURNS trigger AS $$
DECLARE unbalanced RECORD;
BEGIN
    SELECT asset_id, SUM(amount) AS total INTO unbalanced
      FROM wallet_posting WHERE journal_id = NEW.journal_id
     GROUP BY asset_id HAVING SUM(amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal % is unbalanced: % postings sum to %',
            NEW.journal_id, unbalanced.asset_id, unbalanced.total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER wallet_posting_balanced
    AFTER INSERT OR UPDATE ON wallet_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION wallet_journal_balanced();
"""

DROP_TRIGGER = """
DROP TRIGGER IF EXISTS wallet_posting_balanced ON wallet_posting;
DROP FUNCTION IF EXISTS wallet_journal_balanced();
"""


def add_assets(apps, schema_editor):
    Asset = apps.get_model("wallet", "Asset")
    for code, name, kind, precision in ASSETS:
        Asset.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "precision": precision}
        )


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BALANCE_TRIGGER, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER, params=None)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0001_initial")]

    operations = [
        migrations.RunPython(add_assets, migrations.RunPython.noop),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
