"""XLSX export bench: the whole clinic's patient list and every treatment ever recorded, written as
the list pages' XLSX downloads are (the pages' selectors, ``selectors.exports`` rows read in chunks,
``clinic.writers.xlsx_file``), timed, with Python's peak memory (tracemalloc) and the queries.

    SQLITE_PATH=bench/data/sqlite-1000.sqlite3 python -m bench.xlsx_export

Flat memory means the peak stays about the same however many rows: rows are read
``selectors.exports.CHUNK_ROWS`` at a time and openpyxl's write-only workbook spills them to a
temporary file. Prints one line per list; writes no access event (no user, no request).
"""

import datetime as dt
import os
import time
import tracemalloc

import django


def measure(label: str, build) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clinic.writers import xlsx_file

    # Timed without tracemalloc (it slows every allocation several times), then measured with it.
    started = time.perf_counter()
    download = build()
    xlsx_file(download.header, download.rows, title=label).close()
    timed = time.perf_counter() - started
    tracemalloc.start()
    with CaptureQueriesContext(connection) as queries:
        download = build()
        output = xlsx_file(download.header, download.rows, title=label)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = output.seek(0, os.SEEK_END)
    output.close()
    print(
        f"XLSX {label}: {download.row_count} rows, {size / 1e6:.2f} MB in {timed:.2f} s, "
        f"peak Python memory {peak / 1e6:.1f} MB, {len(queries.captured_queries)} queries"
    )


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    django.setup()
    from django.utils import timezone

    from treatments.filters.patients import PatientFilter
    from treatments.filters.treatments import TreatmentFilter
    from treatments.selectors import exports
    from treatments.selectors.patients import patient_list
    from treatments.selectors.treatment_list import treatment_list

    today = timezone.localdate()
    every_day = {"start": dt.date(1900, 1, 1).isoformat(), "end": today.isoformat()}
    measure("patients", lambda: exports.patient_download(patient_list(filters=PatientFilter({}))))
    filters = TreatmentFilter(every_day, today=today)
    assert filters.is_valid(), filters.errors
    measure(
        "treatments (signed and drafts, every date)",
        lambda: exports.treatment_download(treatment_list(filters=filters)),
    )


if __name__ == "__main__":
    main()
