"""registry.services.agreements: the edges `make mutate` found untested (dates equal to a limit,
messages that name the record, who is recorded, what a no-op leaves alone)."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from registry.models import AgreementStatusChange, ChangeRecord, ExchangeCategory, TwinningAgreement
from registry.services.agreements import (
    change_status,
    check_sides,
    delete_agreement,
    describe,
    sign_agreement,
    update_agreement,
)
from registry.services.errors import StaleVersion
from registry.services.municipalities import merge_municipality
from tests.factories import ActivityFactory, AgreementFactory, ForeignCityFactory, MunicipalityFactory

pytestmark = pytest.mark.django_db


def _history(agreement: TwinningAgreement) -> list[tuple[str, str, dt.date | None, str]]:
    return list(agreement.status_changes.order_by("pk").values_list("from_status", "to_status", "changed_on", "reason"))


def test_describe_names_both_sides_the_id_and_the_signing(nagasaki, saint_paul):
    dated = sign_agreement(a=nagasaki, b=saint_paul, signed_on="1955-12")
    undated = sign_agreement(a=nagasaki, b=ForeignCityFactory(name="Santos"))

    santos = undated.municipality_b
    assert describe(dated) == f"agreement #{dated.pk} {nagasaki} – {saint_paul} (1955-12)"
    assert describe(undated) == f"agreement #{undated.pk} {nagasaki} – {santos} (signing date unknown)"


def test_check_sides_refuses_an_abolished_side_from_its_abolition_on(nagasaki):
    town, city = MunicipalityFactory(tier="town", name="旧町", name_en="Old Town"), MunicipalityFactory()
    merge_municipality(merged=town, successor=city, on="2005-03-22")
    town.refresh_from_db()

    check_sides(nagasaki, town, on=dt.date(2005, 3, 21))  # the day before: still there
    for on in (dt.date(2005, 3, 22), None):
        with pytest.raises(ValidationError) as error:
            check_sides(nagasaki, town, on=on)
        assert error.value.message_dict == {
            "municipality_b": [f"{town} was abolished on 2005-03-22; record the agreement with {city}."]
        }
    with pytest.raises(ValidationError) as error:
        check_sides(town, nagasaki, on=None)
    assert list(error.value.message_dict) == ["municipality_a"]


def test_check_sides_names_the_successor_only_when_known(nagasaki):
    gone = MunicipalityFactory(name_en="Lost Village", abolished_on=dt.date(2000, 1, 1))

    with pytest.raises(ValidationError) as error:
        check_sides(nagasaki, gone, on=dt.date(2001, 1, 1))

    assert error.value.message_dict["municipality_b"] == [
        f"{gone} was abolished on 2000-01-01; record the agreement with its successor."
    ]


def test_sign_agreement_with_a_later_status_records_the_active_period_first(nagasaki, saint_paul, coordinator):
    agreement = sign_agreement(
        a=nagasaki,
        b=saint_paul,
        signed_on="1955-12-07",
        status="suspended",
        status_changed_on="1990-01-15",
        status_reason="Budget",
        by=coordinator,
    )

    assert (agreement.status, agreement.status_changed_on, agreement.status_reason) == (
        "suspended",
        dt.date(1990, 1, 15),
        "Budget",
    )
    assert _history(agreement) == [
        ("", "active", dt.date(1955, 12, 7), ""),
        ("active", "suspended", dt.date(1990, 1, 15), "Budget"),
    ]
    assert set(agreement.status_changes.values_list("changed_by", flat=True)) == {coordinator.pk}
    assert agreement.created_by == coordinator
    assert list(ChangeRecord.objects.values_list("action", "object_id", "changed_by")) == [
        ("create", agreement.pk, coordinator.pk)
    ]


def test_sign_agreement_with_a_status_but_no_date_records_one_row(nagasaki, saint_paul):
    agreement = sign_agreement(a=nagasaki, b=saint_paul, signed_on="1955", status="terminated", status_reason="Gone")

    assert (agreement.signed_on_precision, agreement.status_changed_on) == ("year", dt.date(1955, 1, 1))
    assert _history(agreement) == [("", "terminated", dt.date(1955, 1, 1), "Gone")]
    assert agreement.status_changes.get().changed_by is None


def test_sign_agreement_without_a_date_is_day_precision_and_undated(nagasaki, saint_paul):
    agreement = sign_agreement(a=nagasaki, b=saint_paul, by=AnonymousUser())

    stored = TwinningAgreement.objects.get(pk=agreement.pk)
    assert (stored.signed_on, stored.signed_on_precision, stored.status_changed_on) == (None, "day", None)
    assert (stored.created_by, stored.kind, stored.status, stored.source) == (None, "sister", "active", "manual")
    assert _history(stored) == [("", "active", None, "")]
    assert ChangeRecord.objects.get().changed_by is None


def test_sign_agreement_stores_the_three_clair_conditions_as_booleans(nagasaki, saint_paul):
    agreement = sign_agreement(a=nagasaki, b=saint_paul, heads_signed=1, fields_unrestricted="yes", assembly_approved=0)

    stored = TwinningAgreement.objects.get(pk=agreement.pk)
    assert (stored.heads_signed, stored.fields_unrestricted, stored.assembly_approved) == (True, True, False)


@pytest.mark.parametrize(
    ("changed_on", "field"),
    [("1955-11-30", "status_changed_on"), ("2099-01-01", "status_changed_on"), ("not a date", "status_changed_on")],
)
def test_sign_agreement_refuses_a_status_date_before_signing_or_in_the_future(nagasaki, saint_paul, changed_on, field):
    with pytest.raises(ValidationError) as error:
        sign_agreement(a=nagasaki, b=saint_paul, signed_on="1955-12", status="suspended", status_changed_on=changed_on)

    assert list(error.value.message_dict) == [field]
    assert not TwinningAgreement.objects.exists()


def test_sign_agreement_accepts_a_status_change_on_the_signing_day(nagasaki, saint_paul):
    agreement = sign_agreement(
        a=nagasaki, b=saint_paul, signed_on="1955-12-01", status="suspended", status_changed_on="1955-12-01"
    )

    assert agreement.status_changed_on == dt.date(1955, 12, 1)


def test_sign_agreement_refuses_unknown_status_and_exchange_fields(nagasaki, saint_paul):
    with pytest.raises(ValidationError) as error:
        sign_agreement(a=nagasaki, b=saint_paul, status="dormant")
    assert error.value.message_dict["status"] == ["“dormant” is not a status; choose active, suspended, terminated."]

    with pytest.raises(ValidationError) as error:
        sign_agreement(a=nagasaki, b=saint_paul, exchange_fields=["education", "karaoke"])
    assert error.value.message_dict["exchange_fields"] == [
        f"Unknown field(s) of exchange: karaoke. Choose from {', '.join(ExchangeCategory.values)}."
    ]
    assert not TwinningAgreement.objects.exists()


def test_sign_agreement_keeps_exchange_fields_once_each_in_category_order(nagasaki, saint_paul):
    agreement = sign_agreement(
        a=nagasaki, b=saint_paul, exchange_fields=["sports", "education", "sports", "administrative"]
    )

    assert TwinningAgreement.objects.get(pk=agreement.pk).exchange_fields == ["administrative", "education", "sports"]


def test_change_status_on_the_day_of_the_last_change_is_allowed(coordinator):
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))
    change_status(agreement=agreement, status="suspended", on="2012-09-01", reason="dispute")

    agreement = change_status(
        agreement=agreement, status="active", on="2012-09-01", reason="  settled  ", by=coordinator
    )

    assert (agreement.status, agreement.status_reason, agreement.version) == ("active", "settled", 3)
    assert _history(agreement)[-1] == ("suspended", "active", dt.date(2012, 9, 1), "settled")
    assert agreement.status_changes.order_by("pk").last().changed_by == coordinator
    record = ChangeRecord.objects.filter(action="status").order_by("pk").last()
    assert (record.changed_by, record.note) == (coordinator, "settled")
    assert record.changes == {"status": ["suspended", "active"], "status_reason": ["dispute", "settled"]}


def test_change_status_on_the_signing_day_is_allowed():
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))

    agreement = change_status(agreement=agreement, status="terminated", on=dt.date(2000, 4, 1), reason="error")

    assert TwinningAgreement.objects.get(pk=agreement.pk).status_changed_on == dt.date(2000, 4, 1)


@pytest.mark.parametrize(
    ("status", "on", "reason", "field", "message"),
    [
        ("active", "2012-01-01", "again", "status", "The agreement is already Active."),
        ("suspended", None, "dispute", "on", "Give the date of the change."),
        ("suspended", "", "dispute", "on", "Give the date of the change."),
        ("suspended", "2099-01-01", "dispute", "on", "2099-01-01 is in the future."),
        ("suspended", "2012-01-01", "   ", "reason", "Say why the status changes."),
        ("suspended", "2012-01-01", None, "reason", "Say why the status changes."),
        ("paused", "2012-01-01", "dispute", "status", None),
    ],
)
def test_change_status_refusals_name_the_field(status, on, reason, field, message):
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))

    with pytest.raises(ValidationError) as error:
        change_status(agreement=agreement, status=status, on=on, reason=reason)

    assert list(error.value.message_dict) == [field]
    if message:
        assert error.value.message_dict[field] == [message]
    assert TwinningAgreement.objects.get(pk=agreement.pk).version == 1
    assert agreement.status_changes.count() == 1


def test_change_status_before_signing_names_the_signing_date():
    agreement = AgreementFactory(signed_on="2000-04")

    with pytest.raises(ValidationError) as error:
        change_status(agreement=agreement, status="suspended", on="2000-03-31", reason="x")

    assert error.value.message_dict["on"] == ["A status cannot change before the signing (2000-04)."]


def test_change_status_of_an_undated_agreement_and_a_stale_version():
    agreement = AgreementFactory(signed_on=None)

    with pytest.raises(StaleVersion):
        change_status(agreement=agreement, status="suspended", on="1990", reason="x", expected_version=2)
    change_status(agreement=agreement, status="suspended", on="1990", reason="x", expected_version=1)

    assert TwinningAgreement.objects.get(pk=agreement.pk).status_changed_on == dt.date(1990, 1, 1)


def test_update_agreement_moves_the_signing_and_the_first_history_row(coordinator):
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))

    agreement = update_agreement(agreement=agreement, signed_on="1999-07", by=coordinator, expected_version=1)

    stored = TwinningAgreement.objects.get(pk=agreement.pk)
    assert (stored.signed_on, stored.signed_on_precision, stored.version) == (dt.date(1999, 7, 1), "month", 2)
    assert _history(stored) == [("", "active", dt.date(1999, 7, 1), "")]
    record = ChangeRecord.objects.get(action="update")
    assert record.changed_by == coordinator
    assert record.changes == {
        "signed_on": ["2000-04-01", "1999-07-01"],
        "signed_on_precision": ["day", "month"],
    }


def test_update_agreement_keeps_a_precision_given_with_the_date():
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))

    update_agreement(agreement=agreement, signed_on="1999-07-01", signed_on_precision="year")

    assert TwinningAgreement.objects.get(pk=agreement.pk).signed_on_precision == "year"


def test_update_agreement_may_clear_the_signing_date():
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))

    update_agreement(agreement=agreement, signed_on="")

    stored = TwinningAgreement.objects.get(pk=agreement.pk)
    assert (stored.signed_on, stored.signed_on_precision) == (None, "day")
    assert _history(stored) == [("", "active", None, "")]


def test_update_agreement_signing_on_the_day_of_an_activity_or_a_change_is_allowed():
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))
    ActivityFactory(agreement=agreement, occurred_on=dt.date(2005, 6, 1))
    change_status(agreement=agreement, status="suspended", on="2005-06-01", reason="x")

    update_agreement(agreement=agreement, signed_on="2005-06-01")

    assert TwinningAgreement.objects.get(pk=agreement.pk).signed_on == dt.date(2005, 6, 1)


def test_update_agreement_refuses_a_signing_after_a_status_change():
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))
    change_status(agreement=agreement, status="suspended", on="2005-06-01", reason="x")

    with pytest.raises(ValidationError) as error:
        update_agreement(agreement=agreement, signed_on="2006")

    assert error.value.message_dict == {
        "signed_on": ["The status changed before this date; the signing cannot be later."]
    }
    assert TwinningAgreement.objects.get(pk=agreement.pk).signed_on == dt.date(2000, 4, 1)


@pytest.mark.parametrize(("signed_on", "message"), [("2099", "2099-01-01 is in the future."), ("x", None)])
def test_update_agreement_refuses_a_bad_or_future_signing(signed_on, message):
    agreement = AgreementFactory(signed_on=dt.date(2000, 4, 1))

    with pytest.raises(ValidationError) as error:
        update_agreement(agreement=agreement, signed_on=signed_on)

    assert list(error.value.message_dict) == ["signed_on"]
    if message:
        assert error.value.message_dict["signed_on"] == [message]


def test_update_agreement_refuses_unknown_fields_naming_each():
    agreement = AgreementFactory()

    with pytest.raises(ValidationError) as error:
        update_agreement(agreement=agreement, status="terminated", municipality_a=MunicipalityFactory())

    assert error.value.message_dict == {
        "municipality_a": ["This field cannot be changed here."],
        "status": ["This field cannot be changed here."],
    }


def test_update_agreement_without_a_change_keeps_the_version_and_writes_no_record():
    agreement = AgreementFactory(public_notes="Same")

    update_agreement(agreement=agreement, public_notes="Same", exchange_fields=[])

    assert TwinningAgreement.objects.get(pk=agreement.pk).version == 1
    assert not ChangeRecord.objects.filter(action="update").exists()


def test_update_agreement_checks_and_orders_exchange_fields():
    agreement = AgreementFactory()

    update_agreement(agreement=agreement, exchange_fields=["sports", "culture", "sports"])
    with pytest.raises(ValidationError) as error:
        update_agreement(agreement=agreement, exchange_fields=["gossip"])

    assert TwinningAgreement.objects.get(pk=agreement.pk).exchange_fields == ["culture", "sports"]
    assert list(error.value.message_dict) == ["exchange_fields"]


def test_update_agreement_runs_the_model_validation():
    agreement = AgreementFactory()

    with pytest.raises(ValidationError) as error:
        update_agreement(agreement=agreement, kind="marriage")

    assert "kind" in error.value.message_dict
    assert TwinningAgreement.objects.get(pk=agreement.pk).kind == "sister"


def test_delete_agreement_takes_its_history_and_leaves_a_note(coordinator):
    agreement = AgreementFactory()
    ActivityFactory(agreement=agreement)
    label, pk = str(agreement), agreement.pk

    with pytest.raises(StaleVersion):
        delete_agreement(agreement=agreement, expected_version=2)
    delete_agreement(agreement=agreement, by=coordinator, expected_version=1)

    assert not TwinningAgreement.objects.filter(pk=pk).exists()
    assert not AgreementStatusChange.objects.filter(agreement_id=pk).exists()
    record = ChangeRecord.objects.get(action="delete")
    assert (record.object_id, record.note, record.changed_by) == (pk, label, coordinator)
