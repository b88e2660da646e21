"""What a scan from outside found, fixed: the missing headers on every kind of response, the
forwarded headers believed from anyone, and the load balancer's health checks."""

import pytest
from axes.models import AccessAttempt
from django.db import OperationalError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.urls import path, reverse

from clinic import health
from clinic.middleware import PERMISSIONS_POLICY
from clinic.urls import handler403, handler404, handler500
from clinic.urls import urlpatterns as app_urlpatterns
from tests.helpers.auth import login_verified

pytestmark = pytest.mark.django_db


def failing_view(request):
    raise RuntimeError("boom")


urlpatterns = [*app_urlpatterns, path("test-failure/", failing_view)]
__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]

LIMIT = 5


def assert_scan_headers(response):
    policy = dict(item.split("=", 1) for item in response["Permissions-Policy"].split(", "))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial", "bluetooth"):
        assert policy[feature] == "()", feature
    assert set(policy.values()) == {"()"}
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


def test_the_policy_switches_every_feature_off():
    assert (
        "camera=()" in PERMISSIONS_POLICY
        and "*" not in PERMISSIONS_POLICY
        and "self" not in PERMISSIONS_POLICY
    )


@pytest.mark.security("headers")
@pytest.mark.parametrize("url_name", ["login", "home", "patient_list", "followup_list"])
def test_pages_carry_the_permissions_and_resource_policies(physician_client, url_name):
    client = Client() if url_name == "login" else physician_client
    response = client.get(reverse(url_name), secure=True)
    assert response.status_code == 200
    assert_scan_headers(response)


@pytest.mark.security("headers")
def test_a_patient_page_and_its_pdf_carry_them(physician_client, make_treatment, patient):
    treatment = make_treatment(patient, sign=True)
    assert_scan_headers(physician_client.get(patient.get_absolute_url(), secure=True))
    assert_scan_headers(physician_client.get(reverse("treatment_detail", args=[treatment.pk]), secure=True))


@pytest.mark.urls(__name__)
@pytest.mark.security("headers")
def test_error_pages_carry_them(physician, no_role_client, physician_client):
    not_found = physician_client.get("/no-such-page/", secure=True)
    forbidden = no_role_client.get(reverse("patient_list"), secure=True)
    failing = login_verified(Client(raise_request_exception=False), physician).get(
        "/test-failure/", secure=True
    )
    redirected = Client().get(reverse("patient_list"), secure=True)  # anonymous: to the login page
    for response, status in ((not_found, 404), (forbidden, 403), (failing, 500), (redirected, 302)):
        assert response.status_code == status
        assert_scan_headers(response)


@pytest.mark.security("headers")
def test_static_files_from_whitenoise_carry_them():
    for url in ("/static/css/exolog.css", "/static/vendor/bootstrap/js/bootstrap.bundle.min.js"):
        response = Client().get(url, secure=True)
        assert response.status_code == 200
        # WhiteNoise answered (its static response, not a Django view: no session, no CSP nonce).
        assert response.streaming
        assert_scan_headers(response)


# -- forwarded headers: believed only from a configured proxy ---------------------------------------


def test_without_a_proxy_a_forged_forwarded_proto_does_not_make_a_request_secure(settings, rf):
    assert settings.EXOLOG_TRUSTED_PROXIES == 0
    assert settings.SECURE_PROXY_SSL_HEADER is None
    request = rf.get("/", HTTP_X_FORWARDED_PROTO="https")
    assert request.is_secure() is False


def test_without_a_proxy_a_forged_forwarded_proto_does_not_skip_the_https_redirect(settings):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get(reverse("login"), HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301 and response["Location"].startswith("https://")


def test_a_tls_proxy_in_front_of_an_app_that_trusts_none_is_named_in_the_log_once(settings, caplog):
    """Behind a TLS proxy with EXOLOG_TRUSTED_PROXIES=0 the redirect loops in the browser: the log
    says which setting to change (the header itself still changes nothing)."""
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    with caplog.at_level("ERROR", logger="clinic.middleware"):
        for _ in range(3):
            response = client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https")
            assert response.status_code == 301
    [record] = [r for r in caplog.records if r.name == "clinic.middleware"]
    assert "EXOLOG_TRUSTED_PROXIES" in record.getMessage()


def test_no_warning_without_the_header_or_with_a_trusted_proxy(settings, caplog):
    settings.SECURE_SSL_REDIRECT = True
    with caplog.at_level("ERROR", logger="clinic.middleware"):
        Client().get(reverse("login"))
        settings.EXOLOG_TRUSTED_PROXIES = 1
        settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        assert Client().get(reverse("login"), HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert [r for r in caplog.records if r.name == "clinic.middleware"] == []


@pytest.mark.security("lockout")
def test_without_a_proxy_a_forged_forwarded_for_does_not_dodge_the_lockout(staff, settings):
    assert settings.EXOLOG_TRUSTED_PROXIES == 0
    client = Client()
    for attempt in range(LIMIT + 2):
        client.post(
            reverse("login"),
            {"username": "staff", "password": "wrong"},
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}",
        )
    [bucket] = AccessAttempt.objects.filter(username="staff")
    assert bucket.ip_address == "203.0.113.7"
    assert bucket.failures_since_start >= LIMIT
    # Locked: the right password from the same peer, whatever it forges, is refused.
    response = client.post(
        reverse("login"),
        {"username": "staff", "password": "a-password-that-would-not-matter"},
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_FORWARDED_FOR="198.51.100.99",
    )
    assert response.status_code == 429


def test_with_a_configured_proxy_its_forwarded_proto_counts(settings, rf):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert rf.get("/", HTTP_X_FORWARDED_PROTO="https").is_secure() is True


# -- health checks ---------------------------------------------------------------------------------


def test_healthz_answers_without_login_database_or_data(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-store" in response["Cache-Control"]
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    assert_scan_headers(response)


def test_health_checks_answer_a_balancer_on_plain_http_and_any_host(settings):
    # A balancer probes each app server by its own address, over plain HTTP.
    settings.SECURE_SSL_REDIRECT = True
    for url in ("/healthz", "/readyz"):
        assert Client().get(url, HTTP_HOST="10.0.0.5:8000").status_code == 200


def test_readyz_answers_ready_when_the_database_is_migrated():
    response = Client().get("/readyz")
    assert (response.status_code, response.content) == (200, b"ready\n")


def test_readyz_is_unavailable_with_an_unapplied_migration():
    recorder = MigrationRecorder(connection)
    leaf = MigrationLoader(connection).graph.leaf_nodes("treatments")[0]
    # A squashed migration counts as applied while the migrations it replaces are: take back the
    # last of those (the squash then gives way to them, and that one is unapplied).
    replaced = MigrationLoader(connection).disk_migrations[leaf].replaces
    app, name = replaced[-1] if replaced else leaf
    recorder.record_unapplied(app, name)  # rolled back with the test
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.content == b"1 unapplied migrations\n"


def test_readyz_is_unavailable_when_the_database_does_not_answer(monkeypatch):
    def refuse():
        raise OperationalError("connection refused to db.internal:5432 as exolog")

    monkeypatch.setattr(health.connection, "ensure_connection", refuse)
    response = Client().get("/readyz")
    assert (response.status_code, response.content) == (503, b"database unavailable\n")
    assert b"db.internal" not in response.content


def test_health_checks_only_read():
    response = Client().post("/readyz")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"
