"""Small real-data files for the importer tests, cut from the shipped fixtures."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.core.management import call_command

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
JP_FILE = FIXTURES / "jp_local_governments.csv"
PAIRS_FILE = FIXTURES / "world_twin_pairs.csv"
PAIRS_HEADER = ["city1", "country1", "lat1", "lng1", "city2", "country2", "lat2", "lng2"]


def jp_rows(*names_or_codes: str) -> list[dict[str, str]]:
    """Rows of the real authorities list, by official name or code (with their prefectures)."""
    with JP_FILE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    wanted = [row for row in rows if row["name_ja"] in names_or_codes or row["lg_code"] in names_or_codes]
    prefectures = {row["lg_code"][:2] for row in wanted}
    return [row for row in rows if row["lg_code"][2:5] == "000" and row["lg_code"][:2] in prefectures] + [
        row for row in wanted if row["lg_code"][2:5] != "000"
    ]


def write_csv(path: Path, rows: list[dict[str, str]] | list[list[str]], header: list[str] | None = None) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        if header is None:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        else:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
    return path


def run(command: str, path: Path, *args: str, rejects: Path | None = None) -> str:
    out = io.StringIO()
    options = ["--no-progress"]
    if rejects is not None:
        options += ["--rejects", str(rejects)]
    call_command(command, str(path), *options, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))
