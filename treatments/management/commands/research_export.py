"""Write the de-identified research export (the page's zip) to a file.

An operator's tool: ``--user`` names the account the export is made for, and each patient exported
gets an export access event under it, as on the page.
"""

import datetime as dt
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from clinic.checks import research_key_problem
from treatments.models import AccessEvent
from treatments.research import research_zip
from treatments.services.access import access_record_many


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date: give it as YYYY-MM-DD, e.g. 2026-01-31.") from None


class Command(BaseCommand):
    help = "Write the de-identified research export (a zip of CSV tables) to --out FILE."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="The zip file to write (replaced if it exists).")
        parser.add_argument(
            "--user", required=True, help="Username the export is for: access events are written under it."
        )
        parser.add_argument("--start", help="First treatment date, YYYY-MM-DD (default: the first record).")
        parser.add_argument("--end", help="Last treatment date, YYYY-MM-DD (default: no limit).")

    def handle(self, *args, out: str, user: str, start: str | None, end: str | None, **options):
        path = Path(out)
        if path.is_dir():
            raise CommandError(f"--out {out} is a directory; give a file name such as research.zip.")
        first, last = (_day(start) if start else None), (_day(end) if end else None)
        if first and last and first > last:
            raise CommandError("--end must be on or after --start.")
        problem = research_key_problem()
        if problem:
            raise CommandError(f"{problem}: set EXOLOG_RESEARCH_KEY to a key of its own (32+ characters).")
        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"No user named {user!r}: --user takes an existing username.")
        count = 0

        def on_patients(patient_ids):
            nonlocal count
            count += access_record_many(
                user=account, patient_ids=patient_ids, action=AccessEvent.Action.EXPORT
            )

        with open(path, "wb") as file:
            for piece in research_zip(start=first, end=last, on_patients=on_patients):
                file.write(piece)
        self.stdout.write(f"{path}: {count} patients")
