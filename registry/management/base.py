"""The shared shape of the registry's importers (see STYLE.md, "Management commands")."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from registry.services.imports import ImportSummary, Progress, decode_csv_bytes
from registry.services.local_edits import describe_edits


class ProgressBar:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, label: str, *, stream: Any = None, enabled: bool = True) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        width = 30
        filled = int(width * done / total) if total else width
        percent = 100 * done / total if total else 100
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {percent:5.1f}% {done}/{total}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


class ImportCommand(BaseCommand):
    """FILE, --dry-run, --rejects; one transaction; a progress bar; a summary; rejected rows to CSV.

    Subclasses implement `run_import(text, summary, progress, options)` by calling a service, and
    return the header of the file (for the rejects CSV).
    """

    label = "import"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The CSV file to read.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count everything, then roll back: nothing is written."
        )
        parser.add_argument(
            "--rejects",
            help="Where to write rejected rows, with a reason column, to fix and import again "
            "(default: <file name>.rejected.csv in the current directory).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar.")
        parser.add_argument(
            "--force-source",
            action="store_true",
            help="Overwrite fields edited in the registry since the last import with the file's values "
            "(the summary lists each one overwritten). Without it, local edits are kept and listed.",
        )

    def run_import(
        self, text: str, summary: ImportSummary, progress: Progress, options: dict[str, Any]
    ) -> list[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            text = decode_csv_bytes(path.read_bytes())
        except ValidationError as error:
            raise CommandError(f"{path}: {'; '.join(error.messages)}") from None
        summary = ImportSummary()
        progress = ProgressBar(self.label, stream=self.stderr, enabled=not options["no_progress"])
        try:
            with transaction.atomic():
                header = self.run_import(text, summary, progress, options)
                if options["dry_run"]:
                    transaction.set_rollback(True)
        except ValidationError as error:
            raise CommandError(f"{path}: " + "\n".join(_messages(error))) from None
        prefix = "[dry run, nothing written] " if options["dry_run"] else ""
        self.stdout.write(prefix + ", ".join(summary.lines()))
        for rejection in summary.rejected[:20]:
            self.stdout.write(f"  line {rejection.line}: {rejection.reason}")
        if len(summary.rejected) > 20:
            self.stdout.write(f"  … and {len(summary.rejected) - 20} more")
        write_local_edits(self.stdout, summary)
        if summary.rejected:
            rejects = Path(options["rejects"] or f"{path.stem}.rejected.csv")
            summary.write_rejects(rejects, header)
            self.stdout.write(f"Rejected rows written to {rejects} (fix them and import that file again).")


def write_local_edits(stdout: Any, summary: ImportSummary) -> None:
    """The local edits an import kept (or, forced, overwrote), one line each."""
    if summary.kept:
        stdout.write(
            f"Kept {len(summary.kept)} local edit(s) (edited in the registry since the last import; "
            "--force-source overwrites them):"
        )
        for line in describe_edits(summary.kept):
            stdout.write(line)
    if summary.overwritten:
        stdout.write(f"Overwrote {len(summary.overwritten)} local edit(s) with the source's values (--force-source):")
        for line in describe_edits(summary.overwritten):
            stdout.write(line)


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{field}: {message}" for field, errors in error.message_dict.items() for message in errors]
    return list(error.messages)
