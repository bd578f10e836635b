"""What the public pages cache beyond the shared figures (registry.services.figures): the bodies of
pages that are the same for every reader."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from registry.services.figures import cached_figure


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
    return cached_figure(name, as_of=as_of, compute=render, version=version, language=get_language(), **params)
