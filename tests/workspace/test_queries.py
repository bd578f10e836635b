"""Every workspace page costs a constant number of queries: pinned with two and with seven rows."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from tests.factories import ActivityFactory, AgreementFactory, ForeignCityFactory

pytestmark = pytest.mark.django_db


def _grow(nagasaki_relationships) -> None:
    """Five more relationships and activities, so that a per-row query would show."""
    nagasaki = nagasaki_relationships["live"].municipality_a
    for n in range(5):
        agreement = AgreementFactory(municipality_a=nagasaki, municipality_b=ForeignCityFactory(name=f"More {n}"))
        ActivityFactory(agreement=agreement)
        ActivityFactory(agreement=nagasaki_relationships["live"])


# session, user, then per page (the role checks: coordinators group, assignments):
PAGES = [
    # agreement, group, assignments
    ("/en/my/agreements/{live}/edit/", 5),
    ("/en/my/agreements/{live}/status/", 5),
    ("/en/my/agreements/{fixed}/renew/", 5),
    ("/en/my/agreements/{live}/activities/new/", 5),
    # activity with its agreement and sides, group, assignments
    ("/en/my/activities/{activity}/edit/", 5),
    ("/en/my/activities/{activity}/delete/", 5),
    # municipality, group, assignments
    ("/en/my/agreements/new/?m={nagasaki}", 5),
    # profile
    ("/en/my/profile/", 3),
]


@pytest.mark.parametrize(("path", "queries"), PAGES)
def test_workspace_page_queries_are_constant(
    client, staff_of_nagasaki, nagasaki_relationships, django_assert_num_queries, path, queries
):
    client.force_login(staff_of_nagasaki)
    r = nagasaki_relationships
    url = path.format(
        live=r["live"].pk,
        fixed=r["fixed"].pk,
        activity=r["live"].activities.first().pk,
        nagasaki=r["live"].municipality_a_id,
    )
    client.get(url)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == HTTPStatus.OK
    _grow(nagasaki_relationships)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == HTTPStatus.OK


def test_agreement_and_export_queries_do_not_grow(
    client, staff_of_nagasaki, nagasaki_relationships, django_assert_num_queries
):
    client.force_login(staff_of_nagasaki)
    live = nagasaki_relationships["live"]
    _grow(nagasaki_relationships)
    with django_assert_num_queries(7):
        assert client.get(f"/en/my/agreements/{live.pk}/").status_code == HTTPStatus.OK
    # session, user, coordinators group, assignments, the rows in one query
    with django_assert_num_queries(5):
        response = client.get("/en/my/export/", {"what": "activities", "format": "csv"})
        assert response.status_code == HTTPStatus.OK
        body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert len(body.splitlines()) == 1 + 3 + 10  # the header, the three activities of the fixture, ten more
