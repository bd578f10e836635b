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
