"""The worklist page: sections (one tab at a time), rows, filters (no names in URLs), roles and
query counts."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.roles import PHYSICIAN
from tests.helpers.auth import make_user
from treatments.models import FollowUp
from treatments.services.followup_actions import followup_complete, followup_record_attempt

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False),
]
URL = reverse("followup_list")
KEYS = ("due_today", "due_this_week", "overdue", "upcoming", "recent")


def section(client, key: str, params: dict | None = None) -> str:
    """The HTML of one worklist section, opened through its tab."""
    page = client.get(URL, {**(params or {}), "section": key}).content.decode()
    assert page.count('aria-current="page"') == 1 and f'section={key}" aria-current="page"' in page
    start = page.index(f'<section id="{key}"')
    return page[start : page.index("</section>", start)]


def every_section(client, params: dict | None = None) -> str:
    """The HTML of every section, tab by tab."""
    return "".join(section(client, key, params) for key in KEYS)


@pytest.fixture
def worklist(make_patient, make_signed_treatment, physician):
    other_doctor = make_user("dr.weber", PHYSICIAN, first_name="Jonas", last_name="Weber")
    overdue = make_patient(given_name="Olga", family_name="Overdue", phone="+1 555 010 1111")
    today = make_patient(given_name="Tess", family_name="Today", email="tess@example.com")
    week = make_patient(given_name="Will", family_name="Week")
    make_signed_treatment(
        overdue, dt.date(2026, 1, 2)
    )  # call closed 5 Jan; week 6-8 due 20 Feb (window to 27 Feb)
    make_signed_treatment(today, dt.date(2026, 2, 28))  # call due 2 March
    make_signed_treatment(week, dt.date(2026, 3, 2), by=other_doctor, at=dt.time(8, 0))  # call due 4 March
    return {"overdue": overdue, "today": today, "week": week, "other_doctor": other_doctor}


def test_the_sections_show_who_is_due_and_who_is_overdue(staff_client, worklist):
    overdue = section(staff_client, "overdue")
    assert "Overdue, Olga" in overdue and "+1 555 010 1111" in overdue
    assert "Day 1–3 check-in call" in overdue and "56 days" in overdue  # window closed 5 January
    assert "Week 6–8 check" in overdue and "3 days" in overdue  # window closed 27 February
    due_today = section(staff_client, "due_today")
    assert "Today, Tess" in due_today and "tess@example.com" in due_today
    assert "Mon 2 Mar 2026" in due_today and "window 1 Mar – 3 Mar" in due_today
    assert "Week, Will" in section(staff_client, "due_this_week")
    assert "Nothing here" in section(staff_client, "upcoming")  # the next step (early check) is 6 weeks out
    followup = FollowUp.objects.get(patient=worklist["today"], kind="check_in")
    detail = reverse("followup_detail", args=[followup.pk])
    for action in ("complete", "attempt", "reschedule", "cancel"):
        assert f'href="{detail}?action={action}#action-area"' in due_today


def test_optional_steps_are_marked(staff_client, make_patient, make_signed_treatment):
    make_signed_treatment(make_patient(), dt.date(2025, 1, 2))
    overdue = section(staff_client, "overdue")
    assert overdue.count(">optional</span>") == 2  # the 6- and 12-month reviews


def test_filters_by_physician_step_and_patient(staff_client, worklist):
    by_doctor = every_section(staff_client, {"physician": worklist["other_doctor"].pk})
    assert "Week, Will" in by_doctor and "Today, Tess" not in by_doctor and "Overdue, Olga" not in by_doctor
    by_step = every_section(staff_client, {"kind": "early_check"})
    kept = staff_client.get(URL, {"kind": "early_check"}).content.decode()
    assert '<option value="early_check" selected>Week 6–8 check</option>' in kept
    assert '<option value="" selected>All physicians</option>' in kept
    assert "Week 6–8 check" in by_step and "Day 1–3 check-in call" not in by_step
    by_patient = every_section(staff_client, {"patient": worklist["today"].pk})
    assert "Today, Tess" in by_patient and "Overdue, Olga" not in by_patient
    # The patient select offers the patients on the section's rows, by id.
    overdue_tab = staff_client.get(URL, {"section": "overdue"}).content.decode()
    assert f'<option value="{worklist["overdue"].pk}">Overdue, Olga (' in overdue_tab


def test_a_typed_record_number_becomes_the_patient_id_in_the_url(staff_client, worklist):
    mrn = worklist["week"].mrn
    response = staff_client.post(f"{URL}?kind=check_in", {"mrn": mrn.lower()})
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?kind=check_in&patient={worklist['week'].pk}"
    assert mrn not in response["Location"] and "Week" not in response["Location"]
    missing = staff_client.post(URL, {"mrn": "NOPE-1"}, follow=True).content.decode()
    assert "No active patient has the record number “NOPE-1”." in missing


def test_a_bad_filter_value_is_ignored_with_a_message(staff_client, worklist):
    params = {"patient": "999999", "kind": "nonsense"}
    refused = staff_client.get(URL, params).content.decode()
    assert "Select a valid choice" in refused
    # The select says it was refused and points to the message.
    invalid = 'aria-invalid="true" aria-describedby="id_kind_error">'
    assert f'<select name="kind" class="form-select" id="id_kind" {invalid}' in refused
    assert '<div id="id_kind_error" class="text-danger small mt-2">Step: Select a valid choice.' in refused
    assert '<option value="" selected>' not in refused.split('name="kind"')[1].split("</select>")[0]
    page = every_section(staff_client, params)
    assert "Overdue, Olga" in page and "Today, Tess" in page  # nothing filtered away silently


@pytest.mark.parametrize(
    ("role", "expected"), [("physician", 200), ("staff", 200), ("clinic_admin", 403), ("no_role", 403)]
)
def test_the_worklist_by_role(role_clients, role, expected):
    assert role_clients[role].get(URL).status_code == expected


def test_the_worklist_runs_the_same_queries_for_5_and_50_patients(
    staff_client, make_patient, make_signed_treatment, staff
):
    def add(count):
        for number in range(count):
            patient = make_patient()
            treatment = make_signed_treatment(patient, dt.date(2026, 1, 1) + dt.timedelta(days=number % 60))
            first = treatment.followups.order_by("due_on").first()
            if number % 3 == 0:
                followup_record_attempt(followup=first, user=staff, contact="call", outcome="no_answer")
            elif number % 3 == 1 and first.window_start <= dt.date(2026, 3, 2):
                followup_complete(followup=first, user=staff, data={"contact": "call", "pain": 3})

    counts = {}
    for total in (5, 50):
        add(total - FollowUp.objects.values("patient").distinct().count())
        for params in ({}, {"kind": "check_in"}, {"section": "overdue"}, {"section": "recent"}):
            with CaptureQueriesContext(connection) as captured:
                response = staff_client.get(URL, params)
            assert response.status_code == 200
            counts[(total, tuple(params.items()))] = len(captured)
    for params in {params for _, params in counts}:
        assert counts[(5, params)] == counts[(50, params)] <= 12, params
    # The 50-patient list really has rows, tab by tab.
    assert every_section(staff_client).count("<tr>") > 50
