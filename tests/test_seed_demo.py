"""The demo command: DEBUG only, idempotent, realistic."""

import re
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.helpers.records import administration, draft_treatment
from treatments.demo.sql import INSERTS
from treatments.models import (
    Administration,
    FollowUp,
    FollowUpAttempt,
    Lot,
    Patient,
    SideEffectReport,
    Treatment,
)
from treatments.services.signing import treatment_sign_reauthenticated

pytestmark = pytest.mark.django_db


def test_it_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only runs with DEBUG on"):
        call_command("seed_demo", "--patients", "3")
    assert not User.objects.filter(username="dr.ross").exists()


def test_it_is_idempotent_and_varied(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo", "--patients", "25")
    call_command("seed_demo", "--patients", "25")
    assert Patient.objects.count() == 25
    assert User.objects.filter(username__in=["dr.ross", "nurse.kim", "admin.clinic"]).count() == 3
    indications = set(Patient.indications.through.objects.values_list("indication__code", flat=True))
    assert len(indications) >= 4
    out = capsys.readouterr().out
    assert "dr.ross" in out and "0 created, 25 already there" in out
    assert "Demo treatments: already there." in out
    assert Patient.objects.first().history.count() == 1


def test_it_records_treatments_and_lots_through_the_rules(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--patients", "30")
    statuses = set(Treatment.objects.values_list("status", flat=True))
    assert statuses == {"draft", "signed", "amended", "voided"}
    signed = Treatment.objects.signed()
    assert signed.count() >= 20
    assert all(t.followups.exists() for t in signed)
    assert {lot.status for lot in Lot.objects.all()} == {"released", "quarantine", "recalled", "depleted"}
    assert all(lot.stock_on_hand_ml >= 0 for lot in Lot.objects.with_stock())
    assert Lot.objects.get(status="depleted").current_stock_ml() == 0
    assert User.objects.get(username="admin.clinic").is_staff
    assert not User.objects.get(username="dr.ross").is_staff


def row_counts() -> dict[str, int]:
    """Rows per table of every model, the history tables included."""
    return {model._meta.db_table: model._base_manager.count() for model in apps.get_models()}


def test_a_rerun_adds_no_rows_and_a_larger_one_only_the_new_patients(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo", "--patients", "22")
    before = row_counts()
    kept = set(Treatment.objects.values_list("pk", "version", "status"))
    call_command("seed_demo", "--patients", "22")
    assert row_counts() == before
    call_command("seed_demo", "--patients", "30")
    assert set(Treatment.objects.values_list("pk", "version", "status")) >= kept
    new = Treatment.objects.filter(patient__mrn__gt="DEMO-000022")
    assert new.exists() and all(t.followups.exists() for t in new)
    assert Patient.objects.count() == 30
    capsys.readouterr()
    call_command("check_integrity")
    assert "checks passed" in capsys.readouterr().out


def test_the_fast_path_schedules_what_signing_would(settings, make_patient, lot):
    """A fast-path treatment's follow-ups (those never moved) are the ones the signing service
    schedules for a treatment on the same day."""
    settings.DEBUG = True
    call_command("seed_demo", "--patients", "24")
    fast = Treatment.objects.signed().filter(patient__mrn__gt="DEMO-000016").order_by("pk")
    assert fast.count() >= 5
    fields = ("step_id", "step_name", "kind", "is_assessment", "window_start", "due_on", "window_end")
    for treatment in fast[:5]:
        draft = draft_treatment(
            make_patient(consent_on_file=treatment.patient.consent_on_file),
            physician=treatment.physician,
            performed_at=treatment.performed_at,
            administrations=[administration(lot)],
        )
        twin = treatment_sign_reauthenticated(treatment=draft, user=treatment.physician)
        signed = {f.step_id: f for f in twin.followups.all()}
        assert len(signed) == treatment.followups.count()
        for followup in treatment.followups.filter(status_reason=""):
            assert [getattr(followup, name) for name in fields] == [
                getattr(signed[followup.step_id], name) for name in fields
            ]


def test_every_fast_path_record_passes_its_model_validation(settings):
    """The fast path skips full_clean for speed; on a small clinic every record it wrote passes it."""
    settings.DEBUG = True
    call_command("seed_demo", "--patients", "26")
    fast = {"patient__mrn__gt": "DEMO-000016"}
    checked = 0
    for queryset in (
        Patient.objects.filter(mrn__gt="DEMO-000016"),
        Treatment.objects.filter(**fast),
        Administration.objects.filter(treatment__patient__mrn__gt="DEMO-000016"),
        FollowUp.objects.filter(**fast),
        FollowUpAttempt.objects.filter(followup__patient__mrn__gt="DEMO-000016"),
        SideEffectReport.objects.filter(**fast),
    ):
        for record in queryset:
            record.full_clean()
            checked += 1
    assert checked > 50
    statuses = set(FollowUp.objects.filter(**fast).values_list("status", flat=True))
    assert {"scheduled", "completed"} <= statuses
    for treatment in Treatment.objects.filter(**fast):
        assert treatment.signed_by == treatment.physician == treatment.created_by
        assert treatment.history.get().history_change_reason == "Demo data"
        assert treatment.consent_confirmed and treatment.patient.consent_on_file <= treatment.treatment_date
    assert all(lot.stock_on_hand_ml >= 0 for lot in Lot.objects.with_stock())


class Recorder:
    """A cursor that keeps the statement it is given: an INSERT for ``executemany`` (SQLite) or a
    COPY for ``copy`` (PostgreSQL), by the vendor it claims."""

    def __init__(self, vendor):
        self.db = SimpleNamespace(vendor=vendor)
        self.sql, self.rows = None, []

    def executemany(self, sql, rows):
        self.sql, self.rows = sql, list(rows)

    @contextmanager
    def copy(self, sql):
        self.sql = sql
        yield SimpleNamespace(write_row=self.rows.append)


STATEMENTS = {
    "sqlite": r"INSERT INTO (\w+) \((.*?)\) VALUES \((.*)\)",
    "postgresql": r"COPY (\w+) \((.*?)\) FROM STDIN()",
}


@pytest.mark.parametrize("vendor", STATEMENTS)
def test_the_insert_statements_name_every_column_of_their_model(vendor):
    for model, (insert, insert_history) in INSERTS.items():
        columns = [field.column for field in model._meta.concrete_fields]
        for function, table, expected in (
            (insert, model._meta.db_table, columns),
            (
                insert_history,
                model.history.model._meta.db_table,
                [*columns, "history_date", "history_change_reason", "history_type", "history_user_id"],
            ),
        ):
            recorder = Recorder(vendor)
            function(recorder, [(1,), (2,)])
            match = re.fullmatch(STATEMENTS[vendor], recorder.sql)
            assert match[1] == table
            assert [name.strip().strip('"') for name in match[2].split(",")] == expected
            if vendor == "sqlite":
                assert match[3].count("%s") == len(expected)
            assert recorder.rows == [(1,), (2,)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_on_postgresql_the_fast_path_copies_rather_than_inserting_row_by_row(settings):
    settings.DEBUG = True
    with CaptureQueriesContext(connection) as captured:
        call_command("seed_demo", "--patients", "24")
    # Django records an executemany as "<n> times: <sql>"; a COPY is not recorded at all.
    assert not [q["sql"] for q in captured if re.match(r"\d+ times: INSERT INTO treatments_", q["sql"])]
    fast = Treatment.objects.filter(patient__mrn__gt="DEMO-000016")
    assert fast.exists() and FollowUp.objects.filter(treatment__in=fast).exists()
    assert fast.first().history.get().history_change_reason == "Demo data"


def test_progress_bars_stay_off_a_captured_output(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo", "--patients", "3")
    captured = capsys.readouterr()
    assert "|" not in captured.err  # tqdm draws nothing when stderr is not a terminal
    assert "Demo follow-ups (fast path):" in captured.out
