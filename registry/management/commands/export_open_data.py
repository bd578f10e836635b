"""Write every public record of the registry as open data (CSV and JSON, with a manifest)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.services.open_data import MANIFEST, OpenDataError, export_open_data


class Command(BaseCommand):
    help = (
        "Reads every public record (what the API lists for an anonymous reader: municipalities, agreements, "
        "activities, networks, network memberships; never internal fields) and writes DIR/<type>.csv, "
        f"DIR/<type>.json and DIR/{MANIFEST} (per file: records, bytes, SHA-256; licence, sources, export time, "
        "data version). Written into a temporary directory beside DIR and renamed at the end: a failed export "
        "leaves nothing. DIR must not exist or be empty; --force replaces a previous export."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", metavar="DIR", help="Where to write the export (created).")
        parser.add_argument(
            "--force", action="store_true", help=f"Replace DIR when it holds a previous export (a {MANIFEST})."
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not report progress on stderr.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()

        def progress(table: str, rows: int) -> None:
            self.stderr.write(f"  {table}: {rows:,} rows")

        try:
            manifest = export_open_data(
                directory=options["directory"],
                force=options["force"],
                progress=None if options["no_progress"] else progress,
            )
        except OpenDataError as error:
            raise CommandError(str(error)) from error
        for name, entry in manifest["files"].items():
            self.stdout.write(f"{name:<20} {entry['records']:>9,} records {entry['bytes']:>13,} bytes")
        self.stdout.write(
            self.style.SUCCESS(
                f"Open data written to {options['directory']} (data version {manifest['data_version']}) "
                f"in {time.monotonic() - started:.1f} s."
            )
        )
