"""The worklist's tab bar (one section at a time, the most urgent by default) and its light rows:
what each row says and links to, and the actions each role gets."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from tests.helpers.auth import client_for, make_user
from treatments.models import FollowUp
from treatments.selectors.followups import followup_worklist
from treatments.services.followup_actions import followup_complete, followup_record_attempt

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False),
]
URL = reverse("followup_list")
TODAY = dt.date(2026, 3, 2)


def shown_section(page: str) -> str:
    start = page.index('<section id="')
    return page[start : page.index("</section>", start)]


@pytest.fixture
def olga(make_patient, make_signed_treatment):
    """Her call's window closed on 5 January and her week 6-8 check's on 27 February: overdue."""
    patient = make_patient(given_name="Olga", family_name="Overdue", phone="+1 555 010 1111")
    make_signed_treatment(patient, dt.date(2026, 1, 2))
    return patient


@pytest.fixture
def tess(make_patient, make_signed_treatment):
    """Treated on 27 February: her call was due yesterday and its window closes today."""
    patient = make_patient(given_name="Tess", family_name="Today", email="tess@example.com")
    make_signed_treatment(patient, dt.date(2026, 2, 27))
    return patient


def test_the_page_opens_on_due_today_and_says_so(staff_client, olga, tess):
    page = staff_client.get(URL).content.decode()
    assert page.count('<section id="') == 1 and '<section id="due_today"' in page
    assert "Opened on the most urgent section with follow-ups." in page
    assert "Today, Tess" in page and "Overdue, Olga" not in page
    assert 'href="?section=due_today" aria-current="page">Due today <span' in page
    # Asked for by its tab, the section does not claim to have been chosen for the user.
    asked = staff_client.get(URL, {"section": "due_today"}).content.decode()
    assert "Opened on" not in asked and "Today, Tess" in asked


def test_without_anything_due_today_the_page_opens_on_overdue(staff_client, olga):
    worklist = followup_worklist(filters=None, today=TODAY)
    assert worklist.by_default and worklist.section.key == "overdue"
    page = staff_client.get(URL).content.decode()
    assert '<section id="overdue"' in shown_section(page) and "Overdue, Olga" in page
    assert "Opened on the most urgent section with follow-ups." in page


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        ({}, "overdue"),
        ({"patient": "new"}, "due_this_week"),
        ({"kind": "three_month"}, "upcoming"),
        ({"kind": "twelve_month"}, "due_today"),
    ],
)
def test_the_default_follows_the_filters(
    physician_client, make_patient, make_signed_treatment, params, shown
):
    # Treated today: the call is due on Wednesday. Treated 70 days ago: the call and the week 6-8
    # check are overdue, the 3-month assessment is upcoming. No 12-month review: the first tab, empty.
    new = make_patient()
    make_signed_treatment(new, TODAY, at=dt.time(8, 0))
    make_signed_treatment(make_patient(), TODAY - dt.timedelta(days=70))
    params = {name: new.pk if value == "new" else value for name, value in params.items()}
    page = physician_client.get(URL, params).content.decode()
    assert f'<section id="{shown}"' in shown_section(page)
    if shown == "due_today":
        assert "Nothing here for these filters." in page and "Opened on" not in page
    else:
        assert "Opened on the most urgent section with follow-ups." in page


def test_the_tab_bar_is_links_with_counts_and_the_current_tab_marked(staff_client, olga, tess):
    page = staff_client.get(URL, {"kind": "check_in", "section": "overdue"}).content.decode()
    nav = page[
        page.index('<nav aria-label="Worklist sections"') : page.index(
            "</nav>", page.index("Worklist sections")
        )
    ]
    # Real links that keep the filter, the count in the link text, one current tab, no script.
    link = (
        '<a class="nav-link border{}" href="?kind=check_in&amp;section={}"{}>'
        '{} <span class="badge {}">{}</span></a>'
    )
    current = ' aria-current="page"'
    assert link.format(" active", "overdue", current, "Overdue", "text-bg-danger", 1) in nav
    assert link.format("", "due_today", "", "Due today", "text-bg-secondary", 1) in nav
    assert link.format("", "upcoming", "", "Upcoming", "text-bg-secondary", 0) in nav
    assert nav.count("<a ") == 6 and nav.count('aria-current="page"') == 1 and "<script" not in nav
    assert "Overdue, Olga" in shown_section(page) and "Today, Tess" not in page


def test_a_row_says_what_its_dates_say(staff_client, olga, tess):
    due_today = shown_section(staff_client.get(URL, {"section": "due_today"}).content.decode())
    assert "Sun 1 Mar 2026" in due_today and "window 28 Feb – 2 Mar" in due_today
    assert "Due 1 day ago · window closes today" in due_today and "tess@example.com" in due_today
    call = FollowUp.objects.get(patient=tess, kind="check_in")
    assert f'<a href="{reverse("patient_detail", args=[tess.pk])}">Today, Tess</a>' in due_today
    for action in ("complete", "attempt", "reschedule", "cancel"):
        assert f'href="{reverse("followup_detail", args=[call.pk])}?action={action}#action-area"' in due_today
    overdue = shown_section(staff_client.get(URL, {"section": "overdue"}).content.decode())
    assert 'text-bg-danger">56 days past its window (closed 5 Jan)</span>' in overdue
    assert 'text-bg-danger">3 days past its window (closed 27 Feb)</span>' in overdue
    assert 'href="tel:+1 555 010 1111"' in overdue and "no phone or e-mail on file" not in overdue


def test_closed_rows_show_their_outcome_and_only_the_actions_left(
    staff_client, physician_client, staff, olga, tess
):
    call = FollowUp.objects.get(patient=tess, kind="check_in")
    followup_complete(followup=call, user=staff, data={"contact": "call"})
    check = FollowUp.objects.get(patient=olga, kind="early_check")
    followup_record_attempt(followup=check, user=staff, contact="call", outcome="no_answer", mark_missed=True)
    recent = shown_section(staff_client.get(URL, {"section": "recent"}).content.decode())
    assert '<th scope="col">Status</th>' in recent
    assert 'text-bg-success">Completed 2 Mar</span>' in recent
    # The completed call can only be viewed.
    assert f'<a href="{reverse("followup_detail", args=[call.pk])}">View</a>' in recent
    # The missed check waits in "Missed" for a physician; it can still be completed.
    missed = shown_section(staff_client.get(URL, {"section": "missed"}).content.decode())
    assert 'text-bg-warning">Missed · not yet seen by a physician</span>' in missed and "1 attempt<" in missed
    check_url = reverse("followup_detail", args=[check.pk])
    assert f'href="{check_url}?action=complete#action-area">Complete</a>' in missed
    assert f"{check_url}?action=attempt" not in missed and "?action=acknowledge" not in missed
    for_physician = shown_section(physician_client.get(URL, {"section": "missed"}).content.decode())
    assert f'href="{check_url}?action=acknowledge#action-area">Mark seen</a>' in for_physician


def test_who_may_only_view_follow_ups_gets_view_links(olga):
    viewer = Group.objects.create(name="Worklist viewer")
    viewer.permissions.add(Permission.objects.get(codename="view_followup"))
    client = client_for(make_user("viewer", "Worklist viewer"))
    overdue = shown_section(client.get(URL, {"section": "overdue"}).content.decode())
    assert overdue.count(">View</a>") == 2 and "?action=" not in overdue


def test_names_are_escaped_in_the_rows(staff_client, make_patient, make_signed_treatment):
    patient = make_patient(given_name='<script>alert("x")</script>', family_name="O'Brien<b>")
    make_signed_treatment(patient, TODAY, at=dt.time(8, 0))
    page = staff_client.get(URL, {"section": "due_this_week"}).content.decode()
    assert "<script>alert" not in page and "O&#x27;Brien&lt;b&gt;, &lt;script&gt;" in page
