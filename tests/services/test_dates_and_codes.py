"""Partial dates and Japan's local government code check digit."""

import csv
import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from registry.services.codes import lg_check_digit, prefecture_code_of, validate_lg_code
from registry.services.dates import parse_partial_date, years_before


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [
        ("1986", dt.date(1986, 1, 1), "year"),
        ("1986-04", dt.date(1986, 4, 1), "month"),
        ("1986-04-12", dt.date(1986, 4, 12), "day"),
        ("1986/4/12", dt.date(1986, 4, 12), "day"),
        (dt.date(1955, 12, 7), dt.date(1955, 12, 7), "day"),
    ],
)
def test_parse_partial_date_keeps_precision(text, value, precision):
    assert parse_partial_date(text, field="signed_on") == (value, precision)


@pytest.mark.parametrize("text", ["86", "1986-4-31", "April 1986", "1986-00"])
def test_parse_partial_date_names_the_field(text):
    with pytest.raises(ValidationError) as error:
        parse_partial_date(text, field="signed_on")
    assert list(error.value.message_dict) == ["signed_on"]


def test_parse_partial_date_empty_is_none():
    assert parse_partial_date("  ", field="signed_on") is None


def test_years_before_handles_leap_day():
    assert years_before(dt.date(2024, 2, 29), 3) == dt.date(2021, 2, 28)
    assert years_before(dt.date(2025, 6, 1), 3) == dt.date(2022, 6, 1)


def test_check_digit_holds_for_every_code_in_the_shipped_list():
    path = Path(settings.BASE_DIR) / "fixtures" / "jp_local_governments.csv"
    with path.open(encoding="utf-8") as handle:
        codes = [row["lg_code"] for row in csv.DictReader(handle)]
    assert len(codes) == 1788
    assert all(validate_lg_code(code) == code for code in codes)


@pytest.mark.parametrize(
    ("code", "reason"), [("422012", "should end in 1"), ("42201", "six digits"), ("42a011", "six")]
)
def test_validate_lg_code_explains(code, reason):
    with pytest.raises(ValidationError) as error:
        validate_lg_code(code)
    assert reason in error.value.message_dict["lg_code"][0]


def test_known_codes():
    # Tokyo-to 130001, Hokkaido 010006, Nagasaki City 422011 (MIC list).
    assert [lg_check_digit(code) for code in ("13000", "01000", "42201")] == [1, 6, 1]
    assert prefecture_code_of("422011") == "420000"
