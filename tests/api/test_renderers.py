"""The spreadsheet rule (api.renderers.spreadsheet_cell), one for CSV and XLSX: no cell runs as a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from api.renderers import rows_to_csv, spreadsheet_cell, spreadsheet_safe, write_xlsx


@pytest.mark.parametrize(
    "text",
    [
        "=1+2",
        "+1",
        "-1",
        "@SUM(A1:A9)",
        "\t=1",
        "\r=1",
        # Full-width forms, as Japanese input methods type them.
        "＝1+2",
        "＝ＳＵＭ（Ａ１）",
        "＋1",
        "－1",
        "＠SUM(A1)",
        # Text that reads as a negative number still starts with a minus: a formula to a spreadsheet.
        "-nan",
        "-NaN",
        "-Infinity",
        "-inf",
        "-1e3",
        "-3.5",
        "-0",
        "-2+3+cmd|' /C calc'!A0",
    ],
)
def test_text_that_would_run_as_a_formula_is_quoted(text):
    assert spreadsheet_cell(text) == "'" + text
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("Saint Paul", "Saint Paul"),
        ("長崎市", "長崎市"),
        ("1955-12", "1955-12"),
        ("a=b", "a=b"),
        (" =1", " =1"),
        ("", ""),
        (None, ""),
        (True, "true"),
        (False, "false"),
        (dt.date(1955, 12, 1), "1955-12-01"),
        # Numbers the database holds as numbers stay numbers, negative ones too: no text anyone typed.
        (311_527, 311_527),
        (-93.09, -93.09),
        (0, 0),
        (Decimal("-1.50"), Decimal("-1.50")),
        # Not a finite number: text, and quoted when it starts like a formula.
        (float("-inf"), "'-inf"),
        (float("nan"), "nan"),
    ],
)
def test_other_values_keep_their_value(value, cell):
    assert spreadsheet_cell(value) == cell
    assert type(spreadsheet_cell(value)) is type(cell)


def test_csv_and_xlsx_write_the_same_cells():
    rows = [
        {
            "id": 1,
            "notes": "＝HYPERLINK()",
            "side": {"name": "-1e3", "population": -5},
            "fields": ["culture", "sports"],
        },
        {"id": 2, "notes": "plain", "side": None, "fields": []},
    ]
    columns = ["id", "notes", "side.name", "side.population", "fields"]
    out = io.BytesIO()

    write_xlsx(rows, columns, out, title="test/[export]")
    text = rows_to_csv(rows, columns).decode("utf-8-sig")
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).worksheets[0]

    expected = [
        columns,
        ["1", "'＝HYPERLINK()", "'-1e3", "-5", "culture; sports"],
        ["2", "plain", "", "", ""],
    ]
    assert list(csv.reader(io.StringIO(text))) == expected
    assert [["" if value is None else str(value) for value in row] for row in sheet.values] == expected
    assert sheet.title == "test__export_"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
