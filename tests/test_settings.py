"""Settings refuse to start unsafely: each case runs in a fresh interpreter with its own environment."""

import pytest

from tests.helpers.config import load_connection_settings, load_database_options, load_settings


def test_it_refuses_to_start_without_a_secret_key_in_production():
    result = load_settings(DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_it_refuses_the_development_key_in_production():
    result = load_settings(
        DJANGO_DEBUG="false", DJANGO_SECRET_KEY="dev-only-insecure-key-never-use-in-production"
    )
    assert result.returncode != 0
    assert "development key" in result.stderr


def test_it_refuses_a_short_secret_key_in_production():
    result = load_settings(DJANGO_DEBUG="false", DJANGO_SECRET_KEY="short")
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_it_starts_in_production_with_a_real_key():
    result = load_settings(DJANGO_DEBUG="false", DJANGO_SECRET_KEY="k" * 60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "kkkkkkkk", "django.db.backends.sqlite3"]


def test_debug_uses_the_development_key_when_none_is_set():
    result = load_settings(DJANGO_DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["True", "dev-only"]


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_it_rejects_an_unrecognised_boolean(value):
    result = load_settings(DJANGO_DEBUG=value)
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be one of" in result.stderr


def test_an_empty_database_url_means_sqlite():
    result = load_settings(DJANGO_DEBUG="true", DATABASE_URL="")
    assert result.stdout.split()[2] == "django.db.backends.sqlite3"


def test_database_url_selects_postgresql():
    result = load_settings(DJANGO_DEBUG="true", DATABASE_URL="postgres://u:p@127.0.0.1:5432/exolog")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[2] == "django.db.backends.postgresql"


POSTGRES = "postgres://u:p@127.0.0.1:5432/exolog"


def test_postgresql_connections_persist_a_minute_and_are_checked_before_reuse():
    result = load_connection_settings(DJANGO_DEBUG="true", DATABASE_URL=POSTGRES)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["60", "True"]


@pytest.mark.parametrize(("value", "expected"), [("0", "0"), ("300", "300")])
def test_the_connection_age_comes_from_the_environment(value, expected):
    result = load_connection_settings(DJANGO_DEBUG="true", DATABASE_URL=POSTGRES, DATABASE_CONN_MAX_AGE=value)
    assert result.stdout.split() == [expected, "True"]


@pytest.mark.parametrize("value", ["a minute", "-5"])
def test_a_wrong_connection_age_stops_the_app_naming_the_variable(value):
    result = load_connection_settings(DJANGO_DEBUG="true", DATABASE_URL=POSTGRES, DATABASE_CONN_MAX_AGE=value)
    assert result.returncode != 0
    assert "DATABASE_CONN_MAX_AGE must be" in result.stderr


def test_postgresql_connections_compile_no_query_plan():
    """JIT off: the reports' aggregates spent longer compiling than running (see clinic.settings)."""
    result = load_database_options(DJANGO_DEBUG="true", DATABASE_URL=POSTGRES)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "-c jit=off"


def test_a_database_urls_own_options_are_kept_before_jit_off():
    url = f"{POSTGRES}?options=-c%20statement_timeout%3D5000"
    result = load_database_options(DJANGO_DEBUG="true", DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "-c statement_timeout=5000 -c jit=off"


def test_sqlite_opens_a_connection_per_request():
    result = load_connection_settings(DJANGO_DEBUG="true", DATABASE_URL="")
    assert result.stdout.split()[0] == "0"


def test_time_zone_support_is_on():
    from django.conf import settings

    assert settings.USE_TZ is True
