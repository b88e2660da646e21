"""Signing: physicians only, with their password, a complete checklist and consent; then read-only."""

import datetime as dt

import pytest
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.helpers.auth import PASSWORD, login_verified
from treatments.models import FollowUp, TreatmentStatus
from treatments.services.signing import treatment_sign
from treatments.services.treatments import treatment_save

pytestmark = pytest.mark.django_db


def sign(client, treatment, password=PASSWORD):
    return client.post(
        reverse("treatment_sign", args=[treatment.pk]), {"password": password, "version": treatment.version}
    )


def test_staff_cannot_sign(staff_client, make_treatment, patient):
    treatment = make_treatment(patient)
    assert staff_client.get(reverse("treatment_sign", args=[treatment.pk])).status_code == 403
    assert sign(staff_client, treatment).status_code == 403
    treatment.refresh_from_db()
    assert treatment.status == TreatmentStatus.DRAFT


def test_a_wrong_password_signs_nothing_and_counts_as_a_failed_login(
    physician_client, make_treatment, patient
):
    treatment = make_treatment(patient)
    failures = []

    def record(sender, credentials, **kwargs):
        failures.append(credentials["username"])

    user_login_failed.connect(record)
    try:
        response = sign(physician_client, treatment, password="not my password")
    finally:
        user_login_failed.disconnect(record)
    assert response.status_code == 200
    assert "The password is not correct. The treatment was not signed." in response.content.decode()
    assert failures == ["physician"]
    treatment.refresh_from_db()
    assert (treatment.status, treatment.signed_at) == (TreatmentStatus.DRAFT, None)
    assert not FollowUp.objects.exists()


def test_the_right_password_signs_and_schedules_followups(
    physician_client, physician, make_treatment, patient
):
    treatment = make_treatment(patient)
    page = physician_client.get(reverse("treatment_sign", args=[treatment.pk]))
    assert 'name="password"' in page.content.decode()
    treatment.refresh_from_db()
    assert treatment.status == TreatmentStatus.DRAFT  # GET changes nothing

    response = sign(physician_client, treatment)
    assert response["Location"] == treatment.get_absolute_url()
    treatment.refresh_from_db()
    assert (treatment.status, treatment.signed_by) == (TreatmentStatus.SIGNED, physician)
    assert treatment.signed_at is not None
    assert treatment.followups.count() == 5
    assert treatment.history.latest().history_change_reason == "Signed"
    body = physician_client.get(treatment.get_absolute_url()).content.decode()
    assert "Signed on" in body and "Read-only" in body


def test_an_incomplete_checklist_cannot_be_signed(physician_client, make_treatment, patient):
    treatment = make_treatment(patient, anti_inflammatories_paused=False, product_thawed_inspected=False)
    page = physician_client.get(reverse("treatment_sign", args=[treatment.pk])).content.decode()
    expected = (
        "Complete the pre-treatment checklist before signing: anti-inflammatory medication paused, "
        "product thawed and inspected."
    )
    assert expected in page and 'name="password"' not in page
    response = sign(physician_client, treatment)
    assert expected in response.content.decode()
    treatment.refresh_from_db()
    assert treatment.status == TreatmentStatus.DRAFT


def test_a_patient_without_consent_cannot_be_signed_for(physician_client, make_treatment, make_patient):
    treatment = make_treatment(make_patient(consent_on_file=None))
    response = sign(physician_client, treatment)
    assert "No treatment consent is on file for this patient." in response.content.decode()
    treatment.refresh_from_db()
    assert treatment.status == TreatmentStatus.DRAFT


def test_consent_must_predate_the_treatment(physician_client, make_treatment, make_patient):
    from django.utils import timezone

    patient = make_patient(consent_on_file=timezone.localdate())
    treatment = make_treatment(patient, when=timezone.now() - dt.timedelta(days=3))
    response = sign(physician_client, treatment)
    assert "A treatment needs consent signed on or before its date." in response.content.decode()


def test_only_the_treating_physician_signs(make_treatment, patient, other_physician):
    treatment = make_treatment(patient)
    client = Client()
    login_verified(client, other_physician)
    response = sign(client, treatment)
    assert "Only the treating physician (Helen Ross) can sign this treatment." in response.content.decode()
    treatment.refresh_from_db()
    assert treatment.status == TreatmentStatus.DRAFT


def test_the_service_needs_the_signed_in_user_and_a_sign_permission(
    make_treatment, patient, physician, staff
):
    treatment = make_treatment(patient)
    request = RequestFactory().post("/")
    request.user = staff
    with pytest.raises(PermissionDenied):
        treatment_sign(treatment=treatment, user=physician, password=PASSWORD, request=request)
    with pytest.raises(PermissionDenied):
        treatment_sign(treatment=treatment, user=staff, password=PASSWORD, request=request)
    request.user = physician
    with pytest.raises(ValidationError):
        treatment_sign(treatment=treatment, user=physician, password="", request=request)
    signed = treatment_sign(treatment=treatment, user=physician, password=PASSWORD, request=request)
    assert signed.status == TreatmentStatus.SIGNED


def test_a_signed_treatment_is_read_only_in_the_service(make_treatment, patient, physician):
    treatment = make_treatment(patient, sign=True)
    treatment.notes = "changed later"
    with pytest.raises(ValidationError, match="read-only"):
        treatment_save(
            treatment=treatment, user=physician, administrations=list(treatment.administrations.all())
        )
    treatment.refresh_from_db()
    assert treatment.notes == ""


def test_signing_a_draft_changed_since_the_page_loaded_is_refused(physician_client, make_treatment, patient):
    treatment = make_treatment(patient)
    stale_version = treatment.version
    treatment_save(
        treatment=treatment,
        user=treatment.physician,
        administrations=list(treatment.administrations.active()),
        expected_version=stale_version,
    )
    response = physician_client.post(
        reverse("treatment_sign", args=[treatment.pk]), {"password": PASSWORD, "version": stale_version}
    )
    assert "changed by someone else" in response.content.decode()
    treatment.refresh_from_db()
    assert treatment.status == TreatmentStatus.DRAFT
