"""Exports: `?format=csv` and `?format=xlsx` of a list or a report are the whole answer, not a page.

A view that exports builds its filtered rows exactly as for the JSON page (the same FilterSet or
parameter serializer, so bad input is still a 400 before anything is sent, the same visibility
and the same row shape), then hands them here as an iterator: the rows are read from the
database in chunks (`QuerySet.iterator(chunk_size=…)`: one query, on PostgreSQL a server-side
cursor) and written as they come, so memory stays constant whatever the number of rows.

- CSV is streamed to the client as it is written (StreamingHttpResponse); on SQLite it is written
  to a temporary file first (see export_response: a long download must not hold SQLite's lock).
- XLSX is a zip archive, written in full before it can be sent: openpyxl's write-only workbook
  goes to a temporary file (constant memory), which is then streamed (FileResponse).

The columns are the serializer's fields, nested objects flattened to `a.b`; columns that are
never public (internal notes, who logged an activity) are left out for users who may read them
on no row, and are blank on the rows a user may not read them on.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.db import connection
from django.http import FileResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request

from api.pagination import RegistryPagination

from .renderers import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, csv_chunks, write_xlsx

#: The formats that export every row of a list or report.
EXPORT_FORMATS = ("csv", "xlsx")

#: Rows fetched from the database at a time (and shaped at a time).
CHUNK_SIZE = 2000

#: The `format` query parameter, as lists and reports document it.
FORMAT_PARAMETER = OpenApiParameter(
    name="format",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.QUERY,
    enum=["json", *EXPORT_FORMATS],
    description=(
        "`csv` (UTF-8 with BOM) or `xlsx` (Excel): every row of the answer as a file, not one page "
        "(`page` and `page_size` do not apply); cells that a spreadsheet would run as formulas start with `'`."
    ),
)


def export_format(request: Request) -> str | None:
    """`csv` or `xlsx` when content negotiation chose an export format for this request, else None.

    An export is every row, so it ignores the paging parameters; a malformed `page_size` is still a
    400 naming it, as on the JSON pages (the schema says it is a whole number).
    """
    renderer = getattr(request, "accepted_renderer", None)
    format_ = getattr(renderer, "format", None)
    if format_ not in EXPORT_FORMATS:
        return None
    RegistryPagination().get_page_size(request)
    return format_


def serializer_columns(serializer: serializers.Serializer, prefix: str = "") -> list[str]:
    """The columns of `serializer`'s rows: its fields, a nested object's fields as `name.field`."""
    columns: list[str] = []
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.Serializer):
            columns.extend(serializer_columns(field, prefix=f"{prefix}{name}."))
        else:
            columns.append(f"{prefix}{name}")
    return columns


def chunks(iterable: Iterable[Any], size: int | None = None) -> Iterator[list[Any]]:
    """`iterable` in lists of `size` items (default CHUNK_SIZE; the last one shorter)."""
    size = size or CHUNK_SIZE
    iterator = iter(iterable)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def serialized_rows(
    queryset: Any, serializer_class: type[serializers.Serializer], context: Mapping[str, Any]
) -> Iterator[Mapping[str, Any]]:
    """Every row of `queryset` through `serializer_class`, read and serialized a chunk at a time.

    The queryset must fetch what the serializer reads in its own query (select_related, annotations):
    a prefetch would run once per chunk.
    """
    for chunk in chunks(queryset.iterator(chunk_size=CHUNK_SIZE)):
        yield from serializer_class(chunk, many=True, context=context).data


def export_response(
    *, rows: Iterable[Mapping[str, Any]], columns: Sequence[str], filename: str, format: str
) -> StreamingHttpResponse:
    """The rows as a CSV or XLSX attachment named `filename` (without extension)."""
    if format == "xlsx":
        # Written in full to a temporary file first (a zip archive cannot be sent as it is written);
        # FileResponse sends it in blocks and closes (and so deletes) it at the end.
        out = tempfile.TemporaryFile()  # noqa: SIM115 (closed by FileResponse)
        write_xlsx(rows, columns, out, title=filename)
        out.seek(0)
        return FileResponse(out, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_MEDIA_TYPE)
    content_type = f"{CSV_MEDIA_TYPE}; charset=utf-8"
    if connection.vendor == "sqlite":
        # SQLite: a reading statement holds the database's shared lock until its last row is read, and
        # no writer can commit meanwhile (it waits, then fails with "database is locked"). The rows go
        # to a temporary file first, so the lock lasts as long as the query, not as long as the client
        # takes to download.
        out = tempfile.TemporaryFile()  # noqa: SIM115 (closed by FileResponse)
        out.writelines(csv_chunks(rows, columns))
        out.seek(0)
        return FileResponse(out, as_attachment=True, filename=f"{filename}.csv", content_type=content_type)
    response = StreamingHttpResponse(csv_chunks(rows, columns), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
