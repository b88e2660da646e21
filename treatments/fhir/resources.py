"""FHIR R4 resources as plain dicts, one pure function per resource, from the rows of
``treatments.selectors.fhir`` (no database, no model instances; the model enums give labels)."""

import datetime as dt
from decimal import Decimal

from treatments.fhir import codes
from treatments.fhir.codes import clinic_extension, clinic_system
from treatments.models.followup_choices import Contact, Decision, FollowUpStatus
from treatments.models.products import ProductKind, ProductSource
from treatments.models.side_effects import (
    SERIOUSNESS_FIELDS,
    Causality,
    Grade,
    Outcome,
    SideEffectReport,
    Term,
)
from treatments.models.treatments import CoursePosition, Route


def ref(resource_type: str, pk) -> dict:
    return {"reference": f"{resource_type}/{pk}"}


def _instant(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _number(value: Decimal | int) -> int | float:
    """A FHIR decimal as a JSON number: whole numbers without a fraction, the rest as written."""
    value = Decimal(value).normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def _coding(system: str, code: str, display: str | None = None) -> dict:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _concept(*codings: dict, text: str | None = None) -> dict:
    concept = {}
    if codings:
        concept["coding"] = list(codings)
    if text:
        concept["text"] = text
    return concept


def _clean(resource: dict) -> dict:
    """Leave out empty elements (FHIR forbids empty strings, lists and objects)."""
    return {key: value for key, value in resource.items() if value not in (None, "", [], {})}


def _user_name(user: dict) -> dict:
    name = {"text": f"{user['first_name']} {user['last_name']}".strip() or user["username"]}
    if user["last_name"]:
        name["family"] = user["last_name"]
    if user["first_name"]:
        name["given"] = [user["first_name"]]
    return name


def patient(row: dict) -> dict:
    telecom = []
    if row["phone"]:
        telecom.append({"system": "phone", "value": row["phone"]})
    if row["email"]:
        telecom.append({"system": "email", "value": row["email"]})
    return _clean(
        {
            "resourceType": "Patient",
            "id": str(row["id"]),
            "identifier": [
                {
                    "use": "usual",
                    "type": _concept(
                        _coding(
                            "http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical record number"
                        )
                    ),
                    "system": clinic_system("mrn"),
                    "value": row["mrn"],
                }
            ],
            "active": True,
            "name": [{"use": "official", "family": row["family_name"], "given": [row["given_name"]]}],
            "telecom": telecom,
            "gender": row["sex"],  # the clinic's choices are the administrative-gender codes
            "birthDate": _date(row["date_of_birth"]),
            "address": [{"text": row["address"]}] if row["address"] else None,
        }
    )


def practitioner(row: dict) -> dict:
    return {
        "resourceType": "Practitioner",
        "id": str(row["id"]),
        "identifier": [{"system": clinic_system("user"), "value": row["username"]}],
        "active": row["is_active"],
        "name": [_user_name(row)],
    }


def medication(row: dict) -> dict:
    """A lot: the product, with the lot number and expiry in ``batch`` and the lot's concentration
    as the strength of its one ingredient (billion exosomes per ml)."""
    source = ProductSource(row["product__source"]).label
    return _clean(
        {
            "resourceType": "Medication",
            "id": str(row["id"]),
            "code": _concept(
                _coding(clinic_system("product"), str(row["product_id"]), row["product__name"]),
                text=f"{row['product__name']} ({ProductKind(row['product__kind']).label})",
            ),
            "manufacturer": {"display": row["manufacturer"] or row["product__manufacturer"]},
            "ingredient": [
                {
                    "itemCodeableConcept": _concept(text=f"Exosomes derived from {source.lower()}"),
                    "isActive": True,
                    "strength": {
                        "numerator": {
                            "value": _number(row["concentration"]),
                            "unit": "billion exosomes",
                            "system": codes.UCUM,
                            "code": "10*9",
                        },
                        "denominator": {"value": 1, "unit": "ml", "system": codes.UCUM, "code": "mL"},
                    },
                }
            ],
            "batch": {"lotNumber": row["lot_number"], "expirationDate": _date(row["expires_on"])},
        }
    )


def encounter(row: dict) -> dict:
    """A signed treatment: the outpatient visit that administrations, reports and follow-ups point to."""
    return {
        "resourceType": "Encounter",
        "id": str(row["id"]),
        "status": "finished",
        "class": _coding(codes.ACT_CODE, "AMB", "ambulatory"),
        "type": [
            _concept(
                _coding(clinic_system("course-position"), row["course_position"]),
                text=f"{CoursePosition(row['course_position']).label}, round {row['round_number']}",
            )
        ],
        "subject": ref("Patient", row["patient_id"]),
        "participant": [{"individual": ref("Practitioner", row["physician_id"])}],
        "period": {"start": _instant(row["performed_at"])},
        "reasonCode": [
            _concept(
                _coding(clinic_system("indication"), row["indication__code"]), text=row["indication__name"]
            )
        ],
    }


def medication_administration(row: dict) -> dict:
    route = row["route"]
    route_codings = []
    if route in codes.ROUTE_SNOMED:
        route_codings.append(_coding(codes.SNOMED, *codes.ROUTE_SNOMED[route]))
    route_codings.append(_coding(clinic_system("route"), route, Route(route).label))
    dose, volume = _number(row["dose_billion"]), _number(row["volume_ml"])
    dosage = {
        "text": f"{dose} billion exosomes in {volume} ml",
        "site": _concept(text=row["site"]) if row["site"] else None,
        "route": _concept(*route_codings, text=Route(route).label),
        "dose": {"value": dose, "unit": "billion exosomes", "system": codes.UCUM, "code": "10*9"},
    }
    resource = {
        "resourceType": "MedicationAdministration",
        "id": str(row["id"]),
        "extension": [
            {
                "url": clinic_extension("administered-volume"),
                "valueQuantity": {"value": volume, "unit": "ml", "system": codes.UCUM, "code": "mL"},
            }
        ],
        "status": "completed",
        "medicationReference": ref("Medication", row["lot_id"]),
        "subject": ref("Patient", row["treatment__patient_id"]),
        "context": ref("Encounter", row["treatment_id"]),
        "effectiveDateTime": _instant(row["treatment__performed_at"]),
        "performer": [{"actor": ref("Practitioner", row["treatment__physician_id"])}],
        "reasonCode": [_concept(text=row["treatment__indication__name"])],
        "dosage": _clean(dosage),
    }
    if not row["whole_dose_given"]:
        resource["note"] = [{"text": f"Whole dose not given: {row['not_given_reason']}".strip()}]
    return resource


def _score(pk: str, *, code: dict, text: str, patient_id, when, value: int, performer_id, **links) -> dict:
    return _clean(
        {
            "resourceType": "Observation",
            "id": pk,
            "status": "final",
            "category": [_concept(_coding(codes.OBSERVATION_CATEGORY, "survey", "Survey"))],
            "code": _concept(code, text=text),
            "subject": ref("Patient", patient_id),
            "effectiveDateTime": _instant(when),
            "performer": [ref("Practitioner", performer_id)] if performer_id else None,
            "valueInteger": value,
            **links,
        }
    )


PAIN = _coding(codes.LOINC, *codes.PAIN_LOINC)
ENERGY = _coding(clinic_system("outcome-score"), "energy", "Energy (0-10)")
GLOBAL_IMPRESSION = _coding(
    clinic_system("outcome-score"), "global-impression", "Patient global impression of change (1-7)"
)


def baseline_observations(row: dict) -> list[dict]:
    """A signed treatment's baseline pain and energy (scored at the visit)."""
    found = []
    for field, code, text, name in (
        ("baseline_pain", PAIN, "Pain (0-10), baseline", "pain"),
        ("baseline_energy", ENERGY, "Energy (0-10), baseline", "energy"),
    ):
        if row[field] is not None:
            found.append(
                _score(
                    f"treatment-{row['id']}-{name}",
                    code=code,
                    text=text,
                    patient_id=row["patient_id"],
                    when=row["performed_at"],
                    value=row[field],
                    performer_id=row["physician_id"],
                    encounter=ref("Encounter", row["id"]),
                )
            )
    return found


def followup_observations(row: dict) -> list[dict]:
    """A completed follow-up's pain, energy and global impression of change."""
    if row["status"] != FollowUpStatus.COMPLETED:
        return []
    found = []
    for field, code, text, name in (
        ("pain", PAIN, "Pain (0-10)", "pain"),
        ("energy", ENERGY, "Energy (0-10)", "energy"),
        (
            "global_impression",
            GLOBAL_IMPRESSION,
            "Patient global impression of change (1-7)",
            "global-impression",
        ),
    ):
        if row[field] is not None:
            found.append(
                _score(
                    f"followup-{row['id']}-{name}",
                    code=code,
                    text=f"{text}, {row['step_name']}",
                    patient_id=row["patient_id"],
                    when=row["completed_at"],
                    value=row[field],
                    performer_id=row["completed_by_id"],
                    basedOn=[ref("ServiceRequest", row["id"])],
                )
            )
    return found


def service_request(row: dict) -> dict:
    """A planned follow-up step (scheduled, completed, missed or cancelled) with its window."""
    extension = [{"url": clinic_extension("followup-status"), "valueCode": row["status"]}]
    extension.append({"url": clinic_extension("followup-due"), "valueDate": _date(row["due_on"])})
    if row["decision"]:
        extension.append(
            {
                "url": clinic_extension("assessment-decision"),
                "valueCodeableConcept": _concept(
                    _coding(clinic_system("decision"), row["decision"]), text=Decision(row["decision"]).label
                ),
            }
        )
    return _clean(
        {
            "resourceType": "ServiceRequest",
            "id": str(row["id"]),
            "extension": extension,
            "status": codes.FOLLOWUP_STATUS[row["status"]],
            "intent": "order",
            "code": _concept(_coding(clinic_system("followup-step"), row["kind"]), text=row["step_name"]),
            "subject": ref("Patient", row["patient_id"]),
            "encounter": ref("Encounter", row["treatment_id"]),
            "occurrencePeriod": {"start": _date(row["window_start"]), "end": _date(row["window_end"])},
            "authoredOn": _instant(row["created_at"]),
            "requester": ref("Practitioner", row["treatment__physician_id"]),
            "locationCode": [_concept(text=Contact(row["contact"]).label)] if row["contact"] else None,
            "note": [{"text": FollowUpStatus(row["status"]).label}],
        }
    )


def adverse_event(row: dict, *, administration_ids: list[int]) -> dict:
    """A side-effect report. R4's severity knows mild, moderate and severe only: the CTCAE grade
    travels as an extension, seriousness separately (with each criterion ticked in its text)."""
    term = row["term"]
    term_text = row["term_other"] if term == Term.OTHER and row["term_other"] else Term(term).label
    event_codings = [_coding(codes.MEDDRA, *codes.TERM_MEDDRA[term])] if term in codes.TERM_MEDDRA else []
    event_codings.append(_coding(clinic_system("side-effect-term"), term, Term(term).label))
    criteria = [
        SideEffectReport._meta.get_field(name).verbose_name for name in SERIOUSNESS_FIELDS if row[name]
    ]
    seriousness = (
        _concept(_coding(codes.AE_SERIOUSNESS, "serious", "Serious"), text="Serious: " + "; ".join(criteria))
        if criteria
        else _concept(_coding(codes.AE_SERIOUSNESS, "non-serious", "Non-serious"))
    )
    causality = row["causality"]
    assessment = (
        _concept(_coding(codes.AE_CAUSALITY, *codes.CAUSALITY[causality]), text=Causality(causality).label)
        if causality in codes.CAUSALITY
        else _concept(_coding(clinic_system("causality"), causality), text=Causality(causality).label)
    )
    author = ref("Practitioner", row["reviewed_by_id"]) if row["reviewed_by_id"] else None
    outcome_code, outcome_display = codes.OUTCOME[row["outcome"]]
    extension = [
        {
            "url": clinic_extension("ctcae-grade"),
            "valueCodeableConcept": _concept(
                _coding(clinic_system("ctcae-grade"), str(row["grade"]), Grade(row["grade"]).label),
                text=f"CTCAE v5.0 grade {row['grade']}",
            ),
        }
    ]
    if row["resolved_on"]:
        extension.append({"url": clinic_extension("resolved-on"), "valueDate": _date(row["resolved_on"])})
    exported_treatment = row["treatment__status"] == "signed" and row["treatment__voided_at"] is None
    return _clean(
        {
            "resourceType": "AdverseEvent",
            "id": str(row["id"]),
            "extension": extension,
            "actuality": "actual",
            "event": _concept(*event_codings, text=term_text),
            "subject": ref("Patient", row["patient_id"]),
            "encounter": ref("Encounter", row["treatment_id"]) if exported_treatment else None,
            "date": _date(row["onset"]),
            "recordedDate": _instant(row["reported_at"]),
            "recorder": ref("Practitioner", row["reported_by_id"]),
            "seriousness": seriousness,
            "severity": _concept(
                _coding(codes.AE_SEVERITY, codes.SEVERITY_BY_GRADE[row["grade"]]),
                text=Grade(row["grade"]).label,
            ),
            "outcome": _concept(
                _coding(codes.AE_OUTCOME, outcome_code, outcome_display), text=Outcome(row["outcome"]).label
            ),
            "suspectEntity": [
                _clean(
                    {
                        "instance": ref("MedicationAdministration", pk),
                        "causality": [_clean({"assessment": assessment, "author": author})],
                    }
                )
                for pk in administration_ids
            ],
        }
    )


def consent(row: dict) -> dict | None:
    """The patient's signed treatment consent, dated; None when none is on file."""
    if not row["consent_on_file"]:
        return None
    return {
        "resourceType": "Consent",
        "id": str(row["id"]),
        "status": "active",
        "scope": _concept(_coding(codes.CONSENT_SCOPE, "treatment", "Treatment")),
        "category": [_concept(_coding(codes.LOINC, "59284-0", "Patient Consent"))],
        "patient": ref("Patient", row["id"]),
        "dateTime": _date(row["consent_on_file"]),
        "policyRule": _concept(
            _coding(codes.ACT_CODE, "OPTIN", "opt-in"), text="The clinic's treatment consent"
        ),
    }


def provenance(row: dict, *, administration_ids: list[int]) -> dict:
    """A treatment's signature: who signed the visit and its administrations, and when."""
    signer = ref("Practitioner", row["signed_by_id"])
    when = _instant(row["signed_at"])
    return {
        "resourceType": "Provenance",
        "id": str(row["id"]),
        "target": [ref("Encounter", row["id"])]
        + [ref("MedicationAdministration", pk) for pk in administration_ids],
        "recorded": when,
        "activity": _concept(_coding(codes.PROVENANCE_ACTIVITY, "LA", "legally authenticated")),
        "agent": [{"type": _concept(_coding(codes.PROVENANCE_AGENT, "verifier", "Verifier")), "who": signer}],
        "signature": [
            {
                "type": [_coding(codes.SIGNATURE_TYPE, "1.2.840.10065.1.12.1.1", "Author's Signature")],
                "when": when,
                "who": signer,
            }
        ],
    }
