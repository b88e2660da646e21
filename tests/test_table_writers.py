"""clinic.writers: the CSV and XLSX downloads every list and report uses."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from clinic.writers import table_response, xlsx_file

HEADER = ["Name", "Count", "Day", "Signed"]
ROWS = [('=HYPERLINK("http://x")', 2, dt.date(2026, 1, 5), True), ("plain", None, None, False)]


def read_xlsx(data: bytes):
    sheet = load_workbook(io.BytesIO(data)).active
    return sheet, list(sheet.iter_rows(values_only=True))


def test_xlsx_keeps_numbers_and_dates_and_stores_formulas_as_text():
    sheet, rows = read_xlsx(xlsx_file(HEADER, ROWS, title="Patients").read())
    assert sheet.title == "Patients"
    assert rows[0] == tuple(HEADER)
    assert rows[1][0] == '=HYPERLINK("http://x")'
    assert sheet["A2"].data_type == "s"  # a string cell: never evaluated
    assert rows[1][1] == 2 and rows[1][2].date() == dt.date(2026, 1, 5) and rows[1][3] == "yes"
    assert rows[2] == ("plain", None, None, "no")
    assert sheet["A1"].font.bold


def test_xlsx_replaces_control_characters_rather_than_failing_or_dropping_the_cell():
    _, rows = read_xlsx(xlsx_file(["Note"], [("before\x01after",)], title="x").read())
    assert rows[1] == ("before\ufffdafter",)


def test_a_long_title_is_cut_to_excels_limit_for_sheet_names():
    sheet, _ = read_xlsx(xlsx_file(["a"], [], title="A" * 40).read())
    assert sheet.title == "A" * 31


def test_csv_download_streams_and_quotes_formulas():
    response = table_response("csv", header=HEADER, rows=ROWS, filename="patients")
    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="patients.csv"'
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[1].startswith('"\'=HYPERLINK(""http://x"")",2,2026-01-05,True')


def test_xlsx_download_names_the_file_and_type():
    response = table_response("xlsx", header=HEADER, rows=ROWS, filename="patients")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="patients.xlsx"' in response["Content-Disposition"]
    _, rows = read_xlsx(b"".join(response.streaming_content))
    assert len(rows) == 3


def test_an_unknown_format_is_refused_by_name():
    with pytest.raises(ValueError, match="csv, xlsx"):
        table_response("ods", header=HEADER, rows=ROWS, filename="x")
