"""Table downloads: streamed CSV and XLSX, with cells a spreadsheet keeps as text.

Every list and report that offers a download builds its rows once (a selector yielding tuples)
and hands them to :func:`table_response`, which writes the format the user asked for:

- CSV is streamed: lines are produced as the rows are read (memory stays flat).
- XLSX is written by openpyxl's write-only workbook, which spills rows to a temporary file as they
  come (memory stays flat too), then served from that file.

Formula injection is neutralised in both: a CSV cell starting with ``= + - @`` (or a tab or carriage
return) gets a leading quote, and every XLSX text cell is stored as a string cell, which a spreadsheet
never evaluates (the text is kept exactly). Numbers and dates stay numbers and dates in XLSX.
"""

import csv
import datetime as dt
import decimal
import tempfile
from collections.abc import Iterable, Iterator

from django.http import FileResponse, StreamingHttpResponse

# Cells starting with these are formulas to a spreadsheet (CSV injection): they get a quote first.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's limit on a sheet's name.
SHEET_NAME_MAX = 31


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


def _xlsx_cell(sheet, value):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | decimal.Decimal):
        return value
    if isinstance(value, dt.datetime):
        # Spreadsheets have no time zones: the clinic's local time, as the pages show it.
        from django.utils import timezone

        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, dt.date):
        return value
    # Control characters are not allowed in XLSX text: each becomes U+FFFD (nothing is dropped).
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value)))
    cell.data_type = "s"  # text, never a formula, whatever its first character
    return cell


def xlsx_file(header: list[str], rows: Iterable, *, title: str):
    """An open temporary file holding the workbook (one sheet: the header in bold, then the rows)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(title or "Export")[:SHEET_NAME_MAX])
    bold = Font(bold=True)
    heading = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=str(name))
        cell.font = bold
        cell.data_type = "s"
        heading.append(cell)
    sheet.append(heading)
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    output = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response once sent)
    workbook.save(output)
    output.seek(0)
    return output


def xlsx_response(header: list[str], rows: Iterable, *, filename: str, title: str = "") -> FileResponse:
    """A download of the rows as an XLSX workbook."""
    return FileResponse(
        xlsx_file(header, rows, title=title or filename.rsplit(".", 1)[0]),
        as_attachment=True,
        filename=filename,
        content_type=XLSX_TYPE,
    )


def table_response(fmt: str, *, header: list[str], rows: Iterable, filename: str, title: str = ""):
    """The rows as a ``fmt`` download ("csv" or "xlsx"); ``filename`` has no extension."""
    if fmt == "xlsx":
        return xlsx_response(header, rows, filename=f"{filename}.xlsx", title=title)
    if fmt == "csv":
        return csv_response(csv_lines(header, rows), filename=f"{filename}.csv")
    raise ValueError(f"Unknown table format {fmt!r}: choose one of {', '.join(FORMATS)}.")
