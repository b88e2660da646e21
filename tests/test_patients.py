"""Patient registry: validation, search, sorting, void, history and query counts."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.models import BulkWriteForbidden
from treatments.models import AccessEvent, Indication, Patient

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "mrn": "MRN-100",
        "given_name": "Grace",
        "family_name": "Hopper",
        "date_of_birth": "1960-12-09",
        "sex": "female",
        "phone": "+1 555 010 2000",
        "email": "grace@example.com",
        "address": "1 Harbour Road",
        "indications": [Indication.objects.get(code="chronic-inflammation").pk],
        "consent_on_file": "2026-02-01",
        "allergies": "",
        "current_medication": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_it_registers_a_patient_with_attribution(physician_client, physician):
    response = physician_client.post(reverse("patient_create"), form_data())
    patient = Patient.objects.get(mrn="MRN-100")
    assert response.status_code == 302
    assert response["Location"] == reverse("patient_detail", args=[patient.pk])
    assert patient.created_by == physician
    assert list(patient.indications.values_list("code", flat=True)) == ["chronic-inflammation"]
    first = patient.history.earliest()
    assert first.history_type == "+"
    assert first.history_user == physician


def test_it_rejects_a_duplicate_record_number(staff_client, make_patient):
    make_patient(mrn="MRN-100")
    response = staff_client.post(reverse("patient_create"), form_data())
    assert response.status_code == 200
    assert "Another patient already has this medical record number." in response.content.decode()
    assert Patient.objects.filter(mrn="MRN-100").count() == 1


def test_it_rejects_a_future_birth_date(staff_client):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = staff_client.post(reverse("patient_create"), form_data(date_of_birth=tomorrow.isoformat()))
    assert "Date of birth cannot be in the future." in response.content.decode()
    assert not Patient.objects.exists()


def test_it_rejects_a_future_consent_date(staff_client):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = staff_client.post(reverse("patient_create"), form_data(consent_on_file=tomorrow.isoformat()))
    assert "The consent date cannot be in the future." in response.content.decode()
    assert not Patient.objects.exists()


def test_it_flags_anti_inflammatory_medication_from_the_list(staff_client):
    staff_client.post(reverse("patient_create"), form_data(current_medication="Ibuprofen 400 mg as needed"))
    patient = Patient.objects.get(mrn="MRN-100")
    assert patient.takes_anti_inflammatories is True
    assert patient.anti_inflammatories_mentioned() == ["ibuprofen"]
    page = staff_client.get(patient.get_absolute_url()).content.decode()
    assert "Takes anti-inflammatory medication (ibuprofen)" in page


def test_it_does_not_flag_unrelated_medication(make_patient):
    patient = make_patient(current_medication="Metformin; aspirational goals")
    assert patient.anti_inflammatories_mentioned() == []


def test_it_edits_a_patient_and_records_what_changed(physician_client, physician, patient):
    data = form_data(mrn=patient.mrn, given_name="Augusta", version=patient.version)
    response = physician_client.post(reverse("patient_update", args=[patient.pk]), data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.given_name == "Augusta"
    assert patient.version == 2
    from treatments.selectors.history import record_history

    rows = record_history(record=patient)
    edit_rows = [row for row in rows if row["entry"].history_type == "~"]
    assert [row["entry"].history_user for row in edit_rows] == [physician] * len(edit_rows)
    changed = {change["field"]: (change["old"], change["new"]) for row in rows for change in row["changes"]}
    assert changed["given name"] == ("Ada", "Augusta")
    assert changed["indications"] == (None, "Chronic inflammation")


@pytest.mark.security("stale_forms")
def test_a_stale_form_gets_a_conflict_and_nothing_is_lost(physician_client, staff_client, patient):
    stale_version = patient.version
    staff_client.post(
        reverse("patient_update", args=[patient.pk]),
        form_data(mrn=patient.mrn, phone="111", version=stale_version),
    )
    response = physician_client.post(
        reverse("patient_update", args=[patient.pk]),
        form_data(mrn=patient.mrn, phone="222", version=stale_version),
    )
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    patient.refresh_from_db()
    assert patient.phone == "111"


def test_search_by_name_and_record_number_keeps_the_term_out_of_the_url(staff_client, make_patient):
    make_patient(given_name="Ada", family_name="Lovelace", mrn="A-1")
    make_patient(given_name="Grace", family_name="Hopper", mrn="B-2")
    make_patient(given_name="Alan", family_name="Turing", mrn="C-3")
    url = reverse("patient_list")

    response = staff_client.post(url, {"q": "hop"})
    assert response.status_code == 302
    assert "hop" not in response["Location"].lower()
    names = [p.family_name for p in staff_client.get(url).context["patients"]]
    assert names == ["Hopper"]

    staff_client.post(url, {"q": "c-3"})
    assert [p.mrn for p in staff_client.get(url).context["patients"]] == ["C-3"]

    staff_client.post(url, {"q": "Ada Lovelace"})
    assert [p.mrn for p in staff_client.get(url).context["patients"]] == ["A-1"]

    staff_client.post(url, {"q": "zzz"})
    page = staff_client.get(url)
    assert list(page.context["patients"]) == []
    assert "No patient matches" in page.content.decode()

    staff_client.post(url, {"q": "zzz", "clear": "1"})
    assert len(staff_client.get(url).context["patients"]) == 3


def test_sorting_and_pagination(staff_client, make_patient):
    for number in range(30):
        make_patient(family_name=f"Name{number:02d}", mrn=f"M{number:02d}")
    first = staff_client.get(reverse("patient_list") + "?sort=-name")
    assert first.context["patients"][0].family_name == "Name29"
    assert first.context["page_obj"].paginator.num_pages == 2
    second = staff_client.get(reverse("patient_list") + "?sort=-name&page=2")
    assert [p.family_name for p in second.context["patients"]] == [
        "Name04",
        "Name03",
        "Name02",
        "Name01",
        "Name00",
    ]
    bogus = staff_client.get(reverse("patient_list") + "?sort=password")
    assert bogus.context["sort"] == "name"


def test_void_hides_the_patient_and_keeps_the_record(physician_client, physician, patient):
    url = reverse("patient_void", args=[patient.pk])
    assert physician_client.post(url, {"reason": ""}).status_code == 200
    patient.refresh_from_db()
    assert patient.voided_at is None

    response = physician_client.post(url, {"reason": "Duplicate registration of MRN-7"})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.voided_by == physician
    assert patient.void_reason == "Duplicate registration of MRN-7"
    assert patient not in physician_client.get(reverse("patient_list")).context["patients"]
    detail = physician_client.get(patient.get_absolute_url()).content.decode()
    assert "Voided on" in detail and "Duplicate registration" in detail
    assert patient.history.latest().history_change_reason == "Voided: Duplicate registration of MRN-7"


def test_staff_cannot_void(staff_client, patient):
    response = staff_client.post(reverse("patient_void", args=[patient.pk]), {"reason": "x"})
    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.voided_at is None


@pytest.mark.security("no_delete")
def test_patients_are_never_deleted(patient):
    with pytest.raises(BulkWriteForbidden):
        patient.delete()
    with pytest.raises(BulkWriteForbidden):
        Patient.objects.all().delete()
    with pytest.raises(BulkWriteForbidden):
        Patient.objects.all().update(given_name="X")
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_the_database_refuses_a_void_without_reason(patient):
    from django.db import IntegrityError, transaction

    patient.voided_at = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        patient.save()


@pytest.mark.security("audit_trail")
def test_opening_a_patient_writes_an_access_event(staff_client, staff, patient):
    staff_client.get(patient.get_absolute_url())
    event = AccessEvent.objects.get()
    assert (event.user, event.patient, event.action) == (staff, patient, "view")


def test_history_is_shown_to_physicians_not_staff(physician_client, staff_client, patient):
    assert "History of this record" in physician_client.get(patient.get_absolute_url()).content.decode()
    assert "History of this record" not in staff_client.get(patient.get_absolute_url()).content.decode()


@pytest.mark.parametrize("rows", [5, 50])
def test_the_list_runs_the_same_number_of_queries_whatever_the_rows(
    rows, staff_client, make_patient, django_assert_num_queries
):
    for _ in range(rows):
        make_patient(indications=["autoimmune", "other"])
    staff_client.get(reverse("patient_list"))  # warm the session
    # session, user, roles and permissions, count, page, indications prefetch
    with django_assert_num_queries(6):
        response = staff_client.get(reverse("patient_list"))
    assert len(response.context["patients"]) == min(rows, 25)


@pytest.mark.security("escaping")
def test_patient_names_with_markup_are_escaped(staff_client, make_patient):
    patient = make_patient(given_name='<script>alert("x")</script>', family_name="O'Brien\"")
    body = staff_client.get(patient.get_absolute_url()).content.decode()
    assert '<script>alert("x")</script>' not in body
    assert "&lt;script&gt;" in body


def test_a_long_void_reason_is_kept_whole_in_the_history(physician_client, patient):
    reason = "Registered twice by the front desk; the other record holds the signed consent. " * 8
    physician_client.post(reverse("patient_void", args=[patient.pk]), {"reason": reason})
    patient.refresh_from_db()
    assert patient.void_reason == reason.strip()
    assert patient.history.latest().history_change_reason == f"Voided: {reason.strip()}"
