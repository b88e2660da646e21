"""The code systems of the FHIR export: real ones where a concept has a code there, the clinic's
own (under its base URL) for the rest. docs/FHIR.md lists them."""

from django.conf import settings

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
MEDDRA = "http://terminology.hl7.org/CodeSystem/mdr"
GENDER = "http://hl7.org/fhir/administrative-gender"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
AE_SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
AE_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
AE_CAUSALITY = "http://terminology.hl7.org/CodeSystem/adverse-event-causality-assess"
PROVENANCE_ACTIVITY = "http://terminology.hl7.org/CodeSystem/v3-DocumentCompletion"
PROVENANCE_AGENT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
SIGNATURE_TYPE = "urn:iso-astm:E1762-95:2013"


def base_url() -> str:
    """Where the clinic's FHIR ids and code systems live: EXOLOG_BASE_URL + /fhir."""
    return f"{settings.EXOLOG_BASE_URL}/fhir"


def clinic_system(name: str) -> str:
    """The clinic's own code system or identifier namespace called ``name``."""
    return f"{base_url()}/CodeSystem/{name}"


def clinic_extension(name: str) -> str:
    return f"{base_url()}/StructureDefinition/{name}"


# Routes: SNOMED CT "route of administration" concepts (the FHIR route-codes value set) where the
# clinic's route is one; a local injection (a joint, a tendon, soft tissue) and an intradiscal
# injection have no single concept there and travel with the clinic's code and the site's text.
ROUTE_SNOMED = {
    "topical": ("6064005", "Topical route"),
    "iv_injection": ("47625008", "Intravenous route"),
    "iv_drip": ("47625008", "Intravenous route"),
    "intranasal": ("46713006", "Nasal route"),
    "intrathecal": ("72607000", "Intrathecal route"),
}

# CTCAE v5.0 terms are MedDRA lowest level terms; these are the codes CTCAE v5.0 gives them. A
# flare-up of the patient's condition and "other" have no CTCAE term: text only.
TERM_MEDDRA = {
    "fever": ("10016558", "Fever"),
    "headache": ("10019211", "Headache"),
    "nausea": ("10028813", "Nausea"),
    "vomiting": ("10047700", "Vomiting"),
    "flu_like": ("10016791", "Flu like symptoms"),
    "fatigue": ("10016256", "Fatigue"),
    "injection_site": ("10022095", "Injection site reaction"),
}

SEVERITY_BY_GRADE = {1: "mild", 2: "moderate", 3: "severe", 4: "severe", 5: "severe"}

OUTCOME = {
    "recovering": ("recovering", "Recovering"),
    "resolved": ("resolved", "Resolved"),
    "resolved_sequelae": ("resolvedWithSequelae", "Resolved with Sequelae"),
    "not_resolved": ("ongoing", "Ongoing"),
    "fatal": ("fatal", "Fatal"),
    "unknown": ("unknown", "Unknown"),
}

# WHO-UMC causality categories; "unrelated" has none (it is below "unlikely"): the clinic's code.
CAUSALITY = {
    "definite": ("Certain", "Certain"),
    "probable": ("Probably-Likely", "Probably/Likely"),
    "possible": ("Possible", "Possible"),
    "unlikely": ("Unlikely", "Unlikely"),
}

# Outcome scores: pain on the 0-10 numeric rating scale has a LOINC code; the clinic's energy
# (0-10) and patient global impression of change (1-7) scales have none: the clinic's codes.
PAIN_LOINC = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")

FOLLOWUP_STATUS = {
    "scheduled": "active",
    "completed": "completed",
    "missed": "revoked",
    "cancelled": "revoked",
}
