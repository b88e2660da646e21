"""The worklist's section counts are kept in the figure cache until a follow-up changes (its table's
data version) or the day does; they hold counts only."""

import datetime as dt
import pickle

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from treatments.filters.followups import WorklistFilter
from treatments.models import FollowUp
from treatments.models.followup_worklist import COUNT_CAP
from treatments.selectors.followups import followup_worklist
from treatments.services.followup_actions import followup_complete, followup_record_attempt

pytestmark = pytest.mark.django_db


def counts(today, filters=None):
    worklist = followup_worklist(filters=filters, today=today)
    return {section.key: section.count for section in worklist.sections}


@pytest.fixture
def signed(make_patient, make_signed_treatment):
    patient = make_patient(family_name="Countable", mrn="MRN-CACHE-1")
    return make_signed_treatment(patient, dt.date(2026, 3, 2))


def test_a_completed_followup_moves_the_kept_counts(signed, staff):
    followup = signed.followups.get(kind="check_in")
    today = followup.due_on
    before = counts(today)
    assert before["due_today"] == 1 and before["recent"] == 0
    with CaptureQueriesContext(connection) as again:
        assert counts(today) == before
    # kept at the same data version: the rows are read, the counts are not
    assert not any(f"LIMIT {COUNT_CAP + 1}" in query["sql"] for query in again.captured_queries)
    followup_complete(followup=followup, user=staff, data={"contact": "call"})
    after = counts(today)
    assert after["due_today"] == 0 and after["recent"] == 1


def test_an_attempt_and_the_next_day_are_counted_afresh(signed, staff):
    followup = signed.followups.get(kind="check_in")
    today = followup.due_on
    assert counts(today)["due_today"] == 1
    # The window closes at window_end: the day after it the follow-up is overdue, not due today.
    later = followup.window_end + dt.timedelta(days=1)
    assert counts(later)["due_today"] == 0 and counts(later)["overdue"] >= 1
    # An attempt writes no follow-up row but moves nothing the counts show: still kept and exact.
    followup_record_attempt(followup=followup, user=staff, contact="call", outcome="no_answer")
    assert counts(today)["due_today"] == 1


def test_each_filter_has_its_own_counts(signed, physician, other_physician):
    today = signed.followups.get(kind="check_in").due_on
    assert counts(today)["due_today"] == 1

    for user, expected in ((physician, 1), (other_physician, 0)):
        filters = WorklistFilter({"physician": str(user.pk)}, queryset=FollowUp.objects.all())
        assert counts(today, filters)["due_today"] == expected


def test_the_kept_counts_hold_no_patient_identifiers(signed, staff_client):
    cache.clear()
    page = staff_client.get(reverse("followup_list"))
    assert page.status_code == 200
    stored = [pickle.loads(value) for value in cache._cache.values()]  # noqa: S301
    assert stored and all(isinstance(value, int) for entry in stored for value in entry.values())
    text = repr(stored) + repr(list(cache._cache))
    assert "Countable" not in text and "MRN-CACHE-1" not in text
