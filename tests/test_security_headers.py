"""Security headers on pages, templates free of inline script and style, and check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers.pages import (
    EVENT_ATTR,
    INLINE_SCRIPT,
    JAVASCRIPT_URL,
    STYLE_ATTR,
    STYLE_TAG,
    assert_no_inline_code,
    assert_security_headers,
    csp_directives,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("url_name", ["login", "home", "patient_list"])
@pytest.mark.security("headers")
def test_pages_carry_every_security_header(physician_client, url_name, security_figures):
    client = Client() if url_name == "login" else physician_client
    response = client.get(reverse(url_name), secure=True)
    assert response.status_code == 200
    csp = assert_security_headers(response)
    nonce = next(value for value in csp["script-src"] if value.startswith("'nonce-"))
    # Our own scripts carry the nonce, so the policy could drop 'self' for scripts one day.
    assert f'nonce="{nonce[7:-1]}"' in response.content.decode()
    assert_no_inline_code(response.content.decode(), url_name)
    security_figures["header_pages_checked"] += 1


@pytest.mark.security("headers")
def test_the_nonce_changes_with_every_response(staff_client):
    first = csp_directives(staff_client.get(reverse("home"), secure=True))["script-src"]
    second = csp_directives(staff_client.get(reverse("home"), secure=True))["script-src"]
    assert first != second


def test_plain_http_is_redirected_to_https_in_production(settings):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get(reverse("login"))
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


@pytest.mark.security("no_store")
def test_patient_pages_are_never_stored(staff_client, patient):
    for url in [
        reverse("patient_list"),
        patient.get_absolute_url(),
        reverse("patient_update", args=[patient.pk]),
    ]:
        cache_control = staff_client.get(url)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control


def template_files():
    folders = [ROOT / "templates", *ROOT.glob("*/templates")]
    return sorted(path for folder in folders for path in folder.rglob("*.html"))


@pytest.mark.security("headers")
def test_templates_hold_no_inline_script_style_or_handlers(security_figures):
    files = template_files()
    assert len(files) >= 10
    problems = []
    for path in files:
        source = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT)
        problems += [f"{name}: inline script {tag}" for tag in INLINE_SCRIPT.findall(source)]
        problems += [f"{name}: <style>" for _ in STYLE_TAG.findall(source)]
        problems += [f"{name}: style attribute" for _ in STYLE_ATTR.findall(source)]
        problems += [f"{name}: event handler attribute" for _ in EVENT_ATTR.findall(source)]
        problems += [f"{name}: javascript: URL" for _ in JAVASCRIPT_URL.findall(source)]
    assert problems == []
    security_figures["templates_scanned"] += len(files)


@pytest.mark.security("headers")
def test_the_scanner_catches_what_it_looks_for():
    assert INLINE_SCRIPT.search('<script nonce="x">alert(1)</script>')
    assert not INLINE_SCRIPT.search('<script src="/static/js/exolog.js"></script>')
    assert STYLE_ATTR.search('<div style="color:red">')
    assert EVENT_ATTR.search('<img onerror="x">')


@pytest.mark.security("deploy_check")
def test_check_deploy_passes_with_production_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "EXOLOG_"))}
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="p" * 30 + "-production-like-secret-" + "q" * 30,
        DJANGO_ALLOWED_HOSTS="clinic.example",
        EMAIL_HOST="smtp.clinic.example",
        CLINIC_PHONE="+49 30 1234567",
        EXOLOG_BASE_URL="https://clinic.example",
        EXOLOG_RESEARCH_KEY="production-like-research-key-" + "k" * 30,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
