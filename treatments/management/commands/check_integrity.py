"""Check that the stored records obey the rules the services enforce (read-only; any settings).

One line per check: its name, how many records break it and the first few of them by kind and id
(never a name or other patient data). Exits with status 1 when any check fails.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from treatments.selectors.integrity import INTEGRITY_CHECKS


class Command(BaseCommand):
    help = "Check stock, doses, lots, follow-ups, reports and history against the rules (read-only)."

    def handle(self, *args, **options):
        started = time.monotonic()
        failed = 0
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if connection.vendor == "postgresql" and outermost:
                # One snapshot for every check, and a guarantee that nothing here writes (only as
                # the transaction's first statement: not when a caller's transaction is open).
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            for run in INTEGRITY_CHECKS:
                began = time.monotonic()
                check = run()
                took = time.monotonic() - began
                if check.passed:
                    line = self.style.SUCCESS(f"ok    {check.name}: 0 violations")
                else:
                    failed += 1
                    shown = ", ".join(check.examples)
                    more = " …" if check.violations > len(check.examples) else ""
                    line = self.style.ERROR(
                        f"FAIL  {check.name}: {check.violations} violations ({shown}{more})"
                    )
                self.stdout.write(f"{line}  [{check.rule}; {took:.1f} s]")
        total = len(INTEGRITY_CHECKS)
        self.stdout.write(f"{total - failed} of {total} checks passed in {time.monotonic() - started:.1f} s.")
        if failed:
            raise CommandError(f"{failed} of {total} integrity checks failed.", returncode=1)
