"""Settings for the fault drills (bench/faults.py): bench/settings.py (the production settings,
DEBUG off) plus two drill-only hooks, each off unless its variable is set:

- BENCH_MAIL_DIR: mail goes to bench/faults_mail.py's slow file backend.
- BENCH_SQLITE_LIMIT_FILE: while that file exists, every new SQLite connection (one per request
  here) gets ``PRAGMA max_page_count`` set to the database's current size, so any write that needs
  one more page fails with SQLITE_FULL ("database or disk is full"), as on a full disk. Deleting the
  file lifts the limit for the next connection.
"""

import os
from pathlib import Path

from django.db.backends.signals import connection_created

from bench.settings import *  # noqa: F403

if os.environ.get("BENCH_MAIL_DIR"):
    MAILERS = {"default": {"BACKEND": "bench.faults_mail.SlowFileBackend"}}

LIMIT_FILE = os.environ.get("BENCH_SQLITE_LIMIT_FILE", "")


def _disk_full(sender, connection, **kwargs):
    if connection.vendor != "sqlite" or not LIMIT_FILE or not Path(LIMIT_FILE).exists():
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {int(pages)}")


connection_created.connect(_disk_full, dispatch_uid="bench-faults-disk-full")
