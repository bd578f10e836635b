"""The public's API answers are kept while the data is unchanged (api.caching)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import AgreementFactory, ForeignCityFactory


def _queries(client, url, **extra):
    with CaptureQueriesContext(connection) as context:
        body = client.get(url, **extra).json()
    return len(context.captured_queries), body


def test_anonymous_answers_are_kept_until_a_write(api, own_agreement, nagasaki):
    anonymous = api(None)
    _, first = _queries(anonymous, "/api/agreements/")
    count, again = _queries(anonymous, "/api/agreements/")
    assert (count, again) == (1, first)  # the data version only
    AgreementFactory(municipality_a=nagasaki, municipality_b=ForeignCityFactory(name="Porto", country="PT"))
    _, after = _queries(anonymous, "/api/agreements/")
    assert after["count"] == first["count"] + 1


def test_addresses_queries_and_hosts_are_kept_apart(api, own_agreement, other_agreement):
    anonymous = api(None)
    everything = anonymous.get("/api/agreements/").json()
    japanese = anonymous.get("/api/agreements/", {"country": "JP", "page_size": 1}).json()
    assert everything["count"] != len(japanese["results"])
    first_page = anonymous.get("/api/agreements/", {"page_size": 1}).json()
    other_host = anonymous.get("/api/agreements/", {"page_size": 1}, HTTP_HOST="localhost").json()
    assert other_host["results"] == first_page["results"]
    assert "//testserver/" in first_page["next"] and "//localhost/" in other_host["next"]


def test_signed_in_clients_always_get_a_computed_answer(api, own_agreement, staff_of_nagasaki):
    staff = api(staff_of_nagasaki)
    staff.get("/api/agreements/")
    count, _ = _queries(staff, "/api/agreements/")
    assert count > 1
