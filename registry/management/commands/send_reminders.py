"""manage.py send_reminders: the daily or weekly reminder digests of the staff workspace."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.services.dates import today
from registry.services.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "E-mail each municipal staff member, in their language, one digest of their relationships that "
        "are in name only (dormant or never active) and of their fixed-term agreements ending within 90 "
        "days (registry.services.reminders). Reads staff assignments, agreements with their vitality, the "
        "reminders already sent and the users' profiles; writes one ReminderSent row per reminder e-mailed, "
        "so that the same reminder is not sent again within the period. Users who turned digests off on "
        "their profile page get none. For a daily or weekly cron job."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Print the digests; send and record nothing.")
        parser.add_argument("--as-of", help="The day to judge the relationships on (YYYY-MM-DD; default today).")
        parser.add_argument(
            "--period-days",
            type=int,
            help="Do not repeat a reminder sent within this many days (default: REGISTRY_REMINDER_PERIOD_DAYS, 30).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = today()
        if options["as_of"]:
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError:
                raise CommandError(f"--as-of: “{options['as_of']}” is not a date; write YYYY-MM-DD.") from None
        period = options["period_days"]
        if period is not None and period < 1:
            raise CommandError("--period-days: give a whole number of days, 1 or more.")
        due = send_reminders(as_of=as_of, dry_run=options["dry_run"], period=period)
        if options["dry_run"]:
            for digest in due:
                self.stdout.write(
                    f"To: {digest.user.email} ({digest.language})\nSubject: {digest.subject}\n\n{digest.body}\n"
                )
        reminders = sum(len(digest.reminders) for digest in due)
        verb = "would send" if options["dry_run"] else "sent"
        self.stdout.write(f"{verb} {len(due)} digest(s) with {reminders} reminder(s) as of {as_of.isoformat()}.")
