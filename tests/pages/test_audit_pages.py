"""Directory, search, relationship, country, coverage, gaps and network pages: the services' numbers,
bad parameters shown next to their field (never a 500), constant queries."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import pytest

from registry.services import audits
from registry.services.agreements import change_status
from registry.services.dates import today
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    ForeignCityFactory,
    MembershipFactory,
    MunicipalityFactory,
    NetworkFactory,
    PrefectureFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(nagasaki, saint_paul):
    live = AgreementFactory(municipality_a=nagasaki, municipality_b=saint_paul, signed_on=dt.date(1955, 12, 7))
    ActivityFactory(agreement=live, occurred_on=today() - dt.timedelta(days=10))
    silent = AgreementFactory(
        municipality_a=MunicipalityFactory(name="佐世保市", name_en="Sasebo", parent=nagasaki.parent),
        municipality_b=ForeignCityFactory(name="Albuquerque", latitude=35.08, longitude=-106.65),
        signed_on="1966",
    )
    ActivityFactory(agreement=silent, occurred_on=dt.date(2019, 4, 20))
    MunicipalityFactory(name="小値賀町", name_en="Ojika", tier="town", parent=nagasaki.parent)
    ForeignCityFactory(name="Glasgow", country="GB", population=635_000)
    ForeignCityFactory(name="Edinburgh", country="GB", population=530_000)
    return {"live": live, "silent": silent}


def test_directory_filters_and_sorts(client, world, nagasaki):
    response = client.get("/en/municipalities/", {"country": "JP", "tier": "city", "sort": "-partners"})
    assert response.status_code == HTTPStatus.OK
    names = [place.name for place in response.context["page"].object_list]
    assert names[:2] == ["長崎市", "佐世保市"] or names[:2] == ["佐世保市", "長崎市"]
    assert "小値賀町" not in names
    without = client.get("/en/municipalities/", {"country": "JP", "has_partners": "no"}).context["page"]
    assert {place.name for place in without.object_list} == {"小値賀町", "長崎県"}
    assert (
        client.get("/en/municipalities/", {"country": "gb", "sort": "-population"}).context["page"].object_list[0].name
        == "Glasgow"
    )


def test_directory_costs_a_constant_number_of_queries(client, world, django_assert_num_queries):
    # data version (1), count (1), page (1), prefecture choices of the filter form (1)
    with django_assert_num_queries(4):
        client.get("/en/municipalities/", {"country": "JP"})
    AgreementFactory.create_batch(4)  # through the service (new authorities on both sides): a new data version
    with django_assert_num_queries(4):
        client.get("/en/municipalities/", {"country": "JP"})
    with django_assert_num_queries(1):  # unchanged data: the public's page from the cache
        client.get("/en/municipalities/", {"country": "JP"})


@pytest.mark.parametrize(
    "params",
    [
        {"country": "Japan"},
        {"tier": "castle"},
        {"prefecture": "abc"},
        {"prefecture": "99999999999999999999"},
        {"sort": "drop table"},
        {"page": "x"},
        {"has_partners": "\x00"},
    ],
)
def test_directory_bad_parameters_are_shown_not_500(client, world, params):
    response = client.get("/en/municipalities/", params)
    assert response.status_code == HTTPStatus.OK
    form = response.context["form"]
    if set(params) - {"page"}:
        assert not form.is_valid()
        assert set(form.errors) == set(params)


def test_search_page_lists_matches(client, world):
    response = client.get("/en/search/", {"q": "Sasebo"})
    assert [place.name for place in response.context["page"].object_list] == ["佐世保市"]
    assert client.get("/en/search/").context["page"] is None


def test_agreement_page_explains_vitality_and_hides_internal_notes(client, world):
    silent = world["silent"]
    silent.internal_notes = "Mayor's private phone 090-0000"
    silent.save(update_fields=["internal_notes"])
    response = client.get(f"/en/agreements/{silent.pk}/")
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "No activity recorded since April 2019: in name only." in html
    assert "090-0000" not in html
    assert ">1966<" in html
    ja = client.get(f"/ja/agreements/{silent.pk}/").content.decode()
    assert "2019年4月" in ja


def test_agreement_page_shows_status_history_with_reasons(client, world):
    change_status(agreement=world["silent"], status="suspended", on=dt.date(2020, 5, 1), reason="Dispute over the port")
    html = client.get(f"/en/agreements/{world['silent'].pk}/").content.decode()
    assert "Dispute over the port" in html
    assert "not audited for vitality" in html


def test_agreement_page_costs_a_constant_number_of_queries(client, world, django_assert_num_queries):
    # data version (1), agreement with sides and vitality (1), status history (1), activities (1)
    with django_assert_num_queries(4):
        client.get(f"/en/agreements/{world['live'].pk}/")
    ActivityFactory.create_batch(3, agreement=world["live"], occurred_on=dt.date(2024, 1, 1))
    with django_assert_num_queries(4):
        client.get(f"/en/agreements/{world['live'].pk}/")


def test_country_page_lists_links_grouped_by_prefecture(client, world, nagasaki):
    other_prefecture = PrefectureFactory(name="北海道", name_en="Hokkaido", lg_code="010006")
    AgreementFactory(
        municipality_a=MunicipalityFactory(name="札幌市", parent=other_prefecture),
        municipality_b=ForeignCityFactory(name="Portland"),
    )
    response = client.get("/en/countries/us/")
    assert response.status_code == HTTPStatus.OK
    rows = response.context["rows"]
    assert [row["prefecture"].name for row in rows] == ["北海道", "長崎県", "長崎県"]
    assert [row["home"].name for row in rows] == ["札幌市", "長崎市", "佐世保市"]
    assert response.context["counts"]["links"] == 3
    # Nagasaki, Sasebo, Sapporo; Saint Paul, Albuquerque, Portland — a side counted once whichever it is.
    AgreementFactory(municipality_a=ForeignCityFactory(name="Honolulu"), municipality_b=nagasaki)
    response = client.get("/en/countries/us/")
    assert (response.context["counts"]["home_authorities"], response.context["counts"]["partner_authorities"]) == (3, 4)
    assert response.context["counts"]["links"] == 4
    assert response.context["counts"]["in_name_only"] == 3  # Sasebo (dormant), Sapporo, Honolulu (never)
    assert len(response.context["map_data"]["links"]) == 4
    assert client.get("/en/countries/ZZ/").status_code == HTTPStatus.NOT_FOUND
    assert client.get("/en/countries/JP/").status_code == HTTPStatus.NOT_FOUND


def test_country_page_costs_a_constant_number_of_queries(client, world, django_assert_num_queries):
    # data version (1), counts (1), the links' order (1), the page's links with sides and vitality (1)
    with django_assert_num_queries(4):
        before = client.get("/en/countries/US/").context["counts"]["links"]
    AgreementFactory.create_batch(3)  # through the service: a new data version, the cached figures recomputed
    with django_assert_num_queries(4):
        response = client.get("/en/countries/US/")
    assert response.context["counts"]["links"] == before + 3
    assert len(response.context["rows"]) == before + 3
    with django_assert_num_queries(1):  # unchanged data: counts, order and the page's body from the cache
        assert client.get("/en/countries/US/").content == response.content


def test_coverage_page_shows_the_services_figures_for_as_of_and_basis(client, world):
    response = client.get("/en/coverage/", {"as_of": "2020-01-01", "basis": "clair"})
    assert response.context["coverage"] == audits.coverage(country="JP", as_of=dt.date(2020, 1, 1), basis="clair")
    response = client.get("/en/coverage/")
    assert response.context["coverage"] == audits.coverage(country="JP", as_of=today())
    html = response.content.decode()
    for tier in ("prefecture", "city", "special_ward", "town", "village"):
        assert f'data-tier="{tier}"' in html
    assert "/api/reports/coverage/?country=JP&amp;as_of=" in html


def test_coverage_by_prefecture_adds_up_to_the_tiers_below_prefecture(client, world, nagasaki):
    rows = audits.coverage_by_prefecture(country="JP", as_of=today())
    tiers = {row["tier"]: row for row in audits.coverage(country="JP", as_of=today())["tiers"]}
    below = [tiers[tier] for tier in ("city", "special_ward", "town", "village")]
    assert sum(row["authorities"] for row in rows) == sum(row["authorities"] for row in below)
    assert sum(row["with_relationship"] for row in rows) == sum(row["with_relationship"] for row in below)
    assert sum(row["live"] for row in rows) == sum(row["live"] for row in below)
    (nagasaki_row,) = [row for row in rows if row["prefecture"] == nagasaki.parent_id]
    assert (nagasaki_row["authorities"], nagasaki_row["with_relationship"], nagasaki_row["live"]) == (3, 2, 1)
    assert nagasaki_row["rate"] == 66.7


@pytest.mark.parametrize(
    "params", [{"as_of": "junk"}, {"as_of": "0001-01-01"}, {"as_of": "2999-01-01"}, {"basis": "x"}]
)
def test_coverage_page_bad_parameters_are_shown_not_500(client, world, params):
    response = client.get("/en/coverage/", params)
    assert response.status_code == HTTPStatus.OK
    assert set(response.context["form"].errors) == set(params)
    assert response.context["as_of"] == today()


def test_coverage_page_costs_a_constant_number_of_queries(client, world, django_assert_num_queries):
    # data version (1), coverage (1), prefectures (1), counts by prefecture (1), multilateral coverage (1)
    with django_assert_num_queries(5):
        client.get("/en/coverage/")
    AgreementFactory.create_batch(3)  # through the service: a new data version
    with django_assert_num_queries(5):
        client.get("/en/coverage/")
    # Unchanged data: the figures come from the cache (memberships are written through their service,
    # with a change record: a new data version, like agreements).
    with django_assert_num_queries(1):
        client.get("/ja/coverage/")


def test_gaps_page_lists_the_same_foreign_cities_in_the_same_order_as_the_api(client, world):
    for population in (10_000, 90_000, 50_000):
        ForeignCityFactory(country="GB", population=population)
    page = client.get("/en/gaps/", {"partner_country": "gb"}).context["foreign"]
    api = client.get("/api/reports/gaps/", {"kind": "foreign", "partner_country": "GB"}).json()
    assert [place.pk for place in page.object_list] == [row["id"] for row in api["results"]]
    assert [place.name for place in page.object_list][:2] == ["Glasgow", "Edinburgh"]


def test_gaps_page_lists_authorities_without_a_partner(client, world, nagasaki):
    response = client.get("/en/gaps/", {"tier": "town", "prefecture": nagasaki.parent_id})
    assert [place.name for place in response.context["authorities"].object_list] == ["小値賀町"]
    response = client.get("/en/gaps/", {"tier": "castle", "partner_country": "???"})
    assert response.status_code == HTTPStatus.OK
    assert set(response.context["form"].errors) == {"tier", "partner_country"}


def test_gaps_page_costs_a_constant_number_of_queries(client, world, django_assert_num_queries):
    # data version (1), partner countries (1), the two lists' counts (2), their pages (2), prefecture choices (1)
    with django_assert_num_queries(7):
        before = client.get("/en/gaps/").context["foreign"].paginator.count
    MunicipalityFactory.create_batch(3)
    AgreementFactory.create_batch(3)  # through the service: a new data version
    with django_assert_num_queries(7):
        response = client.get("/en/gaps/")
    assert response.context["foreign"].paginator.count == before  # three foreign cities, each with a partner
    with django_assert_num_queries(1):  # unchanged data: partner countries, counts and the body from the cache
        client.get("/en/gaps/")


def test_networks_pages_list_networks_and_their_members(client, nagasaki, django_assert_num_queries):
    network = NetworkFactory(name="Mayors for Peace", name_ja="平和首長会議")
    MembershipFactory(network=network, municipality=nagasaki, joined_on=dt.date(1982, 6, 24))
    assert "平和首長会議" in client.get("/ja/networks/").content.decode()
    # data version (1), network (1), members with their authorities (1), published counts (1)
    with django_assert_num_queries(4):
        response = client.get(f"/en/networks/{network.pk}/")
    html = response.content.decode()
    assert "Nagasaki" in html and "since 1982" in html
    assert client.get("/en/networks/999/").status_code == HTTPStatus.NOT_FOUND


def test_coverage_page_without_demo_activity(client, world):
    ActivityFactory(agreement=world["silent"], occurred_on=today() - dt.timedelta(days=3), is_demo=True)
    with_demo = client.get("/en/coverage/").context["coverage"]
    without = client.get("/en/coverage/", {"exclude_demo": "on"}).context
    assert without["coverage"] == audits.coverage(country="JP", as_of=today(), exclude_demo=True)
    assert with_demo["total"]["live"] == without["coverage"]["total"]["live"] + 1
    assert "exclude_demo=true" in without["download"]


def test_coverage_page_shows_the_same_numbers_as_the_api(client, world):
    page = client.get("/en/coverage/").context["coverage"]
    api = client.get("/api/reports/coverage/").json()
    assert [row["tier"] for row in page["tiers"]] == ["prefecture", "city", "special_ward", "town", "village"]
    assert page["tiers"] == api["tiers"]
    assert page["total"] == api["total"]


def test_cached_gaps_bodies_are_kept_apart_by_filter_page_and_language(client, world):
    everything = client.get("/en/gaps/").content.decode()
    british = client.get("/en/gaps/", {"partner_country": "GB"}).content.decode()
    assert british != everything
    assert "Glasgow" in british
    assert client.get("/en/gaps/").content.decode() == everything  # from the cache, unchanged
    assert client.get("/en/gaps/", {"partner_country": "GB"}).content.decode() == british
    japanese = client.get("/ja/gaps/", {"partner_country": "GB"}).content.decode()
    assert japanese != british
    assert "グラスゴー" in japanese or "Glasgow" in japanese
    wrong = client.get("/en/gaps/", {"partner_country": "XX1"})
    assert "partner_country" in wrong.context["form"].errors  # a form with errors is rendered, never cached
    assert client.get("/en/gaps/", {"partner_country": "GB"}).content.decode() == british
