"""The admin's municipality search: folded spellings, best match first (issue 7, point 8)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from registry.models import Municipality
from registry.services.search import search_key_of
from tests.search_world import FIVE_SPELLINGS, import_search_world
from tests.test_admin import page_post_data

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:registry_municipality_changelist"


@pytest.fixture
def coordinator_client(client, coordinator):
    coordinator.is_staff = True
    coordinator.save(update_fields=["is_staff"])
    client.force_login(coordinator)
    return client


@pytest.fixture
def world(db):
    return import_search_world()


def _names(client, params) -> list[str]:
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == HTTPStatus.OK
    return [m.name for m in response.context["cl"].result_list]


@pytest.mark.parametrize(("spelling", "authority"), FIVE_SPELLINGS)
def test_admin_search_finds_the_five_spellings_of_the_audit(coordinator_client, world, spelling, authority):
    assert authority in _names(coordinator_client, {"q": spelling})


def test_admin_search_lists_best_match_first_until_a_column_is_chosen(coordinator_client, world):
    assert _names(coordinator_client, {"q": "おおさか"}) == ["大阪府", "大阪市", "大阪狭山市", "東大阪市"]
    assert _names(coordinator_client, {"q": "Nagasaki City"}) == ["長崎市"]
    # Sorted by the English name (column 2), descending: the chosen column decides.
    by_english_name = _names(coordinator_client, {"q": "おおさか", "o": "-2"})
    assert (by_english_name[0], by_english_name[-1]) == ("大阪狭山市", "東大阪市")


def test_admin_autocomplete_searches_the_same_way(coordinator_client, world):
    response = coordinator_client.get(
        reverse("admin:autocomplete"),
        {"term": "Ōsaka", "app_label": "registry", "model_name": "municipality", "field_name": "parent"},
    )
    assert response.status_code == HTTPStatus.OK
    assert [row["text"].split(" ")[0] for row in response.json()["results"]] == [
        "大阪府",
        "大阪市",
        "大阪狭山市",
        "東大阪市",
    ]


def test_admin_edit_of_a_name_updates_the_search_key(coordinator_client, world):
    cologne = world["Cologne"]
    url = reverse("admin:registry_municipality_change", args=[cologne.pk])
    response = coordinator_client.post(url, page_post_data(coordinator_client.get(url), name="Köln am Rhein"))

    assert response.status_code == HTTPStatus.FOUND
    cologne.refresh_from_db()
    assert cologne.search_key == search_key_of(cologne)
    assert list(Municipality.objects.search("Koln am Rhein")) == [cologne]


def test_admin_agreement_search_finds_either_side_by_a_folded_spelling(coordinator_client, world):
    response = coordinator_client.get(reverse("admin:registry_twinningagreement_changelist"), {"q": "Köln"})
    assert response.status_code == HTTPStatus.OK
    [agreement] = response.context["cl"].result_list
    assert {agreement.municipality_a.name, agreement.municipality_b.name} == {"Cologne", "京都市"}
