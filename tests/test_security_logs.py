"""Logs carry no patient data: a canary patient goes through every path and never reaches a log."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers.auth import login_verified
from treatments.models import Patient

pytestmark = [pytest.mark.django_db, pytest.mark.security("log_canary")]

GIVEN, FAMILY = "Zyxcanary", "Qwertanen"
CANARY_PARTS = (GIVEN.lower(), FAMILY.lower())


def walk_the_canary_through_the_app(physician, clinic_admin):
    client = login_verified(Client(), physician)
    data = {"mrn": "CAN-1", "given_name": GIVEN, "family_name": FAMILY, "date_of_birth": "1966-06-06"}
    data["sex"] = "other"
    assert client.post(reverse("patient_create"), data).status_code == 302
    patient = Patient.objects.get(mrn="CAN-1")
    assert client.get(patient.get_absolute_url()).status_code == 200
    edited = {**data, "notes": f"{GIVEN} {FAMILY} called", "version": "1"}
    assert client.post(reverse("patient_update", args=[patient.pk]), edited).status_code == 302
    stale = {**data, "given_name": f"{GIVEN}x", "version": "1"}
    assert client.post(reverse("patient_update", args=[patient.pk]), stale).status_code == 200
    assert client.post(reverse("patient_list"), {"q": f"{GIVEN} {FAMILY}"}).status_code == 302
    assert FAMILY in client.get(reverse("patient_list")).content.decode()
    invalid = {**data, "date_of_birth": f"{GIVEN}", "mrn": "CAN-2"}
    assert client.post(reverse("patient_create"), invalid).status_code == 200
    void = client.post(reverse("patient_void", args=[patient.pk]), {"reason": f"{FAMILY} duplicate"})
    assert void.status_code == 302
    # Not found, with the name typed into the URL; a page the admin may not open; a CSRF refusal.
    assert client.get(f"/patients/{GIVEN}-{FAMILY}/").status_code == 404
    assert client.get(f"/{FAMILY}/?q={GIVEN}").status_code == 404
    assert login_verified(Client(), clinic_admin).get(patient.get_absolute_url()).status_code == 403
    csrf_client = login_verified(Client(enforce_csrf_checks=True), physician)
    assert csrf_client.post(reverse("patient_list"), {"q": GIVEN}).status_code == 403
    # Failed logins (and a lockout) with the name typed as the username.
    for _ in range(6):
        Client().post(reverse("login"), {"username": f"{GIVEN} {FAMILY}", "password": FAMILY})
    # The access log and its export show the record, never the name, and log neither.
    admin = login_verified(Client(), clinic_admin)
    assert admin.get(reverse("access_log")).status_code == 200
    b"".join(admin.get(reverse("access_log_export")).streaming_content)


def test_the_canary_never_reaches_a_log_line(physician, clinic_admin, captured_logs, security_figures):
    walk_the_canary_through_the_app(physician, clinic_admin)
    lines = captured_logs.lines
    assert any(line.startswith("django.request WARNING Not Found") for line in lines)
    assert any(line.startswith("django.security") for line in lines) or any("CSRF" in line for line in lines)
    assert any(line.startswith("axes") and "Locking out" in line for line in lines)
    leaked = [line for line in lines if any(part in line.lower() for part in CANARY_PARTS)]
    assert leaked == []
    security_figures["log_lines_scanned_for_canary"] += len(lines)


def test_404_lines_name_the_route_not_the_typed_path(physician_client, captured_logs):
    physician_client.get(f"/patients/{GIVEN}/")
    physician_client.get("/patients/987654/")
    lines = [line for line in captured_logs.lines if "Not Found" in line]
    assert lines == [
        "django.request WARNING Not Found: <no matching route>",
        "django.request WARNING Not Found: /patients/<int:pk>/",
    ]


def test_the_capture_would_see_a_leak(captured_logs):
    logging.getLogger("treatments").warning("Patient %s %s", GIVEN, FAMILY)
    assert any(GIVEN in line for line in captured_logs.lines)
