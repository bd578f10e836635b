"""Agreements through the API: the detail contract, writes through the services, ETag / If-Match,
filters and the number of queries a list costs."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.models import AgreementStatusChange, ChangeRecord, TwinningAgreement
from tests.factories import ActivityFactory, AgreementFactory, ForeignCityFactory, MunicipalityFactory

pytestmark = pytest.mark.django_db


def _side(municipality) -> dict:
    return {
        "id": municipality.pk,
        "name": municipality.name,
        "name_en": municipality.name_en,
        "country": municipality.country,
        "tier": municipality.tier,
        "lg_code": municipality.lg_code,
    }


def _public_body(agreement, nagasaki, saint_paul) -> dict:
    return {
        "id": agreement.pk,
        "municipality_a": _side(nagasaki),
        "municipality_b": _side(saint_paul),
        "kind": "sister",
        "signed_on": "1955-12",
        "signed_on_precision": "month",
        "expires_on": None,
        "status": "active",
        "status_changed_on": "1955-12-01",
        "status_reason": "",
        "heads_signed": True,
        "fields_unrestricted": True,
        "assembly_approved": True,
        "clair_countable": True,
        "exchange_fields": [],
        "public_notes": "Japan's first sister-city link.",
        "source_url": "",
        "source": "manual",
        "last_activity_on": None,
        "vitality": "never",
        "in_name_only": True,
        "vitality_rests_on_demo": False,
        "version": 1,
        "status_history": [{"from_status": "", "to_status": "active", "changed_on": "1955-12-01", "reason": ""}],
    }


def test_agreement_detail_public_contract(api, own_agreement, nagasaki, saint_paul):
    response = api(None).get(f"/api/agreements/{own_agreement.pk}/")

    assert response.status_code == HTTPStatus.OK
    assert response["ETag"] == '"1"'
    assert response.json() == _public_body(own_agreement, nagasaki, saint_paul)


def test_agreement_detail_for_staff_of_a_side_adds_internal_fields(
    api, own_agreement, nagasaki, saint_paul, staff_of_nagasaki
):
    response = api(staff_of_nagasaki).get(f"/api/agreements/{own_agreement.pk}/")

    assert response.json() == {
        **_public_body(own_agreement, nagasaki, saint_paul),
        "internal_notes": "Mayor visits in May.",
        "internal_contact": "international@city.nagasaki.example",
        "needs_review": False,
        "review_note": "",
    }


def test_create_agreement_through_the_service_records_history(api, staff_of_nagasaki, nagasaki):
    vaux = ForeignCityFactory(name="Vaux", country="FR")

    response = api(staff_of_nagasaki).post(
        "/api/agreements/",
        {
            "municipality_a": nagasaki.pk,
            "municipality_b": vaux.pk,
            "kind": "friendship",
            "signed_on": "2001-05",
            "status": "active",
            "heads_signed": True,
            "fields_unrestricted": True,
            "assembly_approved": False,
            "exchange_fields": ["culture", "education"],
        },
    )

    assert response.status_code == HTTPStatus.CREATED, response.json()
    body = response.json()
    assert (body["signed_on"], body["signed_on_precision"], body["clair_countable"]) == ("2001-05", "month", False)
    assert body["exchange_fields"] == ["education", "culture"]  # the service's canonical order
    assert response["ETag"] == '"1"'
    agreement = TwinningAgreement.objects.get(pk=body["id"])
    assert agreement.created_by == staff_of_nagasaki
    record = ChangeRecord.objects.get(object_id=agreement.pk, action="create")
    assert record.changed_by == staff_of_nagasaki


def test_create_reversed_duplicate_is_400_naming_the_existing_agreement(
    api, coordinator, own_agreement, nagasaki, saint_paul
):
    response = api(coordinator).post(
        "/api/agreements/", {"municipality_a": saint_paul.pk, "municipality_b": nagasaki.pk, "signed_on": "1960"}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert f"#{own_agreement.pk}" in response.json()["municipality_b"][0]
    assert TwinningAgreement.objects.count() == 1


def test_staff_cannot_record_an_agreement_between_two_other_municipalities(api, staff_of_nagasaki, sasebo):
    partner = ForeignCityFactory()

    response = api(staff_of_nagasaki).post(
        "/api/agreements/", {"municipality_a": sasebo.pk, "municipality_b": partner.pk}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not TwinningAgreement.objects.exists()


def test_change_status_records_history_and_bumps_the_etag(api, coordinator, own_agreement):
    response = api(coordinator).post(
        f"/api/agreements/{own_agreement.pk}/change-status/",
        {"status": "suspended", "on": "2012-09-01", "reason": "Territorial dispute"},
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == HTTPStatus.OK, response.json()
    assert response["ETag"] == '"2"'
    body = response.json()
    assert (body["status"], body["status_changed_on"], body["status_reason"]) == (
        "suspended",
        "2012-09-01",
        "Territorial dispute",
    )
    assert body["status_history"][-1] == {
        "from_status": "active",
        "to_status": "suspended",
        "changed_on": "2012-09-01",
        "reason": "Territorial dispute",
    }


def test_change_status_refusal_is_400_with_field_messages(api, coordinator, own_agreement):
    response = api(coordinator).post(
        f"/api/agreements/{own_agreement.pk}/change-status/",
        {"status": "active", "on": "2012-09-01", "reason": "x"},
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "already" in response.json()["status"][0]


# --- ETag / If-Match -----------------------------------------------------------------------------


def test_stale_if_match_is_412_and_nothing_changes(api, coordinator, staff_of_nagasaki, own_agreement):
    url = f"/api/agreements/{own_agreement.pk}/"
    etag = api(staff_of_nagasaki).get(url)["ETag"]
    # A coordinator edits first …
    first = api(coordinator).patch(url, {"public_notes": "Coordinator's edit"}, HTTP_IF_MATCH=etag)
    assert first.status_code == HTTPStatus.OK
    # … so the staff member's edit, based on the version before, is refused.
    second = api(staff_of_nagasaki).patch(url, {"public_notes": "Staff edit"}, HTTP_IF_MATCH=etag)

    assert second.status_code == HTTPStatus.PRECONDITION_FAILED
    assert "changed since you read it" in second.json()["detail"]
    assert TwinningAgreement.objects.get(pk=own_agreement.pk).public_notes == "Coordinator's edit"


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("patch", "", {"public_notes": "x"}),
        ("delete", "", None),
        ("post", "change-status/", {"status": "suspended", "on": "2012-09-01", "reason": "x"}),
    ],
)
def test_writes_without_if_match_are_428(api, coordinator, own_agreement, method, suffix, payload):
    client = api(coordinator)
    url = f"/api/agreements/{own_agreement.pk}/{suffix}"

    response = getattr(client, method)(url, payload) if payload is not None else getattr(client, method)(url)

    assert response.status_code == HTTPStatus.PRECONDITION_REQUIRED
    assert "If-Match" in response.json()["detail"]
    assert TwinningAgreement.objects.get(pk=own_agreement.pk).version == 1


@pytest.mark.parametrize("header", ["1", 'W/"1"', '"one"', '"1", garbage', '"99999999999999999999999"'])
def test_if_match_garbage_is_400(api, coordinator, own_agreement, header):
    response = api(coordinator).patch(
        f"/api/agreements/{own_agreement.pk}/", {"public_notes": "x"}, HTTP_IF_MATCH=header
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "If-Match" in response.json()["detail"]


def test_if_match_star_and_lists(api, coordinator, own_agreement):
    url = f"/api/agreements/{own_agreement.pk}/"

    assert api(coordinator).patch(url, {"public_notes": "a"}, HTTP_IF_MATCH="*").status_code == HTTPStatus.OK
    assert api(coordinator).patch(url, {"public_notes": "b"}, HTTP_IF_MATCH='"1", "2"').status_code == HTTPStatus.OK
    assert api(coordinator).patch(url, {"public_notes": "c"}, HTTP_IF_MATCH='"1", "2"').status_code == (
        HTTPStatus.PRECONDITION_FAILED
    )


def test_activity_and_membership_edits_honour_if_match(api, coordinator, own_agreement):
    from tests.factories import MembershipFactory

    activity = ActivityFactory(agreement=own_agreement)
    membership = MembershipFactory()
    client = api(coordinator)

    assert client.patch(f"/api/activities/{activity.pk}/", {"title": "A"}, HTTP_IF_MATCH='"1"').status_code == 200
    assert client.patch(f"/api/activities/{activity.pk}/", {"title": "B"}, HTTP_IF_MATCH='"1"').status_code == 412
    assert client.delete(f"/api/activities/{activity.pk}/", HTTP_IF_MATCH='"1"').status_code == 412
    assert client.delete(f"/api/activities/{activity.pk}/", HTTP_IF_MATCH='"2"').status_code == 204
    assert client.patch(f"/api/memberships/{membership.pk}/", {"role": "observer"}).status_code == 428
    response = client.patch(f"/api/memberships/{membership.pk}/", {"role": "observer"}, HTTP_IF_MATCH='"1"')
    assert (response.status_code, response["ETag"], response.json()["role"]) == (200, '"2"', "observer")


# --- History -------------------------------------------------------------------------------------


def test_history_shows_who_changed_what_and_when(api, coordinator, staff_of_nagasaki, own_agreement):
    api(staff_of_nagasaki).patch(
        f"/api/agreements/{own_agreement.pk}/", {"public_notes": "Renewed"}, HTTP_IF_MATCH='"1"'
    )

    response = api(coordinator).get(
        "/api/history/", {"model": "agreement", "object_id": own_agreement.pk, "action": "update"}
    )

    assert response.status_code == HTTPStatus.OK
    [row] = response.json()["results"]
    assert row["changed_by"] == "staff_nagasaki"
    assert row["changes"] == {"public_notes": ["Japan's first sister-city link.", "Renewed"]}
    assert row["model"] == "twinningagreement"
    assert row["changed_at"]


# --- Filters -------------------------------------------------------------------------------------


@pytest.fixture
def world(nagasaki, saint_paul, sasebo):
    """Four agreements that the filters tell apart."""
    prefecture = nagasaki.parent
    busan = ForeignCityFactory(name="Busan", name_en="Busan", country="KR")
    fukuoka = MunicipalityFactory(name="福岡市", name_en="Fukuoka", name_kana="フクオカシ")
    return {
        "nagasaki_saint_paul": AgreementFactory(
            municipality_a=nagasaki,
            municipality_b=saint_paul,
            signed_on="1955-12",
            heads_signed=True,
            fields_unrestricted=True,
            assembly_approved=True,
        ),
        "sasebo_busan": AgreementFactory(
            municipality_a=sasebo, municipality_b=busan, signed_on="1990", kind="friendship"
        ),
        "fukuoka_busan": AgreementFactory(municipality_a=fukuoka, municipality_b=busan, signed_on="2007"),
        "prefecture_saint_paul": AgreementFactory(
            municipality_a=prefecture, municipality_b=saint_paul, signed_on=dt.date(2020, 1, 1), status="suspended"
        ),
    }


def _ids(api, params) -> set[int]:
    response = api(None).get("/api/agreements/", params)
    assert response.status_code == HTTPStatus.OK, response.json()
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"partner_country": "KR"}, {"sasebo_busan", "fukuoka_busan"}),
        ({"partner_country": "us"}, {"nagasaki_saint_paul", "prefecture_saint_paul"}),
        ({"kind": "friendship"}, {"sasebo_busan"}),
        ({"status": "suspended"}, {"prefecture_saint_paul"}),
        ({"signed_year_min": 1990, "signed_year_max": 2007}, {"sasebo_busan", "fukuoka_busan"}),
        ({"clair_countable": "true"}, {"nagasaki_saint_paul"}),
        ({"prefecture": "420000"}, {"nagasaki_saint_paul", "prefecture_saint_paul"}),
        ({"search": "ふくおか"}, {"fukuoka_busan"}),  # hiragana finds the katakana reading (issue 7, point 8)
        ({"search": "フクオカ"}, {"fukuoka_busan"}),
        ({"search": "Sasebo"}, {"sasebo_busan"}),
        ({"in_name_only": "true"}, {"nagasaki_saint_paul", "sasebo_busan", "fukuoka_busan"}),
        ({"in_name_only": "false"}, {"prefecture_saint_paul"}),
        ({"vitality": "never", "status": "active"}, {"nagasaki_saint_paul", "sasebo_busan", "fukuoka_busan"}),
    ],
)
def test_agreement_filters(api, world, params, expected):
    assert _ids(api, params) == {world[name].pk for name in expected}


def test_prefecture_filter_by_id_and_ordering(api, world, nagasaki):
    assert _ids(api, {"prefecture": nagasaki.parent_id}) == _ids(api, {"prefecture": "420000"})
    rows = api(None).get("/api/agreements/", {"ordering": "signed_on"}).json()["results"]
    assert [row["signed_on"] for row in rows] == ["1955-12", "1990", "2007", "2020-01-01"]


def test_in_name_only_follows_activity(api, world):
    ActivityFactory(agreement=world["fukuoka_busan"], occurred_on=dt.date.today() - dt.timedelta(days=30))

    assert world["fukuoka_busan"].pk in _ids(api, {"in_name_only": "false"})


def test_municipality_filters(api, world, nagasaki, sasebo):
    def names(params):
        response = api(None).get("/api/municipalities/", params)
        assert response.status_code == HTTPStatus.OK, response.json()
        return {row["name_en"] for row in response.json()["results"]}

    assert names({"country": "kr"}) == {"Busan"}
    assert names({"tier": "prefecture"}) == {"Nagasaki"}
    assert names({"prefecture": "420000"}) == {"Nagasaki"}  # the city, child of the prefecture
    assert names({"country": "JP", "has_agreements": "false"}) == {"Nagasaki"}  # the prefecture: suspended only
    assert names({"country": "JP", "has_agreements": "true"}) == {"Nagasaki", "Sasebo", "Fukuoka"}
    assert names({"search": "サセボ"}) == {"Sasebo"}
    rows = api(None).get("/api/municipalities/", {"country": "JP", "ordering": "-agreement_count,name_en"}).json()
    assert rows["results"][0]["agreement_count"] == 1


# --- Query counts --------------------------------------------------------------------------------


def _queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == HTTPStatus.OK
    return len(context.captured_queries)


@pytest.mark.parametrize(
    "url", ["/api/agreements/", "/api/municipalities/", "/api/activities/", "/api/memberships/", "/api/networks/"]
)
def test_list_costs_the_same_for_two_rows_or_many(api, django_assert_num_queries, url):
    from tests.factories import MembershipFactory

    def add(n):
        for _ in range(n):
            agreement = AgreementFactory()
            ActivityFactory(agreement=agreement)
            MembershipFactory(municipality=agreement.municipality_a)

    client = api(None)
    # Every list: 1. the data version; 2. COUNT(*) for the paginator (for the public, a cached figure:
    # none while the data is unchanged); 3. the page of rows with their foreign keys joined
    # (agreements and municipalities without filters: the page's ids in a subquery, the audits'
    # annotations computed for those rows only, see api.views.PreparedRows).
    expected = 3
    add(2)
    with django_assert_num_queries(expected):
        client.get(url)
    add(10)
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.json()["count"] >= 12 or url == "/api/networks/"
    with django_assert_num_queries(1):  # unchanged data: the public's answer from the cache (api.caching)
        assert client.get(url).json() == response.json()


def test_agreement_list_for_staff_costs_constant_queries(staff_of_nagasaki, django_assert_num_queries):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    for _ in range(3):
        AgreementFactory()
    client = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff_of_nagasaki).key}")
    # 1. the token with its user; 2. the user's groups (coordinator?); 3. the user's staff
    # assignments (internal-field rule); 4. COUNT(*); 5. the page of agreements with both sides and
    # vitality.
    with django_assert_num_queries(5):
        client.get("/api/agreements/")
    for _ in range(10):
        AgreementFactory()
    with django_assert_num_queries(5):
        client.get("/api/agreements/")


def test_agreement_detail_costs_constant_queries(api, own_agreement, django_assert_num_queries):
    from registry.services.agreements import change_status

    # 1. the agreement with both sides and vitality; 2. its status history.
    with django_assert_num_queries(2):
        api(None).get(f"/api/agreements/{own_agreement.pk}/")
    change_status(agreement=own_agreement, status="suspended", on="2000-01-01", reason="x")
    change_status(agreement=TwinningAgreement.objects.get(), status="active", on="2001-01-01", reason="y")
    assert AgreementStatusChange.objects.count() == 3
    with django_assert_num_queries(2):
        api(None).get(f"/api/agreements/{own_agreement.pk}/")
