"""Schema changes that Django's own migration operations make more costly than they need be."""

from __future__ import annotations

from django.db import migrations


class DropFieldIndex(migrations.AlterField):
    """`AlterField` for a field whose only change is `db_index` from True to False.

    On PostgreSQL it drops the field's own single-column indexes (with the `_like` index Django
    adds for a text column) and nothing else. Django's `AlterField` would also drop the field's
    foreign key constraint and add it again, and PostgreSQL checks every row of the table again
    while it holds it, and the referenced table, locked. Elsewhere, and for any other change,
    it is `AlterField`; going back is `AlterField` too (the index is made again)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        old = from_state.apps.get_model(app_label, self.model_name)._meta.get_field(self.name)
        new = to_state.apps.get_model(app_label, self.model_name)._meta.get_field(self.name)
        if schema_editor.connection.vendor != "postgresql" or not _only_index_dropped(old, new):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        table, connection = old.model._meta.db_table, schema_editor.connection
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, table)
        for name, info in sorted(constraints.items()):
            own = info["index"] and not info["unique"] and not info["primary_key"]
            if own and info["columns"] == [old.column]:
                schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    def describe(self) -> str:
        return f"Drop the index of field {self.name} on {self.model_name}"


def _only_index_dropped(old, new) -> bool:
    *_, old_kwargs = old.deconstruct()
    *_, new_kwargs = new.deconstruct()
    return (
        old.db_index
        and not new.db_index
        and {k: v for k, v in old_kwargs.items() if k != "db_index"}
        == {k: v for k, v in new_kwargs.items() if k != "db_index"}
    )
