"""The window bound the worklist's "due today" relies on: a follow-up's window closes at most
WINDOW_AFTER_MAX_DAYS after its due date (the steps hold the same bound), and only a completed
follow-up has a completion time; both in the model and in the database."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from treatments.models import FollowUp, FollowUpStatus, FollowUpStep
from treatments.models.protocol import WINDOW_AFTER_MAX_DAYS
from treatments.selectors.followups import followup_worklist
from treatments.services.followup_actions import followup_reschedule

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False),
]
TODAY = dt.date(2026, 3, 2)
DAY = dt.timedelta(days=1)


@pytest.fixture
def followup(patient, make_signed_treatment):
    return make_signed_treatment(patient, dt.date(2025, 6, 2)).followups.get(kind="twelve_month")


def test_the_default_schedule_stays_inside_the_bound():
    widest = max(FollowUpStep.objects.values_list("window_after_days", flat=True))
    assert widest == WINDOW_AFTER_MAX_DAYS == 30  # the 12-month review, +/- 30 days


def test_a_step_with_a_longer_window_is_refused():
    step = FollowUpStep.objects.order_by("pk").first()
    step.window_after_days = WINDOW_AFTER_MAX_DAYS + 1
    with pytest.raises(ValidationError) as refused:
        step.full_clean()
    assert refused.value.message_dict["window_after_days"] == [
        "A window closes at most 30 days after the due date."
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpStep.objects.filter(pk=step.pk).update(window_after_days=WINDOW_AFTER_MAX_DAYS + 1)
    step.refresh_from_db()
    assert step.window_after_days <= WINDOW_AFTER_MAX_DAYS


def test_a_window_of_30_days_after_the_due_date_is_accepted_31_refused(followup):
    followup.window_end = followup.due_on + WINDOW_AFTER_MAX_DAYS * DAY
    followup.full_clean()
    followup.save()
    followup.window_end += DAY
    with pytest.raises(ValidationError) as refused:
        followup.full_clean()
    assert refused.value.message_dict["window_end"] == [
        "The window closes 31 days after the due date; at most 30 days are allowed."
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        followup.save()
    followup.refresh_from_db()
    assert followup.window_end == followup.due_on + WINDOW_AFTER_MAX_DAYS * DAY


def test_only_a_completed_followup_has_a_completion_time(followup):
    followup.completed_at = timezone.now()
    with pytest.raises(ValidationError) as refused:
        followup.full_clean()
    assert "completed_at" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        followup.save()
    followup.refresh_from_db()
    assert followup.status == FollowUpStatus.SCHEDULED and followup.completed_at is None


def test_rescheduling_outside_the_window_keeps_its_width(followup, staff):
    width = followup.window_end - followup.due_on
    followup = followup_reschedule(
        followup=followup, user=staff, new_due=followup.window_end + 40 * DAY, reason="Travelling"
    )
    followup.refresh_from_db()
    assert followup.window_end - followup.due_on == width <= WINDOW_AFTER_MAX_DAYS * DAY


def test_a_window_open_since_the_longest_allowed_time_is_still_due_today(followup):
    """The lower bound on the due date the worklist adds is exactly the model's bound: a follow-up
    due 30 days ago whose window closes today is due today; one due 31 days ago is overdue."""
    followup.due_on = TODAY - WINDOW_AFTER_MAX_DAYS * DAY
    followup.window_start, followup.window_end = followup.due_on - DAY, TODAY
    followup.save()
    # (the treatment's other follow-ups are overdue by now)
    assert list(FollowUp.objects.due_today(TODAY)) == [followup]
    worklist = followup_worklist(filters=None, today=TODAY, section="due_today")
    assert [row.pk for row in worklist.section.rows] == [followup.pk]
    assert worklist.section.count == 1
    tomorrow = followup_worklist(filters=None, today=TODAY + DAY, section="overdue")
    assert followup.pk in [row.pk for row in tomorrow.section.rows]
    assert FollowUp.objects.worklist_totals(TODAY + DAY)["due_today"] == 0
