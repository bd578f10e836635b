"""What the public pages cache: figures shared by every reader, for one day and one state of the data.

A cached figure is keyed by the day it answers for and by the registry's data version — the newest
ChangeRecord, which every service write adds in its transaction (registry.services.history) — so a
page never shows a figure older than the last write made through the services. One indexed query
(the primary key's maximum) per request reads the version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from registry.models import ChangeRecord

#: A day: figures are "as of" a day, so none outlives it.
DAY = 24 * 60 * 60


def data_version() -> int:
    """The id of the newest change record (0 for an empty registry)."""
    return ChangeRecord.objects.aggregate(newest=Max("pk"))["newest"] or 0


def cached_figures(
    name: str, *, as_of: dt.date, compute: Callable[[], Any], version: int | None = None, **params: Any
) -> Any:
    """`compute()` for `name` with `params` on `as_of`, from the cache while the data is unchanged.

    `version`: the data version when the caller has read it already (a page with several cached
    figures reads it once)."""
    if version is None:
        version = data_version()
    parts = [f"{key}={value}" for key, value in sorted(params.items())]
    key = ":".join(["registry", "pages", name, as_of.isoformat(), str(version), *parts])
    return cache.get_or_set(key, compute, timeout=DAY)


def cached_body(
    request: HttpRequest,
    name: str,
    *,
    template: str,
    as_of: dt.date,
    context: Callable[[], dict[str, Any]],
    keep: tuple[str, ...] = (),
    version: int | None = None,
    cache: bool = True,
    **params: Any,
) -> dict[str, Any]:
    """The body of a public page: `template` rendered with `context()`, as `{"html": …}` with the
    context's `keep` entries beside it, cached per language like a figure. For the parts of a page
    that are the same for every reader (nothing of the user, no form posted); a write through the
    services changes the data version and so the key. `cache=False`: rendered, not cached (a form
    with errors: its messages echo what was typed)."""

    def render() -> dict[str, Any]:
        data = context()
        html = mark_safe(render_to_string(template, data, request))  # the template's own, escaped output
        return {"html": html, **{key: data[key] for key in keep}}

    if not cache:
        return render()
    return cached_figures(name, as_of=as_of, compute=render, version=version, language=get_language(), **params)


class CountedPaginator(Paginator):
    """A paginator told its count (a cached figure) instead of counting the rows again."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count
