"""The deployment check that the aftercare sheet's clinic phone is set (exolog.E001)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks

from clinic.checks import check_clinic_phone

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("phone", "problem"),
    [("", "CLINIC_PHONE is not set"), ("ask reception", "is not a phone number (fewer than 3 digits)")],
)
def test_it_reports_a_missing_or_unusable_phone(settings, phone, problem):
    settings.CLINIC_PHONE = phone
    [error] = check_clinic_phone()
    assert error.id == "exolog.E001" and error.level == checks.ERROR
    assert problem in error.msg and "aftercare sheet" in error.msg
    assert "CLINIC_PHONE=" in error.hint


@pytest.mark.parametrize("phone", ["+49 30 1234567", "(030) 123-45", "112"])
def test_a_number_passes(settings, phone):
    settings.CLINIC_PHONE = phone
    assert check_clinic_phone() == []


def test_it_runs_with_the_deployment_checks_only(settings):
    settings.CLINIC_PHONE = ""
    deploy = checks.run_checks(include_deployment_checks=True, tags=["exolog"])
    assert [error.id for error in deploy] == ["exolog.E001"]
    # Not on every command (migrate, runserver): a development machine needs no clinic phone.
    assert checks.run_checks(tags=["exolog"]) == []


def test_check_deploy_fails_with_production_settings_and_no_phone():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "EXOLOG_", "CLINIC_PHONE"))
    }
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="p" * 30 + "-production-like-secret-" + "q" * 30,
        DJANGO_ALLOWED_HOSTS="clinic.example",
        EMAIL_HOST="smtp.clinic.example",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "exolog.E001" in result.stderr + result.stdout
    assert "CLINIC_PHONE is not set" in result.stderr + result.stdout
