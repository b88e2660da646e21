"""A follow-up's page and its actions through HTTP: POST only, errors on the form, conflicts."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.helpers.auth import login_verified
from treatments.models import FollowUp, FollowUpStatus

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 5, 20, 9, tzinfo=dt.UTC), tick=False),
]


@pytest.fixture
def followups(patient, make_signed_treatment):
    treatment = make_signed_treatment(patient, dt.date(2026, 2, 9))
    return {f.kind: f for f in treatment.followups.all()}


def url(name, followup):
    return reverse(name, args=[followup.pk])


def test_the_page_shows_the_followup_its_forms_and_history(physician_client, followups):
    call = followups["check_in"]
    page = physician_client.get(url("followup_detail", call)).content.decode()
    assert "Day 1–3 check-in call" in page and "Ada Lovelace" in page
    assert "97 days past its window (closed 12 Feb)" in page
    # One action's form at a time (the primary one), the others as tabs that open theirs.
    assert f'action="{url("followup_complete", call)}#action-area"' in page
    for action in ("attempt", "reschedule", "cancel"):
        assert f'href="?action={action}#action-area"' in page
        chosen = physician_client.get(url("followup_detail", call), {"action": action}).content.decode()
        assert f'action="{url("followup_" + action, call)}#action-area"' in chosen
    assert 'name="complete-decision"' not in page  # decisions belong to the assessment
    assert "History of this follow-up" in page and "Scheduled on signing" in page


def test_the_assessment_form_asks_the_physician_for_the_decision(physician_client, staff_client, followups):
    page = physician_client.get(url("followup_detail", followups["three_month"])).content.decode()
    assert 'name="complete-decision"' in page and 'name="complete-home_care_protocol"' in page
    staff_page = staff_client.get(url("followup_detail", followups["three_month"])).content.decode()
    assert 'name="complete-decision"' not in staff_page
    assert "The 3-month assessment is completed by a physician" in staff_page
    assert 'name="attempt-outcome"' in staff_page  # staff still chase the patient for it
    assert "History of this follow-up" not in staff_page  # staff do not hold view_history


def test_staff_cannot_complete_the_assessment(staff_client, followups):
    assessment = followups["three_month"]
    page = staff_client.post(
        url("followup_complete", assessment),
        {
            "complete-contact": "visit",
            "complete-completed_at": "2026-05-20T08:30",
            "complete-decision": "booster",
            "complete-version": assessment.version,
        },
    ).content.decode()
    assert "completed by a physician, who decides further treatment" in page
    assessment.refresh_from_db()
    assert (assessment.status, assessment.decision) == (FollowUpStatus.SCHEDULED, "")


@pytest.mark.parametrize(
    "action", ["followup_complete", "followup_attempt", "followup_reschedule", "followup_cancel"]
)
@pytest.mark.parametrize(
    ("role", "expected"), [("physician", 405), ("staff", 405), ("clinic_admin", 403), ("no_role", 403)]
)
@pytest.mark.security("role_matrix", "post_only")
def test_actions_are_post_only_and_for_clinical_roles(role_clients, followups, action, role, expected):
    assert role_clients[role].get(url(action, followups["check_in"])).status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"), [("physician", 200), ("staff", 200), ("clinic_admin", 403), ("no_role", 403)]
)
@pytest.mark.security("role_matrix")
def test_the_page_by_role(role_clients, followups, role, expected):
    assert role_clients[role].get(url("followup_detail", followups["check_in"])).status_code == expected


def test_clinic_admins_cannot_act(admin_client_role, followups):
    call = followups["check_in"]
    response = admin_client_role.post(
        url("followup_cancel", call), {"cancel-reason": "x", "cancel-version": 1}
    )
    assert response.status_code == 403
    call.refresh_from_db()
    assert call.status == FollowUpStatus.SCHEDULED


def test_completing_through_the_page(physician_client, followups, physician):
    assessment = followups["three_month"]
    response = physician_client.post(
        url("followup_complete", assessment),
        {
            "complete-contact": "visit",
            "complete-completed_at": "2026-05-20T08:30",
            "complete-pain": "3",
            "complete-energy": "7",
            "complete-global_impression": "2",
            "complete-flare_up": "false",
            "complete-new_side_effects": "false",
            "complete-decision": "booster",
            "complete-notes": "Knee much better",
            "complete-version": assessment.version,
            # Ignored: a form cannot set these.
            "status": "cancelled",
            "completed_by": "1",
        },
    )
    assert response["Location"] == url("followup_detail", assessment)
    assessment.refresh_from_db()
    assert assessment.status == FollowUpStatus.COMPLETED
    assert (assessment.pain, assessment.energy, assessment.global_impression) == (3, 7, 2)
    assert assessment.decision == "booster" and assessment.completed_by == physician
    assert assessment.flare_up is False
    page = physician_client.get(response["Location"]).content.decode()
    assert "Follow-up completed." in page and "Booster" in page


def test_an_error_shows_on_the_form_and_keeps_what_was_typed(physician_client, followups):
    assessment = followups["three_month"]
    page = physician_client.post(
        url("followup_complete", assessment),
        {
            "complete-contact": "call",
            "complete-completed_at": "2026-05-20T08:00",
            "complete-decision": "home_care",
            "complete-notes": "Typed notes survive",
            "complete-version": assessment.version,
        },
    ).content.decode()
    assert "Describe the home-care protocol the patient follows." in page
    assert "Typed notes survive" in page
    assessment.refresh_from_db()
    assert assessment.status == FollowUpStatus.SCHEDULED


def test_attempts_then_missed_through_the_page(staff_client, followups):
    call = followups["check_in"]
    staff_client.post(
        url("followup_attempt", call),
        {"attempt-contact": "call", "attempt-outcome": "no_answer", "attempt-version": call.version},
    )
    response = staff_client.post(
        url("followup_attempt", call),
        {
            "attempt-contact": "call",
            "attempt-outcome": "wrong_number",
            "attempt-mark_missed": "on",
            "attempt-version": call.version,
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Attempt recorded; the follow-up is marked missed." in page
    assert "Wrong number" in page and "No answer" in page
    call.refresh_from_db()
    assert call.status == FollowUpStatus.MISSED and call.attempts.count() == 2
    # Missed: only completing is offered to staff (a physician also marks it seen).
    assert f'action="{url("followup_complete", call)}#action-area"' in page
    assert "?action=cancel" not in page and "?action=acknowledge" not in page


def test_rescheduling_and_cancelling_through_the_page(staff_client, followups):
    early = followups["six_month"]
    response = staff_client.post(
        url("followup_reschedule", early),
        {
            "reschedule-new_due": "2026-09-01",
            "reschedule-reason": "Travelling",
            "reschedule-version": early.version,
        },
    )
    assert response.status_code == 302
    early.refresh_from_db()
    assert early.due_on == dt.date(2026, 9, 1)
    no_reason = staff_client.post(
        url("followup_cancel", early), {"cancel-reason": "", "cancel-version": early.version}
    ).content.decode()
    assert "This field is required." in no_reason
    staff_client.post(
        url("followup_cancel", early), {"cancel-reason": "Declined", "cancel-version": early.version}
    )
    early.refresh_from_db()
    assert early.status == FollowUpStatus.CANCELLED


@pytest.mark.security("stale_forms")
def test_a_stale_form_gets_a_conflict_message(staff_client, physician_client, followups):
    call = followups["check_in"]
    loaded = call.version
    physician_client.post(
        url("followup_reschedule", call),
        {"reschedule-new_due": "2026-05-22", "reschedule-reason": "Phoned", "reschedule-version": loaded},
    )
    page = staff_client.post(
        url("followup_complete", call),
        {"complete-contact": "call", "complete-completed_at": "2026-05-20T08:00", "complete-version": loaded},
    ).content.decode()
    assert "was changed by someone else while you were editing" in page
    assert FollowUp.objects.get(pk=call.pk).status == FollowUpStatus.SCHEDULED


def test_a_refused_transition_shows_its_message(staff_client, followups):
    review = followups["twelve_month"]
    staff_client.post(
        url("followup_cancel", review), {"cancel-reason": "Declined", "cancel-version": review.version}
    )
    review.refresh_from_db()
    page = staff_client.post(
        url("followup_complete", review),
        {
            "complete-contact": "call",
            "complete-completed_at": "2026-05-20T08:00",
            "complete-version": review.version,
        },
    ).content.decode()
    assert "only a scheduled or missed follow-up can be completed" in page


@pytest.mark.security("csrf")
def test_csrf_is_enforced(followups, staff):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    login_verified(client, staff)
    call = followups["check_in"]
    response = client.post(
        url("followup_cancel", call), {"cancel-reason": "x", "cancel-version": call.version}
    )
    assert response.status_code == 403
