"""The dashboard's read layer: dashboard_figures gives each role the figures it may see, the
worklist's own counts among them."""

import datetime as dt

import pytest

from treatments.selectors.dashboard import dashboard_figures
from treatments.selectors.followups import followup_counts, followup_worklist

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
    assert figures["followup_counts"] == {"due_today": 1, "due_this_week": 1, "overdue": 2, "upcoming": 0}
    assert figures["review_queue_size"] == 1
    share = figures["side_effect_share"]
    assert (share["treated_patients"], share["patients_with_report"], share["enough_data"]) == (3, 1, False)


def test_the_cards_count_what_the_worklist_sections_count(clinic, physician):
    counts = dashboard_figures(user=physician, today=TODAY)["followup_counts"]
    assert counts == followup_counts(today=TODAY)
    sections = followup_worklist(filters=None, today=TODAY).sections
    assert counts == {section.key: section.count for section in sections if section.key in counts}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("staff", {"patient_count", "followup_counts", "side_effect_share"}),
        ("clinic_admin", set()),
        ("no_role", set()),
    ],
)
def test_each_role_gets_only_the_figures_it_may_see(clinic, request, role, expected):
    user = request.getfixturevalue(role)
    assert set(dashboard_figures(user=user, today=TODAY)) == expected
