"""The admin answers junk in its query strings (list filters, search, dates, the coverage page)
with the unfiltered list or a form error, never a 500 (issue 7, point 10)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from registry.models import Municipality
from tests.factories import ActivityFactory, AgreementFactory, MembershipFactory, PrefectureFactory

pytestmark = pytest.mark.django_db

JUNK = ["abc", "\x00", "99999999999999999999"]  # a ValueError, a NUL, an OverflowError: each was a 500


@pytest.fixture
def coordinator_client(client, coordinator):
    coordinator.is_staff = True
    coordinator.save(update_fields=["is_staff"])
    client.force_login(coordinator)
    return client


@pytest.fixture
def registry_data(nagasaki):
    agreement = AgreementFactory(municipality_a=nagasaki)
    ActivityFactory(agreement=agreement)
    MembershipFactory(municipality=nagasaki)
    PrefectureFactory()


def _registry_admins() -> list[admin.ModelAdmin]:
    return [model_admin for model, model_admin in admin.site._registry.items() if model._meta.app_label == "registry"]


def _query_parameters(model_admin: admin.ModelAdmin, user) -> list[str]:
    """Every parameter the changelist reads: its list filters', the search box's and the date drill-down's."""
    request = RequestFactory().get("/")
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    names = [name for spec in changelist.filter_specs for name in spec.expected_parameters()]
    if model_admin.search_fields:
        names.append("q")
    if model_admin.date_hierarchy:
        names += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    return names


def test_every_changelist_answers_junk_parameters_without_a_500(coordinator_client, coordinator, registry_data):
    checked = 0
    for model_admin in _registry_admins():
        opts = model_admin.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        for name in _query_parameters(model_admin, coordinator):
            for value in JUNK:
                response = coordinator_client.get(url, {name: value})

                # 200: the value is ignored or finds nothing; 302: Django's "invalid lookup" redirect
                # to the unfiltered list (?e=1), which then answers 200.
                assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND), (url, name, value)
                if response.status_code == HTTPStatus.FOUND:
                    assert coordinator_client.get(response["Location"]).status_code == HTTPStatus.OK
                checked += 1
    assert checked > 50  # every registry model's filters were tried (a guard against an empty sweep)


@pytest.mark.parametrize("value", ["abc", "\x00", "99999999999999999999"])
def test_prefecture_filter_ignores_junk(coordinator_client, nagasaki, value):
    response = coordinator_client.get(reverse("admin:registry_municipality_changelist"), {"prefecture": value})

    assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND)


def test_prefecture_filter_still_filters(coordinator_client, nagasaki):
    other = Municipality.objects.create(name="東京都", name_en="Tokyo", country="JP", tier="prefecture")

    response = coordinator_client.get(
        reverse("admin:registry_municipality_changelist"), {"prefecture": str(nagasaki.parent_id)}
    )

    assert response.status_code == HTTPStatus.OK
    names = {row.name for row in response.context["cl"].result_list}
    assert names == {"長崎市", "長崎県"}
    assert other.name not in names


@pytest.mark.parametrize("as_of", ["0001-01-01", "1799-12-31"])
@pytest.mark.parametrize("page", ["registry_coverage", "registry_coverage_gaps"])
def test_coverage_pages_refuse_an_as_of_before_the_earliest_date(coordinator_client, registry_data, as_of, page):
    url = reverse(f"admin:{page}", kwargs={"tier": "city"} if page.endswith("gaps") else {})

    response = coordinator_client.get(url, {"as_of": as_of})

    assert response.status_code == HTTPStatus.OK
    if page == "registry_coverage":
        assert response.context["form"].errors["as_of"]
        assert "1800-01-01" in response.context["form"].errors["as_of"][0]
