"""Side-effect figures against a hand-counted clinic: 10 treated patients, 3 with reports."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.helpers.records import administration
from treatments.selectors.side_effect_figures import (
    FAQ_STATED_SHARE,
    by_grade,
    by_lot,
    by_route,
    by_term,
    patient_share,
    reports_for,
    side_effect_figures,
    treatments_in_period,
)
from treatments.services.signing import treatment_void

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 7, 15, 9, tzinfo=dt.UTC), tick=False),
]
START, END = dt.date(2026, 1, 1), dt.date(2026, 6, 30)


@pytest.fixture
def clinic(make_patient, make_signed_treatment, make_draft_treatment, make_lot, make_report, physician):
    """Ten patients treated in the first half of 2026 (P1 twice); reports for P1 (two), P2 and P3.

    Routes and lots: T1a iv drip (lot A) + local injection (lot B); T1b, T2, T4-T7 iv drip (A);
    T3 intranasal (B); T8-T10 local injection (B). Left out: a report of a 2025 treatment, a
    voided report, a draft and a voided treatment.
    """
    lot_a, lot_b = make_lot("A-100"), make_lot("B-200")
    given = {number: [administration(lot_a)] for number in (2, 4, 5, 6, 7)}
    given |= {number: [administration(lot_b, "local_injection")] for number in (8, 9, 10)}
    given[1] = [administration(lot_a), administration(lot_b, "local_injection")]
    given[3] = [administration(lot_b, "intranasal")]
    patients = [make_patient() for _ in range(10)]
    day = dt.date(2026, 2, 1)
    treatments = {}
    for number, patient in enumerate(patients, start=1):
        treatments[number] = make_signed_treatment(
            patient, day + dt.timedelta(days=number), administrations=given[number]
        )
    make_signed_treatment(
        patients[0], dt.date(2026, 5, 1), course_position="booster", administrations=[administration(lot_a)]
    )
    make_report(treatments[1], term="fever", grade=1)
    make_report(treatments[1], term="headache", grade=2)
    make_report(treatments[2], term="fever", grade=3, serious_hospitalization=True, outcome="recovering")
    make_report(treatments[3], term="other", term_other="Rash", grade=1)
    voided = make_report(treatments[3], term="nausea", grade=1)
    voided.mark_voided(user=voided.reported_by, reason="Duplicate")
    voided.save()
    # Outside the counts:
    earlier = make_signed_treatment(
        make_patient(), dt.date(2025, 12, 20), administrations=[administration(lot_a)]
    )
    make_report(earlier, term="fever", grade=2, onset=dt.date(2026, 1, 2))
    make_draft_treatment(make_patient(), dt.date(2026, 3, 1), administrations=[])
    entered_twice = make_signed_treatment(
        make_patient(), dt.date(2026, 3, 2), administrations=[administration(lot_a)]
    )
    treatment_void(treatment=entered_twice, user=physician, reason="Entered twice")
    return treatments


def test_the_share_of_treated_patients_with_a_side_effect(clinic):
    treatments = treatments_in_period(start=START, end=END)
    share = patient_share(treatments=treatments, reports=reports_for(treatments=treatments))
    assert share["treated_patients"] == 10
    assert share["patients_with_report"] == 3
    assert share["share_percent"] == Decimal("30.0")
    assert share["stated_percent"] == Decimal("10.0") == 100 * FAQ_STATED_SHARE
    assert share["above_stated"] is True
    assert share["enough_data"] is True


def test_by_term_and_grade(clinic):
    reports = reports_for(treatments=treatments_in_period(start=START, end=END))
    terms = {row["term"]: (row["reports"], row["patients"]) for row in by_term(reports=reports)}
    assert terms == {
        "fever": (2, 2),
        "headache": (1, 1),
        "nausea": (0, 0),
        "vomiting": (0, 0),
        "flu_like": (0, 0),
        "fatigue": (0, 0),
        "flare_up": (0, 0),
        "injection_site": (0, 0),
        "other": (1, 1),
    }
    grades = {row["grade"]: (row["reports"], row["patients"]) for row in by_grade(reports=reports)}
    assert grades == {1: (2, 2), 2: (1, 1), 3: (1, 1), 4: (0, 0), 5: (0, 0)}


def test_by_route_counts_a_two_route_treatment_under_each(clinic):
    rows = {row["route"]: row for row in by_route(treatments=treatments_in_period(start=START, end=END))}
    assert set(rows) == {"iv_drip", "local_injection", "intranasal"}
    counts = {
        route: (r["treatments"], r["treatments_with_report"], r["reports"]) for route, r in rows.items()
    }
    assert counts == {"iv_drip": (7, 2, 3), "local_injection": (4, 1, 2), "intranasal": (1, 1, 1)}
    assert rows["iv_drip"]["share_percent"] == Decimal("28.6")
    assert rows["local_injection"]["share_percent"] == Decimal("25.0")


def test_by_lot(clinic):
    rows = {
        row["label"]: (row["treatments"], row["treatments_with_report"], row["reports"])
        for row in by_lot(treatments=treatments_in_period(start=START, end=END))
    }
    assert rows == {
        "Placental MSC exosomes lot A-100": (7, 2, 3),
        "Placental MSC exosomes lot B-200": (5, 2, 3),
    }


def test_a_period_with_fewer_than_five_treated_patients_says_so(clinic, staff_client):
    figures = side_effect_figures(start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 4))  # P1-P3 only
    assert figures["share"]["treated_patients"] == 3
    assert figures["enough_data"] is False
    page = staff_client.get(reverse("sideeffect_figures"), {"start": "2026-02-01", "end": "2026-02-04"})
    assert "Not enough data: 3 treated patients in the period" in page.content.decode()
    empty = side_effect_figures(start=dt.date(2020, 1, 1), end=dt.date(2020, 12, 31))
    assert empty["share"]["share_percent"] is None and empty["report_count"] == 0


def test_the_treatment_date_is_the_clinic_date_at_the_period_edges(
    settings, make_patient, make_signed_treatment
):
    settings.TIME_ZONE = "America/Los_Angeles"
    # 20:00 on 30 June in Los Angeles is 03:00 on 1 July in UTC: it belongs to June.
    make_signed_treatment(make_patient(), dt.date(2026, 6, 30), at=dt.time(20, 0))
    assert treatments_in_period(start=START, end=END).count() == 1
    assert treatments_in_period(start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31)).count() == 0


def test_the_figures_page_shows_the_tables_in_constant_queries(
    clinic, staff_client, django_assert_max_num_queries
):
    url = reverse("sideeffect_figures")
    params = {"start": START.isoformat(), "end": END.isoformat()}
    # session, user, roles and permissions, then the figures: treated patients, patients with a
    # report, by term (the reports counted are their sum), by grade, by route, by lot (each one
    # aggregate in the database)
    with django_assert_max_num_queries(10):
        page = staff_client.get(url, params).content.decode()
    assert "30.0 %" in page and "of 10 treated patients (3 with a report)" in page
    assert "whatever their onset; 4 reports." in page  # P1's two, P2's and P3's (not the voided one)
    assert "less than 10 %" in page
    assert "Intranasal" in page and "lot B-200" in page
    wrong = staff_client.get(url, {"start": "2026-06-30", "end": "2026-01-01"}).content.decode()
    assert "The end of the period must be on or after its start." in wrong


@pytest.mark.parametrize(("role", "expected"), [("physician", 200), ("staff", 200), ("clinic_admin", 403)])
def test_figures_by_role(role_clients, role, expected):
    assert role_clients[role].get(reverse("sideeffect_figures")).status_code == expected


def test_the_page_shows_the_last_30_days_unless_asked(
    clinic, make_patient, make_signed_treatment, staff_client
):
    make_signed_treatment(make_patient(), dt.date(2026, 6, 16))  # the first day of the last 30
    page = staff_client.get(reverse("sideeffect_figures")).content.decode()
    assert "Treated patients with any side effect, 16 Jun 2026 to 15 Jul 2026" in page
    assert "Not enough data: 1 treated patient in the period" in page
    wrong = staff_client.get(reverse("sideeffect_figures"), {"start": "2026-06-30", "end": "2026-01-01"})
    assert "The figures below are for the last 30 days." in wrong.content.decode()
