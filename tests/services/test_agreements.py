"""sign_agreement, change_status, update_agreement: the rules of recording a relationship."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from registry.models import AgreementStatusChange, ChangeRecord, TwinningAgreement
from registry.services.agreements import change_status, sign_agreement, update_agreement
from tests.factories import ActivityFactory, AgreementFactory, ForeignCityFactory

pytestmark = pytest.mark.django_db


def test_sign_agreement_records_history_and_audit(nagasaki, saint_paul, coordinator):
    agreement = sign_agreement(a=nagasaki, b=saint_paul, signed_on="1955-12", by=coordinator)

    assert (agreement.signed_on, agreement.signed_on_precision) == (dt.date(1955, 12, 1), "month")
    assert agreement.signed_on_display == "1955-12"
    assert list(agreement.status_changes.values_list("from_status", "to_status", "changed_on")) == [
        ("", "active", dt.date(1955, 12, 1))
    ]
    assert ChangeRecord.objects.get().changed_by == coordinator


def test_sign_agreement_refuses_reversed_duplicate_naming_the_existing_one(nagasaki, saint_paul):
    existing = sign_agreement(a=nagasaki, b=saint_paul, signed_on="1955")

    with pytest.raises(ValidationError) as error:
        sign_agreement(a=saint_paul, b=nagasaki, signed_on="1960")

    assert f"#{existing.pk}" in error.value.message_dict["municipality_b"][0]
    assert TwinningAgreement.objects.count() == 1


def test_sign_agreement_refuses_self_pair(nagasaki):
    with pytest.raises(ValidationError) as error:
        sign_agreement(a=nagasaki, b=nagasaki)

    assert "itself" in error.value.message_dict["municipality_b"][0]


@pytest.mark.parametrize("signed_on", ["1986-13", "19860412", "next year", "2099-01-01"])
def test_sign_agreement_refuses_bad_or_future_dates(nagasaki, saint_paul, signed_on):
    with pytest.raises(ValidationError) as error:
        sign_agreement(a=nagasaki, b=saint_paul, signed_on=signed_on)

    assert "signed_on" in error.value.message_dict
    assert not TwinningAgreement.objects.exists()
    assert not AgreementStatusChange.objects.exists()


def test_change_status_refuses_date_before_signing_and_keeps_history():
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))

    with pytest.raises(ValidationError) as error:
        change_status(agreement=agreement, status="suspended", on="1999-12-31", reason="dispute")
    assert "on" in error.value.message_dict

    change_status(agreement=agreement, status="suspended", on="2012-09-01", reason="territorial dispute")
    agreement.refresh_from_db()
    assert (agreement.status, agreement.status_changed_on, agreement.version) == ("suspended", dt.date(2012, 9, 1), 2)
    assert agreement.status_changes.count() == 2


def test_change_status_refuses_a_date_before_the_last_recorded_change(coordinator):
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))
    change_status(agreement=agreement, status="suspended", on="2012-09-01", reason="territorial dispute")

    with pytest.raises(ValidationError) as error:
        change_status(agreement=agreement, status="active", on="2011-01-01", reason="talks resumed", by=coordinator)

    assert "2012-09-01" in error.value.message_dict["on"][0]
    agreement.refresh_from_db()
    assert (agreement.status, agreement.status_changed_on, agreement.version) == ("suspended", dt.date(2012, 9, 1), 2)
    assert list(agreement.status_changes.order_by("pk").values_list("to_status", "changed_on")) == [
        ("active", dt.date(2000, 4, 1)),
        ("suspended", dt.date(2012, 9, 1)),
    ]
    assert not ChangeRecord.objects.filter(object_id=agreement.pk, action="status", changed_by=coordinator).exists()


def test_update_agreement_refuses_a_signing_date_after_logged_activities(coordinator):
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))
    ActivityFactory(agreement=agreement, occurred_on=dt.date(2005, 6, 1))

    with pytest.raises(ValidationError) as error:
        update_agreement(agreement=agreement, signed_on="2006", by=coordinator)

    assert "signed_on" in error.value.message_dict
    agreement.refresh_from_db()
    assert (agreement.signed_on, agreement.signed_on_precision, agreement.version) == (dt.date(2000, 4, 1), "day", 1)
    assert list(agreement.status_changes.values_list("changed_on", flat=True)) == [dt.date(2000, 4, 1)]
    assert not ChangeRecord.objects.filter(action="update").exists()


def test_clair_countable_only_when_all_three_hold(nagasaki):
    full = AgreementFactory(
        municipality_a=nagasaki, heads_signed=True, fields_unrestricted=True, assembly_approved=True
    )
    partial = AgreementFactory(municipality_a=nagasaki, municipality_b=ForeignCityFactory(), heads_signed=True)

    assert TwinningAgreement.objects.get(pk=full.pk).clair_countable is True
    assert TwinningAgreement.objects.get(pk=partial.pk).clair_countable is False
