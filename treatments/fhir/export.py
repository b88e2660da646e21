"""A patient's FHIR Bundle and the clinic's bulk NDJSON (one file per resource type, or a zip of
them), produced as the selectors' pages are read: memory holds one page of rows at a time."""

import json
import zipfile
from collections.abc import Callable, Iterable, Iterator

from treatments.fhir import resources as fhir
from treatments.fhir.codes import base_url
from treatments.selectors.fhir import administration_ids_by_treatment, clinic_pages, fhir_patient_records

# The resource types of the export, in the order a reader resolves references best.
RESOURCE_TYPES = (
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
)


def _dumps(resource: dict) -> str:
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":"))


def patient_resources(records: dict) -> list[dict]:
    """Every resource of one patient's records (``fhir_patient_records``), Patient first."""
    by_treatment = records["administrations_by_treatment"]
    found = [fhir.patient(records["patient"])]
    found += [fhir.practitioner(row) for row in records["users"]]
    found += [fhir.medication(row) for row in records["lots"]]
    consent = fhir.consent(records["patient"])
    if consent:
        found.append(consent)
    found += [fhir.encounter(row) for row in records["treatments"]]
    found += [fhir.medication_administration(row) for row in records["administrations"]]
    found += [
        fhir.provenance(row, administration_ids=by_treatment.get(row["id"], []))
        for row in records["treatments"]
        if row["signed_by_id"]
    ]
    found += [fhir.service_request(row) for row in records["followups"]]
    for row in records["treatments"]:
        found += fhir.baseline_observations(row)
    for row in records["followups"]:
        found += fhir.followup_observations(row)
    found += [
        fhir.adverse_event(row, administration_ids=by_treatment.get(row["treatment_id"], []))
        for row in records["side_effects"]
    ]
    return found


def patient_bundle(*, patient_id: int) -> dict | None:
    """The ``Patient/<id>/$everything`` answer: a searchset Bundle of the patient's resources;
    None when the patient does not exist or is voided."""
    records = fhir_patient_records(patient_id=patient_id)
    if records is None:
        return None
    entries = [
        {
            "fullUrl": f"{base_url()}/{resource['resourceType']}/{resource['id']}",
            "resource": resource,
            "search": {"mode": "match" if resource["resourceType"] == "Patient" else "include"},
        }
        for resource in patient_resources(records)
    ]
    return {"resourceType": "Bundle", "type": "searchset", "total": 1, "entry": entries}


def clinic_resources(
    resource_type: str,
    *,
    on_patients: Callable[[list[int]], None] | None = None,
    page_size: int | None = None,
) -> Iterator[dict]:
    """The whole clinic's resources of one type, page by page. ``on_patients`` is told the ids of
    each page of patients as they are exported (the page writes its access events there)."""
    pages = (lambda kind: clinic_pages(kind, page_size=page_size)) if page_size else clinic_pages
    if resource_type == "Patient":
        for page in pages("patients"):
            if on_patients:
                on_patients([row["id"] for row in page])
            yield from (fhir.patient(row) for row in page)
    elif resource_type == "Practitioner":
        for page in pages("users"):
            yield from (fhir.practitioner(row) for row in page)
    elif resource_type == "Medication":
        for page in pages("lots"):
            yield from (fhir.medication(row) for row in page)
    elif resource_type == "Consent":
        for page in pages("patients"):
            yield from filter(None, (fhir.consent(row) for row in page))
    elif resource_type == "Encounter":
        for page in pages("treatments"):
            yield from (fhir.encounter(row) for row in page)
    elif resource_type == "MedicationAdministration":
        for page in pages("administrations"):
            yield from (fhir.medication_administration(row) for row in page)
    elif resource_type == "Provenance":
        for page in pages("treatments"):
            by_treatment = administration_ids_by_treatment(treatment_ids=[row["id"] for row in page])
            for row in page:
                yield fhir.provenance(row, administration_ids=by_treatment.get(row["id"], []))
    elif resource_type == "ServiceRequest":
        for page in pages("followups"):
            yield from (fhir.service_request(row) for row in page)
    elif resource_type == "Observation":
        for page in pages("treatments"):
            for row in page:
                yield from fhir.baseline_observations(row)
        for page in pages("followups"):
            for row in page:
                yield from fhir.followup_observations(row)
    elif resource_type == "AdverseEvent":
        for page in pages("side_effects"):
            by_treatment = administration_ids_by_treatment(
                treatment_ids=[row["treatment_id"] for row in page]
            )
            for row in page:
                yield fhir.adverse_event(row, administration_ids=by_treatment.get(row["treatment_id"], []))
    else:
        raise ValueError(f"{resource_type} is not exported; the types are {', '.join(RESOURCE_TYPES)}.")


def ndjson_lines(resources: Iterable[dict]) -> Iterator[str]:
    for resource in resources:
        yield _dumps(resource) + "\n"


class ZipDrain:
    """A write-only file whose contents are taken out after each write (zipfile, told it cannot
    seek, writes each member's sizes after its data): the zip streams as it is built."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def clinic_zip(
    *, on_patients: Callable[[list[int]], None] | None = None, page_size: int | None = None
) -> Iterator[bytes]:
    """The whole clinic as a zip of ``<ResourceType>.ndjson`` files, produced in pieces."""
    sink = ZipDrain()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for resource_type in RESOURCE_TYPES:
            hook = on_patients if resource_type == "Patient" else None
            with archive.open(f"{resource_type}.ndjson", "w") as member:
                resources = clinic_resources(resource_type, on_patients=hook, page_size=page_size)
                for line in ndjson_lines(resources):
                    member.write(line.encode())
                    if sink.parts:
                        yield sink.take()
    # The last member's sizes and the central directory, written on closing.
    yield sink.take()
