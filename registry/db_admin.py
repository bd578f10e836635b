"""Creating a PostgreSQL database when it is missing (for `make serve`, the benchmarks and the tests
that start servers): through the server's maintenance database `postgres`, with the same user."""

from __future__ import annotations

from typing import Any

import psycopg2
from psycopg2 import sql


def ensure_postgres_database(config: dict[str, Any], *, template: str | None = None) -> bool:
    """Create the database `config` names (a Django DATABASES entry) unless it exists, optionally as a
    copy of `template`. True when it was created."""
    admin = psycopg2.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
            if cursor.fetchone() is not None:
                return False
            statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"]))
            if template:
                statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
            cursor.execute(statement)
            return True
    finally:
        admin.close()
