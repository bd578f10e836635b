"""The small helpers every service leans on: history snapshots, partial dates, codes, StaleVersion."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from registry.models import ChangeRecord
from registry.services.codes import lg_check_digit, prefecture_code_of, validate_lg_code
from registry.services.dates import PartialDate, ensure_not_future, parse_partial_date, years_before
from registry.services.errors import StaleVersion
from registry.services.history import diff, record_change, snapshot
from tests.factories import MunicipalityFactory


class _Row:
    def __init__(self, **values):
        self.__dict__.update(values)


@pytest.mark.django_db
def test_snapshot_gives_ids_and_text_ready_for_json(nagasaki):
    row = _Row(
        parent=nagasaki,
        day=dt.date(2020, 1, 2),
        moment=dt.datetime(2020, 1, 2, 3, 4, 5),
        amount=Decimal("1.50"),
        n=3,
        text="x",
        nothing=None,
    )

    assert snapshot(row, ["parent", "day", "moment", "amount", "n", "text", "nothing"]) == {
        "parent": nagasaki.pk,
        "day": "2020-01-02",
        "moment": "2020-01-02 03:04:05",
        "amount": "1.50",
        "n": 3,
        "text": "x",
        "nothing": None,
    }


def test_diff_lists_only_changed_fields_with_before_and_after():
    assert diff({"a": 1, "b": 2, "c": None}, {"a": 1, "b": 3, "c": "new"}) == {"b": [2, 3], "c": [None, "new"]}
    assert diff({}, {"a": 1}) == {"a": [None, 1]}
    assert diff({"a": 1}, {"a": 1}) == {}


@pytest.mark.django_db
def test_record_change_names_the_object_and_only_a_signed_in_user(coordinator):
    long_name = MunicipalityFactory(name="名" * 200, name_en="N" * 150)

    by_coordinator = record_change(target=long_name, action="update", by=coordinator, changes={"a": [1, 2]})
    by_anonymous = record_change(target=long_name, action="delete", by=AnonymousUser(), note="gone")
    by_nobody = record_change(target=long_name, action="create", by=None)

    stored = ChangeRecord.objects.get(pk=by_coordinator.pk)
    assert (stored.content_type.model, stored.object_id, stored.action) == ("municipality", long_name.pk, "update")
    assert stored.object_repr == str(long_name)[:300]
    assert len(stored.object_repr) == 300
    assert (stored.changes, stored.note, stored.changed_by) == ({"a": [1, 2]}, "", coordinator)
    assert (by_anonymous.changed_by, by_anonymous.note, by_anonymous.changes) == (None, "gone", {})
    assert by_nobody.changed_by is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1986/4/12", PartialDate(dt.date(1986, 4, 12), "day")),
        ("1986.04", PartialDate(dt.date(1986, 4, 1), "month")),
        ("  1986  ", PartialDate(dt.date(1986, 1, 1), "year")),
        (dt.date(1986, 4, 12), PartialDate(dt.date(1986, 4, 12), "day")),
        (dt.datetime(1986, 4, 12, 23, 59), PartialDate(dt.date(1986, 4, 12), "day")),
        ("   ", None),
        (None, None),
    ],
)
def test_parse_partial_date_forms(text, expected):
    assert parse_partial_date(text, field="signed_on") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1986-02-30", "“1986-02-30” is not a real date."),
        ("1986-4-", "“1986-4-” is not a date: write 1986, 1986-04 or 1986-04-12."),
        ("x1986", "“x1986” is not a date: write 1986, 1986-04 or 1986-04-12."),
        ("1986-04-12x", "“1986-04-12x” is not a date: write 1986, 1986-04 or 1986-04-12."),
    ],
)
def test_parse_partial_date_messages(text, message):
    with pytest.raises(ValidationError) as error:
        parse_partial_date(text, field="on")

    assert error.value.message_dict == {"on": [message]}


def test_ensure_not_future_allows_today_and_refuses_tomorrow():
    today = dt.date(2024, 6, 1)

    ensure_not_future(today, field="on", as_of=today)
    ensure_not_future(None, field="on", as_of=today)
    with pytest.raises(ValidationError) as error:
        ensure_not_future(dt.date(2024, 6, 2), field="joined_on", as_of=today)

    assert error.value.message_dict == {"joined_on": ["2024-06-02 is in the future."]}


def test_years_before_keeps_the_day():
    assert years_before(dt.date(2024, 6, 15), 3) == dt.date(2021, 6, 15)
    assert years_before(dt.date(2024, 2, 29), 1) == dt.date(2023, 2, 28)
    assert years_before(dt.date(2024, 2, 29), 4) == dt.date(2020, 2, 29)


@pytest.mark.parametrize(
    ("first_five", "digit"), [("42201", 1), ("13101", 6), ("47000", 7), ("00000", 1), ("20000", 0)]
)
def test_lg_check_digit(first_five, digit):
    assert lg_check_digit(first_five) == digit


def test_lg_check_digit_needs_five_digits():
    with pytest.raises(ValueError):
        lg_check_digit("4220")


def test_validate_lg_code_returns_the_stripped_code_and_names_the_field():
    assert validate_lg_code(" 422011 ") == "422011"
    with pytest.raises(ValidationError) as error:
        validate_lg_code("422012", field="code")
    assert error.value.message_dict == {"code": ["The check digit of “422012” is wrong: it should end in 1."]}
    with pytest.raises(ValidationError) as error:
        validate_lg_code(None)
    assert error.value.message_dict == {"lg_code": ["A local government code has six digits, e.g. 422011 (got “”)."]}
    for wrong in ("42201", "4220111", "42201a"):
        with pytest.raises(ValidationError):
            validate_lg_code(wrong)


def test_prefecture_code_of():
    assert prefecture_code_of("422011") == "420000"
    assert prefecture_code_of("131016") == "130001"


def test_stale_version_says_both_versions():
    error = StaleVersion(current=3, expected=2)

    assert (error.current, error.expected) == (3, 2)
    assert str(error) == (
        "This record changed since you read it (your version 2, now 3). Reload it and apply your change again."
    )
