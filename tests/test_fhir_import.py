"""Import of a FHIR R4 Patient resource (issue 13): it registers a patient through the registry's
service (history, attribution) or matches one, refuses a malformed resource with its reason and
writes nothing, and the app's own exported Patient re-imports onto itself."""

import copy
import datetime as dt
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from treatments.fhir.codes import clinic_system
from treatments.fhir.export import patient_bundle
from treatments.models import AccessEvent, Patient
from treatments.services.fhir_import import patient_import_fhir, patient_import_plan
from treatments.services.patients import patient_void

pytestmark = pytest.mark.django_db

URL = "/patients/import/fhir/"
REFERRING = "https://referrer.example.org/patients"


def referral(**changes) -> dict:
    """A Patient resource as a referring system sends it: its own identifier, no clinic record number."""
    resource = {
        "resourceType": "Patient",
        "id": "abc-17",
        "identifier": [{"system": REFERRING, "value": "R-4711"}],
        "active": True,
        "name": [{"use": "official", "family": "Curie", "given": ["Marie", "Salomea"]}],
        "telecom": [
            {"system": "phone", "value": "+41 44 123 45 67"},
            {"system": "email", "value": "marie@example.org"},
        ],
        "gender": "female",
        "birthDate": "1967-11-07",
        "address": [{"line": ["Rue Cuvier 12"], "city": "Paris", "postalCode": "75005", "country": "FR"}],
    }
    resource.update(changes)
    return resource


def with_mrn(resource: dict, mrn: str) -> dict:
    resource = copy.deepcopy(resource)
    resource["identifier"].append({"system": clinic_system("mrn"), "value": mrn})
    return resource


def test_a_referral_registers_a_patient_with_history_and_attribution(staff):
    patient, created = patient_import_fhir(resource=referral(), user=staff, mrn="EXO-100")
    assert created
    patient.refresh_from_db()
    assert (patient.mrn, patient.family_name, patient.given_name) == ("EXO-100", "Curie", "Marie Salomea")
    assert patient.date_of_birth == dt.date(1967, 11, 7)
    assert (patient.sex, patient.phone, patient.email) == ("female", "+41 44 123 45 67", "marie@example.org")
    assert patient.address == "Rue Cuvier 12\n75005 Paris\nFR"
    assert f"{REFERRING}: R-4711" in patient.notes
    assert patient.created_by == staff
    [entry] = patient.history.all()
    assert entry.history_user == staff
    assert entry.history_change_reason == "Registered from a FHIR Patient resource"


def test_a_resource_with_the_clinic_record_number_needs_none_given(staff):
    patient, created = patient_import_fhir(resource=with_mrn(referral(), "EXO-7"), user=staff)
    assert created and patient.mrn == "EXO-7"


def test_reimport_matches_and_does_not_duplicate(staff, db_snapshot):
    first, _ = patient_import_fhir(resource=referral(), user=staff, mrn="EXO-100")
    before = db_snapshot()
    # Again without a record number: name and date of birth find the patient.
    again, created = patient_import_fhir(resource=referral(), user=staff)
    assert (again, created) == (first, False)
    # With the record number, given or in the resource.
    assert patient_import_fhir(resource=referral(), user=staff, mrn="EXO-100") == (first, False)
    assert patient_import_fhir(resource=with_mrn(referral(), "EXO-100"), user=staff) == (first, False)
    assert db_snapshot() == before
    assert Patient.objects.count() == 1


def test_a_match_reports_differences_and_changes_nothing(staff, db_snapshot):
    patient, _ = patient_import_fhir(resource=referral(), user=staff, mrn="EXO-100")
    moved = referral(telecom=[{"system": "phone", "value": "+41 44 999 00 00"}], gender="other")
    before = db_snapshot()
    plan = patient_import_plan(resource=moved)
    assert plan.match == patient and plan.matched_by == "name and date of birth"
    assert ("Phone", "+41 44 123 45 67", "+41 44 999 00 00") in plan.differences
    assert ("Sex", "female", "other") in plan.differences
    assert patient_import_fhir(resource=moved, user=staff) == (patient, False)
    assert db_snapshot() == before


def test_the_exported_patient_reimports_onto_itself(staff, make_patient, db_snapshot):
    patient = make_patient(phone="0044 20 7946 0000", email="ada@example.org", address="1 Analytical Way")
    exported = next(
        entry["resource"]
        for entry in patient_bundle(patient_id=patient.pk)["entry"]
        if entry["resource"]["resourceType"] == "Patient"
    )
    before = db_snapshot()
    plan = patient_import_plan(resource=exported)
    assert plan.match == patient and plan.matched_by == "record number"
    assert plan.differences == []
    assert patient_import_fhir(resource=exported, user=staff) == (patient, False)
    assert db_snapshot() == before


MALFORMED = {
    "wrong type": ({"resourceType": "Practitioner", "name": []}, "not a Patient"),
    "no type": ({"name": [{"family": "X", "given": ["Y"]}]}, "no resourceType"),
    "no name": (referral(name=[]), "no name"),
    "no family name": (referral(name=[{"given": ["Marie"]}]), "no family name"),
    "no given name": (referral(name=[{"family": "Curie"}]), "no given name"),
    "given not a list": (referral(name=[{"family": "Curie", "given": "Marie"}]), "list of strings"),
    "no birth date": ({k: v for k, v in referral().items() if k != "birthDate"}, "no birthDate"),
    "partial birth date": (referral(birthDate="1967-11"), "not a full date"),
    "impossible birth date": (referral(birthDate="1967-02-30"), "not a date of the calendar"),
    "future birth date": (referral(birthDate="2999-01-01"), "cannot be in the future"),
    "unknown gender": (referral(gender="f"), "use one of female, male, other, unknown"),
    "bad e-mail": (referral(telecom=[{"system": "email", "value": "not-an-address"}]), "not an e-mail"),
    "over-long family name": (
        referral(name=[{"family": "C" * 101, "given": ["M"]}]),
        "too long: at most 100 characters",
    ),
    "over-long phone": (referral(telecom=[{"system": "phone", "value": "1" * 41}]), "at most 40 characters"),
    "conflicting record numbers": (
        with_mrn(with_mrn(referral(), "EXO-1"), "EXO-2"),
        "conflicting record numbers",
    ),
    "identifier not a list": (referral(identifier={"value": "x"}), "'identifier' must be a list"),
    "null character": (referral(name=[{"family": "Cu\x00rie", "given": ["M"]}]), "null character"),
}


@pytest.mark.parametrize("kind", MALFORMED)
def test_a_malformed_resource_is_refused_with_its_reason_and_nothing_is_written(kind, staff, db_snapshot):
    resource, message = MALFORMED[kind]
    before = db_snapshot()
    with pytest.raises(ValidationError) as refused:
        patient_import_fhir(resource=resource, user=staff, mrn="EXO-100")
    assert any(message in text for text in refused.value.messages), refused.value.messages
    assert db_snapshot() == before


def test_every_reason_is_given_at_once(staff):
    resource = referral(gender="x", birthDate="yesterday", name=[{"family": "Curie"}])
    with pytest.raises(ValidationError) as refused:
        patient_import_fhir(resource=resource, user=staff, mrn="EXO-100")
    assert len(refused.value.messages) == 3


def test_identifier_conflicts_are_refused(staff, make_patient, db_snapshot):
    other = make_patient(mrn="EXO-100")  # Ada Lovelace1, not Marie Curie
    before = db_snapshot()
    with pytest.raises(ValidationError, match="another name or date of birth"):
        patient_import_fhir(resource=referral(), user=staff, mrn=other.mrn)
    with pytest.raises(ValidationError, match="conflicts with the record number given"):
        patient_import_fhir(resource=with_mrn(referral(), "EXO-5"), user=staff, mrn="EXO-6")
    patient_import_fhir(resource=referral(), user=staff, mrn="EXO-200")
    before = db_snapshot()
    with pytest.raises(ValidationError, match="already has the record number EXO-200"):
        patient_import_fhir(resource=referral(), user=staff, mrn="EXO-300")
    assert db_snapshot() == before


def test_no_record_number_and_no_match_asks_for_one(staff, db_snapshot):
    before = db_snapshot()
    with pytest.raises(ValidationError, match="give the record number to assign"):
        patient_import_fhir(resource=referral(), user=staff)
    assert db_snapshot() == before


def test_a_voided_patients_record_number_is_refused(staff, physician):
    patient, _ = patient_import_fhir(resource=referral(), user=staff, mrn="EXO-100")
    patient_void(patient=patient, user=physician, reason="Duplicate")
    with pytest.raises(ValidationError, match="voided patient record"):
        patient_import_fhir(resource=referral(), user=staff, mrn="EXO-100")


def test_two_patients_of_the_same_name_and_birth_date_are_ambiguous(staff, make_patient):
    for mrn in ("EXO-1", "EXO-2"):
        make_patient(
            mrn=mrn, family_name="Curie", given_name="Marie Salomea", date_of_birth=dt.date(1967, 11, 7)
        )
    with pytest.raises(ValidationError, match="Several patients"):
        patient_import_fhir(resource=referral(), user=staff)


# The page ---------------------------------------------------------------------------------------


def test_the_page_previews_then_registers_on_confirm(staff_client, staff, db_snapshot):
    before = db_snapshot()
    response = staff_client.post(URL, {"resource_text": json.dumps(referral()), "mrn": "EXO-100"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "No patient matches this resource" in content and "Register this patient" in content
    assert db_snapshot() == before  # the preview writes nothing
    response = staff_client.post(
        URL, {"resource_text": response.context["resource_json"], "mrn": "EXO-100", "confirm": "1"}
    )
    patient = Patient.objects.get(mrn="EXO-100")
    assert response.status_code == 302 and response["Location"] == patient.get_absolute_url()
    assert patient.created_by == staff
    page = staff_client.get(response["Location"])
    assert "Patient registered from the FHIR resource." in page.content.decode()


def test_the_page_accepts_an_uploaded_file(physician_client):
    upload = SimpleUploadedFile(
        "p.json", json.dumps(with_mrn(referral(), "EXO-9")).encode(), "application/json"
    )
    response = physician_client.post(URL, {"resource_file": upload, "confirm": "1"})
    assert response.status_code == 302
    assert Patient.objects.filter(mrn="EXO-9").exists()


def test_a_matched_preview_records_an_access_event(staff_client, staff, make_patient):
    patient = make_patient(
        mrn="EXO-100", family_name="Curie", given_name="Marie Salomea", date_of_birth=dt.date(1967, 11, 7)
    )
    response = staff_client.post(URL, {"resource_text": json.dumps(referral())})
    assert "This resource matches" in response.content.decode()
    assert AccessEvent.objects.filter(user=staff, patient=patient, action="view").count() == 1
    response = staff_client.post(URL, {"resource_text": json.dumps(referral()), "confirm": "1"})
    assert response["Location"] == patient.get_absolute_url()
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "Paste a FHIR Patient resource"),
        ({"resource_text": "{not json"}, "not valid JSON"),
        ({"resource_text": "[1, 2]"}, "Expected one JSON object"),
        (
            {"resource_text": json.dumps(referral(gender="f")), "confirm": "1", "mrn": "EXO-1"},
            "administrative gender",
        ),
        ({"resource_text": "NaN"}, "not valid JSON"),
    ],
)
def test_the_page_shows_why_a_resource_is_refused(staff_client, db_snapshot, data, message):
    before = db_snapshot()
    response = staff_client.post(URL, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert db_snapshot() == before


def test_the_page_runs_a_constant_number_of_queries(
    staff_client, make_patient, django_assert_max_num_queries
):
    for _ in range(5):
        make_patient()
    with django_assert_max_num_queries(12):
        assert staff_client.get(URL).status_code == 200
    with django_assert_max_num_queries(12):
        assert (
            staff_client.post(URL, {"resource_text": json.dumps(referral()), "mrn": "X-1"}).status_code == 200
        )
    for _ in range(20):
        make_patient(family_name="Curie", given_name="Marie", date_of_birth=dt.date(1967, 11, 7))
    with django_assert_max_num_queries(12):
        assert (
            staff_client.post(URL, {"resource_text": json.dumps(referral()), "mrn": "X-1"}).status_code == 200
        )


def test_roles(role_clients):
    expected = {"physician": 200, "staff": 200, "clinic_admin": 403, "no_role": 403}
    for role, status in expected.items():
        assert role_clients[role].get(URL).status_code == status, role


def test_no_patient_data_in_logs(staff_client, captured_logs):
    staff_client.post(URL, {"resource_text": json.dumps(referral()), "mrn": "EXO-100", "confirm": "1"})
    assert Patient.objects.filter(mrn="EXO-100").exists()
    text = "\n".join(captured_logs.lines)
    for secret in ("Curie", "Marie", "EXO-100", "1967", "marie@example.org", "R-4711"):
        assert secret not in text


# The command ------------------------------------------------------------------------------------


def test_the_command_registers_then_matches(tmp_path, staff):
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(referral()))
    out = io.StringIO()
    call_command("fhir_import_patient", str(path), "--user", staff.username, "--mrn", "EXO-100", stdout=out)
    patient = Patient.objects.get(mrn="EXO-100")
    assert f"Registered patient id {patient.pk}" in out.getvalue()
    out = io.StringIO()
    call_command("fhir_import_patient", str(path), "--user", staff.username, stdout=out)
    assert f"Matched patient id {patient.pk}" in out.getvalue()
    assert Patient.objects.count() == 1


def test_the_command_dry_run_writes_nothing(tmp_path, staff, db_snapshot):
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(referral()))
    before = db_snapshot()
    out = io.StringIO()
    call_command(
        "fhir_import_patient", str(path), "--user", staff.username, "--mrn", "E-1", "--dry-run", stdout=out
    )
    assert "would be registered" in out.getvalue()
    assert db_snapshot() == before


def test_the_command_refuses_a_malformed_file_or_a_user_who_may_not_register(
    tmp_path, staff, clinic_admin, db_snapshot
):
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(referral(birthDate="1967")))
    before = db_snapshot()
    with pytest.raises(CommandError, match="not a full date"):
        call_command("fhir_import_patient", str(path), "--user", staff.username, "--mrn", "E-1")
    path.write_text(json.dumps(referral()))
    with pytest.raises(CommandError, match="may not register patients"):
        call_command("fhir_import_patient", str(path), "--user", clinic_admin.username, "--mrn", "E-1")
    with pytest.raises(CommandError, match="No active user"):
        call_command("fhir_import_patient", str(path), "--user", "nobody", "--mrn", "E-1")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("fhir_import_patient", str(tmp_path / "missing.json"), "--user", staff.username)
    assert db_snapshot() == before


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)
KEYS = ["use", "family", "given", "system", "value", "text", "line", "city", "postalCode", "country"]
# A list of objects with the keys a Patient's parts have, holding any JSON: the shapes a sender
# gets almost right.
PARTS = st.lists(st.dictionaries(st.sampled_from(KEYS), JSON, max_size=4), max_size=3)
FIELDS = ["resourceType", "identifier", "name", "birthDate", "gender", "telecom", "address"]
VALUES = st.one_of(JSON, PARTS, PARTS)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(st.sampled_from(FIELDS), VALUES, min_size=1, max_size=3))
def test_any_json_in_any_field_is_refused_cleanly_or_imported(staff, changes):
    """Whatever JSON a field holds, the import either succeeds or raises a ValidationError
    (never another exception), and a refusal writes nothing."""
    count = Patient.objects.count()
    try:
        with transaction.atomic():
            patient_import_fhir(resource=referral(**changes), user=staff, mrn="EXO-FUZZ")
            transaction.set_rollback(True)
    except ValidationError as error:
        assert all(isinstance(message, str) and message for message in error.messages)
    assert Patient.objects.count() == count


def test_a_name_with_a_malformed_use_is_still_read(staff):
    """Found by the fuzzing above: a 'use' that is a list was a TypeError (a 500)."""
    resource = referral(name=[{"use": ["official"], "family": "Curie", "given": ["Marie"]}])
    patient, created = patient_import_fhir(resource=resource, user=staff, mrn="EXO-1")
    assert created and patient.family_name == "Curie"
