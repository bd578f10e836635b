"""The lean list rows (`.values()` shaped by hand, for speed) say exactly what the serializers say."""

from __future__ import annotations

import datetime as dt

import pytest

from api.serializers import MunicipalitySerializer
from registry.models import Municipality
from tests.factories import ActivityFactory, AgreementFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", [None, "staff_of_nagasaki", "coordinator"])
def test_agreement_list_rows_equal_the_detail_without_history(request, api, own_agreement, other_agreement, persona):
    user = request.getfixturevalue(persona) if persona else None
    ActivityFactory(agreement=own_agreement, occurred_on=dt.date.today())
    AgreementFactory(signed_on="1999", status="terminated", status_changed_on="2005-06", exchange_fields=["sports"])
    client = api(user)

    rows = client.get("/api/agreements/").json()["results"]

    assert len(rows) == 3
    for row in rows:
        detail = client.get(f"/api/agreements/{row['id']}/").json()
        detail.pop("status_history")
        assert row == detail


def test_municipality_list_rows_equal_the_serializer(api, own_agreement, nagasaki):
    from registry.services.dates import today

    rows = api(None).get("/api/municipalities/").json()["results"]

    expected = MunicipalitySerializer(
        Municipality.objects.select_related("parent").with_agreement_counts(as_of=today()), many=True
    ).data
    assert rows == [dict(item) for item in expected]
    assert any(row["parent"] for row in rows)


@pytest.mark.parametrize("url", ["/api/agreements/", "/api/municipalities/"])
@pytest.mark.parametrize("pages", ["", "page_size=2&", "page_size=2&page=2&", "page_size=2&page=3&"])
def test_unfiltered_lists_equal_the_filtered_path(api, own_agreement, other_agreement, url, pages):
    """Without filter parameters the list runs prepared SQL (api.views.PreparedRows); with an empty
    filter it goes through the FilterSet and the ORM. Both answer the same page, envelope included."""
    ActivityFactory(agreement=own_agreement, occurred_on=dt.date.today())
    AgreementFactory(signed_on="1999", status="terminated", status_changed_on="2005-06")
    client = api(None)

    fast = client.get(f"{url}?{pages}".rstrip("&?"))
    general = client.get(f"{url}?{pages}search=")

    assert fast.status_code == general.status_code
    if fast.status_code == 404:  # beyond the last page (agreements: 3 rows)
        assert url == "/api/agreements/"
        assert "page=3" in pages
        return
    assert fast.status_code == 200
    fast, general = fast.json(), general.json()
    assert fast["results"] == general["results"]
    assert fast["count"] == general["count"]
    assert (fast["next"] is None) == (general["next"] is None)
    assert (fast["previous"] is None) == (general["previous"] is None)


def test_unfiltered_list_beyond_the_last_page_is_404(api, own_agreement):
    assert api(None).get("/api/agreements/?page=9").status_code == 404
    assert api(None).get("/api/agreements/?page=zero").status_code == 404


def test_filtered_list_costs_two_queries(api, own_agreement, other_agreement, django_assert_num_queries):
    # 1. the data version; 2. COUNT(*) (for the public a cached figure); 3. the page (its ids filtered and
    # ordered in a subquery) with both sides and vitality.
    with django_assert_num_queries(3):
        assert api(None).get("/api/agreements/?country=JP").json()["count"] == 2
    # The second time the public's answer comes from the cache (api.caching): the data version only.
    with django_assert_num_queries(1):
        assert api(None).get("/api/agreements/?country=JP").json()["count"] == 2


@pytest.mark.parametrize(
    ("query", "accept", "content_type"),
    [
        ("", None, "application/json"),
        ("", "*/*", "application/json"),
        ("?format=csv", None, "text/csv"),
        ("", "text/csv", "text/csv"),
        ("", "text/html", "text/html"),
        ("?format=json", None, "application/json"),
        ("", "application/json; indent=2", "application/json"),
        ("?country=JP&format=csv", None, "text/csv"),
    ],
)
def test_negotiation_shortcut_only_when_nothing_is_asked(api, own_agreement, query, accept, content_type):
    """No format and no Accept (or */*) answer JSON at once (api.views.RegistryViewSet); anything asked
    for still goes through DRF's negotiation."""
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = api(None).get(f"/api/agreements/{query}", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)


def test_filtered_list_bad_input_is_400_every_time(api, own_agreement):
    """Only valid filter parameters are remembered (api.views.LeanListMixin): a bad one is a 400 each time."""
    client = api(None)
    for _ in range(2):
        assert client.get("/api/agreements/?country=JPN").status_code == 400
        assert client.get("/api/agreements/?in_name_only=perhaps").status_code == 400
    assert client.get("/api/agreements/?country=JP").status_code == 200
    assert client.get("/api/agreements/?country=JP").json()["count"] == 1
    assert client.get("/api/agreements/?country=jp&kind=sister&kind=friendship").json()["count"] == 1


@pytest.mark.parametrize("distinct", [False, True])
def test_prepared_rows_of_a_filtered_recipe_equal_the_orm(own_agreement, other_agreement, distinct):
    """PreparedRows over a filtered recipe (DISTINCT too: then the keys are filtered in a subquery)
    answers the ORM's count and page, in the recipe's ordering with ties by key."""
    from api.views import PreparedRows
    from registry.models import TwinningAgreement

    AgreementFactory(signed_on="1999", status="terminated", status_changed_on="2005-06")
    base = TwinningAgreement.objects.with_vitality(as_of=dt.date.today())
    recipe = base.filter(status__in=["active", "terminated"]).order_by("-status")
    if distinct:
        recipe = recipe.distinct()
    rows = PreparedRows(recipe, ("id", "status", "vitality"), base=base)
    expected = list(recipe.order_by("-status", "pk").values_list("id", "status", "vitality"))
    assert rows.count() == len(expected) == 3
    page = rows[1:3]
    assert [tuple(row) for row in page] == expected[1:3]
    assert rows.names == ("id", "status", "vitality")
