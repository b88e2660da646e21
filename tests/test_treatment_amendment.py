"""Amending a signed treatment, and voiding: the original is kept, stock and follow-ups follow."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.helpers.auth import PASSWORD
from treatments.models import FollowUpStatus, Treatment, TreatmentStatus
from treatments.services.signing import treatment_amend, treatment_void

pytestmark = pytest.mark.django_db


def test_the_amendment_flow_keeps_the_original(physician_client, physician, make_treatment, patient, lot):
    original = make_treatment(patient, sign=True, doses=["5"])
    assert (
        physician_client.post(reverse("treatment_amend", args=[original.pk]), {"reason": ""}).status_code
        == 200
    )
    assert not Treatment.objects.filter(amends=original).exists()

    response = physician_client.post(
        reverse("treatment_amend", args=[original.pk]), {"reason": "Dose was 6 billion, not 5"}
    )
    amendment = Treatment.objects.get(amends=original)
    assert response["Location"] == reverse("treatment_update", args=[amendment.pk])
    assert amendment.status == TreatmentStatus.DRAFT
    assert amendment.amendment_reason == "Dose was 6 billion, not 5"
    assert amendment.administrations.get().dose_billion == Decimal("5")
    # While the amendment is open both count, conservatively; the stock check skips the original.
    assert lot.current_stock_ml() == Decimal("90")

    copy = amendment.administrations.get()
    data = {
        "performed_at": timezone.localtime(amendment.performed_at).strftime("%Y-%m-%dT%H:%M"),
        "indication": amendment.indication_id,
        "course_position": "initial",
        "consent_confirmed": "on",
        "anti_inflammatories_paused": "on",
        "product_thawed_inspected": "on",
        "version": amendment.version,
        "administrations-TOTAL_FORMS": "1",
        "administrations-INITIAL_FORMS": "1",
        "administrations-0-id": copy.pk,
        "administrations-0-treatment": amendment.pk,
        "administrations-0-route": "iv_drip",
        "administrations-0-lot": lot.pk,
        "administrations-0-dose_billion": "6",
        "administrations-0-whole_dose_given": "on",
    }
    assert physician_client.post(reverse("treatment_update", args=[amendment.pk]), data).status_code == 302
    amendment.refresh_from_db()
    physician_client.post(
        reverse("treatment_sign", args=[amendment.pk]), {"password": PASSWORD, "version": amendment.version}
    )
    original.refresh_from_db()
    amendment.refresh_from_db()
    assert original.status == TreatmentStatus.AMENDED
    assert amendment.status == TreatmentStatus.SIGNED
    assert original.administrations.get().dose_billion == Decimal("5")  # kept as it was signed
    assert lot.current_stock_ml() == Decimal("94")
    assert not original.followups.exists()
    assert amendment.followups.count() == 5
    assert (
        original.history.latest().history_change_reason
        == "Superseded by an amendment: Dose was 6 billion, not 5"
    )

    original_page = physician_client.get(original.get_absolute_url()).content.decode()
    assert "Amended on" in original_page and "Dose was 6 billion, not 5" in original_page
    assert "See the amendment" in original_page
    amendment_page = physician_client.get(amendment.get_absolute_url())
    assert "Amends the treatment of" in amendment_page.content.decode()
    histories = amendment_page.context["histories"]
    assert [record for record, _ in histories] == [amendment, original]
    assert all(rows for _, rows in histories)


def test_only_one_amendment_at_a_time(make_treatment, patient, physician):
    original = make_treatment(patient, sign=True)
    treatment_amend(treatment=original, user=physician, reason="Wrong site")
    with pytest.raises(ValidationError, match="already open"):
        treatment_amend(treatment=original, user=physician, reason="Again")


def test_a_draft_cannot_be_amended(make_treatment, patient, physician):
    with pytest.raises(ValidationError, match="Only a signed treatment can be amended"):
        treatment_amend(treatment=make_treatment(patient), user=physician, reason="x")


def test_staff_may_start_an_amendment_but_not_sign_it(staff_client, make_treatment, patient):
    original = make_treatment(patient, sign=True)
    staff_client.post(reverse("treatment_amend", args=[original.pk]), {"reason": "Typo in notes"})
    amendment = Treatment.objects.get(amends=original)
    assert staff_client.get(reverse("treatment_sign", args=[amendment.pk])).status_code == 403


def test_an_amendment_keeps_a_lot_recalled_since(make_treatment, patient, physician, lot):
    original = make_treatment(patient, sign=True)
    lot.status, lot.recall_reason, lot.recalled_at = "recalled", "Endotoxin", timezone.now()
    lot.save()
    amendment = treatment_amend(treatment=original, user=physician, reason="Add the site")
    assert amendment.administrations.get().lot == lot


def test_voiding_a_draft_amendment_leaves_the_original_signed(make_treatment, patient, physician):
    original = make_treatment(patient, sign=True)
    amendment = treatment_amend(treatment=original, user=physician, reason="Wrong date")
    treatment_void(treatment=amendment, user=physician, reason="Not needed after all")
    original.refresh_from_db()
    amendment.refresh_from_db()
    assert original.status == TreatmentStatus.SIGNED
    assert amendment.status == TreatmentStatus.VOIDED and amendment.amends is None
    assert "Voided draft amendment of treatment" in amendment.history.latest().history_change_reason
    assert treatment_amend(treatment=original, user=physician, reason="Second try").amends == original


def test_void_restores_stock_and_cancels_open_followups(
    physician_client, physician, make_treatment, patient, lot
):
    treatment = make_treatment(patient, sign=True, doses=["7"])
    assert lot.current_stock_ml() == Decimal("93")
    done = treatment.followups.get(kind="check_in")
    done.status, done.contact, done.completed_at = FollowUpStatus.COMPLETED, "call", timezone.now()
    done.save()

    url = reverse("treatment_void", args=[treatment.pk])
    assert physician_client.get(url).status_code == 200
    assert physician_client.post(url, {"reason": ""}).status_code == 200
    response = physician_client.post(
        url, {"reason": "Recorded for the wrong patient", "version": treatment.version}
    )
    assert response.status_code == 302
    treatment.refresh_from_db()
    assert (treatment.status, treatment.voided_by) == (TreatmentStatus.VOIDED, physician)
    assert treatment.void_reason == "Recorded for the wrong patient"
    assert lot.current_stock_ml() == Decimal("100")
    statuses = sorted(treatment.followups.values_list("status", flat=True))
    assert statuses == ["cancelled"] * 4 + ["completed"]
    assert "Voided on" in physician_client.get(treatment.get_absolute_url()).content.decode()


def test_staff_may_void_only_their_own_drafts(staff_client, staff, make_treatment, patient):
    own = make_treatment(patient, user=staff)
    others = make_treatment(patient)
    signed = make_treatment(patient, sign=True)
    assert staff_client.post(reverse("treatment_void", args=[others.pk]), {"reason": "x"}).status_code == 403
    assert staff_client.post(reverse("treatment_void", args=[signed.pk]), {"reason": "x"}).status_code == 403
    assert (
        staff_client.post(reverse("treatment_void", args=[own.pk]), {"reason": "Duplicate draft"}).status_code
        == 302
    )
    statuses = {t.pk: t.status for t in Treatment.objects.all()}
    assert statuses == {own.pk: "voided", others.pk: "draft", signed.pk: "signed"}


def test_voiding_an_earlier_treatment_renumbers_later_rounds(make_treatment, patient, physician):
    start = timezone.now() - dt.timedelta(days=200)
    first = make_treatment(patient, when=start, sign=True)
    second = make_treatment(
        patient, when=start + dt.timedelta(days=120), course_position="second_round", sign=True
    )
    assert second.round_number == 2
    treatment_void(treatment=first, user=physician, reason="Entered twice")
    second.refresh_from_db()
    assert second.round_number == 1
