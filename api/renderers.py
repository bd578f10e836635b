"""CSV for spreadsheets: UTF-8 with BOM (Excel in a Japanese locale reads it right) and no formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from rest_framework.renderers import BaseRenderer

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> str:
    """A cell's text; one that a spreadsheet would run as a formula is prefixed with a quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(FORMULA_PREFIXES) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    # A negative number such as "-3.5" is data, not a formula.
    try:
        float(text)
    except ValueError:
        return False
    return True


def _flatten(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, prefix=f"{name}."))
        elif isinstance(value, list):
            flat[name] = "; ".join(
                str(item.get("name") or item.get("id") or item) if isinstance(item, Mapping) else str(item)
                for item in value
            )
        else:
            flat[name] = value
    return flat


def rows_to_csv(rows: Iterable[Mapping[str, Any]], header: list[str] | None = None) -> bytes:
    """Encode dict rows as CSV bytes, UTF-8 with BOM, nested objects flattened as `a.b` columns."""
    flat_rows = [_flatten(row) for row in rows]
    if header is None:
        header = []
        for row in flat_rows:
            for key in row:
                if key not in header:
                    header.append(key)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in flat_rows:
        writer.writerow([spreadsheet_safe(row.get(key)) for key in header])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


class SpreadsheetSafeCSVRenderer(BaseRenderer):
    """`?format=csv`: a paginated list's `results`, a report's `rows` (or `tiers` + `total`), or a list."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: dict | None = None) -> bytes:
        if data is None:
            return b""
        response = (renderer_context or {}).get("response")
        if isinstance(data, Mapping):
            if response is not None and response.status_code >= 400:
                rows: Iterable[Mapping[str, Any]] = [data]
            elif "results" in data:
                rows = data["results"]
            elif "rows" in data:
                rows = data["rows"]
            elif "tiers" in data:
                rows = [*data["tiers"], {"tier": "total", **data.get("total", {})}]
            else:
                rows = [data]
        else:
            rows = data
        if response is not None and not response.has_header("Content-Disposition"):
            view = (renderer_context or {}).get("view")
            name = getattr(view, "csv_filename", None) or "registry-export"
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return rows_to_csv(rows)
