"""The shared fixtures build only states the app allows: records made through the services."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.helpers.db import rolled_back
from tests.helpers.records import administration
from treatments.models import Patient, TreatmentStatus

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 5, 20, 9, tzinfo=dt.UTC), tick=False),
]


def test_a_signed_treatment_is_drafted_signed_and_scheduled_by_the_services(
    patient, make_signed_treatment, physician, lot
):
    treatment = make_signed_treatment(patient, dt.date(2026, 2, 9))
    assert (treatment.status, treatment.signed_by, treatment.created_by) == (
        TreatmentStatus.SIGNED,
        physician,
        physician,
    )
    given = treatment.administrations.active().get()
    assert (given.lot, given.volume_ml) == (lot, Decimal("1.000"))
    assert lot.current_stock_ml() == Decimal("99")
    assert [row.history_change_reason for row in treatment.history.order_by("history_id")][:2] == [
        "Drafted",
        "Signed",
    ]
    assert set(treatment.followups.values_list("kind", flat=True)) >= {"check_in", "three_month"}


def test_the_builders_refuse_what_only_the_services_set(patient, make_signed_treatment, make_lot):
    with pytest.raises(TypeError, match="status: set by the services"):
        make_signed_treatment(patient, dt.date(2026, 2, 9), status="draft")
    with pytest.raises(ValidationError, match="at least one administration"):
        make_signed_treatment(patient, dt.date(2026, 2, 9), administrations=[])
    recalled = make_lot("R-1", status="recalled")
    with pytest.raises(ValidationError, match="recalled"):
        make_signed_treatment(patient, dt.date(2026, 2, 9), administrations=[administration(recalled)])


def test_make_administration_adds_to_a_draft_only(
    patient, make_draft_treatment, make_signed_treatment, make_administration, lot
):
    draft = make_draft_treatment(patient, dt.date(2026, 2, 9))
    make_administration(draft, lot, "local_injection", dose="2")
    assert sorted(draft.administrations.active().values_list("route", "site", "volume_ml")) == [
        ("iv_drip", "", Decimal("1.000")),
        ("local_injection", "left knee", Decimal("2.000")),
    ]
    signed = make_signed_treatment(patient, dt.date(2026, 2, 10))
    with pytest.raises(ValidationError, match="read-only"):
        make_administration(signed, lot)


def test_rolled_back_undoes_what_the_block_wrote(make_patient):
    with rolled_back():
        make_patient()
        assert Patient.objects.count() == 1
    assert Patient.objects.count() == 0
