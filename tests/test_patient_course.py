"""The patient page: record a treatment, timeline, cumulative dose, rounds and next follow-up."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from treatments.models import FollowUpStatus, Indication, SideEffectReport
from treatments.selectors.patients import patient_timeline
from treatments.services.patients import patient_save
from treatments.services.signing import treatment_void

pytestmark = pytest.mark.django_db


def test_the_page_offers_to_record_a_treatment(physician_client, admin_client_role, patient):
    body = physician_client.get(patient.get_absolute_url()).content.decode()
    assert reverse("treatment_create", args=[patient.pk]) in body
    assert "Record treatment" in body


def test_the_timeline_merges_treatments_followups_and_side_effects(
    physician_client, physician, make_treatment, patient
):
    start = timezone.now() - dt.timedelta(days=120)
    first = make_treatment(patient, when=start, sign=True, doses=["5", "3"])
    check_in = first.followups.get(kind="check_in")
    check_in.status, check_in.contact, check_in.completed_at = FollowUpStatus.COMPLETED, "call", start
    check_in.save()
    SideEffectReport.objects.create(
        patient=patient,
        treatment=first,
        reported_by=physician,
        term="fever",
        onset=timezone.localdate(start) + dt.timedelta(days=1),
        resolved_on=timezone.localdate(start) + dt.timedelta(days=2),
        expected_resolution_by=timezone.localdate(start) + dt.timedelta(days=3),
        grade=1,
    )
    make_treatment(patient, when=start + dt.timedelta(days=100), course_position="booster", doses=["4"])
    voided = make_treatment(patient, when=start + dt.timedelta(days=110), doses=["1"])
    treatment_void(treatment=voided, user=physician, reason="Duplicate")

    timeline = patient_timeline(patient=patient)
    dates = [entry["date"] for entry in timeline]
    assert dates == sorted(dates, reverse=True)
    kinds = {entry["kind"] for entry in timeline}
    assert kinds == {"treatment", "followup", "side_effect"}
    treatments = [entry for entry in timeline if entry["kind"] == "treatment"]
    assert [(e["title"], e["voided"]) for e in treatments] == [
        ("Initial treatment, round 2: 1 billion", True),
        ("Booster, round 1: 4 billion", False),
        ("Initial treatment, round 1: 8 billion", False),
    ]
    assert treatments[2]["url"] == first.get_absolute_url()
    assert "IV drip 5 bn, lot KL-2601; IV drip 3 bn, lot KL-2601" in treatments[2]["detail"]
    others = [entry for entry in timeline if entry["kind"] != "treatment"]
    assert {entry["url"].rsplit("/", 3)[-3] for entry in others} == {"followups", "side-effects"}
    fever = next(entry for entry in timeline if entry["kind"] == "side_effect")
    assert fever["title"] == "Side effect: Fever (grade 1)"

    response = physician_client.get(patient.get_absolute_url())
    course = response.context["course"]
    assert (course["cumulative_dose"], course["rounds"], course["treatment_count"]) == (Decimal("12"), 1, 2)
    next_followup = response.context["next_followup"]
    assert next_followup.kind == "early_check"  # the check-in call was completed
    body = response.content.decode()
    assert "12 billion" in body and "Timeline" in body and "Side effect: Fever" in body


@pytest.mark.parametrize("count", [1, 30])
def test_the_patient_page_runs_the_same_queries_whatever_the_history(
    count,
    physician_client,
    staff_client,
    physician,
    make_treatment,
    make_lot,
    make_patient,
    make_report,
    django_assert_num_queries,
):
    patient = make_patient(consent_on_file=dt.date(2020, 1, 1), indications=["autoimmune", "other"])
    patient_save(patient=patient, user=physician, indications=Indication.objects.filter(code="other"))
    lot = make_lot(quantity_received_ml=Decimal("1000"))
    start = timezone.now() - dt.timedelta(days=count * 7)
    for number in range(count):
        treatment = make_treatment(
            patient,
            lot=lot,
            when=start + dt.timedelta(days=7 * number),
            course_position="initial" if number == 0 else "booster",
            doses=["1", "0.5"],
            sign=number % 5 == 0,
        )
        make_report(treatment, onset=treatment.treatment_date)
        followup = treatment.followups.order_by("due_on").first()
        if followup is not None:
            followup.status, followup.contact, followup.completed_at = (
                "completed",
                "call",
                treatment.performed_at,
            )
            followup.pain = 4
            followup.save()
    physician_client.get(patient.get_absolute_url())
    # session, user, the verified second-factor device (django-otp), roles and permissions, the
    # patient with its indications, the access event, history and its indications' history,
    # treatments, administrations, follow-ups, side-effect reports
    with django_assert_num_queries(12):
        response = physician_client.get(patient.get_absolute_url())
    assert response.context["course"]["treatment_count"] == count
    assert [i.name for i in response.context["patient"].page_indications] == ["Other"]
    assert response.context["history"][0]["changes"][0]["field"] == "indications"
    assert len(response.context["patient_side_effects"]) == count
    assert response.context["outcome_series"]["has_data"]
    # Staff: no second factor and no history.
    staff_client.get(patient.get_absolute_url())
    with django_assert_num_queries(9):
        staff_client.get(patient.get_absolute_url())
