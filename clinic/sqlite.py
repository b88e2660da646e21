"""SQLite's query-planner statistics kept fresh. Before a connection closes it runs
``PRAGMA optimize``, SQLite's advice for short-lived connections (one per request here): it runs
ANALYZE only on the tables this connection queried whose statistics are missing or stale, reading
at most 1000 rows per index (``analysis_limit``). ``seed_demo`` runs a full ANALYZE after seeding.
PostgreSQL keeps its own statistics (autovacuum); nothing happens there."""

import contextlib

from django.db import DatabaseError


def keep_statistics_fresh(sender, connection, **kwargs):
    """``connection_created`` receiver: cap the analysis, and optimize on this wrapper's close."""
    if connection.vendor != "sqlite":
        return
    connection.connection.execute("PRAGMA analysis_limit=1000")
    if "_close" in vars(connection):  # already wrapped on an earlier connect of this wrapper
        return
    close = connection._close

    def optimize_then_close():
        if connection.connection is not None:
            # Statistics are an optimisation: they never stand in the way of closing.
            with contextlib.suppress(DatabaseError, connection.Database.Error):
                connection.connection.execute("PRAGMA optimize")
        close()

    connection._close = optimize_then_close
