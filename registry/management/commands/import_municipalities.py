"""manage.py import_municipalities FILE: Japan's local authorities from the MIC code list."""

from __future__ import annotations

from typing import Any

from registry.management.base import ImportCommand
from registry.services.import_municipalities import import_municipalities_rows
from registry.services.imports import ImportSummary, Progress


class Command(ImportCommand):
    help = (
        "Read Japan's local authorities (columns lg_code, prefecture_code, prefecture_ja, prefecture_en, "
        "name_ja, name_kana, name_romaji, lat, lng; e.g. fixtures/jp_local_governments.csv) and create or "
        "update one Municipality per code: tier from the code and the name, the prefecture as parent, "
        "romaji as English name. Rows with a wrong check digit are rejected with their line. "
        "Running it twice changes nothing the second time. A field edited in the registry since the last "
        "import is kept and listed (--force-source overwrites it with the file's value)."
    )
    label = "import_municipalities"

    def run_import(self, text: str, summary: ImportSummary, progress: Progress, options: dict[str, Any]) -> list[str]:
        return import_municipalities_rows(
            text=text, summary=summary, progress=progress, force_source=options["force_source"]
        )
