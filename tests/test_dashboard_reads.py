"""The dashboard's read layer: dashboard_figures gives each role the figures it may see, the
worklist's own counts among them."""

import datetime as dt

import pytest

from treatments.selectors.dashboard import FOLLOWUP_CARDS, dashboard_figures, followup_cards
from treatments.selectors.followups import followup_counts, followup_worklist
from treatments.selectors.side_effect_figures import DEFAULT_PERIOD_DAYS

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False),
]
TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def clinic(make_patient, make_signed_treatment, make_report):
    make_signed_treatment(make_patient(), dt.date(2026, 1, 2))  # two overdue
    make_signed_treatment(make_patient(), dt.date(2026, 2, 28))  # due today
    late = make_signed_treatment(make_patient(), dt.date(2026, 3, 1))  # due this week
    make_report(late, grade=3, onset=dt.date(2026, 3, 1))


def test_a_physician_sees_every_figure(clinic, physician):
    figures = dashboard_figures(user=physician, today=TODAY)
    assert figures["patient_count"] == 3
    assert figures["followup_counts"] == {"due_today": 1, "due_this_week": 1, "overdue": 2, "missed": 0}
    assert figures["review_queue_size"] == 1
    share = figures["side_effect_share"]
    # The last 30 days: the treatment of 2 January is older.
    assert (share["treated_patients"], share["patients_with_report"], share["enough_data"]) == (2, 1, False)


def test_the_cards_count_what_the_worklist_sections_count(clinic, physician):
    counts = dashboard_figures(user=physician, today=TODAY)["followup_counts"]
    assert set(counts) == set(FOLLOWUP_CARDS)
    assert {key: counts[key] for key in counts} == {
        key: value for key, value in followup_counts(today=TODAY).items() if key in counts
    }
    sections = followup_worklist(filters=None, today=TODAY).sections
    assert counts == {section.key: section.count for section in sections if section.key in counts}


def test_an_overdue_followup_counts_however_long_ago_its_window_closed(
    make_patient, make_signed_treatment, physician
):
    make_signed_treatment(make_patient(), dt.date(2025, 6, 1))  # every follow-up overdue for months
    counts = followup_cards(today=TODAY)
    sections = {
        section.key: section.count for section in followup_worklist(filters=None, today=TODAY).sections
    }
    assert counts["overdue"] == sections["overdue"] > 0
    assert (counts["due_today"], counts["due_this_week"]) == (
        sections["due_today"],
        sections["due_this_week"],
    )


def test_the_share_counts_the_last_30_days(make_patient, make_signed_treatment, make_report, physician):
    inside = make_signed_treatment(make_patient(), TODAY - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1))
    make_report(inside, grade=1, onset=inside.performed_at.date())
    before = make_signed_treatment(make_patient(), TODAY - dt.timedelta(days=DEFAULT_PERIOD_DAYS))
    make_report(before, grade=1, onset=TODAY)
    share = dashboard_figures(user=physician, today=TODAY)["side_effect_share"]
    assert (share["treated_patients"], share["patients_with_report"]) == (1, 1)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("staff", {"patient_count", "followup_counts", "side_effect_share"}),
        ("clinic_admin", {"admin_cards"}),
        ("no_role", set()),
    ],
)
def test_each_role_gets_only_the_figures_it_may_see(clinic, request, role, expected):
    user = request.getfixturevalue(role)
    assert set(dashboard_figures(user=user, today=TODAY)) == expected
