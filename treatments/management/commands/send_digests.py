"""Send the daily reminder digests (for cron), inline or through the task queue."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from treatments.tasks import send_daily_digests


class Command(BaseCommand):
    help = (
        "Email each staff user and physician their follow-ups due and overdue and the side-effect "
        "reports waiting for review. Run daily, e.g. from cron at 07:00."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Put the job on the task queue (run by `manage.py db_worker`) instead of running it now.",
        )
        parser.add_argument("--date", help="The day to report on, YYYY-MM-DD (default: today in the clinic).")

    def handle(self, *args, enqueue: bool, date: str | None, **options):
        if date:
            try:
                dt.date.fromisoformat(date)
            except ValueError:
                raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}.") from None
        if enqueue:
            result = send_daily_digests.enqueue(date)
            self.stdout.write(f"Digest job queued (id {result.id}); `manage.py db_worker` sends it.")
            return
        sent = send_daily_digests.call(date)
        self.stdout.write(self.style.SUCCESS(f"Digests sent: {sent}."))
