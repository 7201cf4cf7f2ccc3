"""A cursor whose statements PostgreSQL keeps planned, for the hottest reads.

Planning is most of what PostgreSQL spends on the answering page: the access
lookup (surveys.selectors.member_survey) joins six tables, and choosing their
order takes the server about 4 ms each time for 0.2 ms of execution (EXPLAIN
ANALYZE on the benchmark database; docs/performance.md, "Answering: issue 12").
Django's PostgreSQL cursors bind parameters on the client, so every statement
is planned anew. ``prepared_cursor()`` is Django's own cursor (query logging,
error wrapping, health check) with a server-side-binding psycopg cursor inside:
psycopg prepares a statement once it has run ``prepare_threshold`` times on a
connection (5, set in settings: Django turns preparing off by default), and
PostgreSQL then reuses its plan (0.5 ms in all). Django's own cursors bind on
the client and never prepare, whatever the threshold.

Only for statements whose text never changes (written once per process) and
whose best plan does not depend on the values. Not for the ORM's queries in
general: ``server_side_binding`` for the whole application measured slower on
2 and 3 December, when nothing was prepared (the threshold was still None);
with preparing on it has not been measured, and generic plans for the
dashboards' queries would need checking first.

Behind a pooler in transaction mode that does not track prepared statements
(PgBouncer before 1.21), set ``DATABASE_PREPARED_STATEMENTS=false``: psycopg
then prepares nothing (``prepare_threshold=None``) and this is a plain cursor.
Each prepared statement lives with its connection and ends with it.

With it, a small row loader for such statements: ``Statement`` (the SQL and
the columns it selects, written once from the models' metadata with
``model_columns()`` and ``select_list()``), ``fetch_rows()`` (runs it through
``prepared_cursor()`` and passes every value through the converters the ORM
would apply, e.g. SQLite's dates and booleans) and ``model_instances()``
(model instances from a row, through ``Model.from_db`` as the ORM builds them).
Used by the answering page's reads (surveys.selectors.member_survey and
page_answers); tests compare what they build with the ORM's instances.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models.expressions import Col


def prepared_cursor():
    """A cursor for ``with``; on PostgreSQL one whose statements get prepared."""
    cursor = connection.cursor()
    if connection.vendor == "postgresql":
        import psycopg

        cursor.cursor.close()
        cursor.cursor = psycopg.Cursor(connection.connection)
    return cursor


@dataclass(frozen=True)
class Statement:
    """SQL written once per process (e.g. in a ``functools.cache`` function) from
    the models' metadata, and the columns it selects."""

    sql: str
    columns: tuple[Col, ...]  # the selected columns, in order: for their converters


def fetch_rows(statement: Statement, params: list) -> list[list]:
    """The statement's rows, each value through the converters the ORM would apply
    (SQLite's dates and booleans, JSON)."""
    with prepared_cursor() as cursor:
        cursor.execute(statement.sql, params)
        rows = [list(row) for row in cursor.fetchall()]
    converters = [
        (index, col, connection.ops.get_db_converters(col) + col.get_db_converters(connection))
        for index, col in enumerate(statement.columns)
    ]
    for row in rows:
        for index, col, functions in converters:
            value = row[index]
            if value is not None:
                for function in functions:
                    value = function(value, col, connection)
                row[index] = value
    return rows


def model_instances(row: list, models) -> list:
    """One instance per (model, alias) from consecutive columns of the row, None for
    a left join that found nothing (its primary key is NULL)."""
    alias = connection.alias
    instances, start = [], 0
    for model, _alias in models:
        fields = model._meta.concrete_fields
        own = row[start : start + len(fields)]
        start += len(fields)
        instances.append(
            None if own[0] is None else model.from_db(alias, [f.attname for f in fields], own)
        )
    return instances


def model_columns(models) -> tuple[Col, ...]:
    """Every concrete column of each (model, table alias), in field order: what
    model_instances() reads back."""
    return tuple(
        field.get_col(table_alias)
        for model, table_alias in models
        for field in model._meta.concrete_fields
    )


def select_list(columns: tuple[Col, ...]) -> str:
    """The columns as a SELECT list: ``alias."column", ...``."""
    qn = connection.ops.quote_name
    return ", ".join(f"{col.alias}.{qn(col.target.column)}" for col in columns)
