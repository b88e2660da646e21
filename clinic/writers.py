"""Streamed CSV exports: lines produced as rows are read, cells a spreadsheet keeps as text."""

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

# Cells starting with these are formulas to a spreadsheet (CSV injection): they get a quote first.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value):
        return value


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_lines(header: list[str], rows: Iterable) -> Iterator[str]:
    """The header, then one line per row, produced as the rows are read (memory stays flat)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def csv_response(lines: Iterable[str], *, filename: str) -> StreamingHttpResponse:
    """A download of ``lines`` (from ``csv_lines``), streamed: memory stays flat however many rows."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
