"""Rate limits beyond DRF's defaults (settings: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])."""

from __future__ import annotations

from rest_framework.throttling import UserRateThrottle


class DocsRateThrottle(UserRateThrottle):
    """The API docs and schema: a count of their own (rate `docs`), per account or per client address.

    A client that used up its data allowance (`anon` / `user`) can still read how the API works, and
    the schema, costly to build, is still limited.
    """

    scope = "docs"
