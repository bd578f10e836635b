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
    """A cell's value: a finite number as it is, anything else as text no spreadsheet runs as a formula."""
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
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def spreadsheet_safe(value: Any) -> str:
    """A cell's text (see spreadsheet_cell)."""
    return str(spreadsheet_cell(value))


def flatten(row: Mapping[str, Any], columns: Sequence[str] | None = None, prefix: str = "") -> dict[str, Any]:
    """A row with nested objects as `a.b` keys and lists joined by `; `. An object whose own name is
    one of `columns` (a free-form dict such as a change record's `changes`) stays one cell, as JSON."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            if columns is not None and name in columns:
                flat[name] = json.dumps(value, ensure_ascii=False, default=str)
            else:
                flat.update(flatten(value, columns, prefix=f"{name}."))
        elif isinstance(value, list):
            flat[name] = "; ".join(
                str(item.get("name") or item.get("id") or item) if isinstance(item, Mapping) else str(item)
                for item in value
            )
        else:
            flat[name] = value
    return flat


def _columns_of(flat_rows: list[dict[str, Any]]) -> list[str]:
    """Every key of the rows, in the order they first appear."""
    return list(dict.fromkeys(key for row in flat_rows for key in row))


#: Rows written per chunk of a streamed CSV (one `yield` each: not a syscall per row).
CSV_ROWS_PER_CHUNK = 500


def csv_chunks(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> Iterator[bytes]:
    """CSV bytes: the BOM and the header first, then the rows, a few hundred at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    lookup = set(columns)
    pending = 0
    buffer.seek(0)
    buffer.truncate()
    for row in rows:
        flat = flatten(row, lookup)
        writer.writerow([spreadsheet_cell(flat.get(name)) for name in columns])
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
        rows = [flatten(row) for row in rows]
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
    lookup = set(columns)
    for row in rows:
        flat = flatten(row, lookup)
        sheet.append([_xlsx_text(spreadsheet_cell(flat.get(name))) for name in columns])
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
        rows = [flatten(row) for row in _rows_of(data, renderer_context)]
        view = (renderer_context or {}).get("view")
        out = io.BytesIO()
        write_xlsx(rows, _columns_of(rows), out, title=getattr(view, "csv_filename", None) or "export")
        return out.getvalue()
