"""API fixtures: a client per persona, agreements on our side and on someone else's, a clean throttle."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import AgreementFactory, ForeignCityFactory, MunicipalityFactory


@pytest.fixture(autouse=True)
def _clean_throttle_cache():
    """The anonymous rate limit counts in the cache: every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api():
    """api(user) → an APIClient authenticated as `user` (None: anonymous)."""
    return client_for


@pytest.fixture
def sasebo(db):
    """Another Japanese city, whose agreements Nagasaki's staff may read but not change."""
    return MunicipalityFactory(name="佐世保市", name_en="Sasebo", name_kana="サセボシ")


@pytest.fixture
def own_agreement(nagasaki, saint_paul):
    """Nagasaki – Saint Paul (1955-12), with internal fields filled in."""
    return AgreementFactory(
        municipality_a=nagasaki,
        municipality_b=saint_paul,
        signed_on="1955-12",
        heads_signed=True,
        fields_unrestricted=True,
        assembly_approved=True,
        public_notes="Japan's first sister-city link.",
        internal_notes="Mayor visits in May.",
        internal_contact="international@city.nagasaki.example",
    )


@pytest.fixture
def other_agreement(sasebo):
    """Sasebo – Albuquerque: someone else's agreement for Nagasaki's staff."""
    albuquerque = ForeignCityFactory(name="Albuquerque", country="US")
    return AgreementFactory(
        municipality_a=sasebo,
        municipality_b=albuquerque,
        signed_on=dt.date(1966, 10, 1),
        internal_notes="Sasebo's internal note.",
    )
