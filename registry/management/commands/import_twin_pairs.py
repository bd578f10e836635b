"""manage.py import_twin_pairs FILE: the world twin-pairs list as twinning agreements."""

from __future__ import annotations

from typing import Any

from registry.management.base import ImportCommand
from registry.services.imports import ImportSummary, Progress
from registry.services.twin_pairs import import_twin_pairs_rows, japan_foreign_rate


class Command(ImportCommand):
    help = (
        "Read twinning pairs (columns city1, country1, lat1, lng1, city2, country2, lat2, lng2; e.g. "
        "fixtures/world_twin_pairs.csv) and record one sister agreement per pair. Japanese names are matched "
        "to the coded authorities (run import_municipalities first); foreign cities and regions are created "
        "with ISO country codes, with population and GeoNames id where the match is certain. A match decided "
        "only by coordinates is marked for review. Rows that cannot be placed are rejected with the reason. "
        "Running it twice changes nothing the second time. What was edited in the registry since the last "
        "import (a city's coordinates or region, a pair deleted) is kept and listed; --force-source puts "
        "the file's values back and lists what it overwrote."
    )
    label = "import_twin_pairs"

    def run_import(self, text: str, summary: ImportSummary, progress: Progress, options: dict[str, Any]) -> list[str]:
        header = import_twin_pairs_rows(
            text=text, summary=summary, progress=progress, force_source=options["force_source"]
        )
        rate = japan_foreign_rate(summary)
        if rate is not None:
            linked = summary.notes.get("Japan–foreign rows linked to a coded authority", 0)
            rows = summary.notes.get("Japan–foreign rows", 0)
            self.stdout.write(
                f"Japan–foreign rows linked to a coded Japanese authority: {linked} of {rows} ({rate:.1f}%)"
            )
        return header
