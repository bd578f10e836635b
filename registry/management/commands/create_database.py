"""create_database: create the application's PostgreSQL database when it does not exist yet."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from registry.db_admin import ensure_postgres_database


class Command(BaseCommand):
    help = (
        "Create the PostgreSQL database DATABASE_URL names when it is missing (nothing to do for SQLite, "
        "whose file migrate creates). `make serve` runs it before migrating."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        config = settings.DATABASES["default"]
        if config["ENGINE"] != "django.db.backends.postgresql":
            self.stdout.write("SQLite: the database file is created by migrate.")
            return
        if ensure_postgres_database(config):
            self.stdout.write(f"Created the PostgreSQL database {config['NAME']}.")
        else:
            self.stdout.write(f"The PostgreSQL database {config['NAME']} exists.")
