"""The worklist and a follow-up's page as they read (issue 11): each row in the section its dates
say, with words that agree; missed follow-ups kept until a physician has seen them; each role
offered only the actions it may take; one action at a time with errors where the eye is; physicians
by name and their own patients by default; FAQ entries on the check-in and 3-month pages."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.helpers.auth import client_for, make_user
from treatments.models import FollowUp, FollowUpStatus
from treatments.models.followup_worklist import followup_timing
from treatments.selectors.dashboard import followup_cards
from treatments.selectors.followups import followup_worklist, section_keys
from treatments.services.followup_actions import (
    action_refusal,
    followup_acknowledge_missed,
    followup_allowed_actions,
    followup_cancel,
    followup_complete,
    followup_record_attempt,
    followup_reschedule,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False),
]
URL = reverse("followup_list")
TODAY = dt.date(2026, 3, 2)
DAY = dt.timedelta(days=1)


def shown_section(page: str) -> str:
    start = page.index('<section id="')
    return page[start : page.index("</section>", start)]


def rows_of(page: str) -> list[str]:
    return re.findall(r"<tr>\n(<td.*?)</tr>", shown_section(page), flags=re.S)


@pytest.fixture
def clinic(make_patient, make_signed_treatment):
    """Treated on 27 February: the call was due yesterday (1 March), its window closes today.
    Treated on 2 January: the call's window closed on 5 January, the week 6-8 check's on 27
    February (overdue). Treated on 1 February: the call's window closed on 4 February (overdue),
    the week 6-8 check (due 22 March) is upcoming."""
    patients = {
        "tess": make_patient(given_name="Tess", family_name="Today", phone="+1 555 0100"),
        "olga": make_patient(given_name="Olga", family_name="Overdue"),
        "uma": make_patient(given_name="Uma", family_name="Upcoming"),
    }
    make_signed_treatment(patients["tess"], dt.date(2026, 2, 27))
    make_signed_treatment(patients["olga"], dt.date(2026, 1, 2))
    make_signed_treatment(patients["uma"], dt.date(2026, 2, 1))
    return patients


# 1. Sections and their words agree ------------------------------------------------------------


def test_a_follow_up_due_two_weeks_ago_with_its_window_open_reads_due_today():
    timing = followup_timing(
        status="scheduled", due_on=TODAY - 14 * DAY, window_end=TODAY + 3 * DAY, today=TODAY
    )
    assert timing.section == "due_today"
    assert timing.words == "Due 14 days ago · window open until 5 Mar"


@pytest.mark.parametrize(
    ("due", "window_end", "section", "words"),
    [
        (0, 2, "due_today", "Due today · window open until 4 Mar"),
        (-1, 0, "due_today", "Due 1 day ago · window closes today"),
        (-5, -2, "overdue", "2 days past its window (closed 28 Feb)"),
        (-40, -38, "overdue", "38 days past its window (closed 23 Jan)"),
        (1, 2, "due_this_week", "Due tomorrow"),
        (6, 8, "due_this_week", "Due in 6 days"),
        (7, 9, "upcoming", "Due in 7 days"),
        (30, 40, "upcoming", "Due in 30 days"),
        (31, 40, None, "Due in 31 days"),
        (-400, -398, "overdue", "398 days past its window (closed 28 Jan 2025)"),
    ],
)
def test_the_words_say_the_section_of_a_scheduled_follow_up(due, window_end, section, words):
    timing = followup_timing(
        status="scheduled", due_on=TODAY + due * DAY, window_end=TODAY + window_end * DAY, today=TODAY
    )
    assert (timing.section, timing.words) == (section, words)


def test_every_row_is_in_the_section_its_dates_say_and_in_that_one_only(clinic, staff, physician):
    # A missed one not seen, a missed one seen, a completed one: the closed sections too.
    calls = {f.patient_id: f for f in FollowUp.objects.filter(kind="check_in")}
    followup_record_attempt(
        followup=calls[clinic["olga"].pk], user=staff, contact="call", outcome="no_answer", mark_missed=True
    )
    early = FollowUp.objects.get(patient=clinic["olga"], kind="early_check")
    followup_record_attempt(followup=early, user=staff, contact="call", outcome="no_answer", mark_missed=True)
    followup_acknowledge_missed(followup=early, user=physician)
    followup_complete(followup=calls[clinic["uma"].pk], user=staff, data={"contact": "call"})
    listed = {}
    for key in section_keys():
        rows = followup_worklist(filters=None, today=TODAY, section=key, user=staff).section.rows
        for row in rows:
            assert row.section == key, (key, row.timing)
            assert row.pk not in listed, f"{row.pk} is in {listed.get(row.pk)} and {key}"
            listed[row.pk] = key
    # And the row of each follow-up says what the queryset of its section says.
    for followup in FollowUp.objects.all():
        timing = followup.timing(TODAY)
        assert listed.get(followup.pk) == timing.section, (followup, timing)
    assert listed[early.pk] == "recent" and listed[calls[clinic["olga"].pk].pk] == "missed"


def test_the_status_column_agrees_with_the_section_on_the_page(staff_client, clinic):
    today = staff_client.get(URL, {"section": "due_today"}).content.decode()
    (row,) = rows_of(today)
    assert "Today, Tess" in row and "Due 1 day ago · window closes today" in row
    assert ">–<" not in row
    overdue = rows_of(staff_client.get(URL, {"section": "overdue"}).content.decode())
    assert [re.search(r"wl-timing[^>]*>([^<]*)<", row).group(1) for row in overdue] == [
        "56 days past its window (closed 5 Jan)",
        "26 days past its window (closed 4 Feb)",
        "3 days past its window (closed 27 Feb)",
    ]
    upcoming = rows_of(staff_client.get(URL, {"section": "upcoming"}).content.decode())
    assert any("Due in" in row and "Upcoming, Uma" in row for row in upcoming)


# 2. Missed follow-ups stay visible until a physician has seen them ------------------------------


def test_a_missed_follow_up_stays_in_missed_until_a_physician_marks_it_seen(
    clinic, staff, physician, time_machine
):
    call = FollowUp.objects.get(patient=clinic["olga"], kind="check_in")
    followup_record_attempt(followup=call, user=staff, contact="call", outcome="no_answer", mark_missed=True)
    # A year later it is still listed, and counted on the dashboard.
    time_machine.move_to(dt.datetime(2027, 3, 2, 9, tzinfo=dt.UTC), tick=False)
    later = dt.date(2027, 3, 2)
    worklist = followup_worklist(filters=None, today=later, section="missed", user=physician)
    assert [row.pk for row in worklist.section.rows] == [call.pk]
    assert worklist.section.rows[0].actions[0] == (
        "Mark seen",
        f"{reverse('followup_detail', args=[call.pk])}?action=acknowledge#action-area",
    )
    assert followup_cards(today=later)["missed"] == 1
    physician_client = client_for(physician)  # a new session: a year has passed
    home = physician_client.get(reverse("home")).content.decode()
    assert "Missed, not yet seen by a physician" in home and "?section=missed" in home

    page = physician_client.get(reverse("followup_detail", args=[call.pk])).content.decode()
    assert 'action="' + reverse("followup_acknowledge", args=[call.pk]) + '#action-area"' in page
    response = physician_client.post(
        reverse("followup_acknowledge", args=[call.pk]), {"acknowledge-version": call.version}
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.missed_seen_by == physician and call.missed_seen_at is not None
    assert call.status == FollowUpStatus.MISSED  # still missed: it can be completed if they call
    assert call.history.first().history_change_reason == "Missed follow-up seen by a physician"
    assert followup_cards(today=later)["missed"] == 0
    assert followup_worklist(filters=None, today=later, section="missed").section.rows == []


def test_staff_cannot_mark_a_missed_follow_up_seen(clinic, staff, staff_client):
    call = FollowUp.objects.get(patient=clinic["olga"], kind="check_in")
    followup_record_attempt(followup=call, user=staff, contact="call", outcome="no_answer", mark_missed=True)
    with pytest.raises(ValidationError, match="A physician acknowledges"):
        followup_acknowledge_missed(followup=call, user=staff)
    assert staff_client.post(reverse("followup_acknowledge", args=[call.pk])).status_code == 403
    page = staff_client.get(reverse("followup_detail", args=[call.pk])).content.decode()
    assert "followup_acknowledge" not in page and "Mark seen" not in page
    call.refresh_from_db()
    assert call.missed_seen_at is None


def test_only_a_missed_follow_up_can_be_marked_seen(clinic, physician):
    call = FollowUp.objects.get(patient=clinic["tess"], kind="check_in")
    with pytest.raises(ValidationError, match="only a missed follow-up can be acknowledged"):
        followup_acknowledge_missed(followup=call, user=physician)


def test_the_database_refuses_a_seen_mark_without_who_or_on_a_scheduled_one(clinic, physician):
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    call = FollowUp.objects.get(patient=clinic["tess"], kind="check_in")
    call.missed_seen_at = timezone.now()  # no one
    with pytest.raises(IntegrityError), transaction.atomic():
        call.save()
    call.missed_seen_by = physician  # both, but it was never missed
    with pytest.raises(IntegrityError), transaction.atomic():
        call.save()


# 3. Each role sees only the actions it may take ---------------------------------------------------


STATES = [
    {"status": status, "is_assessment": assessment, "missed_seen": seen}
    for status in ("scheduled", "missed", "completed", "cancelled")
    for assessment in (False, True)
    for seen in (False, True)
    if not (seen and status in ("scheduled", "cancelled"))
]


@pytest.mark.parametrize("role", ["physician", "staff"])
def test_the_offered_actions_are_exactly_those_the_services_accept(request, role, clinic):
    user = request.getfixturevalue(role)
    for state in STATES:
        offered = followup_allowed_actions(user=user, **state)
        for action in ("acknowledge", "complete", "attempt", "reschedule", "cancel"):
            refused = action_refusal(user=user, action=action, **state)
            assert (action in offered) == (refused is None), (role, state, action)


def test_staff_get_no_complete_on_the_three_month_assessment(clinic, staff, physician, time_machine):
    time_machine.move_to(dt.datetime(2026, 4, 14, 9, tzinfo=dt.UTC), tick=False)
    today = dt.date(2026, 4, 14)  # Olga's 3-month assessment was due on 12 April
    for user, first in ((staff, "Record attempt"), (physician, "Complete")):
        rows = followup_worklist(filters=None, today=today, section="due_today", user=user).section.rows
        (row,) = [r for r in rows if r.kind == "three_month"]
        labels = [label for label, _ in row.actions]
        assert labels[0] == first
        assert ("Complete" in labels) == (user == physician)
        assert ("?action=complete" in row.more_html) is False
    assessment = FollowUp.objects.get(patient=clinic["olga"], kind="three_month")
    with pytest.raises(ValidationError, match="completed by a physician"):
        followup_complete(followup=assessment, user=staff, data={"contact": "visit", "decision": "booster"})


def test_staff_on_the_assessment_page_get_no_complete_tab(staff, clinic, time_machine):
    time_machine.move_to(dt.datetime(2026, 4, 14, 9, tzinfo=dt.UTC), tick=False)
    staff_client = client_for(staff)
    assessment = FollowUp.objects.get(patient=clinic["olga"], kind="three_month")
    page = staff_client.get(reverse("followup_detail", args=[assessment.pk]), {"action": "complete"})
    body = page.content.decode()
    assert "?action=complete" not in body and 'name="complete-contact"' not in body
    assert "The 3-month assessment is completed by a physician" in body


# 4. One action at a time, errors where the eye is -----------------------------------------------


def test_the_page_shows_one_action_form_and_the_asked_one_without_javascript(physician_client, clinic):
    call = FollowUp.objects.get(patient=clinic["tess"], kind="check_in")
    url = reverse("followup_detail", args=[call.pk])
    page = physician_client.get(url).content.decode()
    assert page.count("<form id=") == 1 and 'name="complete-contact"' in page
    for action in ("complete", "attempt", "reschedule", "cancel"):
        assert f'href="?action={action}#action-area"' in page
    chosen = physician_client.get(url, {"action": "reschedule"}).content.decode()
    assert chosen.count("<form id=") == 1
    assert 'name="reschedule-new_due"' in chosen and 'name="complete-contact"' not in chosen
    assert 'href="?action=reschedule#action-area" aria-current="page"' in chosen


def test_a_refused_reschedule_shows_its_form_alone_with_the_errors_on_top(physician_client, clinic):
    call = FollowUp.objects.get(patient=clinic["tess"], kind="check_in")
    response = physician_client.post(
        reverse("followup_reschedule", args=[call.pk]),
        {"reschedule-new_due": "2026-01-01", "reschedule-reason": "", "reschedule-version": call.version},
    )
    body = response.content.decode()
    area = body[body.index('id="action-area"') :]
    assert area.count("<form id=") == 1 and 'name="reschedule-new_due"' in area
    summary = area.index('id="action-errors"')
    assert summary < area.index("<form id=")  # the errors come first in the action area
    assert "data-focus-on-load" in area and 'tabindex="-1"' in area
    assert 'href="#id_reschedule-reason"' in area  # each error links to its field
    assert "js/followup.js" in body
    # The form posts back to the action area: without JavaScript the page opens there.
    assert f'action="{reverse("followup_reschedule", args=[call.pk])}#action-area"' in area


def test_an_action_refused_meanwhile_is_said_at_the_top_of_the_action_area(
    physician_client, physician, clinic
):
    call = FollowUp.objects.get(patient=clinic["tess"], kind="check_in")
    version = call.version
    followup_cancel(followup=call, user=physician, reason="Moved away")
    body = physician_client.post(
        reverse("followup_reschedule", args=[call.pk]),
        {"reschedule-new_due": "2026-03-10", "reschedule-reason": "Away", "reschedule-version": version},
    ).content.decode()
    area = body[body.index('id="action-area"') :]
    assert 'id="action-errors"' in area and "<form id=" not in area


def test_the_focus_script_is_a_static_file(client):
    from pathlib import Path

    from django.contrib.staticfiles import finders

    assert "data-focus-on-load" in Path(finders.find("js/followup.js")).read_text()


# 5. Physicians by name; their own patients by default ------------------------------------------


def test_the_physician_filter_lists_full_names(staff_client, clinic, physician):
    page = staff_client.get(URL).content.decode()
    assert f'<option value="{physician.pk}">Helen Ross</option>' in page
    assert ">physician<" not in page


def test_a_physician_sees_their_own_patients_by_default_and_can_show_all(
    physician_client, physician, other_physician, clinic, make_patient, make_signed_treatment
):
    patient = make_patient(given_name="Otto", family_name="Others")
    make_signed_treatment(patient, dt.date(2026, 2, 27), by=other_physician)
    page = physician_client.get(URL, {"section": "due_today"}).content.decode()
    assert "Showing your patients" in page and "Others, Otto" not in page and "Today, Tess" in page
    assert f'<option value="{physician.pk}" selected>Helen Ross</option>' in page
    link = re.search(r'Showing your patients · <a href="\?([^"]*)">show all</a>', page).group(1)
    everyone = physician_client.get(f"{URL}?{link.replace('&amp;', '&')}").content.decode()
    assert "Others, Otto" in everyone and "Showing your patients" not in everyone
    # The tabs keep the choice: the default does not come back on the next tab.
    assert 'href="?physician=&amp;section=overdue"' in everyone
    # Staff see every patient, with no default.
    staff_page = client_for(make_user("nurse.b", "Staff")).get(URL, {"section": "due_today"})
    assert "Others, Otto" in staff_page.content.decode()


# 6. A compact row with one primary action -------------------------------------------------------


def test_each_row_has_one_primary_action_and_the_others_in_more(staff_client, clinic):
    (row,) = rows_of(staff_client.get(URL, {"section": "due_today"}).content.decode())
    assert row.count('class="wl-go"') == 1 and "?action=complete" in row
    more = row[row.index("<details") :]
    assert re.findall(r">([^<>]+)</a>", more) == [
        "Record attempt",
        "Reschedule",
        "Cancel",
    ]
    assert 'data-label="Patient"' in row and 'data-label="Status"' in row


# 8. FAQ entries on the check-in and 3-month pages ------------------------------------------------


def test_the_check_in_and_assessment_pages_list_their_faq_entries(staff_client, clinic):
    call = FollowUp.objects.get(patient=clinic["tess"], kind="check_in")
    page = staff_client.get(reverse("followup_detail", args=[call.pk])).content.decode()
    assert "Patient questions on this" in page
    assert "When Can I Resume Physical Activity After the Procedure?" in page
    assessment = FollowUp.objects.get(patient=clinic["tess"], kind="three_month")
    page = staff_client.get(reverse("followup_detail", args=[assessment.pk])).content.decode()
    assert "Patient questions on this" in page
    early = FollowUp.objects.get(patient=clinic["tess"], kind="early_check")
    assert (
        "Patient questions on this"
        not in staff_client.get(reverse("followup_detail", args=[early.pk])).content.decode()
    )


def test_reschedule_keeps_its_section_words_true(clinic, staff):
    call = FollowUp.objects.get(patient=clinic["olga"], kind="check_in")
    followup_reschedule(followup=call, user=staff, new_due=TODAY + 3 * DAY, reason="Asked for later")
    call.refresh_from_db()
    assert call.timing(TODAY).section == "due_this_week"
