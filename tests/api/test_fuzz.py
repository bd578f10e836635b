"""A short, seeded schemathesis run in process: every operation, anonymous and as an admin, with
schemathesis's checks (and schemathesis.toml's expectations). The full run is `make fuzz`."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, seed, settings
from rest_framework.authtoken.models import Token

from registry.wsgi import application
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    ForeignCityFactory,
    MembershipFactory,
    MunicipalityFactory,
    NetworkFactory,
    UserFactory,
)

# The API's answers against its schema do not depend on the database (the other tests cover both):
# run once, in the SQLite pass (Makefile), to keep CI short.
pytestmark = pytest.mark.fuzz

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

SHORT = settings(
    max_examples=2,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    database=None,
)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Django's WSGI handler closes the database connection around each request; the test's
    transaction lives on it (Django's test client disconnects the same signals)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def registry_rows(db):
    """A little of everything, so that ids 1, 2, … often exist: agreements, activities, memberships."""
    for _ in range(2):
        agreement = AgreementFactory(municipality_a=MunicipalityFactory(), municipality_b=ForeignCityFactory())
        ActivityFactory(agreement=agreement)
        MembershipFactory(network=NetworkFactory(), municipality=agreement.municipality_a)


@pytest.fixture
def admin_token(db) -> str:
    return Token.objects.create(user=UserFactory(is_staff=True, is_superuser=True)).key


@schema.parametrize()
@seed(7)
@SHORT
def test_api_keeps_its_schema_anonymous(case, registry_rows):
    case.call_and_validate()


@schema.parametrize()
@seed(7)
@SHORT
def test_api_keeps_its_schema_as_admin(case, registry_rows, admin_token):
    case.call_and_validate(headers={"Authorization": f"Token {admin_token}"})
