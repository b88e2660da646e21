"""Import of a FHIR R4 Patient resource from a referring system: it creates a patient or matches one.

The resource is checked here, in plain Python (the product does not depend on a FHIR library), and
a resource that breaks a rule is refused whole with every reason, before anything is written.

Matching (docs/FHIR.md, "Import"):
- The record number: the resource's identifier of the clinic's record-number system
  (``<base>/fhir/CodeSystem/mrn``, what the export writes), or the one the importer gives for a
  resource from another system. A patient with that record number is the match, provided the
  name and date of birth agree; a voided patient's record number is refused.
- No record number: the one active patient with the same family name, given name (ignoring case)
  and date of birth is the match; two of them are refused as ambiguous, none asks for a record number.
- A record number that no patient has, while another patient has the same name and date of birth,
  is refused as a conflict (the clinic would otherwise get a duplicate).

A match changes nothing: the fields where the resource differs from the chart are reported, and the
clinic edits the patient (through the registry page, with history) if the referral is right. A new
patient is registered through ``patient_save``: the same rules, attribution and history as the
registration page. The referring system's identifiers are kept in the new patient's notes.
"""

import datetime as dt
import json
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction

from treatments.fhir.codes import clinic_system
from treatments.models import Patient
from treatments.models.patients import Sex
from treatments.services.patients import patient_save

MAX_JSON_CHARS = 200_000
MRN_MAX = Patient._meta.get_field("mrn").max_length
NAME_MAX = Patient._meta.get_field("given_name").max_length
PHONE_MAX = Patient._meta.get_field("phone").max_length
EMAIL_MAX = Patient._meta.get_field("email").max_length
ADDRESS_MAX = 1000
IDENTIFIER_MAX = 200
GENDERS = [choice.value for choice in Sex]
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
IMPORT_REASON = "Registered from a FHIR Patient resource"

# The fields a match compares with the chart (and reports when they differ), with their labels.
COMPARED = {
    "sex": "Sex",
    "phone": "Phone",
    "email": "E-mail",
    "address": "Address",
}
IDENTITY = ("family_name", "given_name", "date_of_birth")


def mrn_system() -> str:
    return clinic_system("mrn")


@dataclass
class ImportPlan:
    """What an import will do: the patient's fields read from the resource, and the match."""

    fields: dict
    match: Patient | None = None
    matched_by: str = ""
    differences: list = field(default_factory=list)  # (label, in the chart, in the resource)
    other_identifiers: list = field(default_factory=list)  # (system, value) of other systems

    @property
    def creates(self) -> bool:
        return self.match is None

    @property
    def rows(self) -> list[tuple[str, object]]:
        """(label, value) of the patient as the resource gives it, for the preview."""
        fields = self.fields
        return [
            ("Record number", fields["mrn"]),
            ("Family name", fields["family_name"]),
            ("Given name", fields["given_name"]),
            ("Date of birth", fields["date_of_birth"]),
            ("Sex", Sex(fields["sex"]).label),
            ("Phone", fields["phone"]),
            ("E-mail", fields["email"]),
            ("Address", fields["address"]),
        ]


def parse_json(text: str) -> dict:
    """The JSON text of one resource, as a dict; a clear error for anything else."""
    if len(text) > MAX_JSON_CHARS:
        raise ValidationError(f"The resource is too long: at most {MAX_JSON_CHARS:,} characters.")

    def refuse_constant(name):
        raise ValueError(f"{name} is not a JSON number")

    try:
        data = json.loads(text, parse_constant=refuse_constant)
    except (ValueError, RecursionError) as error:
        raise ValidationError(
            f"This is not valid JSON ({error}). Paste or upload one FHIR Patient resource."
        ) from None
    if not isinstance(data, dict):
        raise ValidationError("Expected one JSON object: a FHIR Patient resource.")
    return data


def _text(value, where: str, *, max_length: int, errors: list) -> str:
    if not isinstance(value, str):
        errors.append(f"{where} must be a string.")
        return ""
    value = value.strip()
    if "\x00" in value:
        errors.append(f"{where} must not contain a null character.")
        return ""
    if len(value) > max_length:
        errors.append(f"{where} is too long: at most {max_length} characters (it has {len(value)}).")
        return ""
    return value


def _list(resource: dict, key: str, errors: list) -> list:
    value = resource.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        errors.append(f"'{key}' must be a list of objects.")
        return []
    return value


def _identifiers(resource: dict, errors: list) -> tuple[str, list]:
    mrns, others = [], []
    for index, item in enumerate(_list(resource, "identifier", errors)):
        where = f"identifier[{index}]"
        system = _text(item.get("system", ""), f"{where}.system", max_length=IDENTIFIER_MAX, errors=errors)
        if "value" not in item:
            errors.append(f"{where} has no value.")
            continue
        if system == mrn_system():
            value = _text(
                item["value"], f"{where}.value (the record number)", max_length=MRN_MAX, errors=errors
            )
            if value:
                mrns.append(value)
            elif isinstance(item["value"], str) and not item["value"].strip():
                errors.append(f"{where}.value (the record number) is empty.")
        else:
            value = _text(item["value"], f"{where}.value", max_length=IDENTIFIER_MAX, errors=errors)
            if value:
                others.append((system, value))
    if len(set(mrns)) > 1:
        errors.append(
            "The resource has conflicting record numbers (" + ", ".join(sorted(set(mrns))) + "): "
            f"at most one identifier of the clinic's system {mrn_system()}."
        )
        return "", others
    return (mrns[0] if mrns else ""), others


def _name(resource: dict, errors: list) -> tuple[str, str]:
    names = _list(resource, "name", errors)
    if not names:
        if "name" not in resource or resource.get("name") == []:
            errors.append("The resource has no name: a name with 'family' and 'given' is required.")
        return "", ""
    by_use = {item.get("use"): item for item in reversed(names) if isinstance(item.get("use"), str)}
    name = by_use.get("official") or by_use.get("usual") or names[0]
    family = name.get("family")
    given = name.get("given")
    if family is None or (isinstance(family, str) and not family.strip()):
        errors.append("The name has no family name ('family').")
        family_name = ""
    else:
        family_name = _text(family, "The family name", max_length=NAME_MAX, errors=errors)
    if not given:
        errors.append("The name has no given name ('given', a list of strings).")
        return family_name, ""
    if not isinstance(given, list) or not all(isinstance(part, str) for part in given):
        errors.append("The given name ('given') must be a list of strings.")
        return family_name, ""
    given_name = _text(
        " ".join(part.strip() for part in given), "The given name", max_length=NAME_MAX, errors=errors
    )
    if not given_name and not errors:
        errors.append("The name has no given name ('given', a list of strings).")
    return family_name, given_name


def _birth_date(resource: dict, errors: list):
    value = resource.get("birthDate")
    if value is None:
        errors.append("The resource has no birthDate: the date of birth is required (YYYY-MM-DD).")
        return None
    if not isinstance(value, str) or not DATE_RE.fullmatch(value):
        errors.append(
            f"birthDate {value!r} is not a full date: use YYYY-MM-DD (a year or month alone is not enough)."
        )
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.append(f"birthDate {value!r} is not a date of the calendar (YYYY-MM-DD).")
        return None


def _gender(resource: dict, errors: list) -> str:
    value = resource.get("gender", Sex.UNKNOWN)
    if value not in GENDERS:
        errors.append(
            f"gender {value!r} is not a FHIR administrative gender: use one of {', '.join(GENDERS)}."
        )
        return Sex.UNKNOWN
    return value


def _telecom(resource: dict, errors: list) -> tuple[str, str]:
    phone = email = ""
    for index, item in enumerate(_list(resource, "telecom", errors)):
        where = f"telecom[{index}]"
        system, value = item.get("system"), item.get("value")
        if system == "phone" and not phone:
            phone = _text(value, f"{where} (phone)", max_length=PHONE_MAX, errors=errors)
        elif system == "email" and not email:
            email = _text(value, f"{where} (e-mail)", max_length=EMAIL_MAX, errors=errors)
            if email:
                try:
                    EmailValidator()(email)
                except ValidationError:
                    errors.append(f"{where} (e-mail) is not an e-mail address.")
                    email = ""
    return phone, email


def _address(resource: dict, errors: list) -> str:
    addresses = _list(resource, "address", errors)
    if not addresses:
        return ""
    address = addresses[0]
    if address.get("text"):
        return _text(address["text"], "address[0].text", max_length=ADDRESS_MAX, errors=errors)
    lines = address.get("line") or []
    if not isinstance(lines, list):
        errors.append("address[0].line must be a list of strings.")
        return ""
    place = " ".join(str(address[key]) for key in ("postalCode", "city") if isinstance(address.get(key), str))
    parts = [*lines, place, address.get("country") or ""]
    if not all(isinstance(part, str) for part in parts):
        errors.append("address[0] must hold strings.")
        return ""
    return _text(
        "\n".join(part.strip() for part in parts if part.strip()),
        "address[0]",
        max_length=ADDRESS_MAX,
        errors=errors,
    )


def read_patient(resource: dict) -> tuple[dict, list]:
    """The patient's fields from a Patient resource, and the identifiers of other systems.
    Raises a ValidationError naming every rule the resource breaks."""
    if not isinstance(resource, dict):
        raise ValidationError("Expected one JSON object: a FHIR Patient resource.")
    if resource.get("resourceType") != "Patient":
        kind = resource.get("resourceType")
        raise ValidationError(
            f"This is a {kind!r} resource, not a Patient: only a FHIR Patient resource can be imported."
            if kind
            else "The resource has no resourceType: only a FHIR Patient resource can be imported."
        )
    errors: list[str] = []
    mrn, others = _identifiers(resource, errors)
    family_name, given_name = _name(resource, errors)
    date_of_birth = _birth_date(resource, errors)
    sex = _gender(resource, errors)
    phone, email = _telecom(resource, errors)
    address = _address(resource, errors)
    if errors:
        raise ValidationError(errors)
    fields = {
        "mrn": mrn,
        "family_name": family_name,
        "given_name": given_name,
        "date_of_birth": date_of_birth,
        "sex": sex,
        "phone": phone,
        "email": email,
        "address": address,
    }
    return fields, others


def _candidates(*, mrn: str, family_name: str, given_name: str, date_of_birth):
    """The patient with the record number ``mrn``, voided or not, and the active patients with
    this name (ignoring case) and date of birth. Two queries at most."""
    by_mrn = Patient.objects.filter(mrn=mrn).first() if mrn else None
    by_identity = list(
        Patient.objects.active()
        .filter(family_name__iexact=family_name, given_name__iexact=given_name, date_of_birth=date_of_birth)
        .order_by("id")[:5]
    )
    return by_mrn, by_identity


def _same_person(patient: Patient, fields: dict) -> bool:
    return (
        patient.family_name.casefold() == fields["family_name"].casefold()
        and patient.given_name.casefold() == fields["given_name"].casefold()
        and patient.date_of_birth == fields["date_of_birth"]
    )


def patient_import_plan(*, resource: dict, mrn: str = "") -> ImportPlan:
    """Check the resource and find its match; writes nothing (the preview shows this)."""
    fields, others = read_patient(resource)
    given_mrn = (mrn or "").strip()
    if given_mrn and len(given_mrn) > MRN_MAX:
        raise ValidationError(f"The record number to assign is too long: at most {MRN_MAX} characters.")
    if given_mrn and fields["mrn"] and given_mrn != fields["mrn"]:
        raise ValidationError(
            f"The resource already carries the clinic's record number {fields['mrn']}, which conflicts with "
            f"the record number given ({given_mrn}): leave the record number empty, or correct it."
        )
    fields["mrn"] = fields["mrn"] or given_mrn
    plan = ImportPlan(fields=fields, other_identifiers=others)
    by_mrn, by_identity = _candidates(
        mrn=fields["mrn"],
        family_name=fields["family_name"],
        given_name=fields["given_name"],
        date_of_birth=fields["date_of_birth"],
    )
    if by_mrn is not None:
        if by_mrn.is_voided:
            raise ValidationError(
                f"The record number {fields['mrn']} belongs to a voided patient record: nothing was imported."
            )
        if not _same_person(by_mrn, fields):
            raise ValidationError(
                f"The record number {fields['mrn']} belongs to a patient with another name or date of birth: "
                "check the resource's identifier; nothing was imported."
            )
        plan.match, plan.matched_by = by_mrn, "record number"
    elif fields["mrn"]:
        if by_identity:
            raise ValidationError(
                "A patient with this name and date of birth already has the record number "
                f"{by_identity[0].mrn}, "
                f"not {fields['mrn']}: import with that record number, or check the resource."
            )
    elif len(by_identity) == 1:
        plan.match, plan.matched_by = by_identity[0], "name and date of birth"
        fields["mrn"] = plan.match.mrn
    elif len(by_identity) > 1:
        raise ValidationError(
            "Several patients have this name and date of birth: give the record number of the right one."
        )
    else:
        raise ValidationError(
            "The resource has no record number of the clinic (an identifier with system "
            f"{mrn_system()}) and matches no patient: give the record number to assign."
        )
    if plan.match is not None:
        for name, label in COMPARED.items():
            chart, incoming = getattr(plan.match, name), fields[name]
            if incoming and incoming != chart:
                plan.differences.append((label, chart, incoming))
    return plan


def _notes(others: list) -> str:
    if not others:
        return ""
    lines = [f"{system or '(no system)'}: {value}" for system, value in others]
    return "Identifiers in the referring system's FHIR resource:\n" + "\n".join(lines)


@transaction.atomic
def patient_import_fhir(*, resource: dict, user, mrn: str = "") -> tuple[Patient, bool]:
    """Create or match the patient of a FHIR Patient resource; returns (patient, created).

    Everything or nothing: a resource that breaks a rule (or whose new patient fails the registry's
    rules) raises a ValidationError and writes nothing. A match is returned unchanged."""
    plan = patient_import_plan(resource=resource, mrn=mrn)
    if plan.match is not None:
        return plan.match, False
    patient = Patient(**plan.fields, notes=_notes(plan.other_identifiers))
    patient_save(patient=patient, user=user, reason=IMPORT_REASON)
    return patient, True
