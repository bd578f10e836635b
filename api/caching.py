"""The public's API answers, cached while the data is unchanged.

An anonymous GET of a list or a report answers the same data to every anonymous client until a
write changes the data version (registry.services.figures) or the day changes; its data (not its
rendering: JSON, the browsable page) is kept in the cache per address (host, path and query) and
served from there. Authentication, permissions and the rate limits run before, as for any request
(the decorator wraps the handler, which DRF calls after them). Signed-in clients, exports
(`?format=csv|xlsx`, streamed) and any answer but a 200 are never kept.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from api import exports
from registry.services.figures import address_key, keep, read_kept


def public_data(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Keep `handler`'s data for the public (see the module's docstring)."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated or exports.export_format(request) is not None:
            return handler(view, request, *args, **kwargs)
        key = address_key("api", f"{request.get_host()}|{request.get_full_path()}")
        kept = read_kept(key, "API answer")
        if kept is not None:
            return Response(kept)
        response = handler(view, request, *args, **kwargs)
        if isinstance(response, Response) and response.status_code == 200 and response.data is not None:
            keep(key, response.data, "API answer")
        return response

    return wrapper
