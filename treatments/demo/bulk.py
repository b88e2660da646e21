"""The demo's fast path: insert many records with their history rows in a few statements.

For demo data only (``seed_demo``). A record written here carries the same field values the service
would give it, and one history row ("+", "Demo data", the user who would have made it), written in
bulk too. ``manage.py check_integrity`` proves the result obeys the services' rules.
"""

import bisect
import datetime as dt
import operator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone

from clinic.formats import day as format_day
from treatments.demo.sql import INSERTS, allocate_ids
from treatments.models import Protocol

BATCH = 2000
ADAPTED_FIELDS = (models.DateTimeField, models.DateField, models.TimeField, models.DecimalField)
DEMO_REASON = "Demo data"


def bulk_insert(model, records: list, *, user_of, when: dt.datetime | None = None) -> list:
    """Insert the records (with new primary keys, set on them) and one "+" history row each,
    attributed to ``user_of(record)``, dated ``when``, with the reason "Demo data". Two fixed
    INSERT statements (``treatments.demo.sql``), run once per row by ``executemany``."""
    if not records:
        return records
    when = when or timezone.now()
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the ``connection`` proxy costs a lookup per use
    history = model.history.model
    history_date = history._meta.get_field("history_date").get_db_prep_save(when, db)
    insert, insert_history = INSERTS[model]
    fields = model._meta.concrete_fields
    with db.cursor() as cursor:
        for record, pk in zip(records, allocate_ids(cursor, model, len(records)), strict=True):
            record.pk = pk
            if hasattr(record, "updated_at"):
                record.updated_at = when  # what auto_now would have written
        if db.vendor == "postgresql":
            # PostgreSQL's adaptation of dates, times and decimals is the identity (psycopg writes
            # them itself), so a row is the record's values as they are: one C call per record,
            # a fifth of the per-field loop below (measured: 13 against 67 µs a follow-up).
            values = operator.attrgetter(*(f.attname for f in fields))
            rows = [values(r) for r in records]
        else:
            # Dates, times and decimals go through their field's adaptation for this database;
            # text, numbers, booleans and keys are passed as they are (what it returns for them).
            adapted = [(f.attname, f if isinstance(f, ADAPTED_FIELDS) else None) for f in fields]
            rows = [
                tuple(
                    getattr(r, name) if field is None else field.get_db_prep_save(getattr(r, name), db)
                    for name, field in adapted
                )
                for r in records
            ]
        insert(cursor, rows)
        insert_history(
            cursor,
            [
                (*row, history_date, DEMO_REASON, "+", user_of(record).pk)
                for row, record in zip(rows, records, strict=True)
            ],
        )
    for record in records:
        record._state.adding = False
    return records


def keyset(queryset, *, size: int = BATCH):
    """Yield lists of rows (``values()`` dicts with an ``id``) in pk order, ``size`` at a time: each
    page is one indexed query, however far into the table it is."""
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk")[:size])
        if not rows:
            return
        yield rows
        last = rows[-1]["id"]


class Protocols:
    """Every active protocol version with its steps, read once: which one governs a given day."""

    def __init__(self):
        versions = list(Protocol.objects.active().order_by("effective_from").prefetch_related("steps"))
        self.versions = versions
        self.starts = [p.effective_from for p in versions]
        self.steps = {p.pk: list(p.steps.all()) for p in versions}

    def in_force_on(self, day: dt.date) -> Protocol:
        """The same answer as ``Protocol.objects.in_force_on(day)``, without a query."""
        index = bisect.bisect_right(self.starts, day) - 1
        if index < 0:
            raise Protocol.DoesNotExist(f"No protocol is in force on {format_day(day)}.")
        return self.versions[index]


# A load sets a table's plain indexes aside from this many new rows, when they are at least this
# share of the rows already there; below either, maintaining the indexes costs less than rebuilding.
REBUILD_INDEXES_FROM = 5_000
REBUILD_INDEXES_FROM_SHARE = 1.0


def _plain_indexes(cursor, table: str) -> list[tuple[str, str, list[str]]]:
    """(name, definition, columns) of the table's plain indexes: not the primary key, not unique,
    backing no constraint. Read from the catalog, so what is recreated is exactly what was there."""
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid), "
        "ARRAY(SELECT a.attname FROM unnest(x.indkey) k JOIN pg_attribute a "
        "ON a.attrelid = x.indrelid AND a.attnum = k) "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT x.indisunique AND NOT x.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
        "ORDER BY i.relname",
        [table],
    )
    return cursor.fetchall()


@contextmanager
def indexes_set_aside(models, *, rows: int, keep: frozenset[tuple[str, str]] = frozenset()):
    """On PostgreSQL, for a large load of ``rows`` rows into ``models[0]``'s table (at least
    ``REBUILD_INDEXES_FROM``, and at least as many as it holds): drop the plain indexes of the
    models' tables (not primary keys, unique or constraint indexes, nor the single-column
    (table, column) indexes in ``keep`` that the load's own queries need) and build them again at
    the end, one sorted build per index instead of a random insert into each for every row
    (measured: the follow-up phase at 10k patients 28.3 s against 26.9 s; the gain grows with the
    tables, whose indexes outgrow the cache at 100k).
    Elsewhere it only runs the body.

    The drop, the body and the rebuild are one transaction (the body's own ``atomic`` blocks become
    savepoints): an interrupted seed rolls back to every index in place. Foreign keys are checked at
    the end of each statement instead of at commit, so a phase's million checks never queue up.
    The drop locks the tables until the commit (demo seeding only)."""
    db = connections[DEFAULT_DB_ALIAS]
    tables = [model._meta.db_table for model in models]
    if db.vendor != "postgresql" or rows < REBUILD_INDEXES_FROM:
        yield
        return
    with db.cursor() as cursor:
        cursor.execute("SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = %s::regclass", [tables[0]])
        existing = cursor.fetchone()[0]
    if rows < existing * REBUILD_INDEXES_FROM_SHARE:
        yield  # a small addition to a large table: maintaining its indexes is cheaper
        return
    with transaction.atomic(), db.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # The names and definitions go through a temporary table, and the database builds the
        # statements from them (format('%I'), pg_get_indexdef's own text): no SQL is built here.
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS demo_indexes_aside (name text, definition text) "
            "ON COMMIT DROP"
        )
        for table in tables:
            for name, definition, columns in _plain_indexes(cursor, table):
                if len(columns) == 1 and (table, columns[0]) in keep:
                    continue
                cursor.execute("INSERT INTO demo_indexes_aside VALUES (%s, %s)", [name, definition])
        cursor.execute(
            "DO $$ DECLARE aside record; BEGIN "
            "FOR aside IN SELECT name FROM demo_indexes_aside LOOP "
            "EXECUTE format('DROP INDEX %I', aside.name); END LOOP; END $$"
        )
        yield
        cursor.execute(
            "DO $$ DECLARE aside record; BEGIN "
            "FOR aside IN SELECT definition FROM demo_indexes_aside LOOP "
            "EXECUTE aside.definition; END LOOP; END $$"
        )
        cursor.execute("DELETE FROM demo_indexes_aside")


def refresh_statistics() -> None:
    """Fresh planner statistics between phases: tables that were nearly empty a phase ago hold
    thousands of rows now, and a plan made for empty tables turns an indexed NOT EXISTS into a scan.
    SQLite reads at most ``analysis_limit`` rows per index (set on connect); PostgreSQL samples."""
    if connection.vendor in ("sqlite", "postgresql"):
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
