"""Audit trail: every clinical write historied, bulk paths closed, write and audit row atomic."""

# AUDITED_WRITES lists, per clinical record model, the service calls that create, change and void
# one. A ClinicalRecord subclass without an entry fails test_every_clinical_record_has_cases.
# The users named in the trail cannot be deleted either.

import datetime as dt
from unittest import mock

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import ProtectedError
from django.db.models.signals import post_save
from django.urls import reverse

from clinic.audit import historical_models
from treatments.models import BulkWriteForbidden, ClinicalRecord, Patient
from treatments.services.patients import patient_save, patient_void

pytestmark = pytest.mark.django_db


def clinical_models():
    return [model for model in apps.get_models() if issubclass(model, ClinicalRecord)]


def _changed_patient(ctx):
    patient = Patient.objects.get(pk=ctx["patient"].pk)
    patient.family_name = "Changed"
    return patient_save(patient=patient, user=ctx["user"], expected_version=patient.version, reason="Typo")


AUDITED_WRITES = {
    Patient: {
        "create": lambda ctx: patient_save(
            patient=Patient(
                mrn="ATOM-1", given_name="At", family_name="Om", date_of_birth=dt.date(1980, 1, 1)
            ),
            user=ctx["user"],
        ),
        "change": _changed_patient,
        "void": lambda ctx: patient_void(
            patient=Patient.objects.get(pk=ctx["patient"].pk), user=ctx["user"], reason="Duplicate"
        ),
    },
}
CASES = [(model, action) for model, actions in AUDITED_WRITES.items() for action in actions]


def test_every_clinical_record_has_cases():
    assert clinical_models(), "no clinical record models found"
    missing = [model.__name__ for model in clinical_models() if model not in AUDITED_WRITES]
    assert missing == [], "add create/change/void cases to AUDITED_WRITES"


@pytest.mark.parametrize("model", clinical_models(), ids=lambda model: model.__name__)
def test_every_clinical_record_keeps_a_history_with_user_and_reason(model):
    history = model.history.model
    names = {field.name for field in history._meta.get_fields()}
    assert {"history_user", "history_date", "history_change_reason", "history_type"} <= names


@pytest.mark.parametrize(("model", "action"), CASES, ids=lambda value: getattr(value, "__name__", value))
def test_each_write_is_audited_with_user_time_and_reason(model, action, physician, patient):
    before = model.history.count()
    record = AUDITED_WRITES[model][action]({"user": physician, "patient": patient})
    entry = record.history.latest()
    assert model.history.count() == before + 1
    assert entry.history_user == physician
    assert entry.history_change_reason
    assert entry.history_type == ("+" if action == "create" else "~")


@pytest.mark.parametrize(("model", "action"), CASES, ids=lambda value: getattr(value, "__name__", value))
def test_a_failing_audit_row_leaves_neither_record_nor_audit(model, action, physician, patient, db_snapshot):
    before = db_snapshot()
    with (
        mock.patch.object(model.history.model, "save", side_effect=RuntimeError("audit store down")),
        pytest.raises(RuntimeError),
    ):
        AUDITED_WRITES[model][action]({"user": physician, "patient": patient})
    assert db_snapshot() == before


@pytest.mark.parametrize(("model", "action"), CASES, ids=lambda value: getattr(value, "__name__", value))
def test_a_failure_after_both_rows_were_written_undoes_both(model, action, physician, patient, db_snapshot):
    written = []

    def fail_after_audit(sender, instance, **kwargs):
        # Connected after simple-history's receiver: the record and its history row exist now.
        written.append(model.history.filter(id=instance.pk).count())
        raise RuntimeError("crash after the audit row")

    before = db_snapshot()
    post_save.connect(fail_after_audit, sender=model, dispatch_uid="test_fail_after_audit")
    try:
        with pytest.raises(RuntimeError):
            AUDITED_WRITES[model][action]({"user": physician, "patient": patient})
    finally:
        post_save.disconnect(sender=model, dispatch_uid="test_fail_after_audit")
    assert written and written[0] >= 1
    assert db_snapshot() == before


@pytest.mark.parametrize("model", clinical_models(), ids=lambda model: model.__name__)
def test_bulk_paths_that_bypass_the_audit_are_closed(model, patient):
    records = model.objects.all()
    with pytest.raises(BulkWriteForbidden):
        records.update(notes="bulk")
    with pytest.raises(BulkWriteForbidden):
        records.delete()
    with pytest.raises(BulkWriteForbidden):
        model.objects.bulk_update(list(records), ["notes"])
    with pytest.raises(BulkWriteForbidden):
        records.first().delete()


def test_related_managers_are_closed_too(patient):
    from treatments.models import Indication

    indication = Indication.objects.first()
    patient.indications.add(indication)
    with pytest.raises(BulkWriteForbidden):
        indication.patients.update(notes="bulk")


def test_the_history_tab_shows_who_what_from_what_to_what_and_why(physician_client, staff_client, patient):
    physician_client.post(
        reverse("patient_update", args=[patient.pk]),
        {"mrn": patient.mrn, "given_name": "Ada", "family_name": "Byron", "date_of_birth": "1970-05-17"}
        | {"sex": "female", "consent_on_file": "2026-01-10", "version": "1"},
    )
    physician_client.post(reverse("patient_void", args=[patient.pk]), {"reason": "Registered twice"})
    page = physician_client.get(patient.get_absolute_url()).content.decode()
    assert "Family name</span>: Lovelace → Byron" in page
    assert "Voided: Registered twice" in page
    assert "Helen Ross" in page or "physician" in page
    assert "History of this record" not in staff_client.get(patient.get_absolute_url()).content.decode()


def test_a_user_named_in_the_audit_trail_cannot_be_deleted(physician, staff, patient, no_role):
    edited = Patient.objects.get(pk=patient.pk)
    edited.notes = "called"
    patient_save(patient=edited, user=staff, expected_version=edited.version)
    # Django deletes inside atomic(savepoint=False): our own savepoint keeps the test usable.
    with pytest.raises(ProtectedError, match="deactivate"), transaction.atomic():
        staff.delete()
    assert User.objects.filter(pk=staff.pk).exists()
    no_role.delete()  # never named anywhere: may go
    assert historical_models()


def test_the_admin_offers_no_user_deletion(superuser_client, staff):
    assert superuser_client.get(reverse("admin:auth_user_delete", args=[staff.pk])).status_code == 403
