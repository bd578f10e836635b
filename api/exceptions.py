"""One place where domain errors become HTTP answers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler


def registry_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map Django's ValidationError to 400 with field-level detail; the rest as DRF does.

    An IntegrityError that escaped a service (a constraint the service did not foresee) is a
    409 with the constraint's message, never a 500.
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, IntegrityError):
        return Response(
            {"detail": "The change conflicts with existing data.", "code": "conflict"},
            status=status.HTTP_409_CONFLICT,
        )
    return exception_handler(exc, context)
