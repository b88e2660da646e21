"""check_integrity: a seeded demo clinic passes every check; each kind of corruption is named."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.test import override_settings
from django.utils import timezone

from clinic.roles import PHYSICIAN
from treatments.models import (
    Administration,
    FollowUp,
    FollowUpAttempt,
    Lot,
    LotRecipient,
    Patient,
    SideEffectReport,
    Treatment,
)
from treatments.selectors.integrity import INTEGRITY_CHECKS

pytestmark = pytest.mark.django_db
CHECK_NAMES = [check.__name__ for check in INTEGRITY_CHECKS]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One demo clinic for the module (seeding is the slow part), committed; each test's corruption
    is rolled back with its test, and the module's end empties the database again."""
    with django_db_blocker.unblock():
        with override_settings(DEBUG=True):
            call_command("seed_demo", "--patients", "24")
        yield
        call_command("flush", "--no-input")


@pytest.fixture
def clinic(seeded, settings):
    """The seeded clinic; the check runs with production settings (DEBUG off)."""
    settings.DEBUG = False


def run_check(capsys) -> tuple[str, int]:
    try:
        call_command("check_integrity")
    except CommandError as error:
        return capsys.readouterr().out, error.returncode
    return capsys.readouterr().out, 0


def raw_update(queryset, **values):
    """A write that bypasses the services and the guarded queryset: the corruption under test."""
    models.QuerySet.update(queryset, **values)


def fast_path_treatment() -> Treatment:
    return Treatment.objects.signed().filter(patient__mrn__gt="DEMO-000016").order_by("pk").first()


def test_a_seeded_clinic_passes_every_check(clinic, capsys):
    out, code = run_check(capsys)
    assert code == 0
    for name in CHECK_NAMES:
        assert f"ok    {name}: 0 violations" in out
    assert f"{len(CHECK_NAMES)} of {len(CHECK_NAMES)} checks passed" in out


def break_lot_balance():
    lot = Lot.objects.filter(used_ml__gt=0).order_by("pk").first()
    raw_update(Lot.objects.filter(pk=lot.pk), used_ml=models.F("used_ml") - Decimal("1"))
    return "lot_balances_match_administrations", f"lot {lot.pk}"


def miscount_a_lot():
    lot = Lot.objects.filter(administration_count__gt=0).order_by("pk").first()
    raw_update(Lot.objects.filter(pk=lot.pk), administration_count=models.F("administration_count") + 1)
    return "lot_counts_match_administrations", f"lot {lot.pk}"


def miscount_a_lots_patients():
    lot = Lot.objects.filter(patient_count__gt=0).order_by("pk").first()
    raw_update(Lot.objects.filter(pk=lot.pk), patient_count=models.F("patient_count") - 1)
    return "lot_counts_match_administrations", f"lot {lot.pk}"


def miscount_a_lot_recipient():
    row = LotRecipient.objects.holding().order_by("pk").first()
    raw_update(
        LotRecipient.objects.filter(pk=row.pk), administration_count=models.F("administration_count") + 1
    )
    return "lot_counts_match_administrations", f"lot recipient {row.pk}"


def lose_a_lot_recipient():
    """The lot's counts stay right, but the ledger row that keeps them exact is gone."""
    row = LotRecipient.objects.holding().order_by("pk").first()
    first = (
        Administration.objects.counting_stock()
        .filter(lot_id=row.lot_id, treatment__patient_id=row.patient_id)
        .order_by("pk")
        .first()
    )
    LotRecipient.objects.filter(pk=row.pk).delete()
    return "lot_counts_match_administrations", f"administration {first.pk}"


def delete_a_followup():
    followup = (
        FollowUp.objects.filter(treatment=fast_path_treatment())
        .exclude(models.Exists(FollowUpAttempt.objects.filter(followup=models.OuterRef("pk"))))
        .order_by("pk")
        .first()
    )
    models.QuerySet.delete(FollowUp.objects.filter(pk=followup.pk))
    return "followups_match_schedule", f"treatment {followup.treatment_id}"


def drop_a_history_row():
    treatment = fast_path_treatment()
    Treatment.history.filter(id=treatment.pk).delete()
    return "history_rows_exist", f"treatment {treatment.pk}"


def overdose():
    administration = Administration.objects.filter(treatment=fast_path_treatment()).order_by("pk").first()
    raw_update(Administration.objects.filter(pk=administration.pk), dose_billion=Decimal("40"))
    return "treatment_doses_within_protocol", f"treatment {administration.treatment_id}"


def wrong_volume():
    administration = Administration.objects.filter(treatment=fast_path_treatment()).order_by("pk").first()
    raw_update(
        Administration.objects.filter(pk=administration.pk),
        volume_ml=models.F("volume_ml") + Decimal("0.5"),
    )
    return "administration_volumes_match_lots", f"administration {administration.pk}"


def expire_a_lot_early():
    administration = Administration.objects.filter(treatment=fast_path_treatment()).order_by("pk").first()
    lot = administration.lot
    day = timezone.localdate(administration.treatment.performed_at)
    raw_update(
        Lot.objects.filter(pk=lot.pk),
        received_on=day - dt.timedelta(days=30),
        expires_on=day - dt.timedelta(days=1),
    )
    return "lots_usable_on_treatment_day", f"administration {administration.pk}"


def void_without_cancelling():
    treatment = fast_path_treatment()
    raw_update(
        Treatment.objects.filter(pk=treatment.pk),
        status="voided",
        voided_at=timezone.now(),
        void_reason="Raw write",
    )
    open_one = FollowUp.objects.filter(treatment=treatment).order_by("pk").first()
    # Open again (the demo's dates follow today's: on some days this one was completed).
    raw_update(FollowUp.objects.filter(pk=open_one.pk), status="scheduled", completed_at=None)
    return "followups_only_on_signed_treatments", f"follow-up {open_one.pk}"


def move_a_followup_to_another_patient():
    followup = FollowUp.objects.filter(treatment=fast_path_treatment()).order_by("pk").first()
    other = Patient.objects.exclude(pk=followup.patient_id).order_by("pk").first()
    raw_update(FollowUp.objects.filter(pk=followup.pk), patient_id=other.pk)
    return "records_match_their_patient", f"follow-up {followup.pk}"


def give_a_followup_another_physician():
    followup = FollowUp.objects.filter(treatment=fast_path_treatment()).order_by("pk").first()
    other = (
        User.objects.filter(groups__name=PHYSICIAN).exclude(pk=followup.physician_id).order_by("pk").first()
    )
    raw_update(FollowUp.objects.filter(pk=followup.pk), physician_id=other.pk)
    return "records_match_their_patient", f"follow-up physician {followup.pk}"


def assessment_without_decision():
    followup = FollowUp.objects.filter(status="completed", is_assessment=True).order_by("pk").first()
    raw_update(FollowUp.objects.filter(pk=followup.pk), decision="")
    return "completed_followups_complete", f"follow-up {followup.pk}"


def missed_without_attempts():
    followup = FollowUp.objects.filter(status="scheduled").order_by("pk").first()
    raw_update(FollowUp.objects.filter(pk=followup.pk), status="missed", completed_at=None)
    return "attempts_match_followups", f"follow-up {followup.pk}"


def report_before_its_treatment():
    report = SideEffectReport.objects.order_by("pk").first()
    day = timezone.localdate(report.treatment.performed_at) - dt.timedelta(days=3)
    # Undated, so the onset is the only date out of place ("unknown": an undated report is ongoing).
    raw_update(SideEffectReport.objects.filter(pk=report.pk), onset=day, resolved_on=None, outcome="unknown")
    return "side_effect_reports_dated_after_treatment", f"side-effect report {report.pk}"


@pytest.mark.parametrize(
    "corrupt",
    [
        break_lot_balance,
        miscount_a_lot,
        miscount_a_lots_patients,
        miscount_a_lot_recipient,
        lose_a_lot_recipient,
        delete_a_followup,
        drop_a_history_row,
        overdose,
        wrong_volume,
        expire_a_lot_early,
        void_without_cancelling,
        move_a_followup_to_another_patient,
        give_a_followup_another_physician,
        assessment_without_decision,
        missed_without_attempts,
        report_before_its_treatment,
    ],
)
def test_each_kind_of_corruption_is_named_and_fails(clinic, capsys, corrupt):
    name, example = corrupt()
    out, code = run_check(capsys)
    assert code == 1
    line = next(line for line in out.splitlines() if f" {name}:" in line)
    assert line.startswith("FAIL") and example in line
    assert "checks passed" in out


def test_a_balance_beyond_the_stock_is_named(clinic, capsys):
    """The database refuses it (lot_used_within_received); with that constraint lifted, the check
    still catches it."""
    lot = Lot.objects.filter(used_ml__gt=0).order_by("pk").first()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE treatments_lot DROP CONSTRAINT lot_used_within_received")
        else:
            cursor.execute("PRAGMA ignore_check_constraints = ON")
    try:
        raw_update(Lot.objects.filter(pk=lot.pk), quantity_received_ml=models.F("used_ml") - Decimal("1"))
        out, code = run_check(capsys)
    finally:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA ignore_check_constraints = OFF")
    assert code == 1
    assert f"FAIL  lot_stock_never_negative: 1 violations (lot {lot.pk})" in out


def test_the_output_names_no_patient(clinic, capsys):
    followup = FollowUp.objects.filter(treatment=fast_path_treatment()).order_by("pk").first()
    raw_update(Patient.objects.filter(pk=followup.patient_id), family_name="Canarywing", given_name="Zebulon")
    raw_update(FollowUp.objects.filter(pk=followup.pk), status="missed", completed_at=None)
    raw_update(FollowUp.objects.filter(pk=followup.pk), patient_id=Patient.objects.order_by("-pk").first().pk)
    out, code = run_check(capsys)
    assert code == 1
    assert "Canarywing" not in out and "Zebulon" not in out and "DEMO-" not in out
