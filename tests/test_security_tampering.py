"""Tampered requests: extra POST fields are ignored, forged versions refused, no open redirect via next."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers.auth import PASSWORD
from tests.helpers.forms import project_forms

pytestmark = pytest.mark.django_db

# Fields a forged form could add to claim authorship, a signature or a void.
FORGED = {
    "created_by": "999",
    "created_at": "2001-01-01T00:00",
    "voided_at": "2001-01-01T00:00",
    "voided_by": "999",
    "void_reason": "forged",
    "signed_at": "2001-01-01T00:00",
    "signed_by": "999",
    "physician": "999",
    "takes_anti_inflammatories_override": "1",
    "id": "424242",
}


def patient_data(**overrides):
    data = {"mrn": "MRN-T1", "given_name": "Tam", "family_name": "Pered", "date_of_birth": "1975-03-04"}
    data["sex"] = "male"
    data.update(overrides)
    return data


@pytest.mark.security("extra_fields")
def test_extra_fields_on_create_are_ignored(staff_client, staff, no_role, security_figures):
    response = staff_client.post(
        reverse("patient_create"),
        {**patient_data(), **FORGED, "created_by": str(no_role.pk), "version": "99"},
    )
    assert response.status_code == 302
    from treatments.models import Patient

    patient = Patient.objects.get(mrn="MRN-T1")
    assert patient.pk != 424242
    assert patient.created_by == staff
    assert patient.voided_at is None and patient.voided_by is None and patient.void_reason == ""
    assert patient.version == 1
    assert patient.created_at.year > 2001
    security_figures["forged_fields_ignored"] += len(FORGED) + 1


@pytest.mark.security("extra_fields")
def test_extra_fields_on_edit_are_ignored(staff_client, physician, no_role, patient, security_figures):
    data = patient_data(mrn=patient.mrn, given_name="Renamed", version=str(patient.version))
    response = staff_client.post(
        reverse("patient_update", args=[patient.pk]), {**data, **FORGED, "created_by": str(no_role.pk)}
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.given_name == "Renamed"
    assert patient.created_by == physician
    assert patient.voided_at is None and patient.void_reason == ""
    assert patient.version == 2
    security_figures["forged_fields_ignored"] += len(FORGED)


@pytest.mark.security("extra_fields", "stale_forms")
def test_a_forged_version_is_a_conflict_not_an_overwrite(staff_client, patient):
    data = patient_data(mrn=patient.mrn, given_name="Renamed", version="99")
    response = staff_client.post(reverse("patient_update", args=[patient.pk]), data)
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    patient.refresh_from_db()
    assert (patient.given_name, patient.version) == ("Ada", 1)


@pytest.mark.security("extra_fields")
def test_no_modelform_uses_all_fields():
    import inspect

    from django import forms

    for form_class in project_forms():
        if issubclass(form_class, forms.ModelForm):
            meta_fields = form_class._meta.fields
            assert meta_fields not in (None, "__all__"), form_class
            assert "__all__" not in inspect.getsource(form_class), form_class


OFFSITE = [
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "https:evil.example",
    "http://testserver@evil.example/",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("target", OFFSITE)
@pytest.mark.security("open_redirect")
def test_login_never_redirects_off_site(staff, target, security_figures):
    client = Client()
    page = client.get(reverse("login"), {"next": target}).content.decode()
    assert "evil.example" not in page and "javascript:" not in page
    response = client.post(reverse("login"), {"username": "staff", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    security_figures["open_redirects_tried"] += 1


@pytest.mark.security("open_redirect")
def test_login_keeps_an_on_site_next(staff):
    response = Client().post(
        reverse("login"), {"username": "staff", "password": PASSWORD, "next": reverse("patient_list")}
    )
    assert response["Location"] == reverse("patient_list")


@pytest.mark.security("extra_fields")
def test_an_out_of_range_indication_id_is_a_field_error_not_a_crash(staff_client):
    # Found by the fuzzing: Django sent it to the database, which overflowed (a 500).
    response = staff_client.post(reverse("patient_create"), patient_data(indications=["9" * 40]))
    assert response.status_code == 200
    assert "is not a valid value" in response.content.decode()
