"""manage.py import_memberships FILE: city-network memberships read in sources (fixtures/networks/*.csv)."""

from __future__ import annotations

from typing import Any

from registry.management.base import ImportCommand
from registry.services.import_memberships import import_memberships
from registry.services.imports import ImportSummary, Progress


class Command(ImportCommand):
    help = (
        "Read city-network memberships (columns network, city, country, role, joined, source_url, "
        "retrieved_note; e.g. fixtures/networks/c40_members.csv) and record one membership per network and "
        "authority. Japanese names are matched to the coded authorities with the twin-pairs import's matcher "
        "(the note's pref= and ja= first; run import_municipalities first); a foreign member not yet in the "
        "registry is created. Rows that cannot be placed are rejected with the reason. Running it twice "
        "changes nothing the second time; what was edited in the registry since the last import is kept and "
        "listed (--force-source puts the file's values back)."
    )
    label = "import_memberships"

    def run_import(self, text: str, summary: ImportSummary, progress: Progress, options: dict[str, Any]) -> list[str]:
        return import_memberships(text=text, summary=summary, progress=progress, force_source=options["force_source"])
