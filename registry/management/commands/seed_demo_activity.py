"""seed_demo_activity: a labelled, deterministic demo activity history for the audits."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.services.demo import DEFAULT_SEED, delete_demo_activity, seed_demo_activity


class Command(BaseCommand):
    help = (
        "Generate a demonstration activity history (ActivityLog rows with is_demo=True and titles starting "
        "“[DEMO] … 【デモ】”) for the agreements of a country (default JP) that have no real activity: about 60% active in recent years, "
        "25% dormant, the rest never. Deterministic for a seed. Reads agreements; writes only demo activity "
        "rows and the agreements' last_activity_on. Does nothing if demo rows exist, unless --reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"Random seed (default {DEFAULT_SEED}).")
        parser.add_argument(
            "--as-of", help="Generate history up to this date, YYYY-MM-DD (default: today). For reproducible demos."
        )
        parser.add_argument(
            "--country",
            default="JP",
            help="Only agreements with a side in this country (ISO alpha-2, default JP); 'all' for every agreement.",
        )
        parser.add_argument("--reset", action="store_true", help="Delete the previous demo rows first, then generate.")
        parser.add_argument("--delete", action="store_true", help="Delete the demo rows and generate nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["delete"]:
            deleted = delete_demo_activity()
            self.stdout.write(f"Deleted {deleted} demo activity rows; real activity untouched.")
            return
        as_of = None
        if options["as_of"]:
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError:
                raise CommandError(f"--as-of: “{options['as_of']}” is not a date (YYYY-MM-DD).") from None
        started = time.monotonic()
        country = None if options["country"].lower() == "all" else options["country"].upper()
        result = seed_demo_activity(seed=options["seed"], as_of=as_of, reset=options["reset"], country=country)
        if result.already_present:
            self.stdout.write(
                f"Demo activity is already there ({result.already_present} rows); nothing done. "
                "Use --reset to generate it again or --delete to remove it."
            )
            return
        prefix = f"Deleted {result.deleted} previous demo rows. " if options["reset"] else ""
        self.stdout.write(
            f"{prefix}Created {result.created} demo activity rows (seed {result.seed}) on {result.agreements} "
            f"agreements: {result.lively} active recently, {result.dormant} dormant, {result.never} never "
            f"({time.monotonic() - started:.2f} s)."
        )
