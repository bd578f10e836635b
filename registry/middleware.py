"""Middleware of the registry's own (the request log and the replica router have theirs)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from registry.services.figures import one_version_per_request


class DataVersionMiddleware:
    """A read-only request (GET, HEAD) reads the data version at most once, however many cached
    figures it asks for (registry.services.figures). A write reads it afresh each time: a figure
    computed after the write must not be keyed by the version before it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in {"GET", "HEAD"}:
            return self.get_response(request)
        with one_version_per_request():
            return self.get_response(request)
