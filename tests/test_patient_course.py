"""The patient page: record a treatment, timeline, cumulative dose, rounds and next follow-up."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from treatments.models import FollowUpStatus, SideEffectReport
from treatments.selectors.patients import patient_timeline
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


@pytest.mark.parametrize("count", [5, 50])
def test_the_patient_page_runs_the_same_queries_whatever_the_history(
    count, physician_client, make_treatment, make_lot, make_patient, django_assert_num_queries
):
    patient = make_patient(consent_on_file=dt.date(2020, 1, 1))
    lot = make_lot(quantity_received_ml=Decimal("1000"))
    start = timezone.now() - dt.timedelta(days=count * 7)
    for number in range(count):
        make_treatment(
            patient,
            lot=lot,
            when=start + dt.timedelta(days=7 * number),
            course_position="initial" if number == 0 else "booster",
            doses=["1", "0.5"],
            sign=number % 5 == 0,
        )
    physician_client.get(patient.get_absolute_url())
    # session, user, the verified second-factor device (django-otp), roles and permissions, patient,
    # indications, access event, history (2), treatments, administrations, follow-ups, side effects,
    # and the follow-up panels: outcome series (2), pending plans (2), open follow-ups,
    # side-effect list
    with django_assert_num_queries(18):
        response = physician_client.get(patient.get_absolute_url())
    assert response.context["course"]["treatment_count"] == count
