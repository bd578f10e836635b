"""Who the client is, and sign-in lockout (django-axes), for the admin and the API alike.

- `client_ip`: the address that the rate limits (DRF throttles) and the lockout count. It is DRF's
  own rule (NUM_PROXIES, set from REGISTRY_BEHIND_PROXY / REGISTRY_PROXY_COUNT in settings), so both
  count the same client: REMOTE_ADDR unless behind a configured proxy, never a made-up
  X-Forwarded-For.
- `LockoutBackend`: django-axes' check, first in AUTHENTICATION_BACKENDS.
- `lockout_message` / `lockout_response`: what a locked-out client reads, in its language.
"""

from __future__ import annotations

import math
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import ngettext
from rest_framework.throttling import BaseThrottle


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind REST_FRAMEWORK["NUM_PROXIES"] proxies the entry
    of X-Forwarded-For that the nearest of them appended (entries further left are the client's word)."""
    return BaseThrottle().get_ident(request) or None


def lockout_seconds() -> int:
    """How long a lockout lasts (AXES_COOLOFF_TIME), in whole seconds: the 429's Retry-After."""
    return math.ceil(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_message() -> str:
    """Why the sign-in was refused and for how long, in the active language."""
    minutes = math.ceil(lockout_seconds() / 60)
    return ngettext(
        "Too many failed sign-ins for this account or from this address. Try again in %(minutes)d minute.",
        "Too many failed sign-ins for this account or from this address. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the admin's (or the pages') sign-in page, locked (429 with Retry-After).

    The API's token endpoint answers its own JSON 429 (api.views.TokenView): django-axes marks the
    REST framework request there, which this middleware-level answer never sees.
    """
    if request.path.startswith(f"/{admin.site.name}/"):
        context = {**admin.site.each_context(request), "title": lockout_message(), "message": lockout_message()}
        response = TemplateResponse(request, "admin/registry/locked_out.html", context, status=429)
    else:  # the pages' sign-in (/<lang>/accounts/login/): the same message on a page of the site
        response = TemplateResponse(request, "registration/locked_out.html", {"message": lockout_message()}, status=429)
    response["Retry-After"] = str(lockout_seconds())
    return response.render()


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check (it authenticates nobody: ModelBackend, next in line, does).

    Every sign-in over HTTP passes its request (the admin's login form, the token endpoint), and is
    checked. An `authenticate()` without one (the test client's `login()`, a shell) has no client to
    count and is left to the next backend instead of failing with django-axes' "request required".
    """

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)
