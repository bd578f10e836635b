"""Spreadsheet files: CSV (UTF-8 with BOM, which Excel in a Japanese locale reads right) and XLSX.

One rule for both, `spreadsheet_cell`: no cell can run as a formula. A text that starts with a
character a spreadsheet reads as the start of a formula (`=`, `+`, `-`, `@`, a tab or a carriage
return, and their full-width forms `＝＋－＠` that Japanese input methods type) gets a leading `'`,
even when it reads as a number (`-1e3`, `-nan`, `-Infinity`): `-1+2` or `-2+3+cmd|…` is a formula
too, and a text column is text. Numbers the database holds as numbers (population, latitude, counts)
stay numbers, negative ones included: they are no text a person typed, and cannot carry a formula.

The renderers write a response's data (one object, a report's rows, an error); whole lists and
report rows are streamed by api.exports with the same row writers.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from rest_framework.renderers import BaseRenderer

#: A text starting with one of these would run as a formula (full-width forms included).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | float | decimal.Decimal


def spreadsheet_cell(value: Any) -> Cell:
    """A cell's value: a finite number as it is, anything else as text no spreadsheet runs as a formula.

    A list is one cell, its items joined by `; ` (an object in it by its name or id); an object that
    is one cell (a free-form dict such as a change record's `changes`) is written as JSON.
    """
    if type(value) is str:  # most cells: the fast path
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    if isinstance(value, float | decimal.Decimal) and math.isfinite(value):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        text = "; ".join(
            str(item.get("name") or item.get("id") or item) if isinstance(item, Mapping) else str(item)
            for item in value
        )
    elif isinstance(value, Mapping):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def spreadsheet_safe(value: Any) -> str:
    """A cell's text (see spreadsheet_cell)."""
    return str(spreadsheet_cell(value))


def flatten(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A row with nested objects as `a.b` keys (what a response's rows hold, for their columns)."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, prefix=f"{name}."))
        else:
            flat[name] = value
    return flat


def _columns_of(rows: list[Mapping[str, Any]]) -> list[str]:
    """Every column of the rows (nested objects as `a.b`), in the order they first appear."""
    return list(dict.fromkeys(key for row in rows for key in flatten(row)))


def row_cells(row: Mapping[str, Any], paths: Sequence[tuple[str, ...]]) -> list[Cell]:
    """The cells of one row, a column `a.b` read from the nested object `a` (see column_paths)."""
    cells = []
    for path in paths:
        value = row.get(path[0])
        for key in path[1:]:
            value = value.get(key) if isinstance(value, Mapping) else None
        cells.append(spreadsheet_cell(value))
    return cells


def column_paths(columns: Sequence[str]) -> list[tuple[str, ...]]:
    return [tuple(name.split(".")) for name in columns]


#: Rows written per chunk of a streamed CSV (one `yield` each: not a syscall per row).
CSV_ROWS_PER_CHUNK = 500


def csv_chunks(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> Iterator[bytes]:
    """CSV bytes: the BOM and the header first, then the rows, a few hundred at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    paths = column_paths(columns)
    pending = 0
    buffer.seek(0)
    buffer.truncate()
    for row in rows:
        writer.writerow(row_cells(row, paths))
        pending += 1
        if pending == CSV_ROWS_PER_CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue().encode("utf-8")


def rows_to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None) -> bytes:
    """CSV bytes of dict rows, UTF-8 with BOM; without `columns`, every key of the rows."""
    if columns is None:
        rows = list(rows)
        columns = _columns_of(rows)
    return b"".join(csv_chunks(rows, columns))


def _xlsx_text(cell: Cell) -> Cell:
    # XML 1.0 cannot hold most control characters: they show as U+FFFD (openpyxl would refuse the row).
    if isinstance(cell, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", cell)
    return cell


def _sheet_title(title: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\ .
    return "".join("_" if char in "[]:*?/\\" else char for char in title)[:31] or "export"


def write_xlsx(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], out: IO[bytes], *, title: str) -> None:
    """An XLSX workbook of one sheet (header, then the rows) written to `out`.

    openpyxl's write-only mode keeps constant memory: each row goes to a temporary file as it is
    appended (strings inline, no shared-string table), and `save` zips that file into `out`.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(title))
    sheet.append([_xlsx_text(spreadsheet_cell(name)) for name in columns])
    paths = column_paths(columns)
    for row in rows:
        sheet.append([_xlsx_text(cell) for cell in row_cells(row, paths)])
    workbook.save(out)


def _rows_of(data: Any, renderer_context: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """A response's rows: a paginated list's `results`, a report's `rows` (or `tiers` + `total`), a list,
    or the object (an error) itself."""
    response = (renderer_context or {}).get("response")
    if isinstance(data, Mapping):
        if response is not None and response.status_code >= 400:
            return [data]
        if "results" in data:
            return data["results"]
        if "rows" in data:
            return data["rows"]
        if "tiers" in data:
            return [*data["tiers"], {"tier": "total", **data.get("total", {})}]
        return [data]
    return list(data)


def _name_attachment(renderer_context: Mapping[str, Any] | None, extension: str) -> None:
    response = (renderer_context or {}).get("response")
    if response is not None and not response.has_header("Content-Disposition"):
        view = (renderer_context or {}).get("view")
        name = getattr(view, "csv_filename", None) or "registry-export"
        response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'


class SpreadsheetSafeCSVRenderer(BaseRenderer):
    """`?format=csv` of one object or report; whole lists are streamed by api.exports."""

    media_type = CSV_MEDIA_TYPE
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: dict | None = None) -> bytes:
        if data is None:
            return b""
        _name_attachment(renderer_context, "csv")
        return rows_to_csv(_rows_of(data, renderer_context))


class SpreadsheetSafeXLSXRenderer(BaseRenderer):
    """`?format=xlsx`: the same rows and cells as the CSV, as an Excel workbook."""

    media_type = XLSX_MEDIA_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: dict | None = None) -> bytes:
        if data is None:
            return b""
        _name_attachment(renderer_context, "xlsx")
        rows = _rows_of(data, renderer_context)
        view = (renderer_context or {}).get("view")
        out = io.BytesIO()
        write_xlsx(rows, _columns_of(rows), out, title=getattr(view, "csv_filename", None) or "export")
        return out.getvalue()
