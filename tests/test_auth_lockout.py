"""Lockout after 5 failed logins per username and address, without locking out anyone else; logged."""

import logging

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from clinic.lockout import client_ip, username_tag
from tests.helpers.auth import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.security("lockout")]

LIMIT = 5


def attempt(username, password, *, ip="10.0.0.1", client=None):
    client = client or Client(REMOTE_ADDR=ip)
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail(username, times, *, ip="10.0.0.1", figures=None):
    for _ in range(times):
        response = attempt(username, "not the password", ip=ip)
        if figures is not None:
            figures["failed_logins_tried"] += 1
    return response


def test_four_failures_still_allow_the_right_password(staff):
    assert fail("staff", LIMIT - 1).status_code == 200
    response = attempt("staff", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_the_fifth_failure_locks_the_pair_and_the_right_password_no_longer_works(staff, security_figures):
    response = fail("staff", LIMIT, figures=security_figures)
    assert response.status_code == 429
    body = response.content.decode()
    assert "Sign-in locked for now" in body and "Other accounts" in body
    client = Client()
    locked = attempt("staff", PASSWORD, client=client)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    attempt_row = AccessAttempt.objects.get(username="staff", ip_address="10.0.0.1")
    assert attempt_row.failures_since_start >= LIMIT
    assert "not the password" not in attempt_row.post_data
    assert AccessFailureLog.objects.filter(username="staff").count() >= LIMIT
    security_figures["lockouts_asserted"] += 1


def test_a_lockout_does_not_touch_other_users_or_other_addresses(staff, physician):
    fail("staff", LIMIT, ip="10.0.0.1")
    assert attempt("physician", PASSWORD, ip="10.0.0.1").status_code == 302
    assert attempt("staff", PASSWORD, ip="10.0.0.2").status_code == 302


def test_the_lock_lifts_after_the_cool_off(staff, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        fail("staff", LIMIT)
        assert attempt("staff", PASSWORD).status_code == 429
        clock.shift(settings.AXES_COOLOFF_TIME.total_seconds() + 60)
        assert attempt("staff", PASSWORD).status_code == 302


@pytest.mark.security("log_canary")
def test_failures_and_the_lockout_are_logged_without_the_typed_username(staff, caplog):
    typed = "Zyxcanary Qwertanen"
    with caplog.at_level(logging.DEBUG):
        fail(typed, LIMIT)
    messages = [record.getMessage() for record in caplog.records if record.name.startswith("axes")]
    assert any("Locking out" in message or "locked out" in message.lower() for message in messages)
    assert any(username_tag(typed) in message for message in messages)
    assert not any(typed.lower() in message.lower() for message in caplog.text.splitlines())


@override_settings(EXOLOG_TRUSTED_PROXIES=1)
def test_behind_one_proxy_the_client_address_is_the_last_forwarded_one(staff, rf):
    request = rf.post("/login/", REMOTE_ADDR="192.168.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.0.0.9")
    assert client_ip(request) == "10.0.0.9"
    # A spoofed left-hand entry never selects the lockout bucket.
    for _ in range(LIMIT):
        Client().post(
            reverse("login"),
            {"username": "staff", "password": "wrong"},
            REMOTE_ADDR="192.168.0.5",
            HTTP_X_FORWARDED_FOR=f"1.1.1.{_}, 10.0.0.9",
        )
    assert AccessAttempt.objects.get(username="staff").ip_address == "10.0.0.9"


def test_without_trusted_proxies_forwarded_headers_are_ignored(rf):
    request = rf.get("/", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_ip(request) == "10.1.1.1"
