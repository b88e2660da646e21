"""Every follow-up and side-effect URL needs a login (the calendar feed excepted); its forms, fuzzed,
answer each input as the rules say (a redirect when it is acceptable, the form with its errors when
not, never a server error); and a patient's name never reaches a log."""

import datetime as dt

import pytest
from django import forms
from django.urls import reverse
from hypothesis import given

from tests.helpers.auth import client_for
from tests.helpers.db import rolled_back
from tests.security_cases.followup_rules import (
    COMPLETION_INPUTS,
    COMPLETIONS,
    FUZZ,
    NOW,
    REPORT_INPUTS,
    REPORTS,
    RESCHEDULE_INPUTS,
    RESCHEDULES,
    TREATED,
    completion_acceptable,
    form_errors,
    read,
    report_acceptable,
    reschedule_acceptable,
    with_examples,
)
from treatments.models import FollowUpStatus, SideEffectReport
from treatments.services.calendar import calendar_feed_create

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


def shown_form(response):
    """The form sent, as the page holds it: shown with its errors, or refused as a whole (staff on
    the 3-month assessment: the page then says why at the top of the action area)."""
    if response.context["refused_form"] is not None:
        assert response.context["refusals"]
        return response.context["refused_form"]
    return response.context["form"]


@pytest.fixture
def records(patient, make_signed_treatment, make_report):
    treatment = make_signed_treatment(patient, TREATED)
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


@pytest.mark.security("login_required")
def test_every_page_needs_a_login(client, records, patient):
    for url in urls(records, patient):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("login") + "?next="), url


@pytest.mark.security("login_required")
def test_only_the_calendar_feed_is_public(client, staff):
    _, token = calendar_feed_create(user=staff)
    assert client.get(reverse("calendar_feed", args=[token])).status_code == 200
    assert client.post(reverse("calendar_feed", args=[token])).status_code == 405


@pytest.mark.security("role_matrix")
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


@pytest.mark.parametrize(
    ("rule", "cases"),
    [
        (lambda data, followup: completion_acceptable(data, followup, "physician"), COMPLETIONS),
        (reschedule_acceptable, RESCHEDULES),
        (lambda data, followup: report_acceptable(data), REPORTS),
    ],
    ids=["completion", "reschedule", "report"],
)
def test_the_rules_written_here_agree_with_the_labelled_edges(records, rule, cases):
    assert [rule(data, records["followup"]) for data, _ in cases] == [label for _, label in cases]


@pytest.mark.parametrize("role", ["physician", "staff"])
@pytest.mark.security("fuzzing")
def test_the_completion_form_answers_as_the_rules_say(request, records, role):
    user = request.getfixturevalue(role)
    followup = records["followup"]
    url = reverse("followup_complete", args=[followup.pk])
    seen = set()

    @FUZZ
    @with_examples(COMPLETIONS)
    @given(COMPLETION_INPUTS)
    def post(data):
        acceptable = completion_acceptable(data, followup, role)
        with rolled_back():
            response = client_for(user).post(url, {f"complete-{k}": v for k, v in data.items()})
            errors = form_errors(response, response.context and shown_form(response))
            assert response.status_code == (302 if acceptable else 200), errors
            now = type(followup).objects.get(pk=followup.pk)
            if acceptable:
                assert response["Location"] == reverse("followup_detail", args=[followup.pk])
                assert (now.status, now.contact) == (FollowUpStatus.COMPLETED, data["contact"])
            else:
                assert errors
                assert (now.status, now.version) == (FollowUpStatus.SCHEDULED, followup.version)
        seen.add(response.status_code)

    post()
    assert seen == ({200, 302} if role == "physician" else {200})


@pytest.mark.security("fuzzing")
def test_the_reschedule_form_answers_as_the_rules_say(staff, records):
    followup = records["followup"]
    url = reverse("followup_reschedule", args=[followup.pk])
    seen = set()

    @FUZZ
    @with_examples(RESCHEDULES)
    @given(RESCHEDULE_INPUTS)
    def post(data):
        acceptable = reschedule_acceptable(data, followup)
        with rolled_back():
            response = client_for(staff).post(url, {f"reschedule-{k}": v for k, v in data.items()})
            errors = form_errors(response, response.context and response.context["form"])
            assert response.status_code == (302 if acceptable else 200), errors
            now = type(followup).objects.get(pk=followup.pk)
            if acceptable:
                assert response["Location"] == reverse("followup_detail", args=[followup.pk])
                assert now.due_on.isoformat() == read(forms.DateField(), data["new_due"]).isoformat()
            else:
                assert errors
                assert (now.due_on, now.version) == (followup.due_on, followup.version)
        seen.add(response.status_code)

    post()
    assert seen == {200, 302}


@pytest.mark.security("fuzzing")
def test_the_report_form_answers_as_the_rules_say(staff, records, patient):
    url = reverse("sideeffect_create", args=[patient.pk])
    treatment = records["followup"].treatment_id
    reports = SideEffectReport.objects.count()
    seen = set()

    @FUZZ
    @with_examples(REPORTS)
    @given(REPORT_INPUTS)
    def post(data):
        acceptable = report_acceptable(data)
        with rolled_back():
            response = client_for(staff).post(url, {"treatment": treatment, **data})
            errors = form_errors(response, response.context and response.context["form"])
            assert response.status_code == (302 if acceptable else 200), errors
            if acceptable:
                report = SideEffectReport.objects.latest("pk")
                assert response["Location"] == reverse("sideeffect_detail", args=[report.pk])
                assert (report.term, report.grade) == (data["term"], int(data["grade"]))
            else:
                assert errors
                assert SideEffectReport.objects.count() == reports
        seen.add(response.status_code)

    post()
    assert seen == {200, 302}


@pytest.mark.security("log_canary")
def test_a_canary_name_never_reaches_a_log(
    staff, physician, make_patient, make_signed_treatment, captured_logs
):
    canary = make_patient(given_name="Canaryname", family_name="Logcheck")
    followup = make_signed_treatment(canary, dt.date(2026, 5, 1)).followups.order_by("due_on").first()
    clerk, doctor = client_for(staff), client_for(physician)
    clerk.get(reverse("followup_list"), {"patient": canary.pk})
    clerk.post(reverse("followup_list"), {"mrn": canary.mrn})
    clerk.get(reverse("followup_detail", args=[followup.pk]))
    doctor.get(reverse("followup_list"), {"patient": "not-a-number"})
    clerk.get("/followups/999999/")
    clerk.get("/followups/Canaryname-Logcheck/")  # a name typed into the address
    without_token = client_for(staff, enforce_csrf_checks=True)
    notes = {"complete-contact": "call", "complete-notes": "Canaryname Logcheck called back"}
    assert without_token.post(reverse("followup_complete", args=[followup.pk]), notes).status_code == 403
    lines = captured_logs.lines
    # The requests that should log did (a check over no lines would pass whatever leaked) ...
    assert "django.request WARNING Not Found: /followups/<int:pk>/" in lines
    assert "django.request WARNING Not Found: <no matching route>" in lines
    csrf = [line for line in lines if line.startswith("django.security.csrf WARNING Forbidden (CSRF")]
    assert csrf and all(line.endswith(": /followups/<int:pk>/complete/") for line in csrf)
    # ... and no line names the patient.
    assert [line for line in lines if "canaryname" in line.lower() or "logcheck" in line.lower()] == []
