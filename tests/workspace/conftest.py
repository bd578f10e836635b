"""Personas and data of the staff workspace: Nagasaki's staff with a dormant, a live and a never-active
relationship, and staff of another municipality."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache

from registry.models import StaffAssignment
from registry.services.dates import today, years_before
from tests.factories import ActivityFactory, AgreementFactory, ForeignCityFactory, MunicipalityFactory, UserFactory


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def nagasaki_relationships(nagasaki):
    """Saint Paul (live), Santos (dormant: last activity four years ago), Porto (never active), and a
    fixed-term one with Vaasa ending in 60 days."""
    saint_paul = ForeignCityFactory(name="Saint Paul", country="US")
    santos = ForeignCityFactory(name="Santos", country="BR")
    porto = ForeignCityFactory(name="Porto", country="PT")
    vaasa = ForeignCityFactory(name="Vaasa", country="FI")
    live = AgreementFactory(municipality_a=nagasaki, municipality_b=saint_paul, signed_on=dt.date(1955, 12, 7))
    ActivityFactory(agreement=live, occurred_on=today() - dt.timedelta(days=30), title="Student exchange")
    dormant = AgreementFactory(municipality_a=nagasaki, municipality_b=santos, signed_on=dt.date(1972, 10, 1))
    ActivityFactory(agreement=dormant, occurred_on=years_before(today(), 4), title="Delegation")
    never = AgreementFactory(municipality_a=nagasaki, municipality_b=porto, signed_on=dt.date(2010, 1, 1))
    fixed = AgreementFactory(
        municipality_a=nagasaki,
        municipality_b=vaasa,
        signed_on=years_before(today(), 2),
        expires_on=today() + dt.timedelta(days=60),
    )
    ActivityFactory(agreement=fixed, occurred_on=today() - dt.timedelta(days=100), title="Concert")
    return {"live": live, "dormant": dormant, "never": never, "fixed": fixed}


@pytest.fixture
def other_city(db):
    return MunicipalityFactory(name="佐世保市", name_en="Sasebo")


@pytest.fixture
def other_relationship(other_city):
    return AgreementFactory(
        municipality_a=other_city, municipality_b=ForeignCityFactory(name="Albuquerque"), internal_notes="SECRET-SASEBO"
    )


@pytest.fixture
def staff_of_sasebo(db, other_city):
    user = UserFactory(username="staff_sasebo")
    StaffAssignment.objects.create(user=user, municipality=other_city)
    return user


PASSWORD = "correct horse battery staple"
