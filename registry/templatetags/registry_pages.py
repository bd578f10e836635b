"""Template helpers of the pages for people: names and dates as a Japanese or English reader writes them."""

from __future__ import annotations

import datetime as dt
import functools

from django import template
from django.db.models import Model
from django.urls import translate_url
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import get_language, pgettext

from registry import countries as registry_countries
from registry.models import Municipality
from registry.models.agreements import DatePrecision
from registry.pages.links import page_url

register = template.Library()


def _is_japanese() -> bool:
    return (get_language() or "").startswith("ja")


@register.filter
def local_name(municipality: Municipality | None) -> str:
    """The name a reader of the page's language knows: 長崎市 for a Japanese reader, Nagasaki for an
    English one (the official name when no English name is recorded)."""
    if municipality is None:
        return ""
    if _is_japanese():
        return municipality.name
    return municipality.name_en or municipality.name


@register.filter
def other_name(municipality: Municipality | None) -> str:
    """The name in the other script, when it differs from local_name (shown beside it)."""
    if municipality is None:
        return ""
    shown = local_name(municipality)
    other = municipality.name_en if _is_japanese() else municipality.name
    return other if other and other != shown else ""


@functools.lru_cache(maxsize=512)
def _choice_label(model: type[Model], field_name: str, value: object, language: str | None) -> str:
    return str(dict(model._meta.get_field(field_name).flatchoices).get(value, value))


@register.filter
def display(instance: Model, field_name: str) -> str:
    """`instance.get_<field>_display()`, remembered per language: Django's own hashes every lazily
    translated choice of the field on each call, which on a page of a hundred rows costs more than
    the rest of the row."""
    value = getattr(instance, field_name)
    if value is None or value == "":
        return "" if value is None else value
    return _choice_label(type(instance), field_name, value, get_language())


@register.simple_tag
def place_link(place: Municipality) -> str:
    """A link to an authority's page named as local_name, with its name in the other script beside it."""
    other = other_name(place)
    return format_html(
        '<a href="{}">{}</a>{}',
        page_url("pages:municipality", place.pk),
        local_name(place),
        format_html(' <span class="muted">{}</span>', other) if other else "",
    )


@register.simple_tag(name="page_url")
def page_url_tag(name: str, pk: int) -> str:
    """`{% url name pk %}` for the pages addressed by a key, without resolving the patterns per row."""
    return page_url(name, pk)


@register.simple_tag
def partial_date(value: dt.date | str | None, precision: str = DatePrecision.DAY) -> str:
    """A date at its known precision: 1986年 / 1986, 1986年4月 / April 1986, 1986年4月12日 / April 12, 1986."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    if precision == DatePrecision.YEAR:
        return pgettext("a date known to the year only", "%(year)s") % {"year": value.year}
    if precision == DatePrecision.MONTH:
        return date_format(value, "YEAR_MONTH_FORMAT")
    return date_format(value, "DATE_FORMAT")


@register.filter
def country_name(code: str | None) -> str:
    """The country's name in the reader's language (registry.countries, as the admin shows it)."""
    if not code:
        return ""
    return str(registry_countries.country_name(code.upper()))


@register.simple_tag(takes_context=True)
def page_in(context: template.Context, language: str) -> str:
    """This page's address in another language (the language switcher keeps the reader on the page)."""
    request = context["request"]
    return translate_url(request.get_full_path(), language)


@register.filter
def percent(value: float | None) -> str:
    """A rate as the reports give it (one decimal), or an en dash when there is nothing to divide."""
    if value is None:
        return "–"
    return f"{value:.1f} %"


@register.filter
def tier_label(value: str) -> str:
    """A tier's name in the reader's language (町 / Town)."""
    from registry.models import Tier

    try:
        return str(Tier(value).label)
    except ValueError:
        return value


@register.filter
def vitality_label(value: str) -> str:
    """A vitality's name in the reader's language."""
    from registry.models.agreements import Vitality

    try:
        return str(Vitality(value).label)
    except ValueError:
        return value


@register.filter
def pair(first: object, second: object) -> tuple[object, object]:
    """Both sides of a relationship, to loop over them in a template."""
    return (first, second)
