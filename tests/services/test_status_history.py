"""The status history reads in one order on every database: an undated first row (signing date
unknown) comes first, as before any date; ties by id. PostgreSQL sorts NULL last by default and
SQLite first, so an order by `changed_on` alone differed between the two."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from registry.models import AgreementStatusChange, TwinningAgreement
from registry.services.agreements import change_status, update_agreement
from tests.factories import AgreementFactory

pytestmark = pytest.mark.django_db

HISTORY = ("from_status", "to_status", "changed_on")


@pytest.fixture
def undated_then_suspended():
    """Signed on an unknown date (an undated first row), suspended on 2020-04-01."""
    agreement = AgreementFactory(signed_on=None)
    return change_status(agreement=agreement, status="suspended", on="2020-04-01", reason="Paused by both councils.")


def test_status_history_lists_the_undated_first_row_first(undated_then_suspended):
    expected = [("", "active", None), ("active", "suspended", dt.date(2020, 4, 1))]

    assert list(undated_then_suspended.status_changes.values_list(*HISTORY)) == expected
    assert list(AgreementStatusChange.objects.chronological().values_list(*HISTORY)) == expected
    assert list(AgreementStatusChange.objects.chronological().reverse().values_list(*HISTORY)) == expected[::-1]


def test_update_agreement_refuses_a_signing_after_a_recorded_status_change(undated_then_suspended):
    with pytest.raises(ValidationError) as error:
        update_agreement(agreement=undated_then_suspended, signed_on="2021")

    assert "signed_on" in error.value.message_dict
    assert TwinningAgreement.objects.get().signed_on is None


def test_update_agreement_dates_the_undated_first_row_with_the_signing(undated_then_suspended):
    update_agreement(agreement=undated_then_suspended, signed_on="2019-05")

    assert list(undated_then_suspended.status_changes.values_list(*HISTORY)) == [
        ("", "active", dt.date(2019, 5, 1)),
        ("active", "suspended", dt.date(2020, 4, 1)),
    ]
