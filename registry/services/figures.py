"""Figures shared by every reader, cached for one day and one state of the data.

The public reports (`/api/reports/…`), the map's colours and the public pages read the same
figures again and again while nothing changes. A cached figure is keyed by the day it answers for
and by the registry's data version — the newest ChangeRecord, which every write adds in its own
transaction (the services, the importers, the admin: registry.services.history) — so no reader is
shown a figure older than the last write: the write makes a new version, and so a new key. Reading
the version is one indexed query (the primary key's maximum).

The cache is Redis when REDIS_URL is set (shared by every process and machine), else each
process's memory. When the cache does not answer, the figure is computed (and a warning logged):
a cache outage makes pages slower, never wrong or broken.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Max

from registry.models import ChangeRecord

from .dates import today

logger = logging.getLogger(__name__)

#: A day: figures are "as of" a day, so none outlives it.
DAY = 24 * 60 * 60


#: Within one_version_per_request: the data version once read ([None] until then), else None.
_request_version: contextvars.ContextVar[list[int | None] | None] = contextvars.ContextVar(
    "request_version", default=None
)


def data_version() -> int:
    """The id of the newest change record (0 for an empty registry); read once per block of
    `one_version_per_request` (a request), however many figures ask for it."""
    held = _request_version.get()
    if held is not None and held[0] is not None:
        return held[0]
    version = ChangeRecord.objects.aggregate(newest=Max("pk"))["newest"] or 0
    if held is not None:
        held[0] = version
    return version


@contextlib.contextmanager
def one_version_per_request() -> Iterator[None]:
    """Within the block the data version is read once, when first asked for (a read-only request:
    registry.middleware.DataVersionMiddleware)."""
    token = _request_version.set([None])
    try:
        yield
    finally:
        _request_version.reset(token)


def read_kept(key: str, what: str) -> Any:
    """The cached value of `key`, or None when there is none or the cache does not answer (logged,
    naming `what`): an outage makes the caller compute, never fail."""
    try:
        return cache.get(key)
    except Exception:  # any cache backend's failure
        logger.warning("cache unavailable: %s computed without it", what, exc_info=True)
        return None


def keep(key: str, value: Any, what: str) -> None:
    """Cache `value` under `key` for the day; a cache that does not answer is logged and passed over."""
    try:
        cache.set(key, value, timeout=DAY)
    except Exception:
        logger.warning("cache unavailable: %s not kept", what, exc_info=True)


def address_key(kind: str, address: str) -> str:
    """The cache key of a whole answer for the public at `address` (page or API: full path and
    query, and the host where links carry it), for the current data version and day."""
    return (
        f"registry:{kind}:" + hashlib.sha256(f"{data_version()}|{today().isoformat()}|{address}".encode()).hexdigest()
    )


def cached_figure(
    name: str, *, as_of: dt.date, compute: Callable[[], Any], version: int | None = None, **params: Any
) -> Any:
    """`compute()` for `name` with `params` on `as_of`, from the cache while the data is unchanged.

    `version`: the data version when the caller has read it already (a page with several cached
    figures reads it once)."""
    if version is None:
        version = data_version()
    parts = [f"{key}={value}" for key, value in sorted(params.items())]
    key = ":".join(["registry", "figures", name, as_of.isoformat(), str(version), *parts])
    value = read_kept(key, name)
    if value is None:
        value = compute()
        if value is not None:
            keep(key, value, name)
    return value


class CountedPaginator(Paginator):
    """A paginator told its count (a cached figure) instead of counting the rows again; `count=None`
    counts as Django's does."""

    def __init__(self, *args: Any, count: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if count is not None:
            self.count = count  # Paginator.count is a cached_property: set, it is never computed
