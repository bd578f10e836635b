"""registry.services.municipalities: the merger's edges (dates, side B, staff, the record it leaves)."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from registry.models import ChangeRecord, Municipality, NetworkMembership, StaffAssignment, TwinningAgreement
from registry.services.agreements import change_status
from registry.services.municipalities import check_country_change, merge_municipality
from tests.factories import (
    AgreementFactory,
    ForeignCityFactory,
    MembershipFactory,
    MunicipalityFactory,
    NetworkFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_merge_moves_side_b_and_records_the_municipality_change(coordinator):
    town, city = MunicipalityFactory(tier="town"), MunicipalityFactory()
    partner = ForeignCityFactory()
    moved = AgreementFactory(municipality_a=partner, municipality_b=town)

    result = merge_municipality(merged=town, successor=city, on=dt.date(2005, 3, 22), by=coordinator)

    stored = TwinningAgreement.objects.get(pk=moved.pk)
    assert (stored.municipality_a, stored.municipality_b, stored.country_b) == (partner, city, "JP")
    assert (result.merged, result.successor, result.moved_agreements, result.ended_agreements) == (
        town,
        city,
        [moved.pk],
        [],
    )
    record = ChangeRecord.objects.get(action="merge", object_id=moved.pk, content_type__model="twinningagreement")
    assert record.changes == {"municipality_b_id": [town.pk, city.pk]}
    assert record.changed_by == coordinator
    assert record.note == f"{town} merged into {city} on 2005-03-22"
    town_record = ChangeRecord.objects.get(action="merge", object_id=town.pk, content_type__model="municipality")
    assert town_record.changes == {"successor_id": [None, city.pk], "abolished_on": [None, "2005-03-22"]}
    assert town_record.note == f"merged into {city}"
    assert town_record.changed_by == coordinator


def test_merge_terminates_with_a_reason_naming_the_continuing_agreement(coordinator):
    town, city = MunicipalityFactory(tier="town"), MunicipalityFactory()
    partner = ForeignCityFactory()
    ended = AgreementFactory(municipality_a=town, municipality_b=partner, signed_on=dt.date(1990, 1, 1))
    continuing = AgreementFactory(municipality_a=city, municipality_b=partner)

    merge_municipality(merged=town, successor=city, on="2005-03-22", by=coordinator)

    stored = TwinningAgreement.objects.get(pk=ended.pk)
    reason = f"{town} merged into {city}; continued by agreement #{continuing.pk}"
    assert (stored.status, stored.status_changed_on, stored.status_reason, stored.version) == (
        "terminated",
        dt.date(2005, 3, 22),
        reason,
        2,
    )
    last = stored.status_changes.order_by("pk").last()
    assert (last.from_status, last.to_status, last.changed_on, last.reason, last.changed_by) == (
        "active",
        "terminated",
        dt.date(2005, 3, 22),
        reason,
        coordinator,
    )
    record = ChangeRecord.objects.get(action="merge", object_id=ended.pk, content_type__model="twinningagreement")
    assert (record.note, record.changed_by) == (reason, coordinator)


def test_merge_ends_an_agreement_with_the_successor_itself_saying_so():
    town, city = MunicipalityFactory(tier="town"), MunicipalityFactory()
    domestic = AgreementFactory(municipality_a=city, municipality_b=town)

    result = merge_municipality(merged=town, successor=city, on="2006-01-01")

    assert result.ended_agreements == [domestic.pk]
    assert TwinningAgreement.objects.get(pk=domestic.pk).status_reason == f"{town} merged into {city}"


def test_merge_never_terminates_before_the_signing():
    town, city = MunicipalityFactory(tier="town"), MunicipalityFactory()
    partner = ForeignCityFactory()
    late = AgreementFactory(municipality_a=town, municipality_b=partner, signed_on=dt.date(2008, 5, 1))
    AgreementFactory(municipality_a=city, municipality_b=partner)

    merge_municipality(merged=town, successor=city, on="2006-01-01")

    stored = TwinningAgreement.objects.get(pk=late.pk)
    assert stored.status_changed_on == dt.date(2008, 5, 1)
    assert stored.status_changes.order_by("pk").last().changed_on == dt.date(2008, 5, 1)


def test_merge_leaves_a_terminated_agreement_as_it_was_but_lists_it():
    town, city = MunicipalityFactory(tier="town"), MunicipalityFactory()
    partner = ForeignCityFactory()
    old = AgreementFactory(municipality_a=town, municipality_b=partner, signed_on=dt.date(1990, 1, 1))
    change_status(agreement=old, status="terminated", on="1999-01-01", reason="dispute")
    AgreementFactory(municipality_a=city, municipality_b=partner)

    result = merge_municipality(merged=town, successor=city, on="2006-01-01")

    stored = TwinningAgreement.objects.get(pk=old.pk)
    assert (stored.status_changed_on, stored.status_reason, stored.version) == (dt.date(1999, 1, 1), "dispute", 2)
    assert result.ended_agreements == [old.pk]
    assert stored.status_changes.count() == 2


def test_merge_of_memberships_never_ends_one_before_it_began_and_skips_ended_ones():
    town, city = MunicipalityFactory(tier="town"), MunicipalityFactory()
    shared, joined_late, past = NetworkFactory(), NetworkFactory(), NetworkFactory()
    ended = MembershipFactory(network=shared, municipality=town, joined_on=dt.date(2007, 1, 1))
    MembershipFactory(network=shared, municipality=city)
    moved = MembershipFactory(network=joined_late, municipality=town)
    finished = MembershipFactory(
        network=past, municipality=town, joined_on=dt.date(1990, 1, 1), left_on=dt.date(1995, 1, 1)
    )

    result = merge_municipality(merged=town, successor=city, on="2006-01-01")

    assert NetworkMembership.objects.get(pk=ended.pk).left_on == dt.date(2007, 1, 1)
    assert (result.ended_memberships, result.moved_memberships) == ([ended.pk], [moved.pk])
    untouched = NetworkMembership.objects.get(pk=finished.pk)
    assert (untouched.municipality_id, untouched.version) == (town.pk, 1)
    assert ChangeRecord.objects.filter(action="merge", content_type__model="networkmembership").count() == 2


def test_merge_gives_the_merged_staff_the_successor_once():
    town, city = MunicipalityFactory(tier="town"), MunicipalityFactory()
    moving, already_there = UserFactory(), UserFactory()
    StaffAssignment.objects.create(user=moving, municipality=town)
    StaffAssignment.objects.create(user=already_there, municipality=town)
    StaffAssignment.objects.create(user=already_there, municipality=city)

    merge_municipality(merged=town, successor=city, on="2006-01-01")

    assert sorted(StaffAssignment.objects.filter(municipality=city).values_list("user_id", flat=True)) == sorted(
        [moving.pk, already_there.pk]
    )


@pytest.mark.parametrize(
    ("on", "message"),
    [(None, "Give the date of the merger."), ("", "Give the date of the merger."), ("2099-01-01", None)],
)
def test_merge_needs_a_past_date(on, message):
    town, city = MunicipalityFactory(tier="town"), MunicipalityFactory()

    with pytest.raises(ValidationError) as error:
        merge_municipality(merged=town, successor=city, on=on)

    assert list(error.value.message_dict) == ["on"]
    if message:
        assert error.value.message_dict["on"] == [message]
    assert Municipality.objects.get(pk=town.pk).abolished_on is None


def test_merge_refusals_name_the_field():
    town, city = MunicipalityFactory(tier="town"), MunicipalityFactory()
    gone = MunicipalityFactory(abolished_on=dt.date(2001, 1, 1))

    with pytest.raises(ValidationError) as error:
        merge_municipality(merged=town, successor=gone, on="2006-01-01")
    assert error.value.message_dict == {"successor": [f"{gone} is itself abolished."]}
    with pytest.raises(ValidationError) as error:
        merge_municipality(merged=gone, successor=city, on="2006-01-01")
    assert error.value.message_dict == {"merged": [f"{gone} was already abolished on 2001-01-01."]}
    with pytest.raises(ValidationError) as error:
        merge_municipality(merged=town, successor=town, on="2006-01-01")
    assert error.value.message_dict == {"successor": ["A municipality cannot merge into itself."]}
    with pytest.raises(ValidationError) as error:
        merge_municipality(merged=town, successor=ForeignCityFactory(), on="2006-01-01")
    assert error.value.message_dict == {"successor": ["A successor is in the same country."]}


def test_check_country_change_passes_new_unchanged_and_unused_authorities():
    used = MunicipalityFactory()
    AgreementFactory(municipality_a=used)
    unused = MunicipalityFactory()

    check_country_change(municipality=Municipality(name="New", country="JP"), country="FR")
    check_country_change(municipality=used, country="JP")
    check_country_change(municipality=unused, country="FR")
    with pytest.raises(ValidationError) as error:
        check_country_change(municipality=used, country="FR")

    assert error.value.message_dict == {
        "country": [f"{used} has agreements recorded as JP; its country cannot change while they exist."]
    }


def test_check_country_change_passes_an_authority_not_yet_in_the_database():
    ghost = Municipality(pk=999_999, name="Ghost", country="JP")

    check_country_change(municipality=ghost, country="FR")


def test_merge_by_an_anonymous_user_records_nobody():
    town, city = MunicipalityFactory(tier="town"), MunicipalityFactory()
    domestic = AgreementFactory(municipality_a=city, municipality_b=town)

    merge_municipality(merged=town, successor=city, on="2006-01-01", by=AnonymousUser())

    assert TwinningAgreement.objects.get(pk=domestic.pk).status_changes.order_by("pk").last().changed_by is None
    assert set(ChangeRecord.objects.filter(action="merge").values_list("changed_by", flat=True)) == {None}
