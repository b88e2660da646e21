"""The FHIR Patient import form: one resource, pasted or uploaded, and a record number to assign."""

from django import forms
from django.core.exceptions import ValidationError

from treatments.models import Patient
from treatments.services.fhir_import import MAX_JSON_CHARS, parse_json

MAX_FILE_BYTES = MAX_JSON_CHARS * 2  # a UTF-8 file of MAX_JSON_CHARS characters, most of them ASCII


class FhirPatientImportForm(forms.Form):
    resource_text = forms.CharField(
        label="FHIR Patient resource (JSON)",
        required=False,
        max_length=MAX_JSON_CHARS,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "class": "font-monospace"}),
        help_text="Paste one FHIR R4 Patient resource, or upload its file below.",
    )
    resource_file = forms.FileField(
        label="Or upload a JSON file",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json,application/fhir+json"}),
        help_text=f"One Patient resource, at most {MAX_FILE_BYTES // 1000} kB.",
    )
    mrn = forms.CharField(
        label="Record number to assign",
        required=False,
        max_length=Patient._meta.get_field("mrn").max_length,
        help_text="Only for a resource from another system: one that carries this clinic's record "
        "number needs none. A new patient gets this record number.",
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("resource_file")
        text = cleaned.get("resource_text") or ""
        if upload:
            if upload.size > MAX_FILE_BYTES:
                raise ValidationError(f"The file is too large: at most {MAX_FILE_BYTES // 1000} kB.")
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValidationError(
                    "The file is not UTF-8 text: upload the resource's JSON file."
                ) from None
        if "resource_text" in self.errors:
            return cleaned
        if not text.strip():
            raise ValidationError("Paste a FHIR Patient resource, or upload its JSON file.")
        if "\x00" in text:
            raise ValidationError("The resource must not contain a null character.")
        cleaned["resource"] = parse_json(text)
        return cleaned
