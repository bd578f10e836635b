"""Writing network memberships: join, edit, remove; every write in the change history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from registry.models import ChangeAction, MembershipRole, Municipality, Network, NetworkMembership

from .dates import ensure_not_future
from .errors import StaleVersion
from .history import diff, record_change, snapshot

User = AbstractBaseUser | AnonymousUser | None

EDITABLE_FIELDS: tuple[str, ...] = ("role", "joined_on", "left_on")


def _check_dates(membership: NetworkMembership) -> None:
    ensure_not_future(membership.joined_on, field="joined_on")
    ensure_not_future(membership.left_on, field="left_on")


@transaction.atomic
def join_network(
    *,
    network: Network,
    municipality: Municipality,
    role: str = MembershipRole.ACTIVE,
    joined_on: dt.date | None = None,
    left_on: dt.date | None = None,
    by: User = None,
) -> NetworkMembership:
    """Record that `municipality` belongs (or belonged) to `network`.

    Refused: dates in the future, leaving before joining, a second current membership of the same
    network, an unknown role.
    """
    membership = NetworkMembership(
        network=network, municipality=municipality, role=role, joined_on=joined_on, left_on=left_on
    )
    _check_dates(membership)
    membership.full_clean()
    membership.save()
    record_change(target=membership, action=ChangeAction.CREATE, by=by)
    return membership


@transaction.atomic
def update_membership(
    *, membership: NetworkMembership, by: User = None, expected_version: int | None = None, **changes: Any
) -> NetworkMembership:
    """Change a membership's role or dates (the network and the municipality never change)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    membership = NetworkMembership.objects.select_for_update().get(pk=membership.pk)
    if expected_version is not None and membership.version != expected_version:
        raise StaleVersion(current=membership.version, expected=expected_version)
    before = snapshot(membership, EDITABLE_FIELDS)
    for name, value in changes.items():
        setattr(membership, name, value)
    _check_dates(membership)
    membership.full_clean()
    changed = diff(before, snapshot(membership, EDITABLE_FIELDS))
    if changed:
        membership.version += 1
        membership.save()
        record_change(target=membership, action=ChangeAction.UPDATE, by=by, changes=changed)
    return membership


@transaction.atomic
def delete_membership(*, membership: NetworkMembership, by: User = None, expected_version: int | None = None) -> None:
    """Remove a membership recorded in error (one that ended gets a `left_on` instead)."""
    membership = NetworkMembership.objects.select_for_update().get(pk=membership.pk)
    if expected_version is not None and membership.version != expected_version:
        raise StaleVersion(current=membership.version, expected=expected_version)
    record_change(target=membership, action=ChangeAction.DELETE, by=by, note=str(membership))
    membership.delete()
