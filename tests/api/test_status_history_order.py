"""The API shows the status history in the services' order on every database (see
tests/services/test_status_history.py), and refuses a signing after a recorded change on both."""

from http import HTTPStatus

import pytest

from registry.services.agreements import change_status
from tests.factories import AgreementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def undated_then_suspended():
    """Signed on an unknown date (an undated first row), suspended on 2020-04-01."""
    agreement = AgreementFactory(signed_on=None)
    return change_status(agreement=agreement, status="suspended", on="2020-04-01", reason="Paused by both councils.")


def test_api_patch_signing_after_status_change_is_400_and_history_in_order(api, coordinator, undated_then_suspended):
    client = api(coordinator)
    url = f"/api/agreements/{undated_then_suspended.pk}/"

    response = client.patch(url, {"signed_on": "2021"}, HTTP_IF_MATCH=f'"{undated_then_suspended.version}"')

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()["signed_on"]
    history = client.get(url).json()["status_history"]
    assert [(row["from_status"], row["to_status"], row["changed_on"]) for row in history] == [
        ("", "active", None),
        ("active", "suspended", "2020-04-01"),
    ]
