"""Shared fixtures: personas and helpers. Factories live in tests/factories.py."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import translation


def pytest_collection_modifyitems(config, items) -> None:
    # PostgreSQL-only tests (races, row locks) run in the CI's PostgreSQL pass.
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://…")
    for item in items:
        if "postgres" in item.keywords and connection.vendor != "postgresql":
            item.add_marker(skip_pg)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory) -> None:
    """On SQLite, the test database is a file, as in production (db.sqlite3), not pytest-django's
    shared-cache in-memory database: shared-cache connections fail at once with "database table is
    locked" instead of waiting their turn, so the race tests (tests/api/test_race.py) could not
    show how concurrent writers behave."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("sqlite") / "test_registry.sqlite3")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached figures are keyed by the data version (the newest change record's id); a test's rolled
    back rows can give the next test the same id for other data, so every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """LocaleMiddleware leaves a request's language active; the next test starts from the default."""
    yield
    translation.deactivate()


@pytest.fixture
def nagasaki(db):
    """Nagasaki City (422011) in Nagasaki Prefecture (420000)."""
    from tests.factories import MunicipalityFactory, PrefectureFactory

    prefecture = PrefectureFactory(name="長崎県", name_en="Nagasaki", lg_code="420000")
    return MunicipalityFactory(
        name="長崎市", name_en="Nagasaki", name_kana="ナガサキシ", lg_code="422011", parent=prefecture
    )


@pytest.fixture
def saint_paul(db):
    from tests.factories import ForeignCityFactory

    return ForeignCityFactory(name="Saint Paul", country="US", population=311_527)


@pytest.fixture
def public(client):
    """An anonymous member of the public."""
    return client


@pytest.fixture
def staff_of_nagasaki(db, nagasaki):
    """A user of Nagasaki City's international-relations office."""
    from registry.models import StaffAssignment
    from tests.factories import UserFactory

    user = UserFactory(username="staff_nagasaki")
    StaffAssignment.objects.create(user=user, municipality=nagasaki)
    return user


@pytest.fixture
def coordinator(db):
    """A CLAIR-style coordinator: member of the `coordinators` group."""
    from tests.factories import UserFactory, coordinators_group

    user = UserFactory(username="coordinator")
    user.groups.add(coordinators_group())
    return user


@pytest.fixture
def admin_user_persona(db):
    from tests.factories import UserFactory

    return UserFactory(username="admin", is_staff=True, is_superuser=True)
