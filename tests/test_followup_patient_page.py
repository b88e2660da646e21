"""What the patient page shows from follow-ups: pending plans, outcomes over time, open follow-ups
and side effects, rendered from ``patient_followup_panels`` in constant queries."""

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from treatments.selectors.outcomes import outcome_series
from treatments.selectors.patients import patient_followup_panels, patient_pending_plans
from treatments.services.followup_actions import followup_complete
from treatments.services.signing import treatment_void

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC), tick=False),
]


def at(day: dt.date, hour: int = 11):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def first_round(patient, make_signed_treatment, physician, staff):
    """Round 1 on 2 March (baseline pain 7, energy 3); call, week 6-8 and 3-month assessment done."""
    treatment = make_signed_treatment(patient, dt.date(2026, 3, 2), baseline_pain=7, baseline_energy=3)
    steps = {f.kind: f for f in treatment.followups.all()}
    followup_complete(
        followup=steps["check_in"],
        user=staff,
        data={"contact": "call", "pain": 6, "energy": 3, "global_impression": 4},
        completed_at=at(dt.date(2026, 3, 4)),
    )
    followup_complete(
        followup=steps["early_check"],
        user=staff,
        data={"contact": "visit", "pain": 5, "energy": 5, "global_impression": 3, "flare_up": True},
        completed_at=at(dt.date(2026, 4, 20)),
    )
    followup_complete(
        followup=steps["three_month"],
        user=physician,
        data={"contact": "visit", "pain": 3, "energy": 7, "global_impression": 2, "decision": "booster"},
        completed_at=at(dt.date(2026, 6, 10)),
    )
    return treatment


def test_a_booster_decision_is_pending_until_the_booster_is_given(
    patient, first_round, make_signed_treatment, make_draft_treatment
):
    plans = patient_pending_plans(patient=patient)
    assert [(p.decision, p.completed_at.date()) for p in plans] == [("booster", dt.date(2026, 6, 10))]
    # A second round does not answer a booster plan; nor does a booster before the decision.
    make_signed_treatment(patient, dt.date(2026, 6, 20), course_position="second_round")
    make_signed_treatment(patient, dt.date(2026, 6, 1), course_position="booster")
    assert len(patient_pending_plans(patient=patient)) == 1
    # A drafted booster after the decision does: the plan is under way.
    make_draft_treatment(patient, dt.date(2026, 6, 24), course_position="booster")
    assert patient_pending_plans(patient=patient) == []


def test_a_voided_booster_does_not_answer_the_plan(patient, first_round, make_signed_treatment, physician):
    booster = make_signed_treatment(patient, dt.date(2026, 6, 24), course_position="booster")
    treatment_void(treatment=booster, user=physician, reason="Wrong patient")
    assert len(patient_pending_plans(patient=patient)) == 1


def test_no_further_treatment_or_home_care_plans_nothing(patient, make_signed_treatment, physician):
    treatment = make_signed_treatment(patient, dt.date(2026, 3, 2))
    assessment = treatment.followups.get(kind="three_month")
    followup_complete(
        followup=assessment,
        user=physician,
        data={"contact": "visit", "decision": "home_care", "home_care_protocol": "Stretching"},
    )
    assert patient_pending_plans(patient=patient) == []


def test_the_outcome_series_spans_baselines_followups_and_later_rounds(
    patient, first_round, make_signed_treatment
):
    make_signed_treatment(
        patient,
        dt.date(2026, 7, 1),
        course_position="second_round",
        baseline_pain=4,
        baseline_energy=6,
    )
    series = outcome_series(patient=patient)
    rows = [(p["date"], p["label"], p["pain"], p["energy"], p["global_impression"]) for p in series["points"]]
    assert rows == [
        ("2026-03-02", "Round 1 baseline (initial treatment)", 7, 3, None),
        ("2026-03-04", "Round 1 · Day 1–3 check-in call", 6, 3, 4),
        ("2026-04-20", "Round 1 · Week 6–8 check", 5, 5, 3),
        ("2026-06-10", "Round 1 · 3-month (100-day) assessment", 3, 7, 2),
        ("2026-07-01", "Round 2 baseline (second round)", 4, 6, None),
    ]
    assert [m["key"] for m in series["measures"]] == ["pain", "energy", "global_impression"]


def test_the_outcome_series_takes_two_queries(patient, first_round, django_assert_num_queries):
    with django_assert_num_queries(2):
        outcome_series(patient=patient)


def render(template: str, patient, user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    context = {"patient": patient, **patient_followup_panels(patient=patient)}
    return render_to_string(f"treatments/includes/{template}", context, request=request)


def test_the_outcomes_include_has_a_chart_with_its_data_and_a_table(patient, first_round, physician):
    html = render("patient_outcomes.html", patient, physician)
    assert '<canvas id="outcome-chart" role="img" aria-label="' in html
    data = json.loads(
        re.search(r'<script id="outcome-series" type="application/json">(.*?)</script>', html).group(1)
    )
    assert [p["pain"] for p in data["points"]] == [7, 6, 5, 3]
    assert "/static/vendor/chartjs/chart.umd.min.js" in html and "/static/js/outcomes-chart.js" in html
    assert "<script>" not in html  # no inline script (CSP)
    assert "<td>Round 1 · Week 6–8 check</td>" in html


def test_the_chart_data_is_escaped_for_javascript(patient, make_signed_treatment, physician, staff):
    treatment = make_signed_treatment(patient, dt.date(2026, 3, 2), baseline_pain=5)
    call = treatment.followups.get(kind="check_in")
    call.step_name = "</script><script>alert(1)</script>"  # a protocol step name typed by an admin
    call.save()
    followup_complete(
        followup=call, user=staff, data={"contact": "call", "pain": 4}, completed_at=at(dt.date(2026, 3, 4))
    )
    html = render("patient_outcomes.html", patient, physician)
    assert "<script>alert(1)" not in html
    assert "\\u003C/script\\u003E\\u003Cscript\\u003Ealert(1)" in html  # inside the JSON
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in html  # in the table


def test_the_plans_include_shows_the_pending_booster(patient, first_round, physician):
    html = render("patient_plans.html", patient, physician)
    assert "Pending treatment plan" in html
    assert (
        '<span class="fw-semibold">Booster</span>, decided at the 3-month (100-day) assessment on 10 Jun 2026'
        in html
    )
    assert render("patient_plans.html", patient, physician).count("list-group-item") == 1


def test_the_followups_include_lists_open_followups_and_reports(patient, first_round, make_report, staff):
    make_report(
        first_round, term="headache", grade=2, onset=dt.date(2026, 3, 3), resolved_on=dt.date(2026, 3, 4)
    )
    html = render("patient_followups.html", patient, staff)
    assert "6-month review" in html and "12-month review" in html
    assert "Headache" in html and "Report a side effect" in html
    assert "Day 1–3 check-in call" not in html  # completed, no longer open


def test_the_context_runs_constant_queries(patient, first_round, make_signed_treatment, make_report):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            patient_followup_panels(patient=patient)
        return len(captured)

    few = count()
    for number in range(5):
        treatment = make_signed_treatment(patient, dt.date(2026, 7, 1) + dt.timedelta(days=number))
        make_report(treatment, onset=treatment.treatment_date)
    assert count() == few == 4  # the patient's treatments, administrations, follow-ups and reports
