"""SQLite's planner statistics: PRAGMA optimize before a connection closes, ANALYZE after seeding."""

import sqlite3

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")


def stat_tables(path) -> set[str]:
    with sqlite3.connect(path) as raw:
        if not raw.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            return set()
        return {row[0] for row in raw.execute("SELECT tbl FROM sqlite_stat1")}


@pytest.mark.django_db
def test_a_connection_optimizes_the_tables_it_queried_when_it_closes(tmp_path):
    path = tmp_path / "clinic.sqlite3"
    wrapper = DatabaseWrapper({**connection.settings_dict, "NAME": str(path)}, alias="statistics")
    with wrapper.cursor() as cursor:
        assert cursor.execute("PRAGMA analysis_limit").fetchone()[0] == 1000
        cursor.execute("CREATE TABLE visit (id INTEGER PRIMARY KEY, day TEXT)")
        cursor.execute("CREATE INDEX visit_day ON visit (day)")
        cursor.executemany(
            "INSERT INTO visit (day) VALUES (?)", [(f"2026-03-{n % 28 + 1:02d}",) for n in range(500)]
        )
        cursor.execute("SELECT id FROM visit WHERE day = '2026-03-02'").fetchall()
    assert stat_tables(path) == set()
    wrapper.close()
    assert "visit" in stat_tables(path)
    wrapper.connect()  # a wrapper opened again closes (and optimizes) once, as before
    wrapper.close()


@pytest.mark.django_db
def test_seed_demo_leaves_statistics_for_the_planner(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--patients", "3")
    with connection.cursor() as cursor:
        tables = {row[0] for row in cursor.execute("SELECT tbl FROM sqlite_stat1").fetchall()}
    assert {"treatments_followup", "treatments_treatment", "treatments_patient"} <= tables
