"""The patient page reads only the columns it shows (treatments, administrations, lots and the
people named): with every kind of record on the page, a recalled lot, a pending plan, a side
effect and a voided treatment, it still runs the same twelve queries, so no field it prints is
left unread (a missing one would cost a query per row)."""

import datetime as dt

import pytest
from django.utils import timezone

from treatments.services.followup_actions import followup_complete
from treatments.services.lots import lot_recall
from treatments.services.signing import treatment_void

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC), tick=False),
]


def at(day: dt.date, hour: int = 11):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def full_history(patient, lot, make_signed_treatment, make_draft_treatment, make_report, physician, staff):
    """Round 1 signed on 2 March, its 3-month assessment deciding on a booster (pending), a side
    effect, a voided draft, then the lot recalled."""
    treatment = make_signed_treatment(patient, dt.date(2026, 3, 2), baseline_pain=7, baseline_energy=3)
    steps = {f.kind: f for f in treatment.followups.all()}
    followup_complete(
        followup=steps["three_month"],
        user=physician,
        data={"contact": "visit", "pain": 3, "energy": 7, "global_impression": 2, "decision": "booster"},
        completed_at=at(dt.date(2026, 6, 10)),
    )
    make_report(treatment, term="headache", grade=2, onset=dt.date(2026, 3, 3))
    voided = make_draft_treatment(patient, dt.date(2026, 7, 1))
    treatment_void(treatment=voided, user=physician, reason="Wrong patient")
    lot_recall(lot=lot, user=physician, reason="Endotoxin above limit")
    return treatment


def test_every_kind_of_record_on_the_page_costs_no_extra_query(
    physician_client, patient, lot, full_history, physician, django_assert_num_queries
):
    physician_client.get(patient.get_absolute_url())
    with django_assert_num_queries(12):
        response = physician_client.get(patient.get_absolute_url())
    body = response.content.decode()
    assert f"lot {lot.lot_number}" in body and "Endotoxin above limit" in body  # the recall alert
    assert "Pending treatment plan" in body
    assert f"({physician.get_full_name() or physician.get_username()})" in body  # who decided
    assert "Side effect: Headache (grade 2)" in body
    assert " · voided" in body
    assert f'href="/treatments/{full_history.pk}/"' in body
    treatments = [entry for entry in response.context["timeline"] if entry["kind"] == "treatment"]
    assert [(entry["day"], entry["label"]) for entry in treatments] == [
        ("1 Jul 2026", "Treatment"),
        ("2 Mar 2026", "Treatment"),
    ]
    report = response.context["patient_side_effects"][0]
    assert f'<a href="/side-effects/{report.pk}/">Side effect: Headache (grade 2)</a>' in body
