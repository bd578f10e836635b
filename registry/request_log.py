"""One structured (JSON) log line per request, and errors with the request's id.

Each request gets an id: the `X-Request-ID` a proxy sent when it looks like one (letters, digits,
`-`, `_`, `.`, at most 64), else a new one; the response carries it back in `X-Request-ID`, and the
line of the request and any error logged while serving it name it, so an error a user reports with
the id from their browser's network panel can be found. Logged: method, path (never the query
string, where tokens could travel, and with the secret part of password-reset links masked), status,
duration, request id, user id or "anonymous". Never a body, header, password, token or note.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("registry.requests")

#: The id of the request being served in this thread or task ("-" outside a request).
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_GIVEN_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: Path segments that are secrets: password-reset links carry the user's id and a token.
_SECRET_PATHS = re.compile(r"(/reset/)[^/]+/[^/]+(/?)")


class RequestLogMiddleware:
    """First in MIDDLEWARE: times the whole stack, static files included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        rid = given if _GIVEN_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        request.request_id = rid  # type: ignore[attr-defined]
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response["X-Request-ID"] = rid
            return response
        finally:
            logger.info(
                "request",
                extra={
                    "request_id": rid,
                    "fields": {
                        "method": request.method,
                        "path": safe_path(request.path),
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                        "user": _user_id(request),
                    },
                },
            )
            request_id.reset(token)


def safe_path(path: str) -> str:
    """The path with the secret parts of password-reset links masked."""
    return _SECRET_PATHS.sub(r"\1…/…\2", path)


def _user_id(request: HttpRequest) -> int | str:
    user = getattr(request, "user", None)  # set by AuthenticationMiddleware, by DRF for token clients
    if user is not None and getattr(user, "is_authenticated", False):
        return user.pk
    return "anonymous"


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (errors logged while serving it included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # Django logs a 4xx answer after the middleware has returned: its record carries the request.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, the record's `fields`,
    and the traceback of an error."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
