"""manage.py import_networks FILE: city networks from a fixture file (e.g. fixtures/networks.json)."""

from __future__ import annotations

from typing import Any

from registry.management.base import ImportCommand
from registry.services.import_networks import import_networks
from registry.services.imports import ImportSummary, Progress


class Command(ImportCommand):
    help = (
        "Read city networks from a Django fixture of registry.network objects (e.g. fixtures/networks.json) "
        "and create or update one Network per slug. A field edited in the registry since the last import "
        "(a website a coordinator set, say) is kept and listed; --force-source overwrites it with the "
        "file's value. Running it twice changes nothing the second time."
    )
    label = "import_networks"

    def run_import(self, text: str, summary: ImportSummary, progress: Progress, options: dict[str, Any]) -> list[str]:
        return import_networks(text=text, summary=summary, progress=progress, force_source=options["force_source"])
