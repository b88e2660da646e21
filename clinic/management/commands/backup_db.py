"""manage.py backup_db FILE.json.gz: dump the whole database (see README, "Backup and restore")."""

from django.core.management import CommandError
from django.core.management.base import BaseCommand

from clinic.backup import backup_path, dump


class Command(BaseCommand):
    help = "Write the whole database to FILE (.json.gz), portable between SQLite and PostgreSQL."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Where to write the backup; must end in .json.gz.")
        parser.add_argument("--force", action="store_true", help="Overwrite FILE if it exists.")

    def handle(self, *args, file, force, **options):
        path = backup_path(file)
        if path.exists() and not force:
            raise CommandError(f"{path} exists; pass --force to overwrite it.")
        if path.exists():
            path.unlink()
        counts = dump(path)
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {sum(counts.values())} rows from {len(counts)} tables to {path} "
                f"({path.stat().st_size // 1024} KiB). Keep it encrypted: it holds patient data."
            )
        )
