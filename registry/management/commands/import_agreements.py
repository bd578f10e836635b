"""import_agreements FILE: agreements from a CLAIR-style CSV, all rows or none."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser

from registry.management.base import ImportCommand
from registry.services.import_agreements import COLUMNS, import_agreements
from registry.services.imports import ImportSummary, Progress


class Command(ImportCommand):
    help = (
        "Read a CLAIR-style CSV of agreements (UTF-8 with or without BOM, or Shift_JIS) with the columns "
        + ", ".join(COLUMNS)
        + ". Writes twinning agreements (new pairs through sign_agreement, known pairs through "
        "update_agreement), their status history and change records, and the foreign partners and regions "
        "that do not exist yet. All rows or none: if any row is bad, every problem is listed by line and "
        "field and nothing is written. A field edited in the registry since the last import is kept and "
        "listed; --force-source overwrites it with the file's value. Booleans: true/false, 1/0, yes/no, ○/×, はい/いいえ."
    )
    label = "import_agreements"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--user", help="Username the change history records as the author (default: none).")

    def run_import(self, text: str, summary: ImportSummary, progress: Progress, options: dict[str, Any]) -> list[str]:
        by = None
        if options.get("user"):
            try:
                by = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user called {options['user']!r}.") from None
        return import_agreements(
            text=text, summary=summary, progress=progress, by=by, force_source=options["force_source"]
        )
