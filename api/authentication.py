"""Authentication classes: DRF's, with their refusals in the client's language."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.authentication import SessionScheme
from rest_framework import exceptions
from rest_framework.authentication import CSRFCheck, SessionAuthentication
from rest_framework.request import Request


class RegistrySessionAuthentication(SessionAuthentication):
    """The admin's session cookie (browsable API, pages); writes need the CSRF token, as in DRF.

    DRF's refusal ("CSRF Failed: …") is not translatable; this one says what to send, in the
    client's language, with Django's reason (a technical detail) in parentheses.
    """

    def enforce_csrf(self, request: Request) -> None:
        check = CSRFCheck(lambda _request: None)
        check.process_request(request)  # reads the CSRF cookie into request.META
        reason = check.process_view(request, None, (), {})
        if reason:
            raise exceptions.PermissionDenied(
                gettext(
                    "CSRF check failed (%(reason)s): send the value of the csrftoken cookie in an X-CSRFToken header."
                )
                % {"reason": reason}
            )


class RegistrySessionScheme(SessionScheme):
    """The OpenAPI schema describes it as DRF's session authentication (cookieAuth)."""

    target_class = RegistrySessionAuthentication
