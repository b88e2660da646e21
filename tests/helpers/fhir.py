"""FHIR R4 checks for the export's tests: the ``fhir.resources`` 6.4 models (FHIR 4.0.1), used
by tests only (the product writes plain dicts)."""

from fhir.resources import __fhir_version__, construct_fhir_element

assert __fhir_version__ == "4.0.1", "tests validate against FHIR R4 (fhir.resources 6.4.x)"


def validate(resource: dict) -> None:
    """Raise (pydantic ValidationError) when ``resource`` is not a valid FHIR R4 resource."""
    construct_fhir_element(resource["resourceType"], resource)


def unresolved_references(resources: list[dict]) -> list[str]:
    """References ("Type/id") that name no resource in ``resources``."""
    present = {f"{r['resourceType']}/{r['id']}" for r in resources}
    found = []

    def walk(value):
        if isinstance(value, dict):
            target = value.get("reference")
            if isinstance(target, str) and target not in present:
                found.append(target)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(resources)
    return found
