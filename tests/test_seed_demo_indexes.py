"""The demo fast path's large loads on PostgreSQL: plain indexes set aside and rebuilt, never lost."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from treatments.demo import bulk
from treatments.demo.bulk import indexes_set_aside
from treatments.models import FollowUp, Patient, Treatment

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="set aside on PostgreSQL only")
LOADED = (Patient, Patient.history.model, Treatment, FollowUp, FollowUp.history.model)


def index_definitions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()")
        return {row[0] for row in cursor.fetchall()}


@on_postgresql
def test_a_large_load_rebuilds_exactly_the_indexes_it_set_aside(settings, monkeypatch, capsys):
    settings.DEBUG = True
    monkeypatch.setattr(bulk, "REBUILD_INDEXES_FROM", 0)  # every phase counts as a large load
    monkeypatch.setattr(bulk, "REBUILD_INDEXES_FROM_SHARE", 0)
    before = index_definitions()
    with CaptureQueriesContext(connection) as captured:
        call_command("seed_demo", "--patients", "26")
    # each index set aside is recorded with its definition, then dropped and rebuilt from it
    dropped = [q["sql"] for q in captured if q["sql"].startswith("INSERT INTO demo_indexes_aside")]
    assert any("followup_worklist_overdue_idx" in sql for sql in dropped)
    assert any("patient_name_order_idx" in sql for sql in dropped)
    assert any("treatment_status_date_idx" in sql for sql in dropped)
    # The indexes the loads' own queries need stay, and so do unique and primary-key indexes.
    assert not any(name in sql for sql in dropped for name in ("_pkey", "_mrn_key", "treatment_id_5d6f88fc"))
    assert index_definitions() == before
    assert FollowUp.objects.filter(patient__mrn__gt="DEMO-000016").exists()
    settings.DEBUG = False
    try:
        call_command("check_integrity")
    except CommandError:  # pragma: no cover - the output says which rule failed
        pytest.fail(capsys.readouterr().out)


@on_postgresql
def test_an_interrupted_load_leaves_every_index_in_place(monkeypatch):
    monkeypatch.setattr(bulk, "REBUILD_INDEXES_FROM", 0)
    monkeypatch.setattr(bulk, "REBUILD_INDEXES_FROM_SHARE", 0)
    before = index_definitions()
    with pytest.raises(RuntimeError, match="interrupted"), indexes_set_aside(LOADED, rows=1):
        assert index_definitions() < before  # set aside for the load
        raise RuntimeError("interrupted")
    assert index_definitions() == before


@on_postgresql
def test_a_small_addition_to_a_large_table_keeps_its_indexes(monkeypatch):
    monkeypatch.setattr(bulk, "REBUILD_INDEXES_FROM", 0)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE pg_class SET reltuples = 1000000 WHERE oid = 'treatments_patient'::regclass")
    with CaptureQueriesContext(connection) as captured, indexes_set_aside(LOADED, rows=1000):
        pass
    assert not [q for q in captured if q["sql"].startswith("DROP INDEX")]


def test_elsewhere_a_load_keeps_its_indexes(monkeypatch):
    if connection.vendor == "postgresql":
        monkeypatch.setattr(bulk, "REBUILD_INDEXES_FROM", 10**9)  # below the threshold
    with CaptureQueriesContext(connection) as captured, indexes_set_aside(LOADED, rows=50_000):
        pass
    assert not [q for q in captured if "INDEX" in q["sql"]]
