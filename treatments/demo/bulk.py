"""The demo's fast path: insert many records with their history rows in a few statements.

For demo data only (``seed_demo``). A record written here carries the same field values the service
would give it, and one history row ("+", "Demo data", the user who would have made it), written in
bulk too. ``manage.py check_integrity`` proves the result obeys the services' rules.
"""

import bisect
import datetime as dt

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
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
    # Dates, times and decimals go through their field's adaptation for this database; text,
    # numbers, booleans and keys are passed as they are (what the adaptation returns for them).
    adapted = [(f.attname, f if isinstance(f, ADAPTED_FIELDS) else None) for f in model._meta.concrete_fields]
    with db.cursor() as cursor:
        for record, pk in zip(records, allocate_ids(cursor, model, len(records)), strict=True):
            record.pk = pk
            if hasattr(record, "updated_at"):
                record.updated_at = when  # what auto_now would have written
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


def refresh_statistics() -> None:
    """Fresh planner statistics between phases: tables that were nearly empty a phase ago hold
    thousands of rows now, and a plan made for empty tables turns an indexed NOT EXISTS into a scan.
    SQLite reads at most ``analysis_limit`` rows per index (set on connect); PostgreSQL samples."""
    if connection.vendor in ("sqlite", "postgresql"):
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
