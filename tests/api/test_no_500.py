"""Input that once answered 500 (issue 7, point 10) answers 400 naming the parameter or field."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest

from registry.models import ActivityLog, TwinningAgreement
from tests.factories import ActivityFactory, MembershipFactory

pytestmark = pytest.mark.django_db

REPORTS = [
    "/api/reports/coverage/",
    "/api/reports/in-name-only/",
    "/api/reports/gaps/",
    "/api/reports/gaps/?kind=foreign",
    "/api/reports/gaps/?kind=countries",
    "/api/reports/partner-countries/",
    "/api/reports/growth/",
]


@pytest.mark.parametrize("url", REPORTS)
@pytest.mark.parametrize("as_of", ["0001-01-01", "0100-06-30", "1799-12-31"])
def test_reports_refuse_an_as_of_before_the_earliest_date(api, own_agreement, url, as_of):
    response = api(None).get(url, {"as_of": as_of})

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert "1800-01-01" in response.json()["as_of"][0]


@pytest.mark.parametrize("url", REPORTS)
@pytest.mark.parametrize("as_of", ["1800-01-01", "9999-12-31"])
def test_reports_answer_for_the_earliest_and_the_last_dates(api, own_agreement, url, as_of):
    response = api(None).get(
        url, {"as_of": as_of, "years": 100, "grace_years": 100} if "name" in url else {"as_of": as_of}
    )

    assert response.status_code == HTTPStatus.OK, response.content


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture
def write_requests(own_agreement):
    """Every JSON write of the API: (method, url, If-Match). PUT is not offered (405)."""
    activity = ActivityFactory(agreement=own_agreement)
    membership = MembershipFactory(municipality=own_agreement.municipality_a)
    return [
        ("post", "/api/agreements/", None),
        ("patch", f"/api/agreements/{own_agreement.pk}/", '"1"'),
        ("post", f"/api/agreements/{own_agreement.pk}/change-status/", '"1"'),
        ("post", "/api/activities/", None),
        ("patch", f"/api/activities/{activity.pk}/", '"1"'),
        ("post", "/api/memberships/", None),
        ("patch", f"/api/memberships/{membership.pk}/", '"1"'),
        ("post", "/api/auth/token/", None),
    ]


@pytest.mark.parametrize("depth", [2_000, 100_000])
@pytest.mark.parametrize("where", ["body", "field"])
def test_deeply_nested_json_is_400_on_every_write(api, coordinator, write_requests, depth, where):
    nested = _nested(depth)
    body = nested if where == "body" else f'{{"public_notes": {nested}, "title": {nested}}}'
    client = api(coordinator)

    for method, url, if_match in write_requests:
        headers = {"HTTP_IF_MATCH": if_match} if if_match else {}
        response = client.generic(method.upper(), url, body, content_type="application/json", **headers)

        assert response.status_code == HTTPStatus.BAD_REQUEST, (method, url, response.content[:300])
        assert "nested" in json.dumps(response.json()), response.json()
    assert TwinningAgreement.objects.get().version == 1
    assert ActivityLog.objects.get().version == 1


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/agreements/", "prefecture"),
        ("/api/municipalities/", "prefecture"),
        ("/api/reports/gaps/", "prefecture"),
    ],
)
@pytest.mark.parametrize("value", ["99999999999999999999", "9223372036854775808", "0"])
def test_huge_ids_in_filters_are_400(api, own_agreement, url, param, value):
    response = api(None).get(url, {param: value})

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()[param]


@pytest.mark.parametrize("url", ["/api/agreements/", "/api/municipalities/", "/api/reports/gaps/"])
def test_largest_id_in_prefecture_filters_is_an_empty_answer(api, own_agreement, url):
    response = api(None).get(url, {"prefecture": str(2**63 - 1)})

    assert response.status_code == HTTPStatus.OK, response.content


@pytest.mark.parametrize("param", ["changed_after", "changed_before"])
@pytest.mark.parametrize("value", ["0001-01-01", "0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59-12:00"])
def test_history_dates_out_of_range_are_400(api, coordinator, own_agreement, param, value):
    response = api(coordinator).get("/api/history/", {param: value})

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()[param]


@pytest.mark.parametrize("param", ["changed_after", "changed_before"])
def test_history_dates_in_range_filter(api, coordinator, own_agreement, param):
    response = api(coordinator).get("/api/history/", {param: "1800-01-01T00:00:00+09:00"})

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["count"] == (1 if param == "changed_after" else 0)


@pytest.mark.parametrize(
    ("signed_on", "expires_on"), [("2000-04-01", "1999-12-31"), ("2000-04-01", "2000-04-01"), ("2000", "1999-06-30")]
)
def test_create_agreement_expiring_before_signing_is_400_naming_expires_on(
    api, coordinator, nagasaki, saint_paul, signed_on, expires_on
):
    body = {"municipality_a": nagasaki.pk, "municipality_b": saint_paul.pk, "signed_on": signed_on}

    response = api(coordinator).post("/api/agreements/", {**body, "expires_on": expires_on})

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()["expires_on"]
    assert not TwinningAgreement.objects.exists()


@pytest.mark.parametrize(
    "payload", [{"expires_on": "1955-11-30"}, {"signed_on": "1960", "expires_on": "1958-01-01"}, {"signed_on": "1970"}]
)
def test_update_agreement_expiring_before_signing_is_400_naming_expires_on(api, coordinator, own_agreement, payload):
    client = api(coordinator)
    url = f"/api/agreements/{own_agreement.pk}/"
    if "signed_on" in payload and "expires_on" not in payload:
        assert client.patch(url, {"expires_on": "1965-01-01"}, HTTP_IF_MATCH='"1"').status_code == HTTPStatus.OK

    version = TwinningAgreement.objects.get().version
    response = client.patch(url, payload, HTTP_IF_MATCH=f'"{version}"')

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()["expires_on"]
    assert TwinningAgreement.objects.get().version == version


def test_update_agreement_expiring_after_signing_is_accepted(api, coordinator, own_agreement):
    response = api(coordinator).patch(
        f"/api/agreements/{own_agreement.pk}/", {"expires_on": "1955-12-02"}, HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["expires_on"] == "1955-12-02"
