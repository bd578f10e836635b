"""manage.py derive_memberships FILE: memberships derived from a source's statement (a JSON file)."""

from __future__ import annotations

from typing import Any

from registry.management.base import ImportCommand
from registry.services.import_memberships import derive_memberships
from registry.services.imports import ImportSummary, Progress


class Command(ImportCommand):
    help = (
        "Read a statement such as “on 2024-06-01 every Japanese municipality except Sasebo was a member of "
        "Mayors for Peace” (a JSON file: network, country, tiers, as_of, except, source_url, statement; e.g. "
        "fixtures/networks/mayors_for_peace_japan_derived.json) and give every authority it covers that has "
        "no membership of that network yet one marked derived, with the statement and its date as the note. "
        "Memberships read in a source (import_memberships) are kept with their join years. Running it twice "
        "changes nothing the second time."
    )
    label = "derive_memberships"

    def run_import(self, text: str, summary: ImportSummary, progress: Progress, options: dict[str, Any]) -> list[str]:
        return derive_memberships(text=text, summary=summary, progress=progress, force_source=options["force_source"])
