"""Read-only traffic to a PostgreSQL replica (DATABASE_REPLICA_URL), the rest to the primary.

A request reads from the replica when it cannot write and sees nothing of its own: GET or HEAD
from a client without a session cookie (the public). Everything else — writes, signed-in users who
must see what they just saved, anything inside a transaction, migrations — uses the primary.
registry.routers.ReplicaMiddleware decides per request; outside a request (commands, shells) the
primary answers.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

_use_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("use_replica", default=False)


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        if _use_replica.get() and not connections["default"].in_atomic_block:
            return "replica"
        return "default"

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one data set, two copies

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == "default"


class ReplicaMiddleware:
    """Marks the public's read-only requests as the replica's (a no-op without a replica)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.enabled = "replica" in settings.DATABASES

    def __call__(self, request: HttpRequest) -> HttpResponse:
        public_read = (
            self.enabled
            and request.method in {"GET", "HEAD"}
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and "HTTP_AUTHORIZATION" not in request.META
        )
        token = _use_replica.set(public_read)
        try:
            return self.get_response(request)
        finally:
            _use_replica.reset(token)
