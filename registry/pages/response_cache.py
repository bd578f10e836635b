"""Whole pages for the public, cached while the data is unchanged.

A reader without a session (the public: no sign-in, nothing of their own on the page) asking for a
page by GET gets the same bytes as every other such reader until a write changes the data version
(registry.services.figures) or the day changes, so the page is rendered once and then served from
the cache (Redis when REDIS_URL is set, shared by every process and machine). Signed-in readers
(a session cookie) and readers with a message waiting always get a freshly rendered page. Only complete 200 answers that set no cookie
and used no CSRF token are kept; the key is the full address (language prefix and query included).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from registry.services.figures import address_key, keep, read_kept

#: The headers a kept page carries back (the middleware after the view adds its own again).
_KEPT_HEADERS = {"content-type", "cache-control"}


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve `view`'s page to the public from the cache (see the module's docstring)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in {"GET", "HEAD"} or _own_state(request):
            return view(request, *args, **kwargs)
        key = address_key("page", request.get_full_path())
        kept = read_kept(key, "page")
        if kept is not None:
            headers, content = kept
            response = HttpResponse(content)
            for name, value in headers:
                response[name] = value
            return response
        response = view(request, *args, **kwargs)
        if _keepable(request, response):
            headers = [(name, value) for name, value in response.items() if name.lower() in _KEPT_HEADERS]
            keep(key, (headers, response.content), "page")
        return response

    return wrapper


def _own_state(request: HttpRequest) -> bool:
    """The reader has something of their own on the page: a session (signed in) or a message waiting
    to be shown (kept in a cookie when there is no session)."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES


def _keepable(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and "private" not in response.get("Cache-Control", "")
    )
