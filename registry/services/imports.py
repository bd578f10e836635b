"""What every importer shares: reading CSV files and the summary of a run.

Each importer is a service (`import_municipalities_rows`, …) that takes rows and a progress
callback and fills an ImportSummary; the management commands only adapt files and terminals.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError

#: Called with (rows done, rows in all) as an import goes on.
Progress = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    """A Progress that shows nothing (tests, API calls)."""


@dataclass
class Rejection:
    line: int
    reason: str
    row: dict[str, str]


@dataclass(frozen=True)
class LocalEdit:
    """A field edited in the registry since the last import, where the source says otherwise."""

    target: str
    field: str
    registry_value: object
    source_value: object

    def describe(self) -> str:
        return f"{self.target}: {self.field} is “{_shown(self.registry_value)}” here, “{_shown(self.source_value)}” in the source"


def _shown(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(_shown(item) for item in value if item is not None)
    return "" if value is None else str(value)


@dataclass
class ImportSummary:
    """created / updated / unchanged / rejected, with a reason for every rejected line; the local
    edits an import kept (or, forced, overwrote) with what the registry and the source say."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    notes: dict[str, int] = field(default_factory=dict)
    kept: list[LocalEdit] = field(default_factory=list)
    overwritten: list[LocalEdit] = field(default_factory=list)

    def reject(self, *, line: int, reason: str, row: dict[str, str]) -> None:
        self.rejected.append(Rejection(line=line, reason=reason, row=row))

    def count(self, note: str, by: int = 1) -> None:
        """Count something worth reporting beside the four totals (e.g. "decided by coordinates")."""
        self.notes[note] = self.notes.get(note, 0) + by

    def lines(self) -> list[str]:
        out = [
            f"created: {self.created}",
            f"updated: {self.updated}",
            f"unchanged: {self.unchanged}",
            f"rejected: {len(self.rejected)}",
        ]
        out += [f"{note}: {count}" for note, count in sorted(self.notes.items())]
        if self.kept:
            out.append(f"kept {len(self.kept)} local edit{'s' if len(self.kept) != 1 else ''}")
        if self.overwritten:
            out.append(
                f"overwrote {len(self.overwritten)} local edit{'s' if len(self.overwritten) != 1 else ''} "
                "with the source's values (--force-source)"
            )
        return out

    def write_rejects(self, path: Path, fieldnames: list[str]) -> None:
        """Rejected rows as a CSV the user can fix and import again (a `reason` column added)."""
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["line", "reason", *fieldnames], extrasaction="ignore")
            writer.writeheader()
            for rejection in self.rejected:
                writer.writerow({"line": rejection.line, "reason": rejection.reason, **rejection.row})


def decode_csv_bytes(raw: bytes) -> str:
    """UTF-8 (with or without BOM) or Shift_JIS (cp932, Excel's Japanese encoding)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp932")
    except UnicodeDecodeError as error:
        raise ValidationError(
            {"file": f"The file is neither UTF-8 nor Shift_JIS (byte {error.start} cannot be read)."}
        ) from None


def read_csv(text: str, *, required: list[str]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and (line number, row) pairs; a row's number is the line it starts on (header = 1).

    The file's structure is checked before any row is used, and every break is reported by line:
    a missing required column, a row with more or fewer cells than the header, a quote that is
    never closed (the row would swallow the lines after it). Any of these is a ValidationError on
    `file`: a broken file is refused whole, nothing is read from it.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lstrip("\ufeff") for name in next(reader, [])]
    except csv.Error as error:
        raise ValidationError({"file": f"line 1: the header cannot be read ({error})."}) from None
    missing = [name for name in required if name not in header]
    if missing:
        raise ValidationError({"file": f"Missing column(s): {', '.join(missing)}. The header is: {', '.join(header)}."})

    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[str] = []
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(f'line {start}: {error}; is a quote (") left open?')
            break
        end = reader.line_num
        if end > start and any("\n" in cell or "\r" in cell for cell in cells):
            problems.append(
                f'line {start}: a quoted cell runs on to line {end}; is a quote (") left open on line {start}?'
            )
        elif cells and len(cells) != len(header):
            problems.append(f"line {start}: {len(cells)} cells where the header has {len(header)}.")
        elif cells:
            rows.append((start, {key: value.strip() for key, value in zip(header, cells, strict=True)}))
        start = end + 1
    if problems:
        shown = problems[:50]
        if len(problems) > len(shown):
            shown.append(f"… and {len(problems) - len(shown)} more.")
        raise ValidationError({"file": shown})
    return header, rows
