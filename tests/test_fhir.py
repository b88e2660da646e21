"""The FHIR R4 writer and a patient's $everything Bundle: every resource valid R4, the clinic's
codes, voided records left out, the patient page's permission, an access event per export."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.helpers.fhir import unresolved_references, validate
from treatments.fhir.export import patient_bundle
from treatments.models import AccessEvent, FollowUp
from treatments.services.followup_actions import followup_complete
from treatments.services.patients import patient_void
from treatments.services.side_effects import side_effect_void
from treatments.services.signing import treatment_void

pytestmark = pytest.mark.django_db

ALL_TYPES = {
    "Patient",
    "Practitioner",
    "Medication",
    "Consent",
    "Encounter",
    "MedicationAdministration",
    "Provenance",
    "ServiceRequest",
    "Observation",
    "AdverseEvent",
}


@pytest.fixture
def story(patient, make_signed_treatment, make_report, staff, physician):
    """A patient with a signed treatment, its first follow-up completed with scores, and a serious
    grade 3 fever reviewed by nobody yet."""
    day = timezone.localdate() - dt.timedelta(days=20)
    treatment = make_signed_treatment(patient, day, baseline_pain=7, baseline_energy=3)
    first = FollowUp.objects.filter(treatment=treatment).order_by("due_on").first()
    followup_complete(
        followup=first,
        user=staff,
        data={"contact": "call", "pain": 5, "energy": 6, "global_impression": 2},
        completed_at=timezone.make_aware(dt.datetime.combine(first.window_start, dt.time(11, 0))),
    )
    report = make_report(treatment, grade=3, serious_hospitalization=True, causality="probable")
    return {"patient": patient, "treatment": treatment, "followup": first, "report": report}


def _by_type(bundle):
    found = {}
    for entry in bundle["entry"]:
        found.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return found


def test_every_resource_type_is_valid_fhir_r4(story):
    bundle = patient_bundle(patient_id=story["patient"].pk)
    resources = [entry["resource"] for entry in bundle["entry"]]
    assert {r["resourceType"] for r in resources} == ALL_TYPES
    for resource in resources:
        validate(resource)
    validate(bundle)
    assert unresolved_references(resources) == []


def test_it_codes_what_has_a_real_code(story, lot):
    found = _by_type(patient_bundle(patient_id=story["patient"].pk))
    patient = found["Patient"][0]
    assert patient["gender"] == "female"
    assert patient["identifier"][0]["value"] == "MRN-ADA"

    medication = found["Medication"][0]
    assert medication["batch"] == {"lotNumber": "KL-2601", "expirationDate": lot.expires_on.isoformat()}

    given = found["MedicationAdministration"][0]
    route = given["dosage"]["route"]["coding"]
    assert {"system": "http://snomed.info/sct", "code": "47625008", "display": "Intravenous route"} in route
    assert given["dosage"]["dose"]["value"] == 1 and given["dosage"]["dose"]["code"] == "10*9"
    assert given["extension"][0]["valueQuantity"]["code"] == "mL"
    assert given["performer"][0]["actor"] == {"reference": f"Practitioner/{story['treatment'].physician_id}"}
    assert given["context"] == {"reference": f"Encounter/{story['treatment'].pk}"}

    event = found["AdverseEvent"][0]
    fever = {"system": "http://terminology.hl7.org/CodeSystem/mdr", "code": "10016558", "display": "Fever"}
    assert fever in event["event"]["coding"]
    assert event["seriousness"]["coding"][0]["code"] == "serious"
    assert "hospitalization" in event["seriousness"]["text"]
    assert event["severity"]["coding"][0]["code"] == "severe"
    grade = next(e for e in event["extension"] if e["url"].endswith("/ctcae-grade"))
    assert grade["valueCodeableConcept"]["coding"][0]["code"] == "3"
    causality = event["suspectEntity"][0]["causality"][0]["assessment"]["coding"][0]
    assert causality["code"] == "Probably-Likely"

    scores = {o["id"]: o for o in found["Observation"]}
    pain = scores[f"followup-{story['followup'].pk}-pain"]
    assert pain["code"]["coding"][0]["code"] == "72514-3" and pain["valueInteger"] == 5
    assert scores[f"treatment-{story['treatment'].pk}-pain"]["valueInteger"] == 7
    assert scores[f"followup-{story['followup'].pk}-global-impression"]["valueInteger"] == 2

    assert found["Consent"][0]["dateTime"] == "2025-01-01"
    provenance = found["Provenance"][0]
    signer = {"reference": f"Practitioner/{story['treatment'].signed_by_id}"}
    assert provenance["signature"][0]["who"] == signer
    assert {"reference": f"MedicationAdministration/{given['id']}"} in provenance["target"]
    statuses = {r["status"] for r in found["ServiceRequest"]}
    assert statuses == {"completed", "active"}


def test_voided_records_are_left_out(story, physician, make_signed_treatment):
    side_effect_void(report=story["report"], user=physician, reason="Entered on the wrong patient")
    later = make_signed_treatment(story["patient"], timezone.localdate() - dt.timedelta(days=5))
    treatment_void(treatment=later, user=physician, reason="Recorded twice")
    found = _by_type(patient_bundle(patient_id=story["patient"].pk))
    assert "AdverseEvent" not in found
    assert [r["id"] for r in found["Encounter"]] == [str(story["treatment"].pk)]
    assert all(r["encounter"]["reference"] != f"Encounter/{later.pk}" for r in found["ServiceRequest"])


def test_a_voided_patient_has_no_bundle(story, physician_client, physician):
    patient_void(patient=story["patient"], user=physician, reason="Duplicate record")
    response = physician_client.get(reverse("fhir_patient_everything", args=[story["patient"].pk]))
    assert response.status_code == 404
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT).exists()


@pytest.mark.parametrize(
    ("role", "status"), [("physician", 200), ("staff", 200), ("clinic_admin", 403), ("no_role", 403)]
)
def test_only_the_patient_pages_roles_get_the_bundle(story, role_clients, role, status):
    response = role_clients[role].get(reverse("fhir_patient_everything", args=[story["patient"].pk]))
    assert response.status_code == status


def test_anonymous_users_are_sent_to_login(story, client):
    response = client.get(reverse("fhir_patient_everything", args=[story["patient"].pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_bundle_is_fhir_json_and_writes_an_export_event(story, physician_client, physician):
    response = physician_client.get(reverse("fhir_patient_everything", args=[story["patient"].pk]))
    assert response["Content-Type"] == "application/fhir+json"
    assert "no-store" in response["Cache-Control"]
    bundle = response.json()
    assert bundle["type"] == "searchset" and bundle["entry"][0]["resource"]["resourceType"] == "Patient"
    event = AccessEvent.objects.get()
    assert (event.user, event.patient_id, event.action) == (physician, story["patient"].pk, "export")


def test_the_bundle_reads_a_fixed_number_of_queries(
    patient, make_signed_treatment, physician_client, django_assert_num_queries
):
    url = reverse("fhir_patient_everything", args=[patient.pk])
    start = timezone.localdate() - dt.timedelta(days=300)
    make_signed_treatment(patient, start)
    with django_assert_num_queries(11) as one:
        physician_client.get(url)
    for days in (60, 120, 180):
        make_signed_treatment(patient, start + dt.timedelta(days=days))
    with django_assert_num_queries(len(one.captured_queries)):
        response = physician_client.get(url)
    assert len(_by_type(response.json())["Encounter"]) == 4


def test_the_product_writes_fhir_without_the_fhir_library():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    sources = [path for package in ("clinic", "faq", "treatments") for path in (root / package).rglob("*.py")]
    assert [str(path) for path in sources if "fhir.resources" in path.read_text()] == []


def test_the_route_and_meddra_codes_are_the_ones_checked_against_their_sources():
    """docs/FHIR.md says where each code was checked: a changed code must be checked again."""
    from treatments.fhir import codes

    assert {route: code for route, (code, _) in codes.ROUTE_SNOMED.items()} == {
        "topical": "6064005",
        "iv_injection": "47625008",
        "iv_drip": "47625008",
        "intranasal": "46713006",
        "intrathecal": "72607000",
    }
    assert {term: code for term, (code, _) in codes.TERM_MEDDRA.items()} == {
        "fever": "10016558",
        "headache": "10019211",
        "nausea": "10028813",
        "vomiting": "10047700",
        "flu_like": "10016791",
        "fatigue": "10016256",
        "injection_site": "10022095",
    }
    # Local and intradiscal injections have no single route concept: no code rather than a wrong one.
    assert "local_injection" not in codes.ROUTE_SNOMED and "intradiscal" not in codes.ROUTE_SNOMED
