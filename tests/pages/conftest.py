"""Page tests start with an empty cache (cached figures are keyed by the data version, and ids are
reused after a rolled-back test on SQLite)."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()
