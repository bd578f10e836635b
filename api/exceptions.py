"""One place where domain errors become HTTP answers."""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from registry.security import lockout_message, lockout_seconds
from registry.services.errors import StaleVersion


class PreconditionFailed(exceptions.APIException):
    """412: the If-Match version is not the object's current one (someone changed it meanwhile)."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("This record changed since you read it. Reload it and apply your change again.")
    default_code = "stale_version"


class PreconditionRequired(exceptions.APIException):
    """428: a write without If-Match could overwrite someone else's change unseen."""

    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _(
        "Send the ETag of the version you edited in an If-Match header (GET the record to read its ETag)."
    )
    default_code = "if_match_required"


class RateLimited(exceptions.Throttled):
    """429: too many requests, with how long to wait in the client's language and in Retry-After.

    DRF's own Throttled fills the number of seconds in before it looks up the translation, so its
    second sentence is never translated: this one translates, then fills in.
    """

    default_detail = _("Too many requests. Try again later.")

    def __init__(self, wait: float | None = None) -> None:
        seconds = math.ceil(wait) if wait is not None else None
        if seconds is None:
            detail = gettext("Too many requests. Try again later.")
        else:
            detail = ngettext(
                "Too many requests. Try again in %(seconds)d second.",
                "Too many requests. Try again in %(seconds)d seconds.",
                seconds,
            ) % {"seconds": seconds}
        exceptions.APIException.__init__(self, detail, "throttled")
        self.wait = seconds


class LockedOut(exceptions.Throttled):
    """429: sign-ins refused for a while after too many failures (django-axes, registry.security)."""

    def __init__(self) -> None:
        exceptions.APIException.__init__(self, lockout_message(), "locked_out")
        self.wait = lockout_seconds()


def registry_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map Django's ValidationError to 400 with field-level detail; the rest as DRF does.

    A rate limit (DRF's Throttled) is a 429 whose message is translated (RateLimited).
    StaleVersion (a service found another version than the client's If-Match) is a 412 with the
    service's message. An IntegrityError that escaped a service (a constraint the service did not
    foresee) is a 409 with the constraint's message, never a 500. A DoesNotExist that escaped a
    service is a 404: the view found the row, then a concurrent DELETE removed it before the service
    locked it (select_for_update finds no row), so it is gone as far as the client can tell.
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, exceptions.Throttled) and not isinstance(exc, RateLimited | LockedOut):
        exc = RateLimited(exc.wait)
    elif isinstance(exc, StaleVersion):
        exc = PreconditionFailed(str(exc))
    elif isinstance(exc, ObjectDoesNotExist):
        exc = exceptions.NotFound(gettext("This record no longer exists: it was deleted meanwhile."))
    elif isinstance(exc, IntegrityError):
        return Response(
            {"detail": gettext("The change conflicts with existing data."), "code": "conflict"},
            status=status.HTTP_409_CONFLICT,
        )
    return exception_handler(exc, context)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for a URL no route matches (e.g. `/api/agreements/1.5/`): under /api/ the same JSON body
    as the API's other 404s, so clients read one shape; elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(exceptions.NotFound.default_detail)}, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)
