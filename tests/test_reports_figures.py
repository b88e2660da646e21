"""The report figures against small hand-counted clinics (treatments.selectors.reports).

The side-effect clinic (period: the first half of 2026):

    T1  P1  Jan 10  joint   IV drip 5 (lot A) + local injection 2 (lot B) = 7   fever g1, headache g2
    T2  P2  Jan 20  joint   IV drip 5 (A)                                  = 5   fever g1
    T3  P3  Feb  5  joint   IV drip 10 (A)                                 = 10  (a voided report)
    T4  P4  Feb 15  inflam. intranasal 3 (B)                               = 3   nausea g2
    T6  P5  Mar  1  inflam. local injection 5.5 (B), by the second physician = 5.5
    T5  P1  Apr 10  joint   IV drip 5 (A), a booster                       = 5

Left out: a voided treatment, a draft, a treatment of December 2025 with its report.
6 treatments, 5 patients; treatments with a report T1, T2, T4 (3); patients P1, P2, P4 (3).
"""

import datetime as dt
from decimal import Decimal

import pytest

from tests.helpers.records import administration, clinic_time
from treatments.filters.reports import ReportFilter, Scope, default_period
from treatments.models import Indication, Treatment
from treatments.selectors.reports.base import _median_of_counts, medians, months, proportion, wilson
from treatments.selectors.reports.followups import followup_completion
from treatments.selectors.reports.outcomes import outcome_figures
from treatments.selectors.reports.side_effects import (
    side_effect_overall,
    side_effects_by_grade,
    side_effects_by_lot,
    side_effects_by_route,
    side_effects_by_term,
)
from treatments.selectors.reports.treatments import (
    course_positions_by_month,
    dose_distribution,
    treatments_by_month_and_route,
)
from treatments.services.followup_actions import followup_cancel, followup_complete, followup_record_attempt
from treatments.services.signing import treatment_void

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 7, 15, 9, tzinfo=dt.UTC), tick=False),
]
PERIOD = {"start": "2026-01-01", "end": "2026-06-30"}
D = Decimal


def scope_of(**params) -> Scope:
    filters = ReportFilter(PERIOD | params)
    assert filters.is_valid(), filters.message
    return filters.scope()


def indication(code: str) -> Indication:
    return Indication.objects.get(code=code)


@pytest.fixture
def clinic(
    make_patient,
    make_signed_treatment,
    make_draft_treatment,
    make_lot,
    make_report,
    physician,
    other_physician,
):
    lot_a, lot_b = make_lot("A-100"), make_lot("B-200")
    joint, inflammation = indication("joint-musculoskeletal"), indication("chronic-inflammation")
    p1, p2, p3, p4, p5, p6 = (make_patient() for _ in range(6))
    t = {}
    t[1] = make_signed_treatment(
        p1,
        dt.date(2026, 1, 10),
        indication=joint,
        administrations=[administration(lot_a, dose="5"), administration(lot_b, "local_injection", dose="2")],
    )
    t[2] = make_signed_treatment(
        p2, dt.date(2026, 1, 20), indication=joint, administrations=[administration(lot_a, dose="5")]
    )
    t[3] = make_signed_treatment(
        p3, dt.date(2026, 2, 5), indication=joint, administrations=[administration(lot_a, dose="10")]
    )
    t[4] = make_signed_treatment(
        p4,
        dt.date(2026, 2, 15),
        indication=inflammation,
        administrations=[administration(lot_b, "intranasal", dose="3")],
    )
    t[6] = make_signed_treatment(
        p5,
        dt.date(2026, 3, 1),
        indication=inflammation,
        by=other_physician,
        administrations=[administration(lot_b, "local_injection", dose="5.5")],
    )
    t[5] = make_signed_treatment(
        p1,
        dt.date(2026, 4, 10),
        indication=joint,
        course_position="booster",
        administrations=[administration(lot_a, dose="5")],
    )
    make_report(t[1], term="fever", grade=1)
    make_report(t[1], term="headache", grade=2)
    make_report(t[2], term="fever", grade=1)
    make_report(t[4], term="nausea", grade=2)
    voided = make_report(t[3], term="vomiting", grade=3)
    voided.mark_voided(user=voided.reported_by, reason="Entered for the wrong patient")
    voided.save()
    # Outside every figure:
    twice = make_signed_treatment(p6, dt.date(2026, 3, 5), administrations=[administration(lot_a, dose="9")])
    treatment_void(treatment=twice, user=physician, reason="Entered twice")
    make_draft_treatment(p6, dt.date(2026, 3, 6), administrations=[administration(lot_a, dose="9")])
    earlier = make_signed_treatment(
        p6, dt.date(2025, 12, 20), administrations=[administration(lot_a, dose="9")]
    )
    make_report(earlier, term="fever", grade=1, onset=dt.date(2026, 1, 2))
    return t


# Shared pieces ----------------------------------------------------------------------------------


def test_wilson_bounds_match_the_formula_worked_by_hand():
    # 1 of 10: the textbook example, 1.79 % to 40.42 %; 0 of 10 is not "0 to 0": 0 to z²/(n+z²).
    assert wilson(1, 10) == (D("1.8"), D("40.4"))
    assert wilson(0, 10) == (D("0.0"), D("27.8"))
    # 3 of 5: centre (0.6 + 3.8415/10) / 1.7683 = 0.5566, half 1.1084 × √(0.048 + 0.0384) = 0.3258.
    assert wilson(3, 5) == (D("23.1"), D("88.2"))
    assert wilson(5, 5) == (D("56.6"), D("100.0"))
    assert wilson(0, 0) == (None, None)
    assert proportion(2, 5) == {
        "part": 2,
        "whole": 5,
        "percent": D("40.0"),
        "low": D("11.8"),
        "high": D("76.9"),
    }


def test_the_default_period_is_twelve_months_to_today():
    assert default_period(today=dt.date(2026, 7, 15)) == (dt.date(2025, 8, 1), dt.date(2026, 7, 15))
    assert default_period(today=dt.date(2026, 12, 31)) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    scope = ReportFilter({}).scope()
    assert (scope.start, scope.end) == (dt.date(2025, 8, 1), dt.date(2026, 7, 15))
    assert len(months(scope.start, scope.end)) == 12


def test_the_median_is_read_from_the_databases_value_counts_for_odd_and_even_groups(clinic):
    # Doses per treatment's first administration, per indication: joint 5, 5, 10, 5 -> 5; inflammation
    # 3, 5.5 -> 4.25 (the mean of the two middle values).
    from treatments.models import Administration

    given = (
        Administration.objects.active()
        .filter(treatment__in=scope_of().treatments)
        .annotate(indication_id=__import__("django.db.models", fromlist=["F"]).F("treatment__indication_id"))
    )
    found = medians(given, group_by=["indication_id"], measures=["dose_billion"])
    joint, inflammation = indication("joint-musculoskeletal"), indication("chronic-inflammation")
    # joint: 5, 2 (T1's local injection), 5, 10, 5 -> sorted 2, 5, 5, 5, 10: 5.
    assert found[(joint.pk,)]["dose_billion"] == D("5.0")
    assert found[(inflammation.pk,)]["dose_billion"] == D("4.3")  # 4.25, one decimal, half up


# Treatments -------------------------------------------------------------------------------------


def test_treatments_per_month_by_route(clinic):
    figure = treatments_by_month_and_route(scope=scope_of())
    table = figure["table"]
    assert table.header == ["Month", "Local injection", "IV drip", "Intranasal", "Treatments"]
    assert table.rows == [
        ["Jan 2026", 1, 2, 0, 2],
        ["Feb 2026", 0, 1, 1, 2],
        ["Mar 2026", 1, 0, 0, 1],
        ["Apr 2026", 0, 1, 0, 1],
        ["May 2026", 0, 0, 0, 0],
        ["Jun 2026", 0, 0, 0, 0],
    ]
    assert figure["total"] == 6
    assert figure["chart"]["datasets"][1] == {"label": "IV drip", "data": [2, 1, 0, 1, 0, 0]}


def test_total_dose_per_treatment_in_one_billion_buckets(clinic):
    figure = dose_distribution(scope=scope_of())
    # Totals 7, 5, 10, 3, 5.5, 5: buckets 3 (1), 5 (3: 5, 5, 5.5), 7 (1), 10 (1).
    assert figure["table"].rows == [
        ["3 to under 4", 1, D("16.7")],
        ["4 to under 5", 0, D("0.0")],
        ["5 to under 6", 3, D("50.0")],
        ["6 to under 7", 0, D("0.0")],
        ["7 to under 8", 1, D("16.7")],
        ["8 to under 9", 0, D("0.0")],
        ["9 to under 10", 0, D("0.0")],
        ["10 to under 11", 1, D("16.7")],
    ]
    assert figure["n"] == 6
    assert figure["mean"] == D("5.92")  # 35.5 / 6
    assert (figure["smallest"], figure["largest"]) == (D("3"), D("10"))


def test_boosters_and_second_rounds_per_month(clinic):
    figure = course_positions_by_month(scope=scope_of())
    assert figure["table"].header == [
        "Month",
        "Initial treatment",
        "Booster",
        "Second round",
        "Escalation step",
    ]
    assert figure["table"].rows[0] == ["Jan 2026", 2, 0, 0, 0]
    assert figure["table"].rows[3] == ["Apr 2026", 0, 1, 0, 0]
    assert figure["table"].rows[-1] == ["Whole period", 5, 1, 0, 0]
    assert figure["totals"] == {"initial": 5, "booster": 1, "second_round": 0, "escalation": 0}


# Filters ----------------------------------------------------------------------------------------


def test_filters_narrow_the_treatments_and_the_administrations(clinic, other_physician):
    t = clinic
    assert set(scope_of().treatments) == {t[1], t[2], t[3], t[4], t[5], t[6]}
    assert set(scope_of(route="intranasal").treatments) == {t[4]}
    lot_b = t[4].administrations.get().lot
    by_lot = scope_of(lot=str(lot_b.pk))
    assert set(by_lot.treatments) == {t[1], t[4], t[6]}
    # T1 counts under lot B only with its local injection: no IV drip in the routes.
    assert treatments_by_month_and_route(scope=by_lot)["table"].header == [
        "Month",
        "Local injection",
        "Intranasal",
        "Treatments",
    ]
    assert by_lot.labels == {"lot": "Placental MSC exosomes lot B-200"}
    inflammation = indication("chronic-inflammation")
    assert set(scope_of(indication=str(inflammation.pk)).treatments) == {t[4], t[6]}
    assert set(scope_of(physician=str(other_physician.pk)).treatments) == {t[6]}
    assert set(scope_of(start="2026-02-01", end="2026-02-28").treatments) == {t[3], t[4]}
    # Signed only: the voided treatment and the draft are never in a scope.
    assert Treatment.objects.filter(status__in=["voided", "draft"]).count() == 2


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-13-01"}, "Enter a date"),
        (
            {"start": "2026-06-30", "end": "2026-01-01"},
            "The end of the period must be on or after its start.",
        ),
        ({"start": "2000-01-01", "end": "2026-01-01"}, "A report covers at most 10 years"),
        ({"route": "by mouth"}, "Select a valid choice"),
        ({"lot": "999999"}, "Select a valid choice"),
        ({"physician": "x"}, "Select a valid choice"),
    ],
)
def test_a_bad_filter_value_is_explained_and_the_default_period_shown(clinic, params, message):
    filters = ReportFilter(PERIOD | params)
    assert not filters.is_valid()
    assert message in filters.message
    scope = filters.scope()
    assert (scope.start, scope.end) == default_period() and scope.labels == {}


# Follow-ups and outcomes ------------------------------------------------------------------------


@pytest.fixture
def followed(make_patient, make_signed_treatment, physician, staff):
    """Four treatments (joint: Jan 10, Jan 20, Feb 5; inflammation: Feb 15) and their follow-ups:

    check-in: T1 completed in its window, T2 after it, T3 missed, T4 still open (window closed);
    3-month: T1 completed in its window, T2 cancelled, T3 and T4 still open (windows closed);
    week 6-8: all four open with their windows closed; 6 and 12 months: not yet due.
    """
    joint, inflammation = indication("joint-musculoskeletal"), indication("chronic-inflammation")
    t1 = make_signed_treatment(
        make_patient(), dt.date(2026, 1, 10), indication=joint, baseline_pain=8, baseline_energy=2
    )
    t2 = make_signed_treatment(
        make_patient(), dt.date(2026, 1, 20), indication=joint, baseline_pain=6, baseline_energy=4
    )
    t3 = make_signed_treatment(make_patient(), dt.date(2026, 2, 5), indication=joint, baseline_pain=7)
    t4 = make_signed_treatment(
        make_patient(), dt.date(2026, 2, 15), indication=inflammation, baseline_pain=2, baseline_energy=9
    )

    def step(treatment, kind):
        return treatment.followups.get(kind=kind)

    def complete(followup, day, **scores):
        data = {"contact": "call", **scores}
        if followup.is_assessment:
            data["decision"] = "none"
        followup_complete(followup=followup, user=physician, data=data, completed_at=clinic_time(day))

    complete(step(t1, "check_in"), dt.date(2026, 1, 12), pain=5, energy=5, global_impression=3)
    complete(step(t2, "check_in"), dt.date(2026, 1, 25), pain=4, energy=6, global_impression=2)
    followup_record_attempt(
        followup=step(t3, "check_in"), user=staff, contact="call", outcome="no_answer", mark_missed=True
    )
    complete(step(t1, "three_month"), dt.date(2026, 4, 20), pain=3, energy=7, global_impression=2)
    followup_cancel(followup=step(t2, "three_month"), user=physician, reason="Moved abroad")
    return [t1, t2, t3, t4]


def test_followup_completion_per_step_with_the_three_month_assessment_first(followed):
    figure = followup_completion(scope=scope_of())
    steps = {step["kind"]: step for step in figure["steps"]}
    check_in = steps["check_in"]
    assert check_in["due"] == 4 and check_in["open"] == 0
    assert check_in["counts"] == {"in_window": 1, "late": 1, "missed": 1, "cancelled": 0, "overdue": 1}
    assert check_in["shares"]["in_window"] == D("25.0")
    three = figure["three_month"]
    assert three["counts"] == {"in_window": 1, "late": 0, "missed": 0, "cancelled": 1, "overdue": 2}
    # 1 of 4: Wilson 4.6 % to 69.9 %.
    assert three["completion"] == {
        "part": 1,
        "whole": 4,
        "percent": D("25.0"),
        "low": D("4.6"),
        "high": D("69.9"),
    }
    assert steps["early_check"]["counts"]["overdue"] == 4
    # 6 and 12 months: every window still open or ahead on 15 July: not due, not in the shares.
    assert steps["six_month"]["due"] == 0 and steps["six_month"]["open"] == 4
    assert steps["six_month"]["completion"]["percent"] is None
    assert [row[0] for row in figure["table"].rows] == [
        "Day 1–3 check-in call",
        "Week 6–8 check",
        "3-month (100-day) assessment",
        "6-month review",
        "12-month review",
    ]
    assert figure["table"].rows[2][1:4] == [4, 1, D("25.0")]


def test_voided_followups_are_left_out(followed, physician):
    followup = followed[3].followups.get(kind="check_in")
    followup.mark_voided(user=physician, reason="Scheduled twice")
    followup.save()
    steps = {step["kind"]: step for step in followup_completion(scope=scope_of())["steps"]}
    assert steps["check_in"]["due"] == 3


def test_outcomes_by_indication_and_time_point(followed):
    figure = outcome_figures(scope=scope_of())
    groups = {group["indication"]: group for group in figure["groups"]}
    joint = {point["point"]: point for point in groups["Joint / musculoskeletal rejuvenation"]["points"]}
    # Baseline: pain 8, 6, 7 (mean 7, median 7, n 3); energy 2, 4 (mean 3, median 3, n 2); 3 patients.
    assert joint["baseline"]["patients"] == 3
    assert joint["baseline"]["values"]["pain"] == {"mean": D("7.0"), "median": D("7.0"), "n": 3}
    assert joint["baseline"]["values"]["energy"] == {"mean": D("3.0"), "median": D("3.0"), "n": 2}
    assert joint["baseline"]["values"]["global_impression"]["n"] == 0
    # Day 1-3: T1 (5, 5, 3) and T2 (4, 6, 2); T3's was missed: not a measurement.
    assert joint["check_in"]["patients"] == 2
    assert joint["check_in"]["values"]["pain"] == {"mean": D("4.5"), "median": D("4.5"), "n": 2}
    assert joint["check_in"]["values"]["energy"] == {"mean": D("5.5"), "median": D("5.5"), "n": 2}
    assert joint["check_in"]["values"]["global_impression"] == {"mean": D("2.5"), "median": D("2.5"), "n": 2}
    assert joint["three_month"]["values"]["pain"] == {"mean": D("3.0"), "median": D("3.0"), "n": 1}
    assert "early_check" not in joint  # nobody measured there
    inflammation = groups["Chronic inflammation"]["points"]
    assert [point["point"] for point in inflammation] == ["baseline"]
    assert inflammation[0]["values"]["energy"]["mean"] == D("9.0")
    assert figure["table"].rows[0][:6] == ["Chronic inflammation", "Baseline", 1, D("2.0"), D("2.0"), 1]
    pain_chart = figure["charts"][0]["chart"]
    joint_line = next(d for d in pain_chart["datasets"] if d["label"].startswith("Joint"))
    assert joint_line["data"] == [D("7.0"), D("4.5"), None, D("3.0"), None, None]


def test_outcomes_follow_the_indication_filter(followed):
    inflammation = indication("chronic-inflammation")
    figure = outcome_figures(scope=scope_of(indication=str(inflammation.pk)))
    assert [group["indication"] for group in figure["groups"]] == ["Chronic inflammation"]


# Side effects -----------------------------------------------------------------------------------


def test_side_effects_overall_against_the_stated_share(clinic):
    overall = side_effect_overall(scope=scope_of())
    assert (overall["treatments"], overall["patients"]) == (6, 5)
    assert (overall["treatments_with_report"], overall["patients_with_report"]) == (3, 3)
    assert overall["share"] == {
        "part": 3,
        "whole": 5,
        "percent": D("60.0"),
        "low": D("23.1"),
        "high": D("88.2"),
    }
    assert overall["incidence"]["percent"] == D("50.0")
    assert overall["verdict"] == "above"  # 23.1 % > 10 %
    assert overall["stated_percent"] == 10


def test_side_effects_by_term_and_grade(clinic):
    scope = scope_of()
    overall = side_effect_overall(scope=scope)
    terms = {row["label"]: row for row in side_effects_by_term(scope=scope, overall=overall)["rows"]}
    fever = terms["Fever"]
    assert fever["reports"] == 2
    # Two of six treatments (T1, T2): 33.3 per 100, Wilson 9.7 to 70.0; two of five patients: 40 %.
    assert fever["incidence"] == {
        "part": 2,
        "whole": 6,
        "percent": D("33.3"),
        "low": D("9.7"),
        "high": D("70.0"),
    }
    assert fever["share"] == {
        "part": 2,
        "whole": 5,
        "percent": D("40.0"),
        "low": D("11.8"),
        "high": D("76.9"),
    }
    assert terms["Vomiting"]["reports"] == 0  # the voided report
    assert terms["Vomiting"]["incidence"]["high"] == D("39.0")
    grades = side_effects_by_grade(scope=scope, overall=overall)
    assert [row["reports"] for row in grades["rows"]] == [2, 2, 0, 0, 0]
    assert grades["table"].rows[1][:4] == ["2 – Moderate", 2, 2, D("33.3")]


def test_side_effects_by_route(clinic):
    rows = {row["label"]: row for row in side_effects_by_route(scope=scope_of())["rows"]}
    # IV drip: T1, T2, T3, T5 (4), with a report T1, T2; patients P1, P2, P3, with a report P1, P2.
    assert rows["IV drip"]["incidence"]["part"] == 2 and rows["IV drip"]["incidence"]["whole"] == 4
    assert rows["IV drip"]["share"]["part"] == 2 and rows["IV drip"]["share"]["whole"] == 3
    assert rows["IV drip"]["reports"] == 3
    assert rows["Local injection"]["incidence"] == proportion(1, 2)
    assert rows["Intranasal"]["incidence"] == proportion(1, 1)


def test_side_effects_by_lot_with_the_rest_pooled(clinic):
    scope = scope_of()
    lots = side_effects_by_lot(scope=scope, overall=side_effect_overall(scope=scope))
    rows = {row["label"]: row for row in lots["rows"]}
    a, b = rows["Placental MSC exosomes lot A-100"], rows["Placental MSC exosomes lot B-200"]
    assert a["incidence"] == proportion(2, 4)  # T1, T2 of T1, T2, T3, T5
    assert a["rest"] == proportion(1, 2)  # T4, T6: T4
    assert b["incidence"] == proportion(2, 3)  # T1, T4 of T1, T4, T6
    assert b["rest"] == proportion(1, 3)  # T2, T3, T5: T2
    assert lots["flagged"] == []


def test_a_lot_well_above_the_rest_is_flagged(make_patient, make_signed_treatment, make_lot, make_report):
    """Lot X: 5 treatments, all followed by a report (Wilson 56.6 to 100 %); the other 5, none
    (0 to 43.4 %): the intervals do not overlap, X is flagged, Y is not."""
    lot_x, lot_y = make_lot("X-1"), make_lot("Y-1")
    for number in range(10):
        lot = lot_x if number < 5 else lot_y
        treatment = make_signed_treatment(
            make_patient(),
            dt.date(2026, 3, 1) + dt.timedelta(days=number),
            administrations=[administration(lot)],
        )
        if lot == lot_x:
            make_report(treatment, term="fever", grade=1)
    scope = scope_of()
    lots = side_effects_by_lot(scope=scope, overall=side_effect_overall(scope=scope))
    rows = {row["label"]: row for row in lots["rows"]}
    x = rows["Placental MSC exosomes lot X-1"]
    assert (x["incidence"]["low"], x["rest"]["high"]) == (D("56.6"), D("43.4"))
    assert lots["flagged"] == ["Placental MSC exosomes lot X-1"]
    assert lots["table"].rows[0][-1] == "well above the rest"
    assert rows["Placental MSC exosomes lot Y-1"]["flagged"] is False


@pytest.mark.parametrize(
    ("values", "median"),
    [
        ([7], D("7.0")),
        ([1, 9], D("5.0")),
        ([3, 3, 3, 9], D("3.0")),
        ([0, 10, 10, 2, 2, 2], D("2.0")),
        ([1, 2, 3, 4], D("2.5")),
        ([4, 4, 5, 5], D("4.5")),
        ([1, 7, 7, 7, 7, 7, 7], D("7.0")),
    ],
)
def test_the_median_from_value_counts_is_the_middle_of_the_sorted_values(values, median):
    """base._median_of_counts against the plain definition: the middle value of the sorted list, or
    the mean of the two middle ones."""
    per_value = {value: values.count(value) for value in set(values)}
    ordered = sorted(values)
    n = len(ordered)
    plain = D(ordered[n // 2]) if n % 2 else (D(ordered[n // 2 - 1]) + D(ordered[n // 2])) / 2
    assert _median_of_counts(per_value) == median == plain.quantize(D("0.1"))
