"""Fill the database with a realistic demo clinic. Refuses to run unless DEBUG is on."""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from treatments.demo.followups import seed_followup_activity, seed_side_effects
from treatments.demo.lots import seed_lots
from treatments.demo.patients import seed_patients
from treatments.demo.treatments import demo_treatments_exist, seed_treatments
from treatments.demo.users import DEMO_PASSWORD, DEMO_USERS, seed_users


class Command(BaseCommand):
    help = "Create demo accounts and a realistic demo clinic (idempotent; DEBUG only)."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=60, help="How many demo patients (default 60).")

    def handle(self, *args, patients: int, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates accounts with a published password and only runs with DEBUG on "
                "(DJANGO_DEBUG=true). It must never run on a production database."
            )
        if patients < 0:
            raise CommandError("--patients must be 0 or more.")
        with transaction.atomic():
            users = seed_users()
            physician = users["dr.ross"]
            created = seed_patients(patients, user=physician, progress=self.progress)
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(f"Demo patients: {created} created, {patients - created} already there.")
        )
        if demo_treatments_exist():
            self.stdout.write("Demo treatments: already there.")
        else:
            with transaction.atomic():
                lots = seed_lots(user=users["admin.clinic"], patients=patients)
                treatments = seed_treatments(users=users, lots=lots, progress=self.treatment_progress)
            self.stdout.write("")
            self.stdout.write(
                self.style.SUCCESS(f"Demo treatments: {treatments} recorded, with {len(lots)} lots.")
            )
        with transaction.atomic():
            activity = seed_followup_activity(users=users)
            reports = seed_side_effects(users=users)
        if connection.vendor in ("sqlite", "postgresql"):
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # fresh statistics for the query planner after bulk seeding
        done = ", ".join(f"{count} {what}" for what, count in activity.items())
        self.stdout.write(self.style.SUCCESS(f"Demo follow-up activity: {done}."))
        self.stdout.write(self.style.SUCCESS(f"Demo side-effect reports: {reports['reports']} recorded."))
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for username, first, last, role in DEMO_USERS:
            self.stdout.write(f"  {username:<15} {role:<13} {first} {last}")

    def treatment_progress(self, done: int, total: int):
        self.progress(done, total, label="Treatments")

    def progress(self, done: int, total: int, label: str = "Patients"):
        if total and (self.stdout.isatty() if hasattr(self.stdout, "isatty") else sys.stdout.isatty()):
            width = 30
            filled = int(width * done / total)
            self.stdout.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
        elif total:
            self.stdout.write(f"{label} {done}/{total}")
