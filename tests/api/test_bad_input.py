"""Bad input of every kind the API accepts gets a 4xx with a message, never a 500."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from registry.models import ActivityLog, TwinningAgreement

pytestmark = pytest.mark.django_db

HUGE = 10**30


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"municipality_a": "abc", "municipality_b": 1}, "municipality_a"),
        ({"municipality_a": HUGE, "municipality_b": 1}, "municipality_a"),
        ({"municipality_a": 999999, "municipality_b": 1}, "municipality_a"),
        ({"municipality_a": None}, "municipality_a"),
        ({"kind": "marriage"}, "kind"),
        ({"status": "dormant"}, "status"),
        ({"signed_on": "1986-13-01"}, "signed_on"),
        ({"signed_on": "next year"}, "signed_on"),
        ({"signed_on": "2999"}, "signed_on"),
        ({"heads_signed": "perhaps"}, "heads_signed"),
        ({"exchange_fields": "culture"}, "exchange_fields"),
        ({"exchange_fields": ["astrology"]}, "exchange_fields"),
        ({"source_url": "not a url"}, "source_url"),
        ({"expires_on": "1955-13-40"}, "expires_on"),
        ({"clair_countable": True}, "clair_countable"),
        ({"municipality_b": "SAME"}, "municipality_b"),
    ],
)
def test_create_agreement_bad_input_is_400_naming_the_field(api, coordinator, nagasaki, saint_paul, payload, field):
    body = {"municipality_a": nagasaki.pk, "municipality_b": saint_paul.pk, **payload}
    if body["municipality_b"] == "SAME":
        body["municipality_b"] = nagasaki.pk

    response = api(coordinator).post("/api/agreements/", body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()[field], response.json()
    assert not TwinningAgreement.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"municipality_a": 1,', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"text"', "application/json"),
        (b"\xff\xfe garbage", "application/json"),
        (b"municipality_a=1", "text/plain"),
    ],
)
def test_malformed_bodies_are_4xx_with_a_message(api, coordinator, body, content_type):
    response = api(coordinator).generic("POST", "/api/agreements/", body, content_type=content_type)

    assert HTTPStatus.BAD_REQUEST <= response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR
    assert response.json()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "active"}, "status"),
        ({"municipality_a": 5}, "municipality_a"),
        ({"kind": 7}, "kind"),
        ({"signed_on": "2000-02-30"}, "signed_on"),
        ({"typo_field": "x"}, "typo_field"),
        ({"signed_on": "1955-11"}, None),  # allowed: still before any status change
    ],
)
def test_update_agreement_bad_input(api, coordinator, own_agreement, payload, field):
    response = api(coordinator).patch(f"/api/agreements/{own_agreement.pk}/", payload, HTTP_IF_MATCH='"1"')

    if field is None:
        assert response.status_code == HTTPStatus.OK
        return
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()[field]
    assert TwinningAgreement.objects.get().version == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "closed", "on": "2012-01-01", "reason": "x"}, "status"),
        ({"status": "suspended", "on": "yesterday", "reason": "x"}, "on"),
        ({"status": "suspended", "on": "1900-01-01", "reason": "x"}, "on"),
        ({"status": "suspended", "on": "2012-01-01", "reason": "  "}, "reason"),
        ({"status": "suspended", "reason": "x"}, "on"),
    ],
)
def test_change_status_bad_input(api, coordinator, own_agreement, payload, field):
    response = api(coordinator).post(f"/api/agreements/{own_agreement.pk}/change-status/", payload, HTTP_IF_MATCH='"1"')

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()[field]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"occurred_on": "2024-02-30"}, "occurred_on"),
        ({"occurred_on": "2999-01-01"}, "occurred_on"),
        ({"occurred_on": "1900-01-01"}, "occurred_on"),
        ({"category": "gossip"}, "category"),
        ({"title": ""}, "title"),
        ({"participants": -3}, "participants"),
        ({"participants": "many"}, "participants"),
        ({"agreement": 424242}, "agreement"),
        ({"agreement": [1]}, "agreement"),
        ({"direction": "sideways"}, "direction"),
    ],
)
def test_log_activity_bad_input(api, coordinator, own_agreement, payload, field):
    body = {"agreement": own_agreement.pk, "occurred_on": "2024-05-01", "category": "culture", "title": "Concert"}

    response = api(coordinator).post("/api/activities/", {**body, **payload}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()[field]
    assert not ActivityLog.objects.exists()


@pytest.mark.parametrize(
    "params",
    [
        {"status": "dormant"},
        {"kind": "x"},
        {"signed_year_min": "nineteen"},
        {"signed_year_max": "99999"},
        {"clair_countable": "maybe"},
        {"in_name_only": "perhaps"},
        {"vitality": "zombie"},
        {"country": "Japan"},
        {"partner_country": "1"},
        {"prefecture": "Nagasaki"},
        {"municipality": "abc"},
        {"municipality": str(HUGE)},
        {"municipality": "1.5"},
        {"tier": "hamlet"},
        {"ordering": "internal_notes"},
        {"ordering": "-nonsense"},
    ],
)
def test_bad_agreement_filters_are_400(api, own_agreement, params):
    response = api(None).get("/api/agreements/", params)

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()[next(iter(params))]


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/municipalities/", {"has_agreements": "sometimes"}),
        ("/api/municipalities/", {"parent": "x"}),
        ("/api/activities/", {"occurred_after": "2024-13-01"}),
        ("/api/activities/", {"category": "gossip"}),
        ("/api/memberships/", {"current": "later"}),
        ("/api/memberships/", {"network": "-1"}),
        ("/api/networks/", {"scale": "cosmic"}),
    ],
)
def test_bad_filters_on_other_lists_are_400(api, url, params):
    response = api(None).get(url, params)

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()[next(iter(params))]


@pytest.mark.parametrize(
    "url",
    ["/api/agreements/abc/", f"/api/agreements/{HUGE}/", "/api/agreements/?page=999", "/api/municipalities/?page=x"],
)
def test_unknown_ids_and_pages_are_404(api, own_agreement, url):
    response = api(None).get(url)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["detail"]


def test_page_size_is_bounded(api, monkeypatch):
    from api.pagination import RegistryPagination
    from tests.factories import AgreementFactory

    AgreementFactory.create_batch(3)
    monkeypatch.setattr(RegistryPagination, "max_page_size", 2)

    response = api(None).get("/api/agreements/", {"page_size": 10**6})

    assert response.status_code == HTTPStatus.OK
    assert (response.json()["count"], len(response.json()["results"])) == (3, 2)


def test_membership_rules_are_400(api, coordinator, nagasaki):
    from tests.factories import MembershipFactory

    existing = MembershipFactory(municipality=nagasaki)
    client = api(coordinator)

    twice = client.post("/api/memberships/", {"network": existing.network_id, "municipality": nagasaki.pk})
    backwards = client.post(
        "/api/memberships/",
        {
            "network": existing.network_id,
            "municipality": nagasaki.pk,
            "joined_on": "2010-01-01",
            "left_on": "2000-01-01",
        },
    )

    assert twice.status_code == HTTPStatus.BAD_REQUEST, twice.content
    assert backwards.status_code == HTTPStatus.BAD_REQUEST, backwards.content
    assert "__all__" in twice.json() or "non_field_errors" in twice.json()
