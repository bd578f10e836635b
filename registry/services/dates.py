"""Partial dates ("1986", "1986-04", "1986-04-12") and date rules."""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import DatePrecision

_PARTIAL = re.compile(r"^(?P<year>\d{4})(?:[-/.](?P<month>\d{1,2})(?:[-/.](?P<day>\d{1,2}))?)?$")


class PartialDate(NamedTuple):
    """A date known to a precision; unknown parts are stored as the 1st."""

    value: dt.date
    precision: str


def parse_partial_date(text: str | dt.date | None, *, field: str) -> PartialDate | None:
    """Parse "1986", "1986-04" or "1986-04-12" (also with / or .); empty gives None.

    Raises a ValidationError naming `field` for anything else, including impossible dates.
    """
    if text is None:
        return None
    if isinstance(text, dt.datetime):
        return PartialDate(text.date(), DatePrecision.DAY)
    if isinstance(text, dt.date):
        return PartialDate(text, DatePrecision.DAY)
    text = str(text).strip()
    if not text:
        return None
    match = _PARTIAL.match(text)
    if not match:
        raise ValidationError(
            {field: _("“%(text)s” is not a date: write 1986, 1986-04 or 1986-04-12.") % {"text": text}}
        )
    year, month, day = match["year"], match["month"], match["day"]
    try:
        value = dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise ValidationError({field: _("“%(text)s” is not a real date.") % {"text": text}}) from None
    precision = DatePrecision.DAY if day else DatePrecision.MONTH if month else DatePrecision.YEAR
    return PartialDate(value, precision)


#: The earliest day a report (API or admin) answers for: long before the first twinning (1920s), and
#: far enough from year 1 that the windows of the audits (up to 100 years back, and the day before)
#: stay real dates. Earlier dates were a 500 ("year -2 is out of range").
EARLIEST_AS_OF = dt.date(1800, 1, 1)


def check_as_of(value: dt.date, *, field: str = "as_of") -> dt.date:
    """The day a report answers for: on or after EARLIEST_AS_OF; a ValidationError naming `field` otherwise."""
    if value < EARLIEST_AS_OF:
        raise ValidationError(
            {
                field: _("Reports answer for %(earliest)s or later (got %(date)s).")
                % {"earliest": EARLIEST_AS_OF.isoformat(), "date": value.isoformat()}
            }
        )
    return value


def check_moment(value: dt.datetime, *, field: str) -> dt.datetime:
    """A moment the database can compare with: one that has a date in UTC (years 1 to 9999).

    `0001-01-01` in Japan's time zone is still year 0 in UTC, which SQLite's adapter cannot write.
    """
    try:
        if timezone.is_aware(value):
            value.astimezone(dt.UTC)
        else:
            timezone.make_aware(value).astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValidationError(
            {field: _("%(moment)s is outside the dates the registry can answer for.") % {"moment": value.isoformat()}}
        ) from None
    return value


def today() -> dt.date:
    """Today in the registry's time zone (Japan by default)."""
    return timezone.localdate()


def ensure_not_future(value: dt.date | None, *, field: str, as_of: dt.date | None = None) -> None:
    """A signing or an activity cannot be in the future."""
    if value is not None and value > (as_of or today()):
        raise ValidationError({field: _("%(date)s is in the future.") % {"date": value.isoformat()}})


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
