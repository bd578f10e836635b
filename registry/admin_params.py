"""Query strings of the admin's list pages: junk is an invalid lookup, never a 500.

Django's changelist answers an invalid lookup (IncorrectLookupParameters) by redirecting to the
unfiltered list (`?e=1`). Some junk gets past its checks: NUL characters, which PostgreSQL cannot
compare text with (ValueError when the count runs), a list filter's value the ORM cannot convert
(`?prefecture=abc`: ValueError), a year too large for a date (`?changed_at__year=99999999999999999999`:
OverflowError in Django's date drill-down). QueryStringGuard turns them into that same redirect.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.options import IncorrectLookupParameters
from django.http import HttpRequest

#: The largest id the database holds (BigAutoField).
MAX_ID = 2**63 - 1


def id_param(value: str | None) -> int | None:
    """A list filter's id parameter as an int; None when absent; IncorrectLookupParameters when junk."""
    if value in (None, ""):
        return None
    text = str(value)
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_ID):
        raise IncorrectLookupParameters(f"Not an id: {text[:50]!r}")
    return int(text)


class QueryStringGuard:
    """For a ModelAdmin: its changelist redirects to the unfiltered list on junk, never answers 500."""

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            raise IncorrectLookupParameters("NUL character in the query string")
        try:
            # Builds the filters and runs the count: every lookup error shows here.
            return super().get_changelist_instance(request)  # type: ignore[misc]
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error
