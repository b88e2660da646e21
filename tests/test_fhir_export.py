"""The clinic's FHIR bulk export: the zip page for clinic admins (streamed, access events per
patient, a fixed number of queries per page of rows), the fhir_export command, and the whole
seeded demo clinic as valid FHIR R4 with every reference resolved."""

import datetime as dt
import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.helpers.fhir import unresolved_references, validate
from treatments.fhir.export import RESOURCE_TYPES, clinic_resources, clinic_zip
from treatments.models import AccessEvent, FollowUp, Patient
from treatments.services.patients import patient_void

pytestmark = pytest.mark.django_db


def _zip_resources(content: bytes) -> dict[str, list[dict]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {
            name.removesuffix(".ndjson"): [json.loads(line) for line in archive.read(name).splitlines()]
            for name in archive.namelist()
        }


@pytest.fixture
def clinic(make_patient, make_signed_treatment):
    def build(count: int) -> list[Patient]:
        day = timezone.localdate() - dt.timedelta(days=30)
        patients = [make_patient() for _ in range(count)]
        for patient in patients:
            make_signed_treatment(patient, day)
        return patients

    return build


@pytest.mark.parametrize(
    ("role", "status"), [("clinic_admin", 200), ("physician", 403), ("staff", 403), ("no_role", 403)]
)
def test_only_clinic_admins_export_the_clinic(role_clients, role, status):
    assert role_clients[role].get(reverse("fhir_export")).status_code == status
    assert role_clients[role].get(reverse("fhir_export_download")).status_code == status


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse("fhir_export_download"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_page_offers_the_download(admin_client_role):
    response = admin_client_role.get(reverse("fhir_export"))
    assert reverse("fhir_export_download").encode() in response.content
    assert b"Patient.ndjson" in response.content


def test_the_download_streams_a_zip_of_every_type_and_logs_each_patient(
    clinic, admin_client_role, clinic_admin, physician
):
    patients = clinic(3)
    patient_void(patient=patients[2], user=physician, reason="Duplicate record")
    response = admin_client_role.get(reverse("fhir_export_download"))
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/zip"
    found = _zip_resources(b"".join(response.streaming_content))
    assert set(found) == set(RESOURCE_TYPES)
    assert sorted(r["id"] for r in found["Patient"]) == sorted(str(p.pk) for p in patients[:2])
    assert len(found["Encounter"]) == 2  # the voided patient's treatment is left out
    events = AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT)
    assert sorted(events.values_list("patient_id", flat=True)) == sorted(p.pk for p in patients[:2])
    assert set(events.values_list("user", flat=True)) == {clinic_admin.pk}


def _export_queries(page_size=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        for _ in clinic_zip(page_size=page_size):
            pass
    return len(queries.captured_queries)


def test_the_export_reads_a_fixed_number_of_queries_per_page_of_rows(clinic):
    clinic(5)
    five = _export_queries()
    clinic(45)
    assert _export_queries() == five  # 5 and 50 patients: one page of each kind
    # Pages of 10 rows: a query per page of each kind (two where a page names its administrations),
    # never one per row: 50 patients, treatments and administrations and 250 follow-ups read in
    # 5 + 5 + 5 + 25 pages, each kind once per resource type that uses it.
    rows = 50 + 50 + 50 + FollowUp.objects.count()
    assert FollowUp.objects.count() == 250
    assert _export_queries(page_size=10) < rows / 4


def test_the_zip_is_sent_as_it_is_read(clinic):
    clinic(30)
    chunks = clinic_zip(page_size=10)
    with CaptureQueriesContext(connection) as queries:
        next(chunks)
    # The first bytes leave after the first page of patients, before anything else is read.
    assert len(queries.captured_queries) == 1
    assert sum(1 for _ in chunks) > 1


def test_the_command_writes_one_file_per_type(clinic, tmp_path, capsys, clinic_admin):
    clinic(2)
    call_command("fhir_export", "--out", str(tmp_path / "out"), "--user", clinic_admin.username)
    files = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert files == sorted(f"{name}.ndjson" for name in RESOURCE_TYPES)
    for line in (tmp_path / "out" / "MedicationAdministration.ndjson").read_text().splitlines():
        validate(json.loads(line))
    assert "Patient.ndjson: 2 resources" in capsys.readouterr().out
    assert AccessEvent.objects.filter(user=clinic_admin, action="export").count() == 2


def test_the_command_refuses_an_unknown_user_and_writes_nothing(tmp_path):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("fhir_export", "--out", str(tmp_path / "out"), "--user", "nobody")
    assert not (tmp_path / "out").exists()


def test_the_whole_demo_clinic_is_valid_fhir_r4(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--patients", "20")
    resources = [resource for name in RESOURCE_TYPES for resource in clinic_resources(name)]
    errors = []
    for resource in resources:
        try:
            validate(resource)
        except Exception as error:  # noqa: BLE001 (collect every error, then report them)
            errors.append(f"{resource['resourceType']}/{resource['id']}: {error}")
    assert errors == []
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}
    validate(bundle)
    assert unresolved_references(resources) == []
    assert {r["resourceType"] for r in resources} == set(RESOURCE_TYPES)
    assert not AccessEvent.objects.exists()  # reading through the writer records nothing by itself
