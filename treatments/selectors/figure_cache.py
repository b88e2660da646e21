"""Exact figures kept in Django's cache until the records behind them change.

A figure that aggregates many rows (the side-effect figures of a period, the active patients, the
review queue's size) is stored under a key made of everything its value depends on: the figure's
name, the database, its arguments (the period, the day), the clinic's time zone, and the **data
version** of each table it reads. A table's data version is the highest ``history_id`` of its
simple-history table: every create, change and void of a clinical record writes a history row (the
services save each record; ``ClinicalQuerySet`` refuses the bulk update and delete that would skip
it; the demo's bulk path inserts the history rows with the records), so any change moves the version
and the next view computes afresh. :func:`data_version` reads every table's version in one query,
one index lookup each.

History ids are handed out in commit order on SQLite (one writer at a time holds the write lock from
its first insert to its commit). On PostgreSQL two writers can commit out of id order, so a figure
read while another write is still open could miss a change whose id is below the version it would
be stored under: there a value is stored only when the version query saw no write transaction in
progress (no other client session on this database holds a transaction id in
``pg_stat_activity``; autovacuum's ANALYZE holds one too but writes no clinical row),
and is otherwise computed for this view alone.

The cached values are aggregates (counts, shares, lot labels), never patient identifiers. The
default cache (LocMemCache) is per process: each worker computes a figure once per data version.
A restored backup takes history ids back: restart the workers (or clear a shared cache) after one.
"""

import dataclasses

from django.conf import settings
from django.core.cache import cache
from django.db import connection

# Bump when a figure's definition changes, so that a shared cache never serves the old definition.
KEY_VERSION = 1
# A bound on memory, not on freshness: an entry is exact for as long as its data version holds.
TIMEOUT_SECONDS = 24 * 60 * 60


@dataclasses.dataclass(frozen=True)
class DataVersion:
    """The highest history id of each table the figures read, and whether a value computed now may
    be stored (False on PostgreSQL while a write transaction is in progress)."""

    patient: int
    treatment: int
    administration: int
    report: int
    lot: int
    product: int
    followup: int
    storable: bool

    def key(self, *tables: str) -> str:
        return "-".join(str(getattr(self, table)) for table in tables)


def data_version() -> DataVersion:
    """The data version of every table a cached figure reads (one query)."""
    # One primary-key lookup per history table (the MAX of a key is its index's last entry).
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT (SELECT MAX(history_id) FROM treatments_historicalpatient), "
                "(SELECT MAX(history_id) FROM treatments_historicaltreatment), "
                "(SELECT MAX(history_id) FROM treatments_historicaladministration), "
                "(SELECT MAX(history_id) FROM treatments_historicalsideeffectreport), "
                "(SELECT MAX(history_id) FROM treatments_historicallot), "
                "(SELECT MAX(history_id) FROM treatments_historicalproduct), "
                "(SELECT MAX(history_id) FROM treatments_historicalfollowup), "
                # No other session holds a transaction id (has written and not yet committed): no
                # history id below these can commit later. (A snapshot's xip list would not do: it
                # leaves out the transactions at or above its xmax, which are in progress too.)
                # Only client sessions write clinical rows: autovacuum's ANALYZE holds a transaction
                # id too (it updates pg_statistic) and would otherwise keep every value uncached.
                "NOT EXISTS (SELECT 1 FROM pg_stat_activity "
                "WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend' AND datname = current_database())"
            )
        else:
            cursor.execute(
                "SELECT (SELECT MAX(history_id) FROM treatments_historicalpatient), "
                "(SELECT MAX(history_id) FROM treatments_historicaltreatment), "
                "(SELECT MAX(history_id) FROM treatments_historicaladministration), "
                "(SELECT MAX(history_id) FROM treatments_historicalsideeffectreport), "
                "(SELECT MAX(history_id) FROM treatments_historicallot), "
                "(SELECT MAX(history_id) FROM treatments_historicalproduct), "
                "(SELECT MAX(history_id) FROM treatments_historicalfollowup), 1"
            )
        *versions, storable = cursor.fetchone()
    return DataVersion(*(version or 0 for version in versions), storable=bool(storable))


def cached_figure(name: str, *, version: DataVersion, tables: tuple[str, ...], args: tuple, compute):
    """``compute()``'s value, from the cache when the same figure with the same arguments was computed
    at the same data version of ``tables``."""
    database = connection.settings_dict["NAME"]
    parts = (name, str(database), settings.TIME_ZONE, *(str(arg) for arg in args), version.key(*tables))
    key = "figures:" + ":".join(parts)
    value = cache.get(key, version=KEY_VERSION)
    if value is None:
        value = compute()
        if version.storable:
            cache.set(key, value, TIMEOUT_SECONDS, version=KEY_VERSION)
    return value
