"""Integrity over every model, admin, view and form: PROTECT, no delete path, versioned forms."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.views.generic.edit import DeletionMixin
from simple_history.models import HistoricalRecords

from clinic.audit import historical_models
from clinic.form_parts import VersionedFormMixin
from clinic.models import ClinicalRecord
from tests.helpers.forms import lot_admin_form, project_forms, treatment_edit_data
from tests.helpers.urlwalk import all_patterns
from treatments.models import AccessEvent

pytestmark = pytest.mark.django_db


def history_tables() -> set:
    """simple-history's generated tables, the many-to-many history included."""
    return set(historical_models()) | set(HistoricalRecords.m2m_models.values())


def is_guarded(model) -> bool:
    """Records that must outlive anything pointing at them."""
    return issubclass(model, ClinicalRecord) or model is AccessEvent or model in history_tables()


def foreign_keys():
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if (field.many_to_one or field.one_to_one) and field.concrete:
                yield model, field


@pytest.mark.security("no_delete")
def test_foreign_keys_to_clinical_records_protect_them(security_figures):
    problems, checked = [], 0
    for model, field in foreign_keys():
        if not is_guarded(field.related_model):
            continue
        checked += 1
        on_delete = field.remote_field.on_delete
        if model in history_tables():
            # simple-history's copies point without a database constraint and never cascade.
            allowed = (models.DO_NOTHING,)
        elif model._meta.auto_created:
            # A many-to-many link table: its rows go only if the record goes, which nothing allows.
            allowed = (models.CASCADE,)
        else:
            allowed = (models.PROTECT,)
        if on_delete not in allowed:
            problems.append(
                f"{model._meta.label}.{field.name} -> {field.related_model._meta.label}: {on_delete.__name__}"
            )
    assert problems == []
    assert checked >= 4
    security_figures["protect_foreign_keys_checked"] += checked


@pytest.mark.security("no_delete")
def test_clinical_records_protect_what_they_point_at():
    """Attribution, the patient of a treatment, the lot of an administration: never cascaded away."""
    problems = [
        f"{model._meta.label}.{field.name}: {field.remote_field.on_delete.__name__}"
        for model, field in foreign_keys()
        if issubclass(model, ClinicalRecord) and field.remote_field.on_delete is not models.PROTECT
    ]
    assert problems == []


def clinical_admins():
    return [(model, model_admin) for model, model_admin in admin.site._registry.items() if is_guarded(model)]


@pytest.mark.security("no_delete")
def test_no_admin_can_delete_a_clinical_record(rf, superuser, security_figures):
    request = rf.get("/admin/")
    request.user = superuser
    assert clinical_admins()
    for model, model_admin in clinical_admins():
        assert model_admin.has_delete_permission(request) is False, model
        assert "delete_selected" not in model_admin.get_actions(request), model
        security_figures["admins_checked"] += 1


@pytest.mark.security("no_delete")
def test_the_admin_delete_page_is_refused(superuser_client, patient):
    response = superuser_client.get(reverse("admin:treatments_patient_delete", args=[patient.pk]))
    assert response.status_code == 403
    change = superuser_client.get(reverse("admin:treatments_patient_change", args=[patient.pk]))
    assert change.status_code == 200
    assert reverse("admin:treatments_patient_delete", args=[patient.pk]) not in change.content.decode()


def view_model(view_class):
    model = getattr(view_class, "model", None)
    queryset = getattr(view_class, "queryset", None)
    return model or (queryset.model if queryset is not None else None)


@pytest.mark.security("no_delete")
def test_no_view_deletes_a_clinical_record():
    problems = []
    for regex, pattern, namespace in all_patterns():
        view_class = getattr(pattern.callback, "view_class", None)
        if namespace == "admin" or view_class is None:
            continue
        if issubclass(view_class, DeletionMixin):
            model = view_model(view_class)
            if model is None or is_guarded(model):
                problems.append(f"{regex}: {view_class.__name__}")
    assert problems == [], "clinical records are voided with a reason, never deleted"


@pytest.mark.security("stale_forms")
def test_every_form_editing_a_clinical_record_carries_its_version():
    forms_for_records = [
        form
        for form in project_forms()
        if getattr(getattr(form, "_meta", None), "model", None)
        and issubclass(form._meta.model, ClinicalRecord)
    ]
    assert forms_for_records
    missing = [form.__qualname__ for form in forms_for_records if not issubclass(form, VersionedFormMixin)]
    assert missing == [], "use VersionedFormMixin so a stale form gets a conflict"


@pytest.mark.security("stale_forms")
def test_a_stale_form_gets_a_clear_conflict_and_loses_nothing(physician_client, staff_client, patient):
    base = {"mrn": patient.mrn, "date_of_birth": "1970-05-17", "sex": "female", "version": "1"}
    first = physician_client.post(
        reverse("patient_update", args=[patient.pk]), base | {"given_name": "Ada", "family_name": "First"}
    )
    assert first.status_code == 302
    second = staff_client.post(
        reverse("patient_update", args=[patient.pk]), base | {"given_name": "Ada", "family_name": "Second"}
    )
    assert second.status_code == 200
    body = second.content.decode()
    assert "changed by someone else while you were editing" in body
    # The second person's input is still in the form, and the first change stands.
    assert 'value="Second"' in body
    patient.refresh_from_db()
    assert (patient.family_name, patient.version) == ("First", 2)


# Treatment drafts: the treatment and each of its administrations carry their versions -----------


@pytest.mark.security("stale_forms")
def test_a_stale_draft_loses_nothing_and_keeps_the_second_persons_input(
    physician_client, staff_client, make_treatment, patient, lot
):
    treatment = make_treatment(patient)
    url = reverse("treatment_update", args=[treatment.pk])
    page = physician_client.get(url).content.decode()
    assert 'name="version"' in page and 'name="administrations-0-version"' in page
    administration = treatment.administrations.get()
    row = {"route": "iv_drip", "lot": lot.pk, "version": administration.version}
    stale = treatment_edit_data(treatment, lot, [row | {"dose_billion": "3"}])
    first = physician_client.post(url, treatment_edit_data(treatment, lot, [row | {"dose_billion": "2"}]))
    assert first.status_code == 302
    response = staff_client.post(url, stale | {"physician": treatment.physician_id})
    assert response.status_code == 200
    body = response.content.decode()
    assert "changed by someone else while you were editing" in body
    assert 'value="3"' in body  # the second person's dose is still in the form
    assert treatment.administrations.active().get().dose_billion == Decimal("2")


@pytest.mark.security("stale_forms")
def test_an_administration_row_is_checked_even_when_the_treatment_version_is_current(
    physician_client, make_treatment, patient, lot, db_snapshot
):
    """A form whose treatment version was set by hand still carries its administration's version."""
    treatment = make_treatment(patient)
    administration = treatment.administrations.get()
    row = {"route": "iv_drip", "lot": lot.pk, "dose_billion": "3", "version": administration.version + 1}
    before = db_snapshot()
    response = physician_client.post(
        reverse("treatment_update", args=[treatment.pk]), treatment_edit_data(treatment, lot, [row])
    )
    assert response.status_code == 200
    assert "This administration was changed by someone else" in response.content.decode()
    assert db_snapshot() == before


# Lots edited in the Django admin -----------------------------------------------------------------


@pytest.mark.security("stale_forms")
def test_a_stale_lot_form_in_the_admin_gets_a_conflict_and_loses_nothing(superuser_client, lot):
    url = reverse("admin:treatments_lot_change", args=[lot.pk])
    page = superuser_client.get(url).content.decode()
    assert 'type="hidden" name="version" value="1"' in page
    first = superuser_client.post(url, lot_admin_form(lot, storage_location="Freezer A", version="1"))
    assert first.status_code == 302
    second = superuser_client.post(url, lot_admin_form(lot, storage_location="Freezer B", version="1"))
    assert second.status_code == 200
    body = second.content.decode()
    assert "changed by someone else while you were editing" in body
    assert 'value="Freezer B"' in body
    lot.refresh_from_db()
    assert (lot.storage_location, lot.version) == ("Freezer A", 2)
