"""Sessions: idle and absolute logoff, return to the page, rotation on login, logout kills the session."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.helpers.auth import PASSWORD

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)


def signed_in(username) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.security("logoff")
def test_the_timeouts_default_to_30_minutes_idle_and_12_hours_in_all():
    idle, absolute = settings.SESSION_IDLE_TIMEOUT, settings.SESSION_ABSOLUTE_TIMEOUT
    assert (idle, absolute) == (dt.timedelta(minutes=30), dt.timedelta(hours=12))


@pytest.mark.security("logoff")
def test_activity_keeps_the_session_alive(staff):
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in("staff")
        for _ in range(3):
            clock.shift(dt.timedelta(minutes=29))
            assert client.get(reverse("patient_list")).status_code == 200


@pytest.mark.security("logoff")
def test_idle_logoff_after_30_minutes_returns_the_user_to_the_page(staff, patient):
    page = reverse("patient_detail", args=[patient.pk])
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in("staff")
        assert client.get(page + "?tab=history").status_code == 200
        old_key = client.session.session_key
        clock.shift(dt.timedelta(minutes=31))
        response = client.get(page + "?tab=history")
        # Path only: a query string may carry data and is not sent back through the login page.
        assert response["Location"] == f"{reverse('login')}?next={page}"
        assert not Session.objects.filter(session_key=old_key).exists()
        login_page = client.get(response["Location"]).content.decode()
        assert "signed out after 30 minutes without activity" in login_page
        again = client.post(response["Location"], {"username": "staff", "password": PASSWORD, "next": page})
        assert again["Location"] == page
        assert client.get(page).status_code == 200


@pytest.mark.security("logoff")
def test_absolute_logoff_after_12_hours_even_when_active(staff):
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in("staff")
        for _ in range(24):
            clock.shift(dt.timedelta(minutes=29))
            assert client.get(reverse("home")).status_code == 200
        clock.shift(dt.timedelta(minutes=29))  # 12 h 5 min after login
        response = client.get(reverse("patient_list"))
        assert response["Location"] == f"{reverse('login')}?next={reverse('patient_list')}"
        assert "at most 12 hours" in client.get(response["Location"]).content.decode()
        assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


@pytest.mark.security("logoff")
def test_timeouts_follow_the_settings(staff, settings):
    settings.SESSION_IDLE_TIMEOUT = dt.timedelta(minutes=5)
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in("staff")
        clock.shift(dt.timedelta(minutes=6))
        assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


@pytest.mark.security("session_cookie")
def test_login_rotates_the_session_key(staff):
    client = Client()
    session = client.session
    session["before_login"] = True
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    before = session.session_key
    client.post(reverse("login"), {"username": "staff", "password": PASSWORD})
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.get(session_key=after).get_decoded()["_auth_user_id"] == str(staff.pk)


@pytest.mark.security("session_cookie")
def test_logout_kills_the_session_on_the_server(staff):
    client = signed_in("staff")
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=stolen).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen
    response = replay.get(reverse("patient_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.security("session_cookie")
def test_the_session_cookie_is_secure_httponly_and_samesite(staff):
    client = Client()
    response = client.post(reverse("login"), {"username": "staff", "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    # The cookie ends with the absolute timeout (plus the idle margin), not after two weeks.
    assert (
        int(cookie["max-age"])
        <= (settings.SESSION_ABSOLUTE_TIMEOUT + settings.SESSION_IDLE_TIMEOUT).total_seconds()
    )
    assert timezone.now() < Session.objects.get(session_key=cookie.value).expire_date
