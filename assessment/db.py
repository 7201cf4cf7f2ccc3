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
"""

from django.db import connection


def prepared_cursor():
    """A cursor for ``with``; on PostgreSQL one whose statements get prepared."""
    cursor = connection.cursor()
    if connection.vendor == "postgresql":
        import psycopg

        cursor.cursor.close()
        cursor.cursor = psycopg.Cursor(connection.connection)
    return cursor
