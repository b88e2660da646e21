"""The error pages (403, 404, 500, CSRF failure): in the app's layout, saying what happened and
where to go, with nothing internal in them. DEBUG is off, as in production.

This module is also the URLconf of its tests: the app's URLs plus one view that fails.
"""

import pytest
from django.test import Client
from django.urls import path, reverse

from clinic import views
from clinic.urls import handler403, handler404, handler500
from clinic.urls import urlpatterns as app_urlpatterns
from tests.helpers.auth import login_verified

SECRET = "internal detail /srv/exolog/clinic/secret.py line 42"


def failing_view(request):
    raise RuntimeError(SECRET)


urlpatterns = [*app_urlpatterns, path("test-failure/", failing_view)]
__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture(autouse=True)
def production_like(settings):
    settings.DEBUG = False
    settings.CLINIC_PHONE = "+49 30 1234567"


def assert_nothing_internal(body: str):
    for leak in (SECRET, "Traceback", ".py", "/srv/", "CSRF token", "matches the given query", "DEBUG"):
        assert leak not in body


def test_a_role_without_access_gets_the_styled_403(no_role_client):
    response = no_role_client.get(reverse("patient_list"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "You do not have access to this page" in body
    assert "ask a clinic admin" in body and 'href="tel:+49 30 1234567"' in body
    assert f'href="{reverse("home")}"' in body  # where to go
    assert "Log out" in body and "bootstrap.min.css" in body  # the app's layout, signed in
    assert_nothing_internal(body)
    assert "Content-Security-Policy" in response.headers


def test_a_missing_patient_gets_the_styled_404(physician_client):
    response = physician_client.get(reverse("patient_detail", args=[987654]))
    assert response.status_code == 404
    body = response.content.decode()
    assert "This page does not exist" in body
    assert f'href="{reverse("patient_list")}"' in body  # a physician may look the patient up
    assert "Log out" in body
    assert_nothing_internal(body)


def test_the_404_offers_the_patient_list_only_to_those_who_may_see_it(admin_client_role):
    body = admin_client_role.get("/no-such-page/").content.decode()
    assert "This page does not exist" in body
    assert reverse("patient_list") not in body


def test_a_failure_gets_the_static_500_page(physician):
    client = login_verified(Client(raise_request_exception=False), physician)
    response = client.get("/test-failure/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert "open the record to see whether your change is there" in body
    assert 'href="tel:+49 30 1234567"' in body and 'href="/"' in body
    assert "bootstrap.min.css" in body
    assert_nothing_internal(body)


def test_the_500_page_needs_no_request_and_no_database(django_assert_num_queries):
    # The database, the session or a context processor may be what failed.
    with django_assert_num_queries(0):
        response = views.server_error(None)
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_a_form_without_its_token_gets_the_styled_csrf_page(physician):
    client = login_verified(Client(enforce_csrf_checks=True), physician)
    response = client.post(reverse("patient_create"), {"given_name": "Ada"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "Your form could not be sent" in body and "Nothing was saved" in body
    assert f'href="{reverse("home")}"' in body
    assert "Log out" in body
    assert_nothing_internal(body)


def test_a_stale_login_form_offers_to_log_in_again():
    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "a", "password": "b"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "Your form could not be sent" in body
    assert f'href="{reverse("login")}">Log in again' in body
    assert_nothing_internal(body)


def database_gone(request):
    from django.db import OperationalError

    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


def connection_closed(request):
    from django.db import InterfaceError

    raise InterfaceError("connection already closed")


urlpatterns += [
    path("test-database-gone/", database_gone),
    path("test-connection-closed/", connection_closed),
]


@pytest.mark.parametrize("url", ["/test-database-gone/", "/test-connection-closed/"])
def test_a_database_outage_gets_a_styled_503_that_says_try_again(physician, url):
    client = login_verified(Client(raise_request_exception=False), physician)
    response = client.get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    body = response.content.decode()
    assert "try again in a moment" in body
    assert "open the record to see whether your change is there" in body
    assert f'href="{url}">Try this page again' in body
    assert "bootstrap.min.css" in body
    assert "5432" not in body and "Connection refused" not in body and "connection already closed" not in body
    assert_nothing_internal(body)


def test_a_failed_post_is_not_offered_as_a_link_to_repeat(physician):
    client = login_verified(Client(raise_request_exception=False), physician)
    response = client.post("/test-database-gone/")
    assert response.status_code == 503
    assert "Try this page again" not in response.content.decode()


def test_a_bug_is_still_a_500_not_a_try_again(physician):
    client = login_verified(Client(raise_request_exception=False), physician)
    assert client.get("/test-failure/").status_code == 500


def test_the_503_page_needs_no_database(django_assert_num_queries):
    from django.db import OperationalError

    with django_assert_num_queries(0):
        try:
            raise OperationalError("server closed the connection unexpectedly")
        except OperationalError:
            response = views.server_error(None)
    assert response.status_code == 503
    assert "Try this page again" not in response.content.decode()
