"""Every endpoint under /api/ renders in DRF's browsable API (`Accept: text/html`), reports included."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import URLPattern, URLResolver, reverse

import api.urls
from tests.factories import ActivityFactory, AgreementFactory, ForeignCityFactory, MembershipFactory

pytestmark = pytest.mark.django_db

#: URL name → query string, the answer a browser gets, and whether a detail URL needs a key.
#: POST-only endpoints answer a GET with 405, as an HTML page holding the form to POST.
ENDPOINTS = [
    ("api-root", "", HTTPStatus.OK),
    ("api-docs", "", HTTPStatus.OK),
    ("api-token", "", HTTPStatus.METHOD_NOT_ALLOWED),
    ("report-coverage", "", HTTPStatus.OK),
    ("report-coverage", "?basis=clair", HTTPStatus.OK),
    ("report-in-name-only", "", HTTPStatus.OK),
    ("report-in-name-only", "?tier=city&page_size=1", HTTPStatus.OK),
    ("report-gaps", "", HTTPStatus.OK),
    ("report-gaps", "?kind=foreign", HTTPStatus.OK),
    ("report-gaps", "?kind=countries", HTTPStatus.OK),
    ("report-gaps", "?kind=foreign&tier=city", HTTPStatus.BAD_REQUEST),
    ("report-partner-countries", "", HTTPStatus.OK),
    ("report-growth", "", HTTPStatus.OK),
    ("report-multilateral-coverage", "", HTTPStatus.OK),
    ("report-multilateral-coverage", "?as_of=soon", HTTPStatus.BAD_REQUEST),
    ("municipality-list", "", HTTPStatus.OK),
    ("municipality-list", "?country=JP&page_size=1", HTTPStatus.OK),
    ("municipality-detail", "", HTTPStatus.OK),
    ("municipality-diplomacy", "", HTTPStatus.OK),
    ("municipality-diplomacy", "?years=0", HTTPStatus.BAD_REQUEST),
    ("agreement-list", "", HTTPStatus.OK),
    ("agreement-list", "?in_name_only=true", HTTPStatus.OK),
    ("agreement-detail", "", HTTPStatus.OK),
    ("agreement-change-status", "", HTTPStatus.METHOD_NOT_ALLOWED),
    ("activity-list", "", HTTPStatus.OK),
    ("activity-detail", "", HTTPStatus.OK),
    ("network-list", "", HTTPStatus.OK),
    ("network-detail", "", HTTPStatus.OK),
    ("membership-list", "", HTTPStatus.OK),
    ("membership-detail", "", HTTPStatus.OK),
    ("changerecord-list", "", HTTPStatus.OK),
    ("changerecord-detail", "", HTTPStatus.OK),
]

#: The machine-readable schema is a YAML/JSON document, not a browsable page (its HTML is api-docs):
#: a browser's Accept (which ends in */*) gets the document.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def api_url_names(patterns=None) -> set[str]:
    names = set()
    for pattern in api.urls.urlpatterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            names |= api_url_names(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            names.add(pattern.name)
    return names


def test_every_api_endpoint_is_in_the_list():
    """A new endpoint must join ENDPOINTS (and so this test) to be released."""
    assert api_url_names() == {name for name, _, _ in ENDPOINTS} | {"api-schema"}


@pytest.fixture
def every_kind_of_row(own_agreement):
    """One row behind every detail URL (the agreement's signing wrote a change record)."""
    ActivityFactory(agreement=own_agreement)
    MembershipFactory(municipality=own_agreement.municipality_a)
    ForeignCityFactory(name="Glasgow", country="GB", population=600_000)  # a foreign gap
    return own_agreement


def url_of(name: str, query: str) -> str:
    from registry.models import ActivityLog, ChangeRecord, Municipality, Network, NetworkMembership

    models = {
        "municipality": Municipality,
        "agreement": AgreementFactory._meta.model,
        "activity": ActivityLog,
        "network": Network,
        "membership": NetworkMembership,
        "changerecord": ChangeRecord,
    }
    model = models.get(name.split("-")[0])
    kwargs = {"pk": model.objects.order_by("pk").first().pk} if model and not name.endswith("-list") else {}
    return reverse(name, kwargs=kwargs) + query


@pytest.mark.parametrize(("name", "query", "status"), ENDPOINTS, ids=lambda value: str(value))
def test_every_endpoint_renders_in_the_browsable_api(api, coordinator, every_kind_of_row, name, query, status):
    response = api(coordinator).get(url_of(name, query), HTTP_ACCEPT="text/html")

    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(("name", "query", "status"), ENDPOINTS, ids=lambda value: str(value))
def test_every_endpoint_renders_for_the_public_too(api, every_kind_of_row, name, query, status):
    response = api(None).get(url_of(name, query), HTTP_ACCEPT=BROWSER_ACCEPT)

    # The change history and changing a status need a sign-in first (401; the history stays 404
    # for signed-in users who are not coordinators). Both as an HTML page.
    expected = {"agreement-change-status": HTTPStatus.UNAUTHORIZED}.get(name, status)
    if name.startswith("changerecord"):
        expected = HTTPStatus.UNAUTHORIZED
    assert response.status_code == expected
    assert response["Content-Type"].startswith("text/html")


def test_the_schema_answers_a_browser(api):
    response = api(None).get(reverse("api-schema"), HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == HTTPStatus.OK
    assert response.content.startswith(b"openapi:")
