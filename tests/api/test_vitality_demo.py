"""Issue 7, points 5 and 6 through the API: the agreements filter and the in-name-only report are
one rule and one number; vitality resting on demo activity says so; `exclude_demo` recomputes
without it. The world: tests/services/test_vitality_demo.py (hand-computed there)."""

from __future__ import annotations

import csv
import io
from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from tests.services.test_vitality_demo import WITH_DEMO, WITHOUT_DEMO, build_demo_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_demo_world()


def _names(world, ids) -> set[str]:
    by_pk = {getattr(world, name).pk: name for name in WITH_DEMO}
    return {by_pk[pk] for pk in ids}


def _list(client, params) -> list[dict]:
    response = client.get("/api/agreements/", {**params, "page_size": 500})
    assert response.status_code == HTTPStatus.OK, response.json()
    return response.json()["results"]


def _report(client, params) -> dict:
    response = client.get("/api/reports/in-name-only/", {**params, "page_size": 500})
    assert response.status_code == HTTPStatus.OK, response.json()
    return response.json()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"sasebo_lyon", "kobe_bremen"}),
        ({"country": "JP"}, {"sasebo_lyon", "kobe_bremen"}),
        ({"country": "jp", "exclude_demo": "true"}, {"sasebo_lyon", "kobe_bremen", "nagasaki_santos", "sasebo_busan"}),
        ({"include_domestic": "true"}, {"sasebo_lyon", "kobe_bremen", "nagasaki_sasebo"}),
        ({"country": "FR"}, {"sasebo_lyon", "lyon_bremen"}),
        ({"country": "FR", "exclude_demo": "true"}, {"sasebo_lyon", "lyon_bremen"}),
    ],
)
@pytest.mark.parametrize("persona", ["anonymous", "coordinator"])
def test_agreements_filter_and_report_are_one_rule_and_one_number(world, params, expected, persona, request):
    client = APIClient()
    if persona == "coordinator":
        client.force_authenticate(request.getfixturevalue("coordinator"))

    listed = _list(client, {**params, "in_name_only": "true"})
    report = _report(client, params)

    assert _names(world, [row["id"] for row in listed]) == expected
    assert _names(world, [row["id"] for row in report["results"]]) == expected
    assert report["count"] == len(expected)
    # The column says the same as the filter, row by row.
    assert all(row["in_name_only"] is True for row in listed)


def test_in_name_only_false_is_the_rest_of_the_audit(world):
    client = APIClient()

    not_flagged = _names(world, [row["id"] for row in _list(client, {"in_name_only": "false"})])

    assert not_flagged == {"nagasaki_santos", "nagasaki_porto", "sasebo_busan", "osaka_seattle", "kobe_tacoma"}


def test_list_columns_follow_the_audit_parameters(world):
    client = APIClient()

    def columns(params) -> dict[str, tuple]:
        return {
            name: (row["vitality"], row["in_name_only"], row["vitality_rests_on_demo"])
            for row in _list(client, params)
            for name in _names(world, [row["id"]])
        }

    assert columns({}) == WITH_DEMO
    assert columns({"exclude_demo": "true"}) == WITHOUT_DEMO
    assert columns({"country": "FR"})["lyon_bremen"] == ("never", True, False)
    assert columns({"include_domestic": "yes"})["nagasaki_sasebo"] == ("never", True, False)
    # vitality filters answer for the same home country.
    assert _names(world, [row["id"] for row in _list(client, {"vitality": "never"})]) == {
        "sasebo_lyon",
        "osaka_seattle",
        "nagasaki_sasebo",
    }
    assert _names(world, [row["id"] for row in _list(client, {"vitality": "never", "exclude_demo": "1"})]) == {
        "nagasaki_santos",
        "sasebo_lyon",
        "kobe_bremen",
        "osaka_seattle",
        "nagasaki_sasebo",
    }


def test_detail_says_vitality_rests_on_demo_and_recomputes_without_it(world):
    client = APIClient()
    url = f"/api/agreements/{world.nagasaki_santos.pk}/"

    body = client.get(url).json()
    assert (body["vitality"], body["in_name_only"], body["vitality_rests_on_demo"]) == ("active", False, True)

    body = client.get(url, {"exclude_demo": "true"}).json()
    assert (body["vitality"], body["in_name_only"], body["vitality_rests_on_demo"]) == ("never", True, False)
    assert body["last_activity_on"] is not None  # the stored column, demo rows included, as before


def test_list_with_audit_parameters_costs_two_queries(world, django_assert_num_queries):
    client = APIClient()
    # 1. the data version; 2. COUNT(*) (for the public a cached figure, kept apart per parameters);
    # 3. the page with both sides and vitality (annotated for the parameters asked).
    for params in ({"exclude_demo": "true"}, {"in_name_only": "true", "country": "FR", "include_domestic": "true"}):
        with django_assert_num_queries(3):
            assert client.get("/api/agreements/", params).status_code == HTTPStatus.OK


def test_in_name_only_report_body_says_how_much_rests_on_demo(world):
    client = APIClient()

    body = _report(client, {})
    assert {key: body[key] for key in body if key != "results"} == {
        "count": 2,
        "count_without_demo": 4,
        "on_demo": 2,
        "exclude_demo": False,
        "rests_on_demo_activity": True,
        "demo_share": 50.0,
        "next": None,
        "previous": None,
    }
    flags = {name: row["vitality_rests_on_demo"] for row in body["results"] for name in _names(world, [row["id"]])}
    assert flags == {"sasebo_lyon": False, "kobe_bremen": True}  # dormant only from a demo row

    without = _report(client, {"exclude_demo": "true"})
    assert (without["count"], without["rests_on_demo_activity"], without["demo_share"]) == (4, False, 0.0)
    assert all(row["vitality_rests_on_demo"] is False for row in without["results"])


def test_in_name_only_csv_carries_the_demo_column(world):
    response = APIClient().get("/api/reports/in-name-only/", {"format": "csv"})

    body = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(body[1:])))
    assert {row["vitality"]: row["vitality_rests_on_demo"] for row in rows} == {"never": "false", "dormant": "true"}


def test_coverage_report_and_csv_say_live_rests_on_demo(world):
    client = APIClient()

    body = client.get("/api/reports/coverage/").json()
    assert (body["exclude_demo"], body["rests_on_demo_activity"], body["demo_share"]) == (False, True, 33.3)
    assert (body["total"]["live"], body["total"]["live_on_demo"]) == (3, 1)

    body = client.get("/api/reports/coverage/", {"exclude_demo": "true"}).json()
    assert (body["total"]["live"], body["total"]["live_on_demo"], body["rests_on_demo_activity"]) == (2, 0, False)

    response = client.get("/api/reports/coverage/", {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8")[1:])))
    assert {row["tier"]: row["live_on_demo"] for row in rows}["total"] == "1"


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/agreements/", {"exclude_demo": "perhaps"}, "exclude_demo"),
        ("/api/agreements/", {"include_domestic": "2"}, "include_domestic"),
        ("/api/agreements/", {"in_name_only": "true", "country": "JPN"}, "country"),
        ("/api/reports/in-name-only/", {"exclude_demo": "perhaps"}, "exclude_demo"),
        ("/api/reports/coverage/", {"exclude_demo": "sometimes"}, "exclude_demo"),
    ],
)
def test_bad_audit_parameters_are_400_naming_them(url, params, field):
    response = APIClient().get(url, params)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()


@pytest.mark.django_db
def test_schema_documents_the_audit_parameters_and_demo_fields(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    def parameters(path: str) -> dict[str, str]:
        return {p["name"]: p.get("description", "") for p in schema["paths"][path]["get"]["parameters"]}

    assert "demo" in parameters("/api/agreements/")["exclude_demo"]
    assert "home country" in parameters("/api/agreements/")["country"]
    assert "exclude_demo" in parameters("/api/reports/in-name-only/")
    assert "exclude_demo" in parameters("/api/reports/coverage/")
    components = schema["components"]["schemas"]
    assert "vitality_rests_on_demo" in components["AgreementDetail"]["properties"]
    assert {"rests_on_demo_activity", "demo_share", "on_demo"} <= set(
        components["PaginatedInNameOnlyList"]["properties"]
    )
    assert "live_on_demo" in components["CoverageRow"]["properties"]
