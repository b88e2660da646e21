"""Import one FHIR R4 Patient resource from a file: register the patient, or find the match.

    manage.py fhir_import_patient FILE --user USERNAME [--mrn RECORD_NO] [--dry-run]

The same service and rules as the import page (treatments.services.fhir_import): the user must be
allowed to register patients and is named in the new patient's history; a malformed resource is
refused with every reason and nothing is written. Prints the patient's id and record number only.
"""

import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from treatments.forms.fhir import MAX_FILE_BYTES
from treatments.services.fhir_import import parse_json, patient_import_fhir, patient_import_plan


class Command(BaseCommand):
    help = "Register (or match) the patient of a FHIR R4 Patient resource in a JSON file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The JSON file of one Patient resource ('-' for standard input).")
        parser.add_argument("--user", required=True, help="The username the import is attributed to.")
        parser.add_argument(
            "--mrn", default="", help="The record number to assign (a resource of another system)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and match only; write nothing.")

    def handle(self, *args, file, user, mrn, dry_run, **options):
        account = get_user_model().objects.filter(username=user, is_active=True).first()
        if account is None:
            raise CommandError(f"No active user named {user!r}.")
        if not account.has_perm("treatments.add_patient"):
            raise CommandError(f"The user {user!r} may not register patients.")
        try:
            resource = parse_json(self.read(file))
            if dry_run:
                plan = patient_import_plan(resource=resource, mrn=mrn)
                patient, created = plan.match, plan.creates
                differences = [label for label, _, _ in plan.differences]
            else:
                patient, created = patient_import_fhir(resource=resource, user=account, mrn=mrn)
                differences = []
        except ValidationError as error:
            raise CommandError("Nothing was imported:\n- " + "\n- ".join(error.messages)) from None
        if dry_run:
            if created:
                self.stdout.write("Dry run: a new patient would be registered.")
            else:
                self.stdout.write(f"Dry run: matches patient id {patient.pk} (record no. {patient.mrn}).")
                if differences:
                    self.stdout.write(
                        "Differs from the chart in: " + ", ".join(differences) + " (not applied)."
                    )
        elif created:
            self.stdout.write(
                self.style.SUCCESS(f"Registered patient id {patient.pk} (record no. {patient.mrn}).")
            )
        else:
            self.stdout.write(
                f"Matched patient id {patient.pk} (record no. {patient.mrn}); nothing was changed."
            )

    def read(self, path: str) -> str:
        try:
            if path == "-":
                raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
            else:
                with open(path, "rb") as handle:
                    raw = handle.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        if len(raw) > MAX_FILE_BYTES:
            raise CommandError(f"The file is too large: at most {MAX_FILE_BYTES // 1000} kB.")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CommandError("The file is not UTF-8 text.") from None
        return text
