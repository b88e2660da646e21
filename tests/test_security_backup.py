"""Backup and restore: a round trip of the demo data keeps every table's rows and the audit history."""

import gzip
import json

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.backup import model_counts, wipe
from clinic.roles import CLINIC_ADMIN, PHYSICIAN
from faq.models import Entry
from tests.helpers.auth import login_verified, make_user
from treatments.models import AccessEvent, Patient, Protocol

pytestmark = [pytest.mark.django_db, pytest.mark.security("backup")]


@pytest.fixture(autouse=True)
def forget_content_types():
    """These tests flush the database inside their transaction; the rollback brings the old
    content type ids back, so the cache must not keep the flushed ones for later tests."""
    yield
    ContentType.objects.clear_cache()


def history_of_patients():
    return list(
        Patient.history.order_by("history_date", "mrn", "history_type").values_list(
            "mrn",
            "family_name",
            "version",
            "history_type",
            "history_user__username",
            "history_change_reason",
            "history_date",
        )
    )


@pytest.fixture(scope="module")
def shared_clinic(django_db_setup, django_db_blocker):
    """The demo clinic of 20 patients with a patient edited, then voided, as a physician, who viewed
    it (an access event), and a failed login: built once for the module (the users as the conftest
    fixtures make them) in a transaction that the module's end rolls back. Each test runs in a
    savepoint inside it, so its wipe, restore or broken restore is gone after it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            physician = make_user("physician", PHYSICIAN, first_name="Helen", last_name="Ross")
            make_user("clinicadmin", CLINIC_ADMIN, first_name="Alex", last_name="Morgan")
            with override_settings(DEBUG=True):
                call_command("seed_demo", "--patients", "20")
            client = login_verified(Client(), physician)
            patient = Patient.objects.order_by("mrn").first()
            client.get(patient.get_absolute_url())
            edited = {"mrn": patient.mrn, "given_name": patient.given_name, "family_name": "Restored"}
            edited |= {
                "date_of_birth": patient.date_of_birth.isoformat(),
                "sex": patient.sex,
                "version": patient.version,
            }
            assert client.post(reverse("patient_update", args=[patient.pk]), edited).status_code == 302
            client.post(reverse("patient_void", args=[patient.pk]), {"reason": "Test of the restore"})
            Client().post(reverse("login"), {"username": "dr.ross", "password": "wrong"})
            ContentType.objects.clear_cache()
            yield patient.pk
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            ContentType.objects.clear_cache()


@pytest.fixture
def demo_clinic(shared_clinic):
    """The edited and voided patient of the shared demo clinic, as this test's savepoint found it."""
    return Patient.objects.get(pk=shared_clinic)


def test_a_round_trip_keeps_every_table_and_the_audit_history(demo_clinic, tmp_path, security_figures):
    before, history = model_counts(), history_of_patients()
    assert before["treatments.HistoricalPatient"] >= 22 and before["treatments.AccessEvent"] == 1
    backup = tmp_path / "exolog.json.gz"
    call_command("backup_db", str(backup))
    assert backup.stat().st_mode & 0o777 == 0o600

    wipe()
    assert not Patient.objects.exists() and not Group.objects.exists()
    call_command("restore_db", str(backup))

    assert model_counts() == before
    assert history_of_patients() == history
    restored = Patient.objects.get(pk=demo_clinic.pk)
    assert restored.is_voided and restored.family_name == "Restored"
    assert TOTPDevice.objects.filter(user__username="physician").exists()
    assert AccessAttempt.objects.filter(username="dr.ross").exists()
    assert set(Group.objects.get(name="Physician").permissions.values_list("codename", flat=True)) >= {
        "view_patient",
        "void_patient",
    }
    # The restored database works: the physician signs in and opens the record.
    assert (
        login_verified(Client(), User.objects.get(username="physician"))
        .get(restored.get_absolute_url())
        .status_code
        == 200
    )
    security_figures["backup_tables_compared"] += len(before)
    security_figures["backup_rows_round_tripped"] += sum(before.values())


def test_a_freshly_migrated_database_restores_without_force(demo_clinic, tmp_path):
    """migrate seeds the roles, indications, starting protocol and FAQ; a restore on top of them
    needs no --force, and what it leaves is exactly the backup."""
    from django.core.management.sql import emit_post_migrate_signal

    before, history = model_counts(), history_of_patients()
    backup = tmp_path / "exolog.json.gz"
    call_command("backup_db", str(backup))
    wipe()
    # What migrate does on a fresh database once the schema is there.
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert Group.objects.exists() and Protocol.objects.exists() and Entry.objects.exists()
    call_command("restore_db", str(backup))
    assert model_counts() == before
    assert history_of_patients() == history


def test_the_backup_is_gzipped_json_with_natural_keys(demo_clinic, tmp_path):
    backup = tmp_path / "b.json.gz"
    call_command("backup_db", str(backup))
    records = json.loads(gzip.decompress(backup.read_bytes()))
    models = {record["model"] for record in records}
    assert {
        "treatments.patient",
        "treatments.historicalpatient",
        "treatments.accessevent",
        "auth.user",
    } <= models
    assert "sessions.session" not in models and "contenttypes.contenttype" not in models
    patient = next(record for record in records if record["model"] == "treatments.patient")
    assert patient["fields"]["created_by"] == ["dr.ross"]


def test_restore_refuses_a_database_that_holds_data(demo_clinic, tmp_path):
    backup = tmp_path / "b.json.gz"
    call_command("backup_db", str(backup))
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore_db", str(backup))


def test_a_broken_backup_changes_nothing_even_with_force(demo_clinic, tmp_path):
    backup = tmp_path / "b.json.gz"
    call_command("backup_db", str(backup))
    records = json.loads(gzip.decompress(backup.read_bytes()))
    records[-1]["fields"]["no_such_field"] = 1
    records.append({"model": "treatments.patient", "pk": 999999, "fields": {"mrn": None}})
    backup.write_bytes(gzip.compress(json.dumps(records).encode()))
    before = model_counts()
    with pytest.raises(Exception):  # noqa: B017 (any loading error; what matters is the state after)
        call_command("restore_db", str(backup), "--force")
    assert model_counts() == before
    assert Patient.objects.filter(family_name="Restored").exists()


def test_backup_refuses_a_wrong_name_and_an_existing_file(tmp_path, db):
    with pytest.raises(CommandError, match="must end in .json.gz"):
        call_command("backup_db", str(tmp_path / "b.sql"))
    (tmp_path / "b.json.gz").write_bytes(b"old")
    with pytest.raises(CommandError, match="exists"):
        call_command("backup_db", str(tmp_path / "b.json.gz"))
    assert (tmp_path / "b.json.gz").read_bytes() == b"old"
    assert not list(tmp_path.glob("*.partial"))


def test_access_events_survive_with_their_user_and_patient(demo_clinic, tmp_path):
    event = AccessEvent.objects.select_related("user", "patient").get()
    expected = (event.user.username, event.patient.mrn, event.at)
    backup = tmp_path / "b.json.gz"
    call_command("backup_db", str(backup))
    call_command("restore_db", str(backup), "--force")
    restored = AccessEvent.objects.select_related("user", "patient").get()
    # Users are matched by username (natural keys), so their ids may change; the event follows.
    assert (restored.user.username, restored.patient.mrn, restored.at) == expected
