"""EXOLOG_BASE_URL has no production default: `check --deploy` fails without a usable one
(exolog.E002), no digest is sent with a link to nowhere, and pages build links from the request."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from clinic.checks import check_base_url
from treatments.links import absolute_url

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.security("deploy_check")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", "EXOLOG_BASE_URL is not set"),
        ("http://exolog.clinic.example", "is not an https:// address"),
        ("exolog.clinic.example", "is not an https:// address"),
        ("https://127.0.0.1:8000", "this machine's own address"),
        ("https://localhost", "this machine's own address"),
        ("https://exolog.clinic.example/?next=x", "carries a query or fragment"),
    ],
)
def test_the_deployment_check_reports_a_missing_or_unusable_base_url(settings, url, problem):
    settings.EXOLOG_BASE_URL = url
    [error] = check_base_url()
    assert error.id == "exolog.E002" and error.level == checks.ERROR
    assert problem in error.msg and "reminder mail" in error.msg
    assert "EXOLOG_BASE_URL=https://" in error.hint


@pytest.mark.parametrize("url", ["https://exolog.clinic.example", "https://clinic.example:8443/exolog"])
def test_an_https_address_passes(settings, url):
    settings.EXOLOG_BASE_URL = url
    assert check_base_url() == []


def test_it_runs_with_the_deployment_checks_only(settings):
    settings.EXOLOG_BASE_URL = ""
    assert "exolog.E002" in [e.id for e in checks.run_checks(include_deployment_checks=True, tags=["exolog"])]
    assert checks.run_checks(tags=["exolog"]) == []


def test_a_mail_link_is_refused_rather_than_sent_relative(settings):
    settings.EXOLOG_BASE_URL = ""
    with pytest.raises(ImproperlyConfigured, match="EXOLOG_BASE_URL is not set"):
        absolute_url("/followups/")
    settings.EXOLOG_BASE_URL = "https://exolog.clinic.example"
    assert absolute_url("/followups/") == "https://exolog.clinic.example/followups/"


def _settings_value(env: dict, expression: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (the test's own interpreter and expression)
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; print({expression})",
        ],
        cwd=ROOT,
        env=env | {"DJANGO_SETTINGS_MODULE": "clinic.settings"},
        capture_output=True,
        text=True,
        check=False,
    )


def _production_env(**extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "EXOLOG_", "CLINIC_PHONE"))
    }
    return env | {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "p" * 30 + "-production-like-secret-" + "q" * 30,
        "DJANGO_ALLOWED_HOSTS": "clinic.example",
        "EMAIL_HOST": "smtp.clinic.example",
        "CLINIC_PHONE": "+49 30 1234567",
        **extra,
    }


def test_production_settings_have_no_development_default():
    result = _settings_value(_production_env(), "repr(settings.EXOLOG_BASE_URL)")
    assert result.stdout.strip() == "''", result.stderr
    dev = _settings_value(_production_env(DJANGO_DEBUG="true"), "settings.EXOLOG_BASE_URL")
    assert dev.stdout.strip() == "http://127.0.0.1:8000"


def test_check_deploy_fails_with_production_settings_and_no_base_url():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "exolog.E002" in result.stderr + result.stdout
    assert "EXOLOG_BASE_URL is not set" in result.stderr + result.stdout
