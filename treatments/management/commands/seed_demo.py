"""Fill the database with a realistic demo clinic. Refuses to run unless DEBUG is on.

A small story goes through the services (signing, an amendment, a void, drafts, a recall, a depleted
lot, follow-up work, side-effect reports and their review); every other patient takes the demo's
fast path (``treatments/demo/bulk*.py``), and ``manage.py check_integrity`` proves the result obeys
the same rules. Idempotent: a rerun adds nothing, a larger ``--patients`` adds the new patients only.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from treatments.demo.bulk import refresh_statistics
from treatments.demo.bulk_followups import seed_bulk_followups, unscheduled_treatments
from treatments.demo.bulk_treatments import bulk_patients, seed_bulk_treatments
from treatments.demo.followups import seed_followup_activity
from treatments.demo.lots import seed_lots
from treatments.demo.patients import seed_patients
from treatments.demo.progress import phase
from treatments.demo.side_effects import mild_candidates, seed_mild_side_effects, seed_side_effects
from treatments.demo.treatments import (
    STORY_PATIENTS,
    demo_treatments_exist,
    seed_recall,
    seed_treatments,
    story_patients,
)
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
        started = self.last = time.monotonic()

        with phase("Users", len(DEMO_USERS), unit="user") as bar, transaction.atomic():
            users = seed_users()
            bar.update(len(users))
        with phase("Patients", patients, unit="patient") as bar, transaction.atomic():
            created = seed_patients(patients, user=users["dr.ross"], progress=bar.update)
        self.done(f"Demo patients: {created} created, {patients - created} already there.")

        with phase("Lots", 7, unit="lot") as bar, transaction.atomic():
            lots = seed_lots(user=users["admin.clinic"], patients=patients, progress=bar.update)

        refresh_statistics()
        story_done = demo_treatments_exist()
        story_count = 0 if story_done else min(patients, STORY_PATIENTS)
        with phase("Treatments", story_count + bulk_patients().count(), unit="patient") as bar:
            if not story_done:
                with transaction.atomic():
                    story = seed_treatments(users=users, lots=lots, progress=bar.update)
            bulk = seed_bulk_treatments(users=users, lots=lots, progress=bar.update)
            with transaction.atomic():
                recalled = seed_recall(users=users, lots=lots)
        if story_done and not bulk:
            self.stdout.write("Demo treatments: already there.")
        else:
            story_text = "the story's already there" if story_done else f"{story} in the story"
            self.done(
                f"Demo treatments: {bulk} recorded through the fast path, {story_text}; "
                f"{len(lots)} lots{', one recalled' if recalled else ''}."
            )

        refresh_statistics()
        with phase("Follow-ups", unscheduled_treatments().count(), unit="treatment") as bar:
            scheduled = seed_bulk_followups(users=users, progress=bar.update)
        self.done("Demo follow-ups (fast path): " + self.counts(scheduled) + ".")

        with phase("Follow-up activity", unit="follow-up") as bar, transaction.atomic():
            activity = seed_followup_activity(users=users, patients=story_patients(), progress=bar.update)
        self.done("Demo follow-up activity (story, through the services): " + self.counts(activity) + ".")

        refresh_statistics()
        with phase("Side effects", mild_candidates().count(), unit="patient") as bar:
            with transaction.atomic():
                reports = seed_side_effects(users=users)
            mild = seed_mild_side_effects(users=users, progress=bar.update)
        self.done(
            f"Demo side-effect reports: {reports['reports']} recorded in the story, {mild} mild ones "
            "through the fast path."
        )

        with phase("Statistics", 1, unit="step") as bar:
            if connection.vendor in ("sqlite", "postgresql"):
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")  # fresh statistics for the query planner after bulk seeding
            bar.update(1)
        self.done(f"Done in {time.monotonic() - started:.0f} s.")
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for username, first, last, role in DEMO_USERS:
            self.stdout.write(f"  {username:<15} {role:<13} {first} {last}")

    def done(self, message: str) -> None:
        now = time.monotonic()
        self.stdout.write(self.style.SUCCESS(message) + f" ({now - self.last:.1f} s)")
        self.last = now

    @staticmethod
    def counts(done: dict) -> str:
        return ", ".join(f"{count} {what}" for what, count in done.items())
