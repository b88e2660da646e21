"""Audit trail: every clinical write historied, bulk paths closed, write and audit row atomic."""

# AUDITED_WRITES (tests/security_cases/audit.py) lists, per clinical record model, the real write
# paths that create, change and void one; a model without a void path says so in NO_VOID_PATH. A
# ClinicalRecord subclass without an entry fails test_every_clinical_record_has_cases. The users
# named in the trail cannot be deleted either.

import datetime as dt
from types import SimpleNamespace
from unittest import mock

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import ProtectedError
from django.db.models.signals import post_save
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.audit import historical_models
from clinic.models import BulkWriteForbidden, ClinicalRecord
from tests.helpers.auth import login_verified
from tests.security_cases.audit import AUDITED_WRITES, CASES, NO_VOID_PATH, actor
from treatments.models import Patient, Protocol
from treatments.services.patients import patient_save

pytestmark = [pytest.mark.django_db, pytest.mark.security("audit_trail")]


def clinical_models():
    return [model for model in apps.get_models() if issubclass(model, ClinicalRecord)]


@pytest.fixture
def ctx(physician, clinic_admin, patient, make_lot, make_treatment, make_report):
    """Everything the cases act on, made before any test takes its snapshot: a released lot, a draft
    and a signed treatment (with its follow-ups), a side-effect report, and a clinic admin signed in
    to the Django admin, where products and protocol versions are edited."""
    clinic_admin.is_staff = True
    clinic_admin.save(update_fields=["is_staff"])
    lot = make_lot(lot_number="AUDIT-1")
    signed = make_treatment(patient, sign=True, lot=lot)
    return SimpleNamespace(
        physician=physician,
        clinic_admin=clinic_admin,
        admin_client=login_verified(Client(), clinic_admin),
        patient=patient,
        product=lot.product,
        lot=lot,
        draft=make_treatment(patient, lot=lot),
        signed=signed,
        # An earlier version (the data migration's own, from 2000, stays in force): the migration
        # made that one without a history row to compare a change with.
        protocol=Protocol.objects.create(effective_from=dt.date(1999, 1, 1), created_by=clinic_admin),
        report=make_report(signed, onset=signed.treatment_date, reported_by=physician, created_by=physician),
    )


def test_every_clinical_record_has_cases():
    assert clinical_models(), "no clinical record models found"
    missing = [model.__name__ for model in clinical_models() if model not in AUDITED_WRITES]
    assert missing == [], "add create/change/void cases to AUDITED_WRITES"
    for model, actions in AUDITED_WRITES.items():
        assert {"create", "change"} <= set(actions), model
        assert ("void" in actions) != (model in NO_VOID_PATH), model


@pytest.mark.parametrize("model", clinical_models(), ids=lambda model: model.__name__)
def test_every_clinical_record_keeps_a_history_with_user_and_reason(model):
    history = model.history.model
    names = {field.name for field in history._meta.get_fields()}
    assert {"history_user", "history_date", "history_change_reason", "history_type"} <= names


@pytest.mark.parametrize(("model", "action"), CASES, ids=lambda value: getattr(value, "__name__", value))
def test_each_write_is_audited_with_user_time_and_reason(model, action, ctx):
    last = model.history.order_by("-history_id").values_list("history_id", flat=True).first() or 0
    started = timezone.now()
    record = AUDITED_WRITES[model][action](ctx)
    written = list(model.history.filter(history_id__gt=last).order_by("history_id"))
    # The write's own row comes first; derived updates may follow (a draft placed among earlier
    # treatments gets its round number recomputed), and a signing schedules several follow-ups.
    # Every row written names the user, the time and the reason.
    entry = next(row for row in written if row.id == record.pk)
    for row in written:
        assert row.history_user == actor(model, ctx)
        assert row.history_change_reason
        assert row.history_date >= started
    assert entry.history_type == ("+" if action.startswith("create") else "~")
    if entry.history_type == "~":
        # Old and new values: the row before this one holds what was there, this one what is now.
        fields = [f.attname for f in entry.tracked_fields if f.name not in ("updated_at", "version")]
        before = entry.prev_record
        assert [name for name in fields if getattr(entry, name) != getattr(before, name)], "nothing changed"


@pytest.mark.parametrize(("model", "action"), CASES, ids=lambda value: getattr(value, "__name__", value))
@pytest.mark.security("atomic_audit")
def test_a_failing_audit_row_leaves_neither_record_nor_audit(model, action, ctx, db_snapshot):
    before = db_snapshot()
    with (
        mock.patch.object(model.history.model, "save", side_effect=RuntimeError("audit store down")),
        pytest.raises(RuntimeError),
    ):
        AUDITED_WRITES[model][action](ctx)
    assert db_snapshot() == before


@pytest.mark.parametrize(("model", "action"), CASES, ids=lambda value: getattr(value, "__name__", value))
@pytest.mark.security("atomic_audit")
def test_a_failure_after_both_rows_were_written_undoes_both(model, action, ctx, db_snapshot):
    written = []

    def fail_after_audit(sender, instance, **kwargs):
        # Connected after simple-history's receiver: the record and its history row exist now.
        written.append(model.history.filter(id=instance.pk).count())
        raise RuntimeError("crash after the audit row")

    before = db_snapshot()
    post_save.connect(fail_after_audit, sender=model, dispatch_uid="test_fail_after_audit")
    try:
        with pytest.raises(RuntimeError):
            AUDITED_WRITES[model][action](ctx)
    finally:
        post_save.disconnect(sender=model, dispatch_uid="test_fail_after_audit")
    assert written and written[0] >= 1
    assert db_snapshot() == before


@pytest.mark.parametrize("model", clinical_models(), ids=lambda model: model.__name__)
def test_bulk_paths_that_bypass_the_audit_are_closed(model, ctx):
    records = model.objects.all()
    assert records.exists(), "the fixture makes one of each clinical record"
    with pytest.raises(BulkWriteForbidden):
        records.update(notes="bulk")
    with pytest.raises(BulkWriteForbidden):
        records.delete()
    with pytest.raises(BulkWriteForbidden):
        model.objects.bulk_update(list(records), ["notes"])
    with pytest.raises(BulkWriteForbidden):
        records.first().delete()


def test_the_base_manager_is_closed_too(ctx):
    open_paths = []
    for model in clinical_models():
        with transaction.atomic():
            try:
                model._base_manager.filter(pk__in=[]).update(updated_at=timezone.now())
            except BulkWriteForbidden:
                continue
            open_paths.append(model.__name__)
    assert open_paths == []


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
