"""The side-effect read layer: SideEffectFilter with side_effect_list (which reports for which
filter, the ongoing one included) and the review queue."""

import datetime as dt
from datetime import UTC

import pytest

from treatments.filters.side_effects import SideEffectFilter
from treatments.models import SideEffectReport
from treatments.selectors.side_effects import side_effect_list, side_effect_review_queue

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 6, 20, 12, tzinfo=UTC), tick=False),
]
TODAY = dt.date(2026, 6, 20)
ACTIVE = ["fatigue", "nausea", "headache", "fever"]  # newest onset first


@pytest.fixture
def reports(make_patient, make_signed_treatment, make_report, physician):
    """With the protocol's three days: an ongoing fever past them, a headache resolved in time, a
    grade 3 nausea, a fatigue ongoing since the day before yesterday, and a voided ongoing fever."""
    treatment = make_signed_treatment(make_patient(), dt.date(2026, 6, 1))
    made = {
        "fever": make_report(treatment, term="fever", onset=dt.date(2026, 6, 2), outcome="not_resolved"),
        "headache": make_report(
            treatment, term="headache", grade=2, onset=dt.date(2026, 6, 3), resolved_on=dt.date(2026, 6, 4)
        ),
        "nausea": make_report(
            treatment, term="nausea", grade=3, onset=dt.date(2026, 6, 5), resolved_on=dt.date(2026, 6, 6)
        ),
        "fatigue": make_report(
            treatment, term="fatigue", grade=2, onset=dt.date(2026, 6, 18), outcome="recovering"
        ),
        "voided": make_report(treatment, term="fever", onset=dt.date(2026, 6, 10)),
    }
    made["voided"].mark_voided(user=physician, reason="Entered twice")
    made["voided"].save()
    return made


def listed(reports, data, today=TODAY) -> list[str]:
    names = {report.pk: name for name, report in reports.items()}
    return [names[report.pk] for report in side_effect_list(filters=SideEffectFilter(data, today=today))]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, ACTIVE),
        ({"page": "2"}, ACTIVE),
        ({"ongoing": "on"}, ["fatigue", "fever"]),
        ({"needs_review": "on"}, ["nausea", "fever"]),
        ({"needs_review": "on", "ongoing": "on"}, ["fever"]),
        ({"grade": "2"}, ["fatigue", "headache"]),
        ({"grade": "3", "needs_review": "on"}, ["nausea"]),
        ({"term": "fever"}, ["fever"]),
        ({"term": "fever", "ongoing": "on", "grade": "1"}, ["fever"]),
        ({"voided": "on"}, ["voided"]),
        ({"voided": "on", "ongoing": "on", "term": "fever"}, ["voided"]),
        ({"voided": "on", "term": "headache"}, []),
    ],
)
def test_each_filter_lists_its_reports(reports, data, expected):
    assert listed(reports, data) == expected


@pytest.mark.parametrize(
    "data",
    [
        {"grade": "9", "ongoing": "on"},
        {"term": "rash", "voided": "on"},
        {"grade": "two", "needs_review": "on"},
    ],
)
def test_one_bad_value_lists_every_active_report(reports, data):
    filters = SideEffectFilter(data)
    assert not filters.is_valid() and filters.asked
    assert listed(reports, data) == ACTIVE


def test_needs_review_is_judged_on_the_day_given(reports):
    # On 3 June the fever was in its second day: only the grade 3 nausea needed a physician then.
    assert listed(reports, {"needs_review": "on"}, today=dt.date(2026, 6, 3)) == ["nausea"]


def test_ongoing_means_no_resolution_date(reports):
    ongoing = set(SideEffectReport.objects.ongoing().values_list("pk", flat=True))
    assert ongoing == {reports[name].pk for name in ("fever", "fatigue", "voided")}


def test_the_review_queue_puts_the_higher_grade_first_with_its_relations(reports, django_assert_num_queries):
    # the queue's ids (its two partial indexes), then its rows with their relations
    with django_assert_num_queries(2):
        queue = list(side_effect_review_queue(today=TODAY))
        # The grade 3 nausea before the older grade 1 fever that lasts too long.
        assert [report.pk for report in queue] == [reports["nausea"].pk, reports["fever"].pk]
        assert {(report.patient.mrn, report.reported_by.username) for report in queue} == {
            (reports["fever"].patient.mrn, "staff")
        }
    assert side_effect_review_queue(today=dt.date(2026, 6, 3)).count() == 1
