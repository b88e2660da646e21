"""Export the whole clinic as FHIR R4 bulk data: one ``<ResourceType>.ndjson`` file per type.

An operator's tool (whoever runs it can read the database already): ``--user`` names the account
the export is done for, and then each patient exported gets an export access event under it.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from treatments.fhir.export import RESOURCE_TYPES, clinic_resources, ndjson_lines
from treatments.models import AccessEvent
from treatments.services.access import access_record_many


class Command(BaseCommand):
    help = "Write the clinic's records as FHIR R4 NDJSON, one file per resource type, into --out DIR."

    def add_arguments(self, parser):
        parser.add_argument(
            "--out", required=True, help="Directory for the .ndjson files (created if missing)."
        )
        parser.add_argument("--user", help="Username the export is for: access events are written under it.")

    def handle(self, *args, out: str, user: str | None, **options):
        directory = Path(out)
        if directory.exists() and not directory.is_dir():
            raise CommandError(f"--out {out} is a file; give a directory.")
        on_patients = None
        if user:
            account = get_user_model().objects.filter(username=user).first()
            if account is None:
                raise CommandError(f"No user named {user!r}: --user takes an existing username.")

            def on_patients(patient_ids):
                access_record_many(user=account, patient_ids=patient_ids, action=AccessEvent.Action.EXPORT)

        directory.mkdir(parents=True, exist_ok=True)
        for resource_type in RESOURCE_TYPES:
            count = 0
            hook = on_patients if resource_type == "Patient" else None
            with open(directory / f"{resource_type}.ndjson", "w", encoding="utf-8") as file:
                for line in ndjson_lines(clinic_resources(resource_type, on_patients=hook)):
                    file.write(line)
                    count += 1
            self.stdout.write(f"{resource_type}.ndjson: {count} resources")
