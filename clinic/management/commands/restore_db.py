"""manage.py restore_db FILE.json.gz: load a backup_db file (see README, "Backup and restore")."""

from django.core.management.base import BaseCommand

from clinic.backup import backup_path, restore


class Command(BaseCommand):
    help = "Restore a backup_db file into this database, in one transaction."

    def add_arguments(self, parser):
        parser.add_argument("file", help="A backup written by backup_db (.json.gz).")
        parser.add_argument(
            "--force", action="store_true", help="Replace everything in a database that already holds data."
        )

    def handle(self, *args, file, force, **options):
        counts = restore(backup_path(file), force=force)
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {sum(counts.values())} rows in {len(counts)} tables from {file}. "
                "Everyone must sign in again."
            )
        )
