"""Labels for the city-diplomacy profile's keys (registry.services.diplomacy), in the active language."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from registry.countries import country_name
from registry.models import ExchangeCategory, MembershipRole, NetworkScale
from registry.services.diplomacy import Dimension, Indicator

register = template.Library()

DIMENSIONS = {
    Dimension.SECURITY: _("Security"),
    Dimension.ECONOMY: _("Economy"),
    Dimension.CULTURE: _("Culture"),
    Dimension.NETWORK: _("Network"),
    Dimension.REPRESENTATION: _("Representation"),
    Dimension.DEVELOPMENT: _("Development"),
    Dimension.RESEARCH: _("Research"),
}
INDICATORS = {
    Indicator.MEMBERSHIP: _("Membership in international organisations and assemblies"),
    Indicator.SUSTAINABLE_DEVELOPMENT: _("Memorandum on sustainable development"),
    Indicator.KNOWLEDGE: _("Exchange of knowledge and services"),
    Indicator.CULTURE: _("Cultural exchange"),
}
#: What each indicator counts, in words (the service's `counts`, for people).
COUNTS = {
    Indicator.MEMBERSHIP: _("network memberships current on the date"),
    Indicator.SUSTAINABLE_DEVELOPMENT: _("not recorded by the registry"),
    Indicator.KNOWLEDGE: _("activities of the window in education, cooperation and disaster support"),
    Indicator.CULTURE: _("activities of the window in culture and sports"),
}
CONTINENTS = {
    "AF": _("Africa"),
    "AN": _("Antarctica"),
    "AS": _("Asia"),
    "EU": _("Europe"),
    "NA": _("North America"),
    "OC": _("Oceania"),
    "SA": _("South America"),
    "": _("Unknown"),
}


@register.filter
def dimension_label(key: str) -> str:
    return str(DIMENSIONS.get(key, key))


@register.filter
def indicator_label(key: str) -> str:
    return str(INDICATORS.get(key, key))


@register.filter
def indicator_counts(key: str) -> str:
    return str(COUNTS.get(key, ""))


@register.filter
def continent_label(key: str) -> str:
    return str(CONTINENTS.get(key, key))


@register.filter
def category_label(key: str) -> str:
    return str(dict(ExchangeCategory.choices).get(key, key))


@register.filter
def role_label(key: str) -> str:
    return str(dict(MembershipRole.choices).get(key, key))


@register.filter
def scale_label(key: str) -> str:
    return str(dict(NetworkScale.choices).get(key, key))


@register.filter
def items_of(mapping: dict) -> list:
    """A dict's (key, value) pairs, for a template loop."""
    return list(mapping.items())


@register.filter
def lookup(mapping: dict, key: object) -> object:
    """mapping[key], or None."""
    return mapping.get(key) if mapping else None


@register.filter
def count_scope(scope: str) -> str:
    """What a published member count covers, for people: `total` (the whole network), a country by its
    code (JP → 日本 / Japan), or the source's own words (`founding`, `full members`)."""
    if scope == "total":
        return str(_("the whole network"))
    code = scope.split()[0] if scope else ""
    if len(code) == 2 and code.isalpha() and code.isupper():
        return scope.replace(code, country_name(code), 1)
    return scope
