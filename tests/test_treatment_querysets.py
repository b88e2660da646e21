"""The queryset rules asked in several places, defined once: current treatments, stock-counting doses."""

from decimal import Decimal

import pytest

from treatments.models import Administration, Lot, Treatment, TreatmentStatus
from treatments.services.signing import treatment_amend, treatment_sign_reauthenticated, treatment_void

pytestmark = pytest.mark.django_db


@pytest.fixture
def every_status(make_treatment, patient, physician):
    """One treatment in each status: a draft, a signed one, a voided one and a superseded original
    (with the signed amendment that superseded it)."""
    draft = make_treatment(patient, doses=["1"])
    signed = make_treatment(patient, doses=["2"], sign=True)
    voided = make_treatment(patient, doses=["4"])
    treatment_void(treatment=voided, user=physician, reason="Wrong patient")
    original = make_treatment(patient, doses=["8"], sign=True)
    amendment = treatment_amend(treatment=original, user=physician, reason="Dose typed wrong")
    amendment = treatment_sign_reauthenticated(treatment=amendment, user=physician)
    original.refresh_from_db()
    return {"draft": draft, "signed": signed, "voided": voided, "original": original, "amendment": amendment}


def test_current_treatments_are_drafts_and_signed_ones(every_status):
    assert every_status["original"].status == TreatmentStatus.AMENDED
    expected = {every_status[name].pk for name in ("draft", "signed", "amendment")}
    assert set(Treatment.objects.current().values_list("pk", flat=True)) == expected
    assert {t.pk for t in Treatment.objects.all() if t.is_current} == expected


def test_only_administrations_of_current_treatments_count_against_stock(every_status, lot):
    counted = Administration.objects.counting_stock()
    assert sorted(a.dose_billion for a in counted) == [Decimal("1"), Decimal("2"), Decimal("8")]
    stock = Lot.objects.with_stock().get(pk=lot.pk)
    assert (stock.administered_ml, stock.stock_on_hand_ml) == (Decimal("11"), Decimal("89"))


def test_a_lot_nobody_used_has_its_whole_quantity_on_hand(make_lot):
    unused = make_lot(quantity_received_ml=Decimal("12.5"))
    stock = Lot.objects.with_stock().get(pk=unused.pk)
    assert (stock.administered_ml, stock.stock_on_hand_ml) == (Decimal("0"), Decimal("12.5"))
    assert unused.current_stock_ml() == Decimal("12.5")
