"""The OpenAPI schema says what the API really answers (issue 7, point 12); schemathesis checks the
answers themselves (tests/api/test_fuzz.py, `make fuzz`)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from drf_spectacular.generators import SchemaGenerator

from registry.models import AgreementStatusChange
from tests.factories import ActivityFactory, AgreementFactory, MembershipFactory, MunicipalityFactory, NetworkFactory


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _accepts_blank(schema: dict, node: dict) -> bool:
    node = _resolve(schema, node)
    if "oneOf" in node or "anyOf" in node:
        return any(_accepts_blank(schema, option) for option in node.get("oneOf", node.get("anyOf")))
    if "enum" in node:
        return "" in node["enum"]
    return node.get("type") == "string" and "format" not in node and "pattern" not in node


# --- Error answers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        ("/api/agreements/{id}/", "patch", {"200", "400", "401", "403", "404", "409", "412", "428", "429"}),
        ("/api/agreements/{id}/", "delete", {"204", "400", "401", "403", "404", "409", "412", "428", "429"}),
        (
            "/api/agreements/{id}/change-status/",
            "post",
            {"200", "400", "401", "403", "404", "409", "412", "428", "429"},
        ),
        ("/api/agreements/", "post", {"201", "400", "401", "403", "404", "409", "429"}),
        ("/api/agreements/", "get", {"200", "400", "401", "404", "429"}),
        ("/api/agreements/{id}/", "get", {"200", "401", "404", "429"}),
        ("/api/history/", "get", {"200", "400", "401", "404", "429"}),
        ("/api/reports/coverage/", "get", {"200", "400", "401", "404", "429"}),
        # Signing in reads no token or session (a guesser's borrowed token counts for nothing): no 401.
        ("/api/auth/token/", "post", {"200", "400", "403", "429"}),
    ],
)
def test_schema_lists_the_error_answers_of_each_operation(schema, path, method, codes):
    responses = schema["paths"][path][method]["responses"]

    assert set(responses) == codes
    for code in codes - {"200", "201", "204"}:
        assert responses[code]["description"].startswith(HTTPStatus(int(code)).phrase)
        assert "application/json" in responses[code]["content"]


def test_every_operation_documents_401_404_and_429(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            missing = {"429"} - set(operation["responses"])
            if path != "/api/auth/token/":  # signing in authenticates nobody first, and has no object
                missing |= {"401", "404"} - set(operation["responses"])
            assert not missing, f"{method.upper()} {path} does not document {sorted(missing)}"


# --- Values the API really gives -----------------------------------------------------------------


def test_schema_says_signed_on_may_be_null(schema):
    for component in ("Agreement", "AgreementDetail", "InNameOnlyRow"):
        assert schema["components"]["schemas"][component]["properties"]["signed_on"]["nullable"] is True


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("Agreement", "source_url"),
        ("AgreementDetail", "source_url"),
        ("Activity", "evidence_url"),
        ("Activity", "direction"),
        ("Network", "website"),
        ("StatusChange", "from_status"),
        ("AgreementCreateRequest", "source_url"),
        ("ActivityCreateRequest", "direction"),
    ],
)
def test_schema_says_blank_values_may_appear(schema, component, field):
    assert _accepts_blank(schema, schema["components"]["schemas"][component]["properties"][field])


@pytest.mark.django_db
def test_api_answers_the_blank_and_null_values_the_schema_allows(api, coordinator):
    agreement = AgreementFactory(signed_on=None, source_url="")
    AgreementStatusChange.objects.create(agreement=agreement, from_status="", to_status="active", reason="Signed")
    activity = ActivityFactory(agreement=agreement, direction="", evidence_url="")
    MembershipFactory(network=NetworkFactory(website=""))

    detail = api(coordinator).get(f"/api/agreements/{agreement.pk}/").json()
    row = api(coordinator).get(f"/api/activities/{activity.pk}/").json()

    assert (detail["signed_on"], detail["source_url"], detail["status_history"][0]["from_status"]) == (None, "", "")
    assert (row["direction"], row["evidence_url"]) == ("", "")


# --- PUT is not offered --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["agreements", "activities", "memberships"])
def test_put_is_not_offered(api, coordinator, kind, schema):
    agreement = AgreementFactory()
    target = {
        "agreements": agreement,
        "activities": ActivityFactory(agreement=agreement),
        "memberships": MembershipFactory(),
    }[kind]

    response = api(coordinator).put(f"/api/{kind}/{target.pk}/", {"public_notes": "x"}, HTTP_IF_MATCH="*")

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert "PUT" not in response["Allow"]
    assert "PATCH" in response["Allow"]
    assert "put" not in schema["paths"][f"/api/{kind}/{{id}}/"]
    assert type(target).objects.get(pk=target.pk).version == 1


# --- Answers made to match the schema ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5"])
def test_page_size_that_is_not_a_whole_number_from_1_is_400(api, value):
    response = api(None).get("/api/networks/", {"page_size": value})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()) == ["page_size"]


@pytest.mark.django_db
def test_blank_parameters_count_as_not_given(api):
    NetworkFactory.create_batch(2)

    response = api(None).get("/api/networks/", {"page_size": "", "page": "", "format": "", "ordering": ""})

    assert response.status_code == HTTPStatus.OK
    assert response.json()["count"] == 2


@pytest.mark.django_db
def test_unknown_api_url_answers_json_404(api):
    response = api(None).get("/api/agreements/1.5/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_history_answers_405_to_a_method_it_does_not_have(api):
    response = api(None).generic("TRACE", "/api/history/")

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["²", "٤٢٠٠٠٠"])
def test_prefecture_in_other_digits_is_400(api, value):
    response = api(None).get("/api/agreements/", {"prefecture": value})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()) == ["prefecture"]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["", " ", "\v\t"])
def test_blank_boolean_filter_is_no_filter(api, value):
    MunicipalityFactory.create_batch(2)

    response = api(None).get("/api/municipalities/", {"has_agreements": value})

    assert response.status_code == HTTPStatus.OK
    assert response.json()["count"] == 2
