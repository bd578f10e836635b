"""manage.py import_network_counts FILE: the member totals networks publish (fixtures/networks/network_counts.csv)."""

from __future__ import annotations

from typing import Any

from registry.management.base import ImportCommand
from registry.services.import_memberships import import_network_counts
from registry.services.imports import ImportSummary, Progress


class Command(ImportCommand):
    help = (
        "Read member totals published by or about city networks (columns network, as_of, scope, count, detail, "
        "source_url; e.g. fixtures/networks/network_counts.csv) and record each beside the memberships the "
        "registry holds. Keyed on network, as_of, scope and source_url; rows naming a network the registry "
        "lacks are rejected with the reason. Running it twice changes nothing the second time."
    )
    label = "import_network_counts"

    def run_import(self, text: str, summary: ImportSummary, progress: Progress, options: dict[str, Any]) -> list[str]:
        return import_network_counts(
            text=text, summary=summary, progress=progress, force_source=options["force_source"]
        )
