"""Invariants the database itself enforces, whatever path the write takes (run on SQLite and PostgreSQL)."""

import datetime as dt

import pytest
from django.db import DataError, IntegrityError, transaction

from registry.models import Municipality, NetworkMembership, TwinningAgreement
from tests.factories import ForeignCityFactory, MunicipalityFactory, NetworkFactory

pytestmark = pytest.mark.django_db


def constraint_refuses(callable_) -> bool:
    try:
        with transaction.atomic():
            callable_()
    except (IntegrityError, DataError):  # PostgreSQL refuses over-long values before the CHECK
        return True
    return False


def create_agreement(a: Municipality, b: Municipality, **fields) -> TwinningAgreement:
    """A row written directly (no service), with its sides' countries as the services copy them."""
    values = {"country_a": a.country, "country_b": b.country, **fields}
    return TwinningAgreement.objects.create(municipality_a=a, municipality_b=b, **values)


def test_database_refuses_self_pair_and_reversed_duplicate():
    a, b = MunicipalityFactory(), ForeignCityFactory()
    create_agreement(a, b)

    assert constraint_refuses(lambda: create_agreement(a, a))
    assert constraint_refuses(lambda: create_agreement(b, a))
    assert constraint_refuses(lambda: create_agreement(a, b))
    assert TwinningAgreement.objects.count() == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "marriage"},
        {"status": "dead"},
        {"signed_on_precision": "century"},
        {"country_a": "jp"},
        {"country_b": "USA"},
        {"country_b": ""},
    ],
)
def test_database_refuses_invalid_agreement_choices(fields):
    a, b = MunicipalityFactory(), ForeignCityFactory()
    assert constraint_refuses(lambda: create_agreement(a, b, **fields))


@pytest.mark.parametrize(
    "fields",
    [
        {"tier": "hamlet"},
        {"country": "jp"},
        {"country": "JPN"},
        {"lg_code": "12345"},
        {"latitude": 91.0},
    ],
)
def test_database_refuses_invalid_municipality(fields):
    values = {"name": "x", "country": "JP", "tier": "city", **fields}
    assert constraint_refuses(lambda: Municipality.objects.create(**values))


def test_database_refuses_duplicate_lg_code():
    MunicipalityFactory(lg_code="422011")
    assert constraint_refuses(lambda: MunicipalityFactory(lg_code="422011"))


def test_database_refuses_membership_ending_before_it_starts():
    network, city = NetworkFactory(), MunicipalityFactory()
    assert constraint_refuses(
        lambda: NetworkMembership.objects.create(
            network=network, municipality=city, joined_on=dt.date(2010, 1, 1), left_on=dt.date(2009, 12, 31)
        )
    )
    NetworkMembership.objects.create(
        network=network, municipality=city, joined_on=dt.date(2010, 1, 1), left_on=dt.date(2010, 1, 1)
    )
