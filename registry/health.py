"""Health for load balancers and orchestrators: `/healthz` (this process answers) and `/readyz` (it
can serve: the database and the cache answer). No data in the bodies, no rate limit, no session,
no language redirect: a probe is cheap and says nothing about the registry.
"""

from __future__ import annotations

import logging
import secrets

from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """200 while the process answers."""
    return HttpResponse("ok\n", content_type="text/plain")


@never_cache
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """200 when every database and the cache answer, else 503 (the reason is logged, not shown)."""
    problems = [name for name, check in (("database", _databases), ("cache", _cache)) if not _answers(name, check)]
    if problems:
        return HttpResponse("unavailable\n", content_type="text/plain", status=503)
    return HttpResponse("ready\n", content_type="text/plain")


def _answers(name: str, check: object) -> bool:
    try:
        check()  # type: ignore[operator]
    except Exception:  # any driver's or backend's failure means "not ready"
        logger.warning("readyz: the %s does not answer", name, exc_info=True)
        return False
    return True


def _databases() -> None:
    for alias in connections:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")


def _cache() -> None:
    key, value = "registry:readyz", secrets.token_hex(8)
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise RuntimeError("the cache did not keep a value")
