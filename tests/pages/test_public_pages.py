"""The public pages: addresses under a language prefix, the same figures as the services, constant queries."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import translation

from registry.services import audits
from registry.services.dates import today
from registry.services.standing import STANDING_ORDER, Standing, standings
from tests.factories import ActivityFactory, AgreementFactory, ForeignCityFactory, MunicipalityFactory

pytestmark = pytest.mark.django_db


def recent() -> dt.date:
    return today() - dt.timedelta(days=30)


@pytest.fixture
def world(nagasaki, saint_paul):
    """Nagasaki with a live partner; a town whose only partner is silent; a village with none."""
    live = AgreementFactory(municipality_a=nagasaki, municipality_b=saint_paul, signed_on=dt.date(1955, 12, 7))
    ActivityFactory(agreement=live, occurred_on=recent())
    town = MunicipalityFactory(name="小値賀町", name_en="Ojika", tier="town", parent=nagasaki.parent)
    AgreementFactory(
        municipality_a=town, municipality_b=ForeignCityFactory(name="Silentville"), signed_on=dt.date(1990, 1, 1)
    )
    village = MunicipalityFactory(name="無縁村", name_en="Muen", tier="village", parent=nagasaki.parent)
    return {"live": live, "nagasaki": nagasaki, "town": town, "village": village}


def test_root_redirects_by_the_browsers_language(client):
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="ja").headers["Location"] == "/ja/"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8").headers["Location"] == "/en/"


def test_pages_live_under_both_language_prefixes(client, world):
    for language in ("ja", "en"):
        with translation.override(language):
            url = reverse("pages:home")
        assert url == f"/{language}/"
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK
        assert response.headers["Content-Language"] == language


def test_language_switcher_keeps_the_reader_on_the_same_page(client, world):
    response = client.get(f"/en/municipalities/{world['nagasaki'].pk}/")
    assert f'href="/ja/municipalities/{world["nagasaki"].pk}/"'.encode() in response.content
    response = client.get(f"/ja/municipalities/{world['nagasaki'].pk}/")
    assert f'href="/en/municipalities/{world["nagasaki"].pk}/"'.encode() in response.content


def test_standing_of_each_authority(world):
    data = standings(country="JP", as_of=today())
    by_pk = {entry[1]: STANDING_ORDER[entry[0]] for entry in data["codes"].values()}
    assert by_pk == {
        world["nagasaki"].pk: Standing.LIVE,
        world["town"].pk: Standing.NAME_ONLY,
        world["village"].pk: Standing.NONE,
    }
    assert data["counts"] == {"none": 1, "name_only": 1, "live": 1}
    assert set(data["codes"]) == {m.lg_code[:5] for m in (world["nagasaki"], world["town"], world["village"])}


def test_standing_matches_coverage(world):
    """The map's colours and the coverage table read the same per-authority counts."""
    data = standings(country="JP", as_of=today())
    total = audits.coverage(country="JP", as_of=today())["total"]
    assert data["counts"]["live"] == total["live"]
    assert data["counts"]["none"] == total["without_relationship"] - 1  # the prefecture has no shape


def test_standing_map_json_costs_two_queries_then_one(client, world, django_assert_num_queries):
    MunicipalityFactory.create_batch(3)
    with django_assert_num_queries(2):  # data version (1), the authorities with their coverage counts (1)
        response = client.get("/en/map/standing.json")
    with django_assert_num_queries(1):  # data version: the figures come from the cache
        assert client.get("/en/map/standing.json").json() == response.json()
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["standings"] == ["none", "name_only", "live"]
    assert len(body["codes"]) == 6
    assert body["url"] == "/en/municipalities/0/"
    assert "max-age=300" in response.headers["Cache-Control"]


def test_home_shows_the_coverage_services_figures(client, world):
    response = client.get("/en/")
    coverage = response.context["coverage"]
    assert coverage == audits.coverage(country="JP", as_of=today())
    html = response.content.decode()
    for row in coverage["tiers"]:
        assert f'data-tier="{row["tier"]}"' in html
    assert 'data-country="US"' in html
    assert "United States of America" in html


def test_home_in_japanese_names_tiers_and_countries_in_japanese(client, world):
    html = client.get("/ja/").content.decode()
    assert "アメリカ合衆国" in html
    assert ">町<" in html


def test_home_costs_a_constant_number_of_queries(client, world, django_assert_num_queries):
    # data version (1), coverage (1), partner countries (1)
    with django_assert_num_queries(3):
        client.get("/en/")
    for _ in range(3):
        AgreementFactory(municipality_a=MunicipalityFactory(), municipality_b=ForeignCityFactory(country="CN"))
    with django_assert_num_queries(3):
        client.get("/en/")
    with django_assert_num_queries(1):  # the same data: the figures come from the cache
        client.get("/ja/")


def test_home_figures_follow_every_write(client, world):
    """Cached figures are keyed by the data version: a write through a service shows at once."""
    before = client.get("/en/").context["total"]["relationships"]
    AgreementFactory(municipality_a=world["village"], municipality_b=ForeignCityFactory(country="KR"))
    assert client.get("/en/").context["total"]["relationships"] == before + 1


def test_demo_notice_shows_where_a_figure_rests_on_demo_activity(client, world):
    ActivityFactory(agreement=world["live"], occurred_on=recent(), is_demo=True)  # live anyway: decides nothing
    assert b"demo-notice" not in client.get("/en/").content
    town_agreement = world["town"].agreements_as_a.get()
    ActivityFactory(agreement=town_agreement, occurred_on=recent(), is_demo=True)  # live only through demo rows
    html = client.get("/en/").content.decode()
    assert "demo-notice" in html
    assert "50.0 % of these figures would change without it." in html
    town_page = client.get(f"/en/municipalities/{world['town'].pk}/").content.decode()
    assert "demo-notice" in town_page and 'class="badge demo"' in town_page
    assert "demo-notice" not in client.get(f"/en/municipalities/{world['nagasaki'].pk}/").content.decode()


def test_municipality_page_lists_partners_with_vitality(client, world):
    response = client.get(f"/en/municipalities/{world['nagasaki'].pk}/")
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Saint Paul" in html
    assert "December 1955" not in html  # the signing date is known to the day
    assert "Dec. 7, 1955" in html
    assert 'class="badge active"' in html
    data = response.context["map_data"]
    assert data["centre"] == world["nagasaki"].longitude
    assert [(link["from"]["name"], link["to"]["name"], link["vitality"]) for link in data["links"]] == [
        ("Nagasaki", "Saint Paul", "active")
    ]


def test_municipality_page_in_japanese_writes_dates_as_a_japanese_reader(client, world):
    html = client.get(f"/ja/municipalities/{world['nagasaki'].pk}/").content.decode()
    assert "<h1>長崎市" in html
    assert "1955年12月7日" in html


def test_partial_signing_dates_stay_partial(client, nagasaki):
    AgreementFactory(municipality_a=nagasaki, signed_on="1986")
    AgreementFactory(municipality_a=nagasaki, signed_on="1990-04")
    en = client.get(f"/en/municipalities/{nagasaki.pk}/").content.decode()
    ja = client.get(f"/ja/municipalities/{nagasaki.pk}/").content.decode()
    assert ">1986<" in en and "April 1990" in en
    assert ">1986年<" in ja and "1990年4月" in ja


def test_municipality_page_costs_a_constant_number_of_queries(client, world, django_assert_num_queries):
    nagasaki = world["nagasaki"]
    # place (1), data version (1); the body: agreements with vitality (1), activities (1), memberships (1),
    # partners of partners (1), the city-diplomacy profile (4: relationships, activities by category,
    # memberships, peers' counts)
    with django_assert_num_queries(10):
        client.get(f"/en/municipalities/{nagasaki.pk}/")
    for _ in range(3):
        agreement = AgreementFactory(municipality_a=nagasaki)
        ActivityFactory(agreement=agreement, occurred_on=recent())
        AgreementFactory(municipality_a=agreement.municipality_b)  # a partner of a partner
    with django_assert_num_queries(10):  # written through the services: a new data version, the body rendered again
        response = client.get(f"/en/municipalities/{nagasaki.pk}/")
    assert len(response.context["partners"]) == 4
    assert len(response.context["partners_of_partners"]) == 3
    with django_assert_num_queries(1):  # unchanged data: the public's page from the cache
        cached = client.get(f"/en/municipalities/{nagasaki.pk}/")
    assert cached.content == response.content
    japanese = client.get(f"/ja/municipalities/{nagasaki.pk}/").content.decode()  # cached per language
    assert "長崎市" in japanese
    assert 'lang="ja"' in japanese


def test_partners_of_partners_name_the_partner_they_come_through(client, world, saint_paul):
    nagasaki = world["nagasaki"]
    lyon = ForeignCityFactory(name="Lyon", country="FR")
    AgreementFactory(municipality_a=saint_paul, municipality_b=lyon)
    rows = client.get(f"/en/municipalities/{nagasaki.pk}/").context["partners_of_partners"]
    assert [(row["partner"], row["via"]) for row in rows] == [(lyon, saint_paul)]


def test_japanese_authority_by_code_redirects_to_its_page(client, nagasaki):
    response = client.get("/en/jp/422011/")
    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert response.headers["Location"] == f"/en/municipalities/{nagasaki.pk}/"
    assert client.get("/en/jp/999999/").status_code == HTTPStatus.NOT_FOUND


def test_unknown_municipality_is_404(client):
    assert client.get("/en/municipalities/987654/").status_code == HTTPStatus.NOT_FOUND


def test_search_suggestions_answer_json_best_first(client, world):
    body = client.get("/en/search/suggest/", {"q": "Nagasaki"}).json()
    assert body["q"] == "Nagasaki"
    assert body["results"][0]["url"].startswith("/en/municipalities/")
    assert any(result["name"] == "Nagasaki" for result in body["results"])
    assert client.get("/en/search/suggest/", {"q": ""}).json() == {"q": "", "results": []}


@pytest.mark.parametrize("query", ["ながさき", "ナガサキ", "長崎市", "Nagasaki City"])
def test_search_suggests_nagasaki_city_first_however_it_is_written(client, world, query):
    results = client.get("/ja/search/suggest/", {"q": query}).json()["results"]
    assert results[0]["name"] == "長崎市"
    assert results[0]["url"] == f"/ja/municipalities/{world['nagasaki'].pk}/"
    assert (results[0]["country"], results[0]["country_name"]) == ("JP", "日本")  # the reader's words beside the code


def test_search_suggests_both_nagasakis_for_the_bare_name(client, world):
    # "nagasaki" is the prefecture's name as much as the city's: both come first, prefecture by tier.
    results = client.get("/ja/search/suggest/", {"q": "nagasaki"}).json()["results"]
    assert [result["name"] for result in results[:2]] == ["長崎県", "長崎市"]


def test_search_suggestions_cost_one_query(client, world, django_assert_num_queries):
    with django_assert_num_queries(2):  # the data version, the ranked search with the parents
        client.get("/en/search/suggest/", {"q": "saint"})
