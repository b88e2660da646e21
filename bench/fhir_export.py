"""FHIR bulk export bench: the whole clinic of the configured database as the zip of NDJSON files
the clinic admins' page streams, timed, with Python's peak memory while it is built (tracemalloc)
and the number of queries. Flat memory means the peak stays about the same at 1,000 patients as at
20: only one page of rows (``selectors.fhir.PAGE_SIZE``) is held at a time.

    SQLITE_PATH=bench/data/sqlite-1000.sqlite3 python -m bench.fhir_export

Prints one line; writes nothing (no access events: the bench passes no user).
"""

import os
import time
import tracemalloc

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from treatments.fhir.export import clinic_zip
    from treatments.models import Patient

    patients = Patient.objects.active().count()
    # Timed without tracemalloc (it slows every allocation several times), then measured with it.
    started = time.perf_counter()
    for _ in clinic_zip():
        pass
    timed = time.perf_counter() - started
    size = 0
    tracemalloc.start()
    with CaptureQueriesContext(connection) as queries:
        for chunk in clinic_zip():
            size += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"FHIR NDJSON zip: {patients} patients, {size / 1e6:.2f} MB in {timed:.2f} s, "
        f"peak Python memory {peak / 1e6:.1f} MB, {len(queries.captured_queries)} queries"
    )


if __name__ == "__main__":
    main()
