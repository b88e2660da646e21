"""The dashboard's cached figures (active patients, the review queue's size, the share): the same on
a second view with fewer queries, and new on the first view after a change or a new day."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from treatments.selectors.dashboard import dashboard_figures
from treatments.services.patients import patient_void
from treatments.services.side_effects import side_effect_review
from treatments.services.signing import treatment_void

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False),
]
HOME = reverse("home")
TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def clinic(make_patient, make_signed_treatment, make_report):
    """Five patients treated in February, one with a grade 3 report waiting for review."""
    treatments = [make_signed_treatment(make_patient(), dt.date(2026, 2, day)) for day in range(20, 25)]
    make_report(treatments[0], grade=3, onset=dt.date(2026, 2, 21))
    return treatments


def figures(user) -> dict:
    return dashboard_figures(user=user, today=TODAY)


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(HOME).status_code == 200
    return len(captured)


def test_a_second_view_reads_the_cache_and_shows_the_same_figures(clinic, physician, physician_client):
    computed = count_queries(physician_client)
    cached = count_queries(physician_client)
    # The patient count, the queue's size and the share's two counts are not run again.
    assert cached == computed - 4
    assert computed <= 12
    assert figures(physician) == figures(physician)
    assert figures(physician)["patient_count"] == 5


def test_a_new_patient_counts_on_the_next_view(clinic, physician, make_patient):
    assert figures(physician)["patient_count"] == 5
    make_patient()
    assert figures(physician)["patient_count"] == 6


def test_a_voided_patient_leaves_the_count_on_the_next_view(clinic, physician, make_patient):
    extra = make_patient()
    assert figures(physician)["patient_count"] == 6
    patient_void(patient=extra, user=physician, reason="Registered twice")
    assert figures(physician)["patient_count"] == 5


def test_a_review_empties_the_queue_on_the_next_view(clinic, physician):
    assert figures(physician)["review_queue_size"] == 1
    report = clinic[0].side_effects.get()
    side_effect_review(
        report=report, user=physician, assessment="Expected", action="none", expected_version=report.version
    )
    assert figures(physician)["review_queue_size"] == 0


def test_a_report_and_a_void_move_the_share_on_the_next_view(clinic, physician, make_report):
    assert figures(physician)["side_effect_share"]["patients_with_report"] == 1
    make_report(clinic[1], grade=1)
    assert figures(physician)["side_effect_share"]["patients_with_report"] == 2
    treatment_void(treatment=clinic[1], user=physician, reason="Entered on the wrong day")
    share = figures(physician)["side_effect_share"]
    assert (share["treated_patients"], share["patients_with_report"]) == (4, 1)


def test_a_new_day_moves_the_period_without_any_change(clinic, physician):
    assert figures(physician)["side_effect_share"]["treated_patients"] == 5
    # The last 30 days up to 23 March start on 22 February: the treatments of 20 and 21 February
    # are out of the period.
    later = dashboard_figures(user=physician, today=dt.date(2026, 3, 23))
    assert later["side_effect_share"]["treated_patients"] == 3


def test_an_ongoing_report_joins_the_queue_on_the_day_it_runs_late(
    physician, make_patient, make_signed_treatment, make_report
):
    treatment = make_signed_treatment(make_patient(), dt.date(2026, 2, 27))
    report = make_report(
        treatment, grade=1, onset=dt.date(2026, 2, 28), resolved_on=None, outcome="recovering"
    )
    late = report.expected_resolution_by + dt.timedelta(days=1)
    assert dashboard_figures(user=physician, today=report.expected_resolution_by)["review_queue_size"] == 0
    assert dashboard_figures(user=physician, today=late)["review_queue_size"] == 1


def test_a_role_without_the_figures_reads_no_version(clinic, clinic_admin, django_assert_num_queries):
    clinic_admin.has_perm("treatments.view_patient")  # the roles and permissions, read once per request
    # Only the admin's own cards (lots, FAQ drafts; tests/test_dashboard_admin.py): no data version.
    with django_assert_num_queries(2):
        assert set(dashboard_figures(user=clinic_admin, today=TODAY)) == {"admin_cards"}
