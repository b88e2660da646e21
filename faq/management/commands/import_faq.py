"""manage.py import_faq FILE: load the clinic's plain-text FAQ (new questions created, answers updated)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from faq.importing import load_entries
from faq.parsing import FaqFormatError, decode_faq, parse_faq


class Command(BaseCommand):
    help = (
        "Import FAQ entries from the clinic's plain-text format: a line starting 'Q?' opens a question, "
        "the lines after it are its answer. New questions are created, changed answers updated; running "
        "it again on the same file changes nothing. A malformed file imports nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The FAQ text file (UTF-8).")

    def handle(self, *args, file: str, **options):
        path = Path(file)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file.") from None
        except OSError as error:
            raise CommandError(f"{file}: cannot be read ({error.strerror}).") from None
        # The whole file is parsed before anything is written, so a bad line leaves the FAQ untouched.
        try:
            parsed = parse_faq(decode_faq(data))
        except FaqFormatError as error:
            raise CommandError(f"{file}, line {error.line}: {error.message}") from None
        with transaction.atomic():
            result = load_entries(
                parsed,
                update_answers=True,
                reason=f"Imported from {path.name}",
            )
        for category in result.categories_created:
            self.stdout.write(f"Created category: {category.name}")
        for entry in result.created:
            self.stdout.write(f"Created: {entry.question} ({entry.category.name})")
        for entry in result.updated:
            self.stdout.write(f"Updated: {entry.question}")
        self.stdout.write(self.style.SUCCESS(f"FAQ import: {result.summary()}."))
