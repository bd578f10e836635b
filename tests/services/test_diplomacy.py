"""The city-diplomacy profile on a hand-computed example, its query count, multilateral coverage
in the service, the API (JSON and CSV) and the coverage page with the same numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from registry.services import diplomacy
from registry.services.dates import today
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    ForeignCityFactory,
    MembershipFactory,
    MunicipalityFactory,
    NetworkFactory,
)

pytestmark = pytest.mark.django_db


def recent(days: int = 30) -> dt.date:
    return today() - dt.timedelta(days=days)


@pytest.fixture
def towns():
    """Four towns. Memberships T 1, P1 2, P2 1, P3 0; knowledge-and-services activities T 1, P1 1;
    cultural activities T 1; T also an administrative one and one outside the 3-year window."""
    mfp = NetworkFactory(slug="mayors-for-peace", name="Mayors for Peace")
    ubc = NetworkFactory(slug="ubc", name="Union of the Baltic Cities", scale="regional")
    t, p1, p2, p3 = (MunicipalityFactory(tier="town") for _ in range(4))
    MembershipFactory(network=mfp, municipality=t, joined_on=dt.date(2008, 2, 1))
    MembershipFactory(network=mfp, municipality=p1)
    MembershipFactory(network=ubc, municipality=p1, role="associate")
    MembershipFactory(network=mfp, municipality=p2, is_derived=True)
    us = AgreementFactory(municipality_a=t, municipality_b=ForeignCityFactory(country="US"))
    fr = AgreementFactory(municipality_a=t, municipality_b=ForeignCityFactory(country="FR"))
    ActivityFactory(agreement=us, occurred_on=recent(), category="education")
    ActivityFactory(agreement=fr, occurred_on=recent(), category="culture")
    ActivityFactory(agreement=fr, occurred_on=recent(), category="administrative")
    ActivityFactory(agreement=us, occurred_on=today().replace(year=today().year - 4), category="education")
    ActivityFactory(agreement=AgreementFactory(municipality_a=p1), occurred_on=recent(), category="cooperation")
    return {"t": t, "p1": p1, "p2": p2, "p3": p3}


def test_profile_parts_on_a_hand_computed_example(towns):
    result = diplomacy.profile(municipality=towns["t"], as_of=today(), years=3)

    assert result["bilateral"] == {
        "relationships": 2,
        "live": 2,
        "in_name_only": 0,
        "partner_countries": [{"country": "FR", "relationships": 1}, {"country": "US", "relationships": 1}],
        "continents": [{"continent": "EU", "relationships": 1}, {"continent": "NA", "relationships": 1}],
        "activities": {
            "administrative": 1,
            "education": 1,  # the one of 4 years ago is outside the window
            "culture": 1,
            "sports": 0,
            "economy": 0,
            "tourism": 0,
            "cooperation": 0,
            "disaster_support": 0,
            "other": 0,
        },
        "activities_total": 3,
        "demo_activities": 0,
    }
    assert result["multilateral"]["by_scale"] == [
        {"scale": "global", "active": 1, "observer": 0, "associate": 0},
        {"scale": "regional", "active": 0, "observer": 0, "associate": 0},
    ]
    assert [m["joined_year"] for m in result["multilateral"]["memberships"]] == [2008]
    dimensions = {row["dimension"]: (row["activities"], row["memberships"]) for row in result["dimensions"]}
    assert dimensions == {
        "security": (0, 0),
        "economy": (0, 0),
        "culture": (1, 0),
        "network": (0, 1),
        "representation": (1, 0),
        "development": (0, 0),
        "research": (1, 0),
    }
    # Weights 4/7, 2/7, 1/7 (rank-sum points 4, 2, 1 of the measured ranks 1, 3, 4).
    # Memberships: T 1 > P3 0 only: 1 of 3 peers below = 33.3. Knowledge: T 1 > P2, P3: 66.7.
    # Culture: T 1 > all three: 100.0. Index 4/7·33.3 + 2/7·66.7 + 1/7·100 = 52.37… → 52.4.
    index = result["index"]
    parts = {part["indicator"]: part for part in index["parts"]}
    assert [(p["count"], p["value"], p["contribution"]) for p in parts.values() if p["measured"]] == [
        (1, 33.3, 19.0),
        (1, 66.7, 19.1),
        (1, 100.0, 14.3),
    ]
    assert parts["sustainable_development_memorandum"] == {
        "indicator": "sustainable_development_memorandum",
        "rank": 2,
        "measured": False,
        "counts": "not recorded by the registry",
        "categories": [],
        "count": None,
        "weight": 0.0,
        "value": None,
        "contribution": None,
    }
    assert index["value"] == 52.4
    # Peers' indexes: P1 4/7·100 + 2/7·66.7 = 76.2; P2 4/7·33.3 = 19.0; P3 0: two of three below T.
    assert (index["percentile"], index["peers"], index["tier"]) == (66.7, 4, "town")


def test_a_town_with_only_mayors_for_peace_is_at_the_bottom_of_its_tier(towns):
    index = diplomacy.profile(municipality=towns["p3"], as_of=today())["index"]

    assert (index["value"], index["percentile"]) == (0.0, 0.0)
    p2 = diplomacy.profile(municipality=towns["p2"], as_of=today())
    assert p2["multilateral"]["memberships"][0]["is_derived"] is True
    assert p2["index"]["value"] == 19.0 and p2["index"]["percentile"] == 33.3


def test_weights_follow_the_reviews_order():
    assert diplomacy.weights() == pytest.approx(
        {"membership": 4 / 7, "knowledge_and_services": 2 / 7, "cultural_exchange": 1 / 7}
    )
    # Every activity category is placed in the one table (or knowingly left out: other).
    assert set(diplomacy.CATEGORY_MAP) == {
        "administrative",
        "education",
        "culture",
        "sports",
        "economy",
        "tourism",
        "cooperation",
        "disaster_support",
        "other",
    }


def test_profile_costs_a_constant_number_of_queries(towns, django_assert_num_queries):
    t = towns["t"]
    # relationships with vitality (1), activities by category (1), memberships with networks (1),
    # peers with their counts (1)
    with django_assert_num_queries(4):
        diplomacy.profile(municipality=t, as_of=today())
    for _ in range(3):
        agreement = AgreementFactory(municipality_a=t)
        ActivityFactory(agreement=agreement, occurred_on=recent(), category="sports")
        MembershipFactory(municipality=t)
        MunicipalityFactory(tier="town")
    with django_assert_num_queries(4):
        result = diplomacy.profile(municipality=t, as_of=today())
    assert result["bilateral"]["relationships"] == 5 and result["index"]["peers"] == 7


def test_profile_api_answers_the_service_and_refuses_bad_input(towns):
    api = APIClient()
    t = towns["t"]

    response = api.get(f"/api/municipalities/{t.pk}/diplomacy/", {"years": 3})

    assert response.status_code == HTTPStatus.OK
    assert response.json() == diplomacy.profile(municipality=t, as_of=today(), years=3)
    bad = api.get(f"/api/municipalities/{t.pk}/diplomacy/", {"years": 0, "as_of": "soon"})
    assert bad.status_code == HTTPStatus.BAD_REQUEST and set(bad.json()) == {"years", "as_of"}
    assert api.get("/api/municipalities/999999/diplomacy/").status_code == HTTPStatus.NOT_FOUND


def test_profile_is_in_the_openapi_schema():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)

    operation = schema["paths"]["/api/municipalities/{id}/diplomacy/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"id", "as_of", "years"}
    assert "country" not in {p["name"] for p in operation["parameters"]}
    assert "index" in schema["components"]["schemas"]["DiplomacyProfile"]["properties"]
    assert "/api/reports/multilateral-coverage/" in schema["paths"]


def test_multilateral_coverage_counts_networks_beyond_mayors_for_peace(towns):
    result = diplomacy.multilateral_coverage(country="JP", as_of=today())

    town = next(row for row in result["tiers"] if row["tier"] == "town")
    assert town == {
        "tier": "town",
        "authorities": 4,
        "in_network": 3,
        "in_network_rate": 75.0,
        "beyond_mayors_for_peace": 1,
        "beyond_mayors_for_peace_rate": 25.0,
        "only_derived": 1,
    }
    assert result["total"]["authorities"] == 4  # the foreign partners are not counted


def test_multilateral_coverage_is_the_same_in_the_api_its_csv_and_the_page(client, towns):
    expected = diplomacy.multilateral_coverage(country="JP", as_of=today())
    api = APIClient()

    assert api.get("/api/reports/multilateral-coverage/").json() == expected
    response = api.get("/api/reports/multilateral-coverage/", {"format": "csv"})
    body = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["tier"] for row in rows] == [*(row["tier"] for row in expected["tiers"]), "total"]
    assert rows[-1]["in_network"] == str(expected["total"]["in_network"])
    page = client.get("/en/coverage/")
    assert page.context["multilateral"] == expected
    assert 'data-tier="town"><th scope="row">Town</th><td class="num">4</td><td class="num">3</td>' in (
        page.content.decode()
    )
