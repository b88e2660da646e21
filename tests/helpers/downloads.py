"""Reading a list download (CSV or XLSX) back into rows, and walking a list page's pager."""

import csv
import io

from openpyxl import load_workbook


def download_bytes(response) -> bytes:
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(download_bytes(response).decode("utf-8"))))


def xlsx_cells(response) -> list[list]:
    """Every row of the workbook's one sheet, as openpyxl cells (for their type and value)."""
    sheet = load_workbook(io.BytesIO(download_bytes(response))).active
    return [list(row) for row in sheet.iter_rows()]


def paged(client, url: str, params: dict, rows_of) -> list:
    """Every row of a list page across its pager: ``rows_of(response.context)`` per page."""
    collected, number = [], 1
    while True:
        response = client.get(url, {**params, "page": number})
        assert response.status_code == 200
        collected.extend(rows_of(response.context))
        page = response.context.get("page_obj")
        section = response.context.get("section")
        has_next = page.has_next() if page is not None else bool(section and section.next_page)
        if not has_next:
            return collected
        number += 1
