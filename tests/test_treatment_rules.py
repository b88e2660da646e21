"""The treatment rules in the service: dose limits, lots, stock, protocol by date, round numbers."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from treatments.dosing import format_amount, volume_for
from treatments.models import Administration, Lot, Protocol, ReadOnlyTreatment, TreatmentStatus

pytestmark = pytest.mark.django_db


def errors_of(excinfo) -> str:
    return " | ".join(excinfo.value.messages)


@pytest.mark.parametrize("dose", ["0", "-1"])
def test_it_rejects_a_dose_of_zero_or_less(make_treatment, patient, dose):
    with pytest.raises(ValidationError) as excinfo:
        make_treatment(patient, doses=[dose])
    assert "The dose must be more than 0 billion." in errors_of(excinfo)
    assert not patient.treatments.exists()


@pytest.mark.parametrize("dose", ["0.01", "15"])
def test_it_accepts_doses_at_the_boundaries(make_treatment, patient, dose):
    treatment = make_treatment(patient, doses=[dose])
    administration = treatment.administrations.get()
    assert administration.dose_billion == Decimal(dose)
    assert administration.volume_ml == Decimal(dose)


def test_it_rejects_a_dose_just_above_the_maximum(make_treatment, patient):
    with pytest.raises(ValidationError) as excinfo:
        make_treatment(patient, doses=["15.01"])
    assert excinfo.value.messages == ["15.01 billion is above the maximum of 15 billion per treatment."]


def test_the_maximum_counts_all_administrations_together(make_treatment, patient):
    with pytest.raises(ValidationError) as excinfo:
        make_treatment(patient, doses=["8", "8"])
    assert excinfo.value.messages == ["16 billion is above the maximum of 15 billion per treatment."]
    assert not Administration.objects.exists()


def test_the_database_refuses_a_dose_of_zero(make_treatment, patient):
    treatment = make_treatment(patient)
    administration = treatment.administrations.get()
    administration.dose_billion = Decimal("0")
    with pytest.raises(IntegrityError), transaction.atomic():
        Administration.save(administration)


def test_it_refuses_expired_recalled_and_quarantined_lots(make_treatment, make_lot, patient):
    cases = {
        make_lot(expires_on=dt.date(2025, 6, 30)): "expired on 30 Jun 2025",
        make_lot(status="recalled"): "is recalled, not released",
        make_lot(status="quarantine"): "is quarantine, not released",
    }
    for lot, expected in cases.items():
        with pytest.raises(ValidationError) as excinfo:
            make_treatment(patient, lot=lot)
        assert f"Lot {lot.lot_number} {expected}" in errors_of(excinfo)
        assert "It cannot be administered." in errors_of(excinfo)
    assert not patient.treatments.exists()


def test_a_lot_is_judged_on_the_treatment_date(make_treatment, make_lot, patient):
    lot = make_lot(expires_on=dt.date(2026, 3, 1), received_on=dt.date(2025, 1, 1))
    on_expiry_day = timezone.make_aware(dt.datetime(2026, 3, 1, 9, 0))
    treatment = make_treatment(patient, lot=lot, when=on_expiry_day)
    assert treatment.administrations.get().lot == lot


def test_volume_follows_the_lot_concentration(make_treatment, make_lot, patient):
    lot = make_lot(concentration=Decimal("3"))
    treatment = make_treatment(patient, lot=lot, doses=["10"])
    assert treatment.administrations.get().volume_ml == Decimal("3.333")
    assert volume_for(Decimal("2"), Decimal("3")) == Decimal("0.667")
    assert format_amount(Decimal("15.00")) == "15" and format_amount(Decimal("15.010")) == "15.01"


def test_stock_is_derived_from_the_ledger_and_cannot_run_out(make_treatment, make_lot, patient, make_patient):
    lot = make_lot(lot_number="SMALL-1", quantity_received_ml=Decimal("12"))
    make_treatment(patient, lot=lot, doses=["10"])
    assert lot.current_stock_ml() == Decimal("2")
    assert Lot.objects.with_stock().get(pk=lot.pk).administered_ml == Decimal("10")
    with pytest.raises(ValidationError) as excinfo:
        make_treatment(make_patient(), lot=lot, doses=["3"])
    assert excinfo.value.messages == ["Only 2 ml (2 billion) left in lot SMALL-1; this dose needs 3 ml."]
    make_treatment(make_patient(), lot=lot, doses=["2"])
    assert lot.current_stock_ml() == Decimal("0")


def test_editing_a_draft_does_not_count_its_own_dose_twice(make_treatment, make_lot, patient, physician):
    from treatments.services.treatments import treatment_save

    lot = make_lot(quantity_received_ml=Decimal("10"))
    treatment = make_treatment(patient, lot=lot, doses=["10"])
    administration = treatment.administrations.get()
    administration.dose_billion = Decimal("9")
    treatment_save(treatment=treatment, user=physician, administrations=[administration])
    assert lot.current_stock_ml() == Decimal("1")


def test_an_administration_removed_from_a_draft_is_voided_and_gives_stock_back(
    make_treatment, patient, physician, lot
):
    from treatments.services.treatments import treatment_save

    treatment = make_treatment(patient, doses=["4", "6"])
    first, second = treatment.administrations.order_by("order")
    treatment_save(treatment=treatment, user=physician, administrations=[first])
    second.refresh_from_db()
    assert second.void_reason == "Removed from draft"
    assert lot.current_stock_ml() == Decimal("96")


def test_a_later_protocol_applies_only_from_its_date(make_treatment, patient):
    Protocol.objects.create(effective_from=dt.date(2026, 6, 1), max_dose_billion=Decimal("12"))
    before = timezone.make_aware(dt.datetime(2026, 5, 31, 16, 0))
    after = timezone.make_aware(dt.datetime(2026, 6, 1, 9, 0))
    assert make_treatment(patient, doses=["14"], when=before).administrations.get().dose_billion == 14
    with pytest.raises(ValidationError) as excinfo:
        make_treatment(patient, doses=["14"], when=after)
    assert excinfo.value.messages == ["14 billion is above the maximum of 12 billion per treatment."]


def test_a_treatment_date_in_the_future_is_refused(make_treatment, patient):
    with pytest.raises(ValidationError) as excinfo:
        make_treatment(patient, when=timezone.now() + dt.timedelta(hours=1))
    assert "cannot be in the future" in errors_of(excinfo)


def test_a_site_is_needed_for_local_and_intradiscal_injections(make_treatment, patient, physician, lot):
    from treatments.models import Indication, Treatment
    from treatments.services.treatments import treatment_save

    treatment = Treatment(
        patient=patient,
        physician=physician,
        performed_at=timezone.now(),
        indication=Indication.objects.first(),
    )
    administration = Administration(route="intradiscal", lot=lot, dose_billion=Decimal("2"))
    with pytest.raises(ValidationError) as excinfo:
        treatment_save(treatment=treatment, user=physician, administrations=[administration])
    assert "Name the site for a intradiscal" in errors_of(excinfo)


def test_the_physician_must_be_able_to_sign(make_treatment, patient, staff):
    with pytest.raises(ValidationError) as excinfo:
        make_treatment(patient, physician=staff)
    assert "is not a physician who can sign treatments" in errors_of(excinfo)


def test_round_numbers_follow_the_course(make_treatment, patient):
    day = timezone.now() - dt.timedelta(days=300)
    initial = make_treatment(patient, when=day, sign=True)
    booster = make_treatment(patient, when=day + dt.timedelta(days=100), course_position="booster")
    second = make_treatment(patient, when=day + dt.timedelta(days=200), course_position="second_round")
    escalation = make_treatment(patient, when=day + dt.timedelta(days=250), course_position="escalation")
    numbers = [t.round_number for t in (initial, booster, second, escalation)]
    assert numbers == [1, 1, 2, 2]


def test_an_earlier_treatment_added_later_renumbers_the_later_ones(make_treatment, patient):
    day = timezone.now() - dt.timedelta(days=300)
    later = make_treatment(patient, when=day + dt.timedelta(days=100), course_position="second_round")
    assert later.round_number == 1
    make_treatment(patient, when=day, course_position="initial")
    later.refresh_from_db()
    assert later.round_number == 2
    assert later.history.latest().history_change_reason.startswith("Round number recomputed")


def test_a_booster_without_an_initial_treatment_is_round_one(make_treatment, patient):
    assert make_treatment(patient, course_position="booster").round_number == 1


def test_a_signed_treatment_cannot_be_changed_in_place(make_treatment, patient):
    treatment = make_treatment(patient, sign=True)
    treatment.notes = "edited afterwards"
    with pytest.raises(ReadOnlyTreatment, match="read-only"):
        treatment.save()
    administration = treatment.administrations.get()
    administration.dose_billion = Decimal("1")
    with pytest.raises(ReadOnlyTreatment):
        administration.save()
    treatment.refresh_from_db()
    treatment.status = TreatmentStatus.DRAFT
    with pytest.raises(ReadOnlyTreatment, match="cannot become draft"):
        treatment.save()
