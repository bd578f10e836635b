"""Country names for people: ISO 3166-1 alpha-2 codes as django-countries names them, in the active
language (アメリカ合衆国 in Japanese, United States of America in English).

The registry stores the code (Municipality.country, TwinningAgreement.country_a / country_b); names
are only for showing it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from django.utils.translation import get_language
from django_countries import countries


def country_name(code: str) -> str:
    """The name of `code` in the active language; the code itself when django-countries has none."""
    return _country_name(code, get_language())


@functools.lru_cache(maxsize=2048)
def _country_name(code: str, language: str | None) -> str:
    # Remembered per language: django-countries translates its whole table to name one country,
    # and a page of partners names a country per row.
    return str(countries.name(code) or code)


def country_choices(codes: Iterable[str]) -> list[tuple[str, str]]:
    """(code, name) for each code, ordered by name in the active language: a list filter's choices."""
    return sorted(((code, country_name(code)) for code in codes), key=lambda choice: (choice[1], choice[0]))


def country_form_choices() -> list[tuple[str, str]]:
    """Every country django-countries knows, by name in the active language, for a form's select."""
    return [("", "---------"), *country_choices(code for code, _name in countries)]
