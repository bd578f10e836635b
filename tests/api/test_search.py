"""The API's municipality search: folded spellings, best match first (issue 7, point 8)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from tests.search_world import FIVE_SPELLINGS, import_search_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return import_search_world()


def _names(api, params) -> list[str]:
    response = api(None).get("/api/municipalities/", params)
    assert response.status_code == HTTPStatus.OK, response.content
    return [row["name"] for row in response.json()["results"]]


@pytest.mark.parametrize(("spelling", "authority"), FIVE_SPELLINGS)
def test_api_search_finds_the_five_spellings_of_the_audit(api, world, spelling, authority):
    assert authority in _names(api, {"search": spelling})


def test_api_search_lists_best_match_first(api, world):
    assert _names(api, {"search": "Ōsaka"}) == ["大阪府", "大阪市", "大阪狭山市", "東大阪市"]
    assert _names(api, {"search": "Nagasaki City"}) == ["長崎市"]
    assert _names(api, {"search": "ながさき"}) == ["長崎県", "長崎市"]  # ナガサキケン, ナガサキシ
    # Filters narrow the search; an explicit ordering replaces best match first.
    assert _names(api, {"search": "osaka", "tier": "city"}) == ["大阪市", "大阪狭山市", "東大阪市"]
    by_english_name = _names(api, {"search": "osaka", "ordering": "-name_en"})
    assert (by_english_name[0], sorted(by_english_name[1:3]), by_english_name[3]) == (
        "大阪狭山市",  # Osakasayama
        ["大阪市", "大阪府"],  # Osaka, Osaka
        "東大阪市",  # Higashiosaka
    )


def test_api_search_pages_keep_the_order(api, world):
    first = _names(api, {"search": "osaka", "page_size": 2})
    second = _names(api, {"search": "osaka", "page_size": 2, "page": 2})
    assert first + second == ["大阪府", "大阪市", "大阪狭山市", "東大阪市"]


def test_api_agreements_search_folds_too(api, world):
    response = api(None).get("/api/agreements/", {"search": "Köln"})
    assert response.status_code == HTTPStatus.OK
    [row] = response.json()["results"]
    assert {row["municipality_a"]["name"], row["municipality_b"]["name"]} == {"Cologne", "京都市"}
