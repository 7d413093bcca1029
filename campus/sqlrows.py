"""Model instances from hand-written SQL, for the few reads on a hot path.

Compiling a queryset costs far more than running it: on the order-placement path a one-row
select with a join took about 1 ms of Python to build and 0.06 ms to run. The handful of reads
that every API order makes are written once as SQL here and turned back into model instances
exactly as the ORM would: the same columns, the database's values through the same converters
(so a DecimalField read on SQLite is a Decimal, never a float), related instances attached as
`select_related` attaches them.

    keys = Columns(ApiKey, "k").then(Offering, "o")
    sql = f"SELECT {keys.select} FROM ... WHERE ..."
    api_key, offering = keys.instances(row)

`prepared()` is a cursor for them whose statements PostgreSQL plans once per connection: the
API key look-up, with its joins, took longer to plan than to run.

`insert(objs)` and `update(obj, fields)` are the matching writes: `bulk_create` and
`QuerySet.update` for plain rows, with their SQL built once per shape rather than per call.

`pipeline()` sends the statements written inside it without waiting for each one's answer
(PostgreSQL's pipeline mode): a write that needs no answer (`send_rows`, an UPDATE) costs no
round trip of its own, and one that does (`send_insert`, `send_rows`) is waited for only where
its answer is read, together with everything sent before it.

Table and column names come from the models' `_meta`, so a renamed column breaks the query
loudly in the tests rather than silently. Every query written this way is tested against the
queryset it replaces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model


def _db():
    """This thread's connection wrapper itself: `django.db.connection` is a proxy that looks the
    wrapper up again on every attribute read, which the row loops here would pay per value."""
    return connections[DEFAULT_DB_ALIAS]


def prepared():
    """A cursor (use it as `with prepared() as cursor:`) whose statements are sent with
    server-side parameters and prepared: PostgreSQL plans each statement once per connection
    rather than on every call (psycopg keeps a connection's 100 most recent).
    Only for fixed statements on a hot path with plain parameters (numbers, text, decimals,
    lists of them): elsewhere Django's cursor, which binds on the client, is the safe default.
    Other databases get Django's cursor. Queries still go through Django's wrapper (errors,
    `connection.queries`, `assertNumQueries`)."""
    db = _db()
    if db.vendor != "postgresql":
        return db.cursor()
    db.close_if_health_check_failed()
    db.ensure_connection()
    with db.wrap_database_errors:
        cursor = _preparing()(db.connection)
        if db.timezone != cursor.timestamptz_zone():  # as Django's own cursors do
            cursor.use_timezone(db.timezone)
        return db._prepare_cursor(cursor)


@lru_cache(maxsize=1)
def _preparing() -> type:
    """The cursor class, made once (the PostgreSQL backend is imported only where it is used)."""
    from django.db.backends.postgresql.base import (
        TIMESTAMPTZ_OID,
        ServerBindingCursor,
        register_tzloader,
    )
    from psycopg.pq import Format

    class PreparingCursor(ServerBindingCursor):
        """Prepares every statement (Django turns psycopg's automatic preparing off)."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            try:
                return super().execute(query, params, prepare=prepare is not False, binary=binary)
            finally:  # psycopg's prepared path leaves it unset, failed or not
                self._query = _LastQuery(self.connection, query, params)

        def timestamptz_zone(self):
            return self.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT).timezone

        def use_timezone(self, zone) -> None:
            register_tzloader(zone, self)

    return PreparingCursor


class _LastQuery:
    """The statement as Django's query log shows it (`cursor._query.query`, the SQL with its
    values in place), composed only if something reads it (DEBUG, `assertNumQueries`)."""

    def __init__(self, conn, sql: str, params) -> None:
        self.conn, self.sql, self.params = conn, sql, params

    @property
    def query(self) -> bytes:
        from psycopg import ClientCursor

        return ClientCursor(self.conn).mogrify(self.sql, self.params).encode()


class Columns:
    """The concrete columns of one or more models, each under a table alias, in SELECT order."""

    def __init__(self, model: type[Model], alias: str) -> None:
        self.parts: list[tuple[type[Model], str]] = [(model, alias)]
        self._converters: dict[str, list] = {}
        self._select: dict[str, str] = {}

    def then(self, model: type[Model], alias: str) -> Columns:
        self.parts.append((model, alias))
        self._select.clear()
        return self

    @property
    def select(self) -> str:
        db = _db()
        if db.vendor not in self._select:  # the same text every time: built once per vendor
            self._select[db.vendor] = ", ".join(
                f"{alias}.{db.ops.quote_name(field.column)}"
                for model, alias in self.parts
                for field in model._meta.concrete_fields
            )
        return self._select[db.vendor]

    @property
    def width(self) -> int:
        """How many columns `select` lists."""
        return sum(len(model._meta.concrete_fields) for model, _alias in self.parts)

    def instances(self, row: Sequence) -> tuple[Model, ...]:
        """One instance per model, from a row selected with `select`."""
        db = _db()
        values = list(row)
        for index, convert, expression in self._converters_for(db):
            values[index] = convert(values[index], expression, db)
        made, start = [], 0
        for model, _alias in self.parts:
            names = attnames(model)
            made.append(model.from_db(db.alias, names, values[start : start + len(names)]))
            start += len(names)
        return tuple(made)

    def _converters_for(self, db) -> list:
        if db.vendor not in self._converters:
            found, index = [], 0
            for model, _alias in self.parts:
                for field in model._meta.concrete_fields:
                    expression = field.get_col(model._meta.db_table)
                    for convert in db.ops.get_db_converters(
                        expression
                    ) + expression.get_db_converters(db):
                        found.append((index, convert, expression))
                    index += 1
            self._converters[db.vendor] = found
        return self._converters[db.vendor]


@lru_cache(maxsize=64)
def attnames(model: type[Model]) -> list[str]:
    """The attribute names of `model`'s concrete fields, in their order (a row's, `from_db`'s)."""
    return [field.attname for field in model._meta.concrete_fields]


def table(model: type[Model]) -> str:
    return _db().ops.quote_name(model._meta.db_table)


def column(model: type[Model], name: str) -> str:
    return _db().ops.quote_name(model._meta.get_field(name).column)


def attach(instance: Model, name: str, related: Model) -> None:
    """Cache `related` as `instance.<name>`, as select_related does (no query to read it)."""
    instance._meta.get_field(name).set_cached_value(instance, related)


@contextmanager
def pipeline():
    """PostgreSQL: inside, statements are sent without waiting for their answers; an answer is
    waited for when it is read (`fetchall`, the functions `send_insert` and `send_rows`
    return), and all are in when the block ends. An error in any statement is raised at the
    latest there, and the transaction must then roll back. So a row count, or anything else
    read from an answer, is checked only after it was read. Elsewhere it changes nothing."""
    db = _db()
    if db.vendor != "postgresql":
        yield
        return
    db.ensure_connection()
    with db.wrap_database_errors, db.connection.pipeline():
        _send_begin(db)
        yield


def _send_begin(db) -> None:
    """In an atomic block whose transaction PostgreSQL has not begun yet, send its BEGIN ahead
    of the pipeline's statements, without waiting: psycopg would send it before the first of
    them and wait for its answer alone (a Sync right behind it), a round trip for nothing. An
    error in a statement behind it leaves the transaction begun and failed, for the block to
    roll back, as after psycopg's own BEGIN. Once it is sent the connection is busy (ACTIVE),
    so psycopg sends no BEGIN of its own (psycopg 3.3's pipeline internals: the tests say if
    a new release changes them)."""
    from psycopg.pq import TransactionStatus

    conn = db.connection
    if (
        not db.in_atomic_block
        or conn.autocommit
        or conn.pgconn.transaction_status != TransactionStatus.IDLE
    ):
        return
    conn.wait(conn._exec_command(conn._get_tx_start_command()))  # queued, as psycopg does
    conn.wait(conn._pipeline._communicate_gen())  # sent, without the Sync psycopg adds


def in_pipeline() -> bool:
    """Whether this thread's connection is in pipeline mode (as psycopg's connection says)."""
    db = _db()
    return (
        db.vendor == "postgresql"
        and db.connection is not None
        and bool(db.connection.pgconn.pipeline_status)
    )


def send_commit() -> Callable[[], None] | None:
    """PostgreSQL: COMMIT the transaction after the statements sent before it, inside
    `pipeline()` without waiting (anywhere else it waits for the answer). The caller's
    `atomic()` then finds nothing left to commit (psycopg commits only an open transaction)
    and runs its on_commit hooks as ever; nothing may run between this and the end of the
    atomic block (`check_committed`). If a statement before it failed, PostgreSQL skips it, and
    the transaction is left failed (`transaction_failed`) for the atomic block to roll back.
    Returns a function to call once the pipeline has ended: it raises CommitRolledBack if
    PostgreSQL answered the COMMIT by rolling back (as it does for a transaction that had
    failed before). Elsewhere, and inside an atomic block that is not the outermost (a test's
    transaction around it, say), it sends nothing and returns None: the atomic block's end
    commits, or releases its savepoint."""
    db = _db()
    if db.vendor != "postgresql" or len(db.atomic_blocks) != 1 or db.savepoint_ids:
        return None
    cursor = db.cursor()  # open until its answer is read
    cursor.execute("COMMIT")

    def made() -> None:
        with cursor:
            answer = cursor.cursor.statusmessage
        if answer != "COMMIT":
            raise CommitRolledBack(f"PostgreSQL answered the COMMIT with {answer}")

    return made


class CommitRolledBack(Exception):
    """A COMMIT that PostgreSQL answered with ROLLBACK: nothing of the transaction was kept."""


def transaction_failed() -> bool:
    """Whether this thread's connection is in a transaction the server refused a statement of
    (so nothing after it ran, a COMMIT sent after it included: it can only roll back)."""
    return _transaction_status() == "INERROR"


def check_committed() -> None:
    """After `send_commit` and the end of its pipeline: raise if a statement has run since the
    COMMIT (psycopg would have begun a new transaction for it, which the atomic block would
    commit on its own: a bug to be loud about)."""
    status = _transaction_status()
    if status not in (None, "IDLE"):
        raise RuntimeError(f"a statement ran after this transaction's COMMIT ({status})")


def _transaction_status() -> str | None:
    """psycopg's name for the state of this thread's connection (IDLE, INTRANS, INERROR...);
    None where there is no PostgreSQL connection."""
    from psycopg.pq import TransactionStatus

    db = _db()
    if db.vendor != "postgresql" or db.connection is None:
        return None
    return TransactionStatus(db.connection.pgconn.transaction_status).name


def send(sql: str, params: Sequence) -> Callable[[], list[tuple]]:
    """Execute a statement on a `prepared()` cursor; the function returned reads its rows
    (inside `pipeline()`, waiting for them only then)."""
    cursor = prepared()  # open until its rows are read

    def rows() -> list[tuple]:
        with cursor:
            return cursor.fetchall()

    cursor.execute(sql, params)
    if in_pipeline():
        return rows
    found = rows()
    return lambda: found


def insert(objs: Sequence[Model], *, keep_pk: bool = False) -> None:
    """INSERT `objs` (all of one model, new) and set their primary keys, as `bulk_create` does
    for plain rows: `auto_now_add` and `auto_now` fields are stamped, values go through each
    field's `get_db_prep_save`, a related object not yet saved is refused, and rows go in
    batches the database accepts. No signals (none are used here). With `keep_pk`, the rows
    keep the primary keys the objects already have (taken from the table's sequence)."""
    send_insert(objs, keep_pk=keep_pk)()


def send_insert(objs: Sequence[Model], *, keep_pk: bool = False) -> Callable[[], None]:
    """`insert`, in two steps: the rows are sent now, and the function returned sets the new
    primary keys (inside `pipeline()`, waiting for the answer only then). With `keep_pk` there
    is nothing to wait for: the objects are saved as they are."""
    if not objs:
        return _nothing
    model, db = type(objs[0]), _db()
    fields = _insert_fields(model, keep_pk)
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="insert")
    rows = [
        [field.get_db_prep_save(field.pre_save(obj, add=True), db) for field in fields]
        for obj in objs
    ]
    read_ids = send_rows(model, tuple(field.name for field in fields), rows)

    def saved(ids: Sequence[int]) -> None:
        for obj, pk in zip(objs, ids, strict=True):
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = db.alias

    if keep_pk:
        saved([obj.pk for obj in objs])
        return _nothing
    return lambda: saved(read_ids())


def _nothing() -> None:
    return None


def insert_rows(model: type[Model], names: tuple[str, ...], rows: Sequence[Sequence]) -> list[int]:
    """INSERT plain rows of `model`'s fields `names` (values already as the database takes them:
    numbers, Decimals, text, aware datetimes; foreign keys as ids) and return their new primary
    keys in order, in batches the database accepts. For rows written by the dozen on every order
    (the ledger's postings): no model instance is built only to be taken apart again. Nothing is
    stamped or converted: the caller gives every value, `auto_now_add` fields included."""
    return send_rows(model, names, rows)()


def send_rows(
    model: type[Model], names: tuple[str, ...], rows: Sequence[Sequence]
) -> Callable[[], list[int]]:
    """`insert_rows`, in two steps: the rows are sent now, and the function returned reads their
    new primary keys (inside `pipeline()`, waiting for the answer only then; a caller that needs
    no keys need not call it)."""
    if not rows:
        return list
    db = _db()
    sent = []
    batch = max(1, db.ops.bulk_batch_size(list(names), rows))
    for start in range(0, len(rows), batch):
        part = rows[start : start + batch]
        if db.vendor == "postgresql":  # one fixed statement for any number of rows
            columns = [array(column) for column in zip(*part, strict=True)]
            sent.append(send(unnest_insert_sql(model, names), columns))
        else:
            values = [value for row in part for value in row]
            sent.append(send(_insert_sql(model, names, len(part)), values))
    return lambda: [row[0] for rows_of in sent for row in rows_of()]


def array(values: Iterable) -> str | list:
    """PostgreSQL: a parameter for `%s::<type>[]`, as the array's text ('{1,2,"a b"}') when
    every value is a plain int, Decimal, str, bool, aware datetime or None, else as a list.
    psycopg turns a list into an array element by element in Python, which was a tenth of the
    API's CPU per order; the text is built here in one pass and parsed by PostgreSQL in C."""
    values = list(values)
    try:
        return "{" + ",".join([_element(value) for value in values]) + "}"
    except KeyError:  # another type: psycopg knows how to send it
        return values


def _element(value) -> str:
    write = _ELEMENT.get(type(value))
    if write is None:  # a subclass, such as a model's choices (TextChoices are str)
        if isinstance(value, str):
            write = _quoted
        elif isinstance(value, int) and not isinstance(value, bool):
            return str(int(value))
        else:
            raise KeyError(type(value))
    return write(value)


def _quoted(text: str) -> str:
    """An array element always in double quotes, `\\` and `"` escaped: safe for any text."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_ELEMENT = {
    int: str,
    Decimal: str,  # '1E+2' is a valid numeric too
    bool: lambda value: "t" if value else "f",
    str: _quoted,
    type(None): lambda value: "NULL",
    datetime: lambda value: _quoted(value.isoformat()),
}


def db_value(model: type[Model], name: str, value):
    """`value` as the database takes it for `model`'s field `name` (for `insert_rows`)."""
    return model._meta.get_field(name).get_db_prep_save(value, _db())


@lru_cache(maxsize=64)
def unnest_insert_sql(model: type[Model], names: tuple[str, ...]) -> str:
    """PostgreSQL: the rows as one array per column, `INSERT ... SELECT * FROM unnest(...) RETURNING
    <primary key>` (as Django's own bulk_create does there), so that the statement is the same for
    any number of rows and is prepared once, not once per number of rows. Rows come back in their
    order."""
    quote = connection.ops.quote_name
    return (
        f"INSERT INTO {table(model)} ({column_list(model, names)})"  # noqa: S608 (names from _meta, values as parameters)
        f" SELECT * FROM unnest({unnest_params(model, names)})"
        f" RETURNING {quote(model._meta.pk.column)}"
    )


def column_list(model: type[Model], names: Sequence[str]) -> str:
    """The columns of `model`'s fields `names`, quoted and comma-separated."""
    quote = connection.ops.quote_name
    return ", ".join(quote(model._meta.get_field(name).column) for name in names)


def unnest_params(model: type[Model], names: Sequence[str]) -> str:
    """PostgreSQL: a `%s::<type>[]` parameter for each of `model`'s fields `names`, for unnest().
    The types go without their lengths (varchar[], not varchar(80)[]): a cast would cut a value
    that is too long, where the column refuses it, as Django's own unnest insert does."""
    fields = [model._meta.get_field(name) for name in names]
    return ", ".join(f"%s::{field.db_type(connection).split('(')[0]}[]" for field in fields)


@lru_cache(maxsize=256)
def _insert_sql(model: type[Model], names: tuple[str, ...], rows: int) -> str:
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return (
        f"INSERT INTO {table(model)} ({', '.join(quote(f.column) for f in fields)})"  # noqa: S608 (names from _meta, values as parameters)
        f" VALUES {', '.join([row] * rows)} RETURNING {quote(model._meta.pk.column)}"
    )


def update(obj: Model, names: Sequence[str]) -> None:
    """UPDATE these fields of `obj`'s row to its attributes' values, as
    `Model.objects.filter(pk=obj.pk).update(...)` with them would (`auto_now` is not applied:
    the caller sets what it means). Raises if the row is gone, as `save(update_fields=...)` does."""
    model, db = type(obj), _db()
    fields = [model._meta.get_field(name) for name in names]
    params = [field.get_db_prep_save(getattr(obj, field.attname), db) for field in fields]
    with prepared() as cursor:
        cursor.execute(_update_sql(model, tuple(names), db.vendor), [*params, obj.pk])
        if cursor.rowcount != 1:
            raise model.DoesNotExist(f"{model.__name__} {obj.pk} was not updated")


def _insert_fields(model: type[Model], keep_pk: bool) -> list:
    return [f for f in model._meta.concrete_fields if keep_pk or f is not model._meta.auto_field]


def in_list(expression: str, values: Sequence, kind: str) -> tuple[str, list]:
    """`<expression> IN (<values>)` as SQL and its parameters: on PostgreSQL one array parameter
    (`= ANY(%s::<kind>[])`), so that the text is the same for any number of values and is
    prepared once; elsewhere a placeholder per value (`IN (NULL)` for none)."""
    if _db().vendor == "postgresql":
        return f"{expression} = ANY(%s::{kind}[])", [array(values)]
    return f"{expression} IN ({', '.join(['%s'] * len(values)) or 'NULL'})", list(values)


@lru_cache(maxsize=256)
def _update_sql(model: type[Model], names: tuple[str, ...], vendor: str) -> str:
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(model._meta.get_field(name).column)} = %s" for name in names)
    return f"UPDATE {table(model)} SET {sets} WHERE {quote(model._meta.pk.column)} = %s"  # noqa: S608 (names from _meta, values as parameters)
