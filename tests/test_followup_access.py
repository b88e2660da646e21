"""Every follow-up and side-effect URL needs a login (the calendar feed excepted), and its forms
survive arbitrary input: field errors or a redirect, never a server error."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.auth import login_verified
from treatments.services.calendar import calendar_feed_create

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 5, 20, 9, tzinfo=dt.UTC), tick=False),
]


@pytest.fixture
def records(patient, make_signed_treatment, make_report):
    treatment = make_signed_treatment(patient, dt.date(2026, 2, 9))
    return {
        "followup": treatment.followups.get(kind="three_month"),
        "report": make_report(treatment, grade=3),
    }


def urls(records, patient) -> list[str]:
    followup, report = records["followup"].pk, records["report"].pk
    return [
        reverse("followup_list"),
        reverse("followup_detail", args=[followup]),
        reverse("followup_complete", args=[followup]),
        reverse("followup_attempt", args=[followup]),
        reverse("followup_cancel", args=[followup]),
        reverse("followup_reschedule", args=[followup]),
        reverse("sideeffect_list"),
        reverse("sideeffect_create", args=[patient.pk]),
        reverse("sideeffect_detail", args=[report]),
        reverse("sideeffect_update", args=[report]),
        reverse("sideeffect_void", args=[report]),
        reverse("sideeffect_review_queue"),
        reverse("sideeffect_review", args=[report]),
        reverse("sideeffect_figures"),
        reverse("calendar_feed_manage"),
        reverse("calendar_feed_create"),
        reverse("calendar_feed_revoke"),
    ]


def test_every_page_needs_a_login(client, records, patient):
    for url in urls(records, patient):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("login") + "?next="), url


def test_only_the_calendar_feed_is_public(client, staff):
    _, token = calendar_feed_create(user=staff)
    assert client.get(reverse("calendar_feed", args=[token])).status_code == 200
    assert client.post(reverse("calendar_feed", args=[token])).status_code == 405


@pytest.mark.parametrize(
    ("name", "for_physician", "for_staff", "for_admin"),
    [
        ("sideeffect_list", 200, 200, 403),
        ("sideeffect_create", 200, 200, 403),
        ("sideeffect_detail", 200, 200, 403),
        ("sideeffect_update", 200, 200, 403),
        ("sideeffect_void", 200, 403, 403),
        ("sideeffect_review_queue", 200, 403, 403),
        ("calendar_feed_manage", 200, 200, 403),
    ],
)
def test_side_effect_and_calendar_pages_by_role(
    role_clients, records, patient, name, for_physician, for_staff, for_admin
):
    args = {"sideeffect_create": [patient.pk], "sideeffect_detail": [records["report"].pk]}
    args["sideeffect_update"] = args["sideeffect_void"] = args["sideeffect_detail"]
    url = reverse(name, args=args.get(name, []))
    for role, expected in (("physician", for_physician), ("staff", for_staff), ("clinic_admin", for_admin)):
        assert role_clients[role].get(url).status_code == expected, role
    assert role_clients["no_role"].get(url).status_code == 403


text = st.text(max_size=40)
value = st.one_of(text, st.integers(-5, 20).map(str), st.sampled_from(["", "on", "true", "2026-05-19T10:00"]))
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {},
        optional=dict.fromkeys(
            (
                "contact",
                "completed_at",
                "pain",
                "energy",
                "global_impression",
                "flare_up",
                "decision",
                "home_care_protocol",
                "notes",
                "version",
            ),
            value,
        ),
    )
)
def test_the_completion_form_never_fails(staff_client, records, data):
    followup = records["followup"]
    response = staff_client.post(
        reverse("followup_complete", args=[followup.pk]), {f"complete-{k}": v for k, v in data.items()}
    )
    assert response.status_code in (200, 302)


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "new_due": st.one_of(text, st.dates(dt.date(2025, 1, 1), dt.date(2027, 1, 1)).map(str)),
            "reason": text,
            "version": value,
        },
    )
)
def test_the_reschedule_form_never_fails(staff_client, records, data):
    followup = records["followup"]
    response = staff_client.post(
        reverse("followup_reschedule", args=[followup.pk]), {f"reschedule-{k}": v for k, v in data.items()}
    )
    assert response.status_code in (200, 302)


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "term": st.one_of(text, st.sampled_from(["fever", "other"])),
            "term_other": text,
            "onset": st.one_of(text, st.dates(dt.date(2026, 1, 1), dt.date(2026, 7, 1)).map(str)),
            "resolved_on": st.one_of(text, st.dates(dt.date(2026, 1, 1), dt.date(2026, 7, 1)).map(str)),
            "grade": value,
            "serious_death": value,
            "outcome": st.one_of(text, st.sampled_from(["fatal", "resolved"])),
            "causality": text,
            "narrative": text,
        },
    )
)
def test_the_report_form_never_fails(staff_client, records, patient, data):
    posted = {"treatment": records["followup"].treatment_id, **data}
    response = staff_client.post(reverse("sideeffect_create", args=[patient.pk]), posted)
    assert response.status_code in (200, 302)


def test_a_canary_name_never_reaches_a_log(staff_client, make_patient, make_signed_treatment, caplog):
    canary = make_patient(given_name="Canaryname", family_name="Logcheck")
    treatment = make_signed_treatment(canary, dt.date(2026, 5, 1))
    client = Client()
    login_verified(client, treatment.physician)
    with caplog.at_level("DEBUG"):
        staff_client.get(reverse("followup_list"), {"patient": canary.pk})
        staff_client.post(reverse("followup_list"), {"mrn": canary.mrn})
        staff_client.get(reverse("followup_detail", args=[treatment.followups.first().pk]))
        client.get(reverse("followup_list"), {"patient": "not-a-number"})
        staff_client.get("/followups/999999/")
    assert all(
        "Canaryname" not in record.getMessage() and "Logcheck" not in record.getMessage()
        for record in caplog.records
    )
