"""Addresses of the pages by primary key, without resolving the URL patterns for every row.

A country's page links a hundred relationships and two hundred authorities; `reverse()` for each
costs more than the rest of a row. The address of a page by key is the same but for the key, so it
is reversed once per page name, language and script prefix and the key put in its place.
"""

from __future__ import annotations

import functools

from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language

#: A key no page has, reversed in place of the real one (the patterns take any positive integer).
_SENTINEL = 987654321


@functools.lru_cache(maxsize=128)
def _around_key(name: str, language: str | None, script_prefix: str) -> tuple[str, str]:
    address = reverse(name, args=[_SENTINEL])
    before, _, after = address.partition(str(_SENTINEL))
    return before, after


def page_url(name: str, pk: int) -> str:
    """`reverse(name, args=[pk])` for a page whose only argument is an integer key."""
    before, after = _around_key(name, get_language(), get_script_prefix())
    return f"{before}{int(pk)}{after}"
