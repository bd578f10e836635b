"""join_network, update_membership, delete_membership: every write of a membership is in the history."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from registry.models import ChangeRecord, NetworkMembership
from registry.services.errors import StaleVersion
from registry.services.memberships import delete_membership, join_network, update_membership
from tests.factories import MembershipFactory, MunicipalityFactory, NetworkFactory

pytestmark = pytest.mark.django_db


def _history_of(membership: NetworkMembership) -> list[tuple[str, dict, int | None]]:
    return list(
        ChangeRecord.objects.filter(content_type__model="networkmembership", object_id=membership.pk)
        .order_by("pk")
        .values_list("action", "changes", "changed_by")
    )


def test_update_membership_writes_its_history_row(coordinator):
    membership = join_network(
        network=NetworkFactory(), municipality=MunicipalityFactory(), joined_on=dt.date(2010, 4, 1), by=coordinator
    )

    updated = update_membership(
        membership=membership, role="observer", left_on=dt.date(2020, 3, 31), by=coordinator, expected_version=1
    )

    assert (updated.role, updated.left_on, updated.version) == ("observer", dt.date(2020, 3, 31), 2)
    assert NetworkMembership.objects.get(pk=membership.pk).version == 2
    assert _history_of(membership) == [
        ("create", {}, coordinator.pk),
        ("update", {"role": ["active", "observer"], "left_on": [None, "2020-03-31"]}, coordinator.pk),
    ]


def test_update_membership_without_a_change_writes_nothing(coordinator):
    membership = MembershipFactory(role="active")

    update_membership(membership=membership, role="active", by=coordinator)

    assert NetworkMembership.objects.get(pk=membership.pk).version == 1
    assert _history_of(membership) == []


def test_update_membership_refuses_a_stale_version_and_unknown_fields():
    membership = MembershipFactory()

    with pytest.raises(StaleVersion) as stale:
        update_membership(membership=membership, role="observer", expected_version=2)
    assert (stale.value.current, stale.value.expected) == (1, 2)
    with pytest.raises(ValidationError) as error:
        update_membership(membership=membership, network=NetworkFactory())

    assert "network" in error.value.message_dict
    assert NetworkMembership.objects.get(pk=membership.pk).role == "active"
    assert _history_of(membership) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"joined_on": dt.date(2099, 1, 1)}, "joined_on"),
        ({"left_on": dt.date(2099, 1, 1)}, "left_on"),
        ({"role": "founder"}, "role"),
    ],
)
def test_update_membership_refuses_future_dates_and_unknown_roles(changes, field):
    membership = MembershipFactory()

    with pytest.raises(ValidationError) as error:
        update_membership(membership=membership, **changes)

    assert field in error.value.message_dict
    assert _history_of(membership) == []


def test_join_network_refuses_a_second_current_membership_and_leaving_before_joining():
    network, city = NetworkFactory(), MunicipalityFactory()
    join_network(network=network, municipality=city)

    with pytest.raises(ValidationError):
        join_network(network=network, municipality=city)
    with pytest.raises(ValidationError):
        join_network(
            network=NetworkFactory(),
            municipality=city,
            joined_on=dt.date(2010, 1, 1),
            left_on=dt.date(2009, 1, 1),
        )

    assert NetworkMembership.objects.filter(municipality=city).count() == 1


def test_delete_membership_keeps_a_note_in_the_history(coordinator):
    membership = MembershipFactory()
    label = str(membership)

    with pytest.raises(StaleVersion) as stale:
        delete_membership(membership=membership, expected_version=3)
    assert (stale.value.current, stale.value.expected) == (1, 3)
    delete_membership(membership=membership, by=coordinator, expected_version=1)

    assert not NetworkMembership.objects.filter(pk=membership.pk).exists()
    assert list(
        ChangeRecord.objects.filter(object_id=membership.pk, content_type__model="networkmembership").values_list(
            "action", "note", "changed_by"
        )
    ) == [("delete", label, coordinator.pk)]
