"""/api/reports/: parameters, whole bodies, CSV, errors and query counts (world: tests/services/test_audits.py)."""

from __future__ import annotations

import csv
import io
from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from registry.services.dates import today
from tests.services.test_audits import EXPECTED_COVERAGE, build_world

pytestmark = pytest.mark.django_db

AS_OF = "2024-06-15"


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


def csv_rows(response) -> list[dict[str, str]]:
    text = response.getvalue().decode("utf-8")  # a list's CSV is streamed
    assert text.startswith("\ufeff")  # a Japanese-locale spreadsheet reads it as UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_coverage_whole_body(world, anonymous, django_assert_num_queries):
    # 2 queries: the data version (the figures' cache key), the tiers and the total aggregated over the
    # authorities' counted relationships.
    with django_assert_num_queries(2):
        response = anonymous.get("/api/reports/coverage/", {"as_of": AS_OF})
    with django_assert_num_queries(1):  # unchanged data: the figures from the cache
        assert anonymous.get("/api/reports/coverage/", {"as_of": AS_OF}).json() == response.json()

    assert response.status_code == HTTPStatus.OK
    assert response.json() == EXPECTED_COVERAGE


def test_coverage_defaults_to_japan_today(world, anonymous):
    body = anonymous.get("/api/reports/coverage/").json()

    assert (body["country"], body["as_of"], body["basis"], body["years"]) == ("JP", today().isoformat(), "all", 3)


def test_coverage_parameters_reach_the_service(world, anonymous):
    body = anonymous.get(
        "/api/reports/coverage/", {"as_of": AS_OF, "basis": "clair", "include_domestic": "true", "country": "jp"}
    ).json()

    assert body["basis"] == "clair"
    assert body["total"]["with_relationship"] == 2


def test_coverage_csv_has_the_json_numbers(world, anonymous):
    response = anonymous.get("/api/reports/coverage/", {"as_of": AS_OF, "format": "csv"})

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="coverage-JP-2024-06-15.csv"' in response["Content-Disposition"]
    expected = [*EXPECTED_COVERAGE["tiers"], EXPECTED_COVERAGE["total"]]
    assert csv_rows(response) == [
        {key: "" if value is None else str(value) for key, value in row.items()} for row in expected
    ]


@pytest.mark.parametrize(
    ("url", "params", "field", "words"),
    [
        ("/api/reports/coverage/", {"as_of": "2024-13-01"}, "as_of", "YYYY-MM-DD"),
        ("/api/reports/coverage/", {"as_of": "yesterday"}, "as_of", "YYYY-MM-DD"),
        ("/api/reports/coverage/", {"country": "JPN"}, "country", "two-letter"),
        ("/api/reports/coverage/", {"basis": "some"}, "basis", "valid choice"),
        ("/api/reports/coverage/", {"years": "0"}, "years", "greater than or equal"),
        ("/api/reports/coverage/", {"include_domestic": "maybe"}, "include_domestic", "boolean"),
        ("/api/reports/in-name-only/", {"tier": "locality"}, "tier", "not a tier of JP"),
        ("/api/reports/in-name-only/", {"tier": "hamlet"}, "tier", "valid choice"),
        ("/api/reports/gaps/", {"kind": "holes"}, "kind", "valid choice"),
        ("/api/reports/gaps/", {"kind": "foreign", "tier": "city"}, "tier", "kind=authorities"),
        ("/api/reports/gaps/", {"partner_country": "GB"}, "partner_country", "kind=foreign"),
        ("/api/reports/gaps/", {"prefecture": "x"}, "prefecture", "valid integer"),
        ("/api/reports/partner-countries/", {"as_of": "2024-02-30"}, "as_of", "YYYY-MM-DD"),
        ("/api/reports/growth/", {"basis": "CLAIR"}, "basis", "valid choice"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(anonymous, url, params, field, words):
    response = anonymous.get(url, params, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert list(body) == [field]
    assert words in body[field][0]


def test_bad_parameter_in_csv_is_still_400(anonymous):
    response = anonymous.get("/api/reports/coverage/", {"as_of": "nope", "format": "csv"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "as_of" in response.content.decode("utf-8")


def test_in_name_only_page(world, anonymous, django_assert_num_queries):
    # 4 queries: the data version, the count and the demo figures (audits.in_name_only_summary, a cached
    # figure the paginator takes its count from), the page's keys in the report's order (a cached
    # figure too), the page's rows with both sides joined.
    with django_assert_num_queries(4):
        response = anonymous.get("/api/reports/in-name-only/", {"as_of": AS_OF})
    with django_assert_num_queries(1):  # unchanged data: the public's answer from the cache (api.caching)
        assert anonymous.get("/api/reports/in-name-only/", {"as_of": AS_OF}).json() == response.json()

    body = response.json()
    assert {key: value for key, value in body.items() if key != "results"} == {
        "count": 8,
        "count_without_demo": 8,
        "on_demo": 0,
        "exclude_demo": False,
        "rests_on_demo_activity": False,
        "demo_share": 0.0,
        "next": None,
        "previous": None,
    }
    assert body["results"][0] == {
        "id": world.t1_f8.pk,
        "kind": "sister",
        "municipality_a": {"id": world.T1.pk, "name": "T1", "name_en": "T1", "country": "JP", "tier": "town"},
        "municipality_b": {"id": world.F8.pk, "name": "F8", "name_en": "F8", "country": "US", "tier": "locality"},
        "signed_on": None,
        "last_activity_on": None,
        "vitality": "never",
        "vitality_rests_on_demo": False,
    }
    assert body["results"][-1] == {
        "id": world.c7_f7.pk,
        "kind": "sister",
        "municipality_a": {"id": world.C7.pk, "name": "C7", "name_en": "C7", "country": "JP", "tier": "city"},
        "municipality_b": {"id": world.F7.pk, "name": "F7", "name_en": "F7", "country": "US", "tier": "locality"},
        "signed_on": "2010-04-01",
        "last_activity_on": "2021-06-14",
        "vitality": "dormant",
        "vitality_rests_on_demo": False,
    }


def test_in_name_only_csv_lists_its_rows(world, anonymous):
    rows = csv_rows(anonymous.get("/api/reports/in-name-only/", {"as_of": AS_OF, "format": "csv", "tier": "town"}))

    assert [(row["municipality_a.name"], row["vitality"]) for row in rows] == [("T1", "never"), ("T3", "never")]


def test_gaps_authorities_page(world, anonymous, django_assert_num_queries):
    # 4 queries: the data version, the count and the page's keys (cached figures), the rows (with the
    # prefecture joined).
    with django_assert_num_queries(4):
        body = anonymous.get("/api/reports/gaps/", {"as_of": AS_OF, "tier": "city"}).json()

    assert body["count"] == 4
    assert [row["name"] for row in body["results"]] == sorted(row["name"] for row in body["results"])
    assert body["results"][0] == {
        "id": world.C2.pk,
        "name": "C2",
        "name_en": "C2",
        "tier": "city",
        "lg_code": world.C2.lg_code,
        "prefecture_id": world.PA.pk,
        "prefecture": "甲県",
        "population": None,
    }


def test_gaps_foreign_page(world, anonymous, django_assert_num_queries):
    # 3 queries: the data version, the count (a cached figure), the page.
    with django_assert_num_queries(3):
        body = anonymous.get("/api/reports/gaps/", {"as_of": AS_OF, "kind": "foreign"}).json()

    assert [(row["name"], row["population"]) for row in body["results"]] == [
        ("F12", 2_000_000),
        ("F5", 500_000),
        ("F6", 300_000),
        ("F10", None),
    ]


def test_gaps_countries_is_the_partner_countries_report(world, anonymous, django_assert_num_queries):
    # 2 queries: the data version, relationships grouped by partner country.
    with django_assert_num_queries(2):
        gaps = anonymous.get("/api/reports/gaps/", {"as_of": AS_OF, "kind": "countries"}).json()

    assert gaps == anonymous.get("/api/reports/partner-countries/", {"as_of": AS_OF}).json()
    assert gaps["rows"][0] == {"partner_country": "US", "relationships": 9, "authorities": 8, "partner_authorities": 9}


def test_partner_countries_csv(world, anonymous, django_assert_num_queries):
    # 2 queries: the data version, relationships grouped by partner country.
    with django_assert_num_queries(2):
        response = anonymous.get("/api/reports/partner-countries/", {"as_of": AS_OF, "format": "csv"})

    assert csv_rows(response) == [
        {"partner_country": "US", "relationships": "9", "authorities": "8", "partner_authorities": "9"},
        {"partner_country": "KR", "relationships": "2", "authorities": "1", "partner_authorities": "2"},
    ]


def test_growth(world, anonymous, django_assert_num_queries):
    # 2 queries: the data version, signings counted per year.
    with django_assert_num_queries(2):
        body = anonymous.get("/api/reports/growth/", {"as_of": AS_OF}).json()

    assert (body["unknown_year"], body["total"], len(body["rows"])) == (1, 13, 35)
    assert body["rows"][10] == {"year": 2000, "signed": 8, "cumulative": 9, "change": 8}
    rows = csv_rows(anonymous.get("/api/reports/growth/", {"as_of": AS_OF, "format": "csv"}))
    assert rows[10] == {"year": "2000", "signed": "8", "cumulative": "9", "change": "8"}


def test_in_name_only_later_pages_keep_the_order(world, anonymous, django_assert_num_queries):
    # The data version, the summary (a cached figure); the report's paginator picks the page's keys first
    # (in the report's order, a cached figure), then the rows.
    with django_assert_num_queries(4):
        second = anonymous.get("/api/reports/in-name-only/", {"as_of": AS_OF, "page_size": 3, "page": 2}).json()
    last = anonymous.get("/api/reports/in-name-only/", {"as_of": AS_OF, "page_size": 3, "page": 3}).json()

    assert second["count"] == 8
    assert [row["id"] for row in second["results"]] == [world.c1_f4.pk, world.c4_f14.pk, world.t3_f13.pk]
    assert [row["id"] for row in last["results"]] == [world.v2_f11.pk, world.c7_f7.pk]
    assert [row["vitality"] for row in last["results"]] == ["dormant", "dormant"]


def test_api_admin_and_csv_give_the_same_coverage(world, anonymous, admin_user_persona, client):
    api = anonymous.get("/api/reports/coverage/", {"as_of": AS_OF}).json()
    csv_by_tier = {
        row["tier"]: row for row in csv_rows(anonymous.get("/api/reports/coverage/", {"as_of": AS_OF, "format": "csv"}))
    }
    client.force_login(admin_user_persona)
    admin_report = client.get("/admin/audits/coverage/", {"as_of": AS_OF, "country": "JP"}).context["report"]

    for api_row, admin_row in zip(
        [*api["tiers"], api["total"]], [*admin_report["tiers"], admin_report["total"]], strict=True
    ):
        tier = api_row.get("tier", "total")
        assert {key: admin_row[key] for key in api_row if key != "tier"} == {
            key: value for key, value in api_row.items() if key != "tier"
        }, tier
        # A rate of a tier without authorities is null in JSON, an empty cell in CSV.
        assert {key: "" if value is None else str(value) for key, value in api_row.items() if key != "tier"} == {
            key: value for key, value in csv_by_tier[tier].items() if key != "tier"
        }, tier


def test_a_write_through_the_services_shows_at_once_in_the_cached_reports(world, anonymous):
    from tests.factories import AgreementFactory, ForeignCityFactory, MunicipalityFactory

    before = anonymous.get("/api/reports/coverage/").json()["total"]
    town = MunicipalityFactory(name="小値賀町", tier="town")
    AgreementFactory(municipality_a=town, municipality_b=ForeignCityFactory(), signed_on="2020-01-01")
    after = anonymous.get("/api/reports/coverage/").json()["total"]
    assert (after["authorities"], after["with_relationship"]) == (
        before["authorities"] + 1,
        before["with_relationship"] + 1,
    )
