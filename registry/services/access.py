"""Who may do what: the one place the roles are decided (API, admin and pages all ask here).

Roles (DESIGN.md, "Interfaces"):
- anonymous public: reads public fields of municipalities, agreements, activities, networks;
- municipal staff: users with a StaffAssignment; create and edit agreements involving one of
  their municipalities, and log activities on them; nothing else;
- coordinators: members of the `coordinators` group; read and write everything, audits;
- admins: superusers; everything coordinators may, plus user management.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q

from registry.models import ActivityLog, Municipality, TwinningAgreement

COORDINATORS_GROUP = "coordinators"

AnyUser = AbstractBaseUser | AnonymousUser | None


def is_coordinator(user: AnyUser) -> bool:
    """Coordinators (the group) and superusers."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_registry_is_coordinator", None)
    if cached is None:
        cached = user.groups.filter(name=COORDINATORS_GROUP).exists()
        user._registry_is_coordinator = cached
    return cached


def assigned_municipality_ids(user: AnyUser) -> frozenset[int]:
    """The municipalities a user works for (empty for the public and for users without assignment)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_registry_municipality_ids", None)
    if cached is None:
        cached = frozenset(user.staff_assignments.values_list("municipality_id", flat=True))
        user._registry_municipality_ids = cached
    return cached


def can_see_internal(user: AnyUser) -> bool:
    """Internal notes and contacts: coordinators only (staff see those of their own agreements)."""
    return is_coordinator(user)


def can_see_internal_of(user: AnyUser, agreement: TwinningAgreement) -> bool:
    """Internal fields of one agreement: coordinators, and staff of either side."""
    return is_coordinator(user) or bool(
        {agreement.municipality_a_id, agreement.municipality_b_id} & assigned_municipality_ids(user)
    )


def can_record_agreement(user: AnyUser, a: Municipality, b: Municipality) -> bool:
    """Create an agreement: coordinators, or staff of one of the two sides."""
    return is_coordinator(user) or bool({a.pk, b.pk} & assigned_municipality_ids(user))


def can_edit_agreement(user: AnyUser, agreement: TwinningAgreement) -> bool:
    """Edit an agreement, change its status, log activity under it: coordinators, staff of a side."""
    return is_coordinator(user) or bool(
        {agreement.municipality_a_id, agreement.municipality_b_id} & assigned_municipality_ids(user)
    )


def can_edit_activity(user: AnyUser, activity: ActivityLog) -> bool:
    return can_edit_agreement(user, activity.agreement)


def can_delete_agreement(user: AnyUser) -> bool:
    """Deleting an agreement recorded in error: coordinators only (staff terminate instead)."""
    return is_coordinator(user)


def can_edit_reference_data(user: AnyUser) -> bool:
    """Municipalities, networks and memberships: coordinators only."""
    return is_coordinator(user)


def can_grant_roles(user: AnyUser) -> bool:
    """Make someone a coordinator or staff of a municipality: admins (superusers); it is user management."""
    return user is not None and user.is_authenticated and user.is_active and user.is_superuser


def can_read_history(user: AnyUser) -> bool:
    """Who changed what and when: coordinators only."""
    return is_coordinator(user)


def editable_agreements(user: AnyUser) -> Q:
    """A filter for the agreements `user` may edit (nothing for the public)."""
    if is_coordinator(user):
        return Q()
    ids = assigned_municipality_ids(user)
    if not ids:
        return Q(pk__in=[])
    return Q(municipality_a_id__in=ids) | Q(municipality_b_id__in=ids)


def editable_memberships(user: AnyUser) -> Q:
    if is_coordinator(user):
        return Q()
    return Q(pk__in=[])


def can_edit_membership(user: AnyUser) -> bool:
    """Join a municipality to a network, edit or end a membership: coordinators only (reference data)."""
    return can_edit_reference_data(user)


def can_log_activity(user: AnyUser, agreement: TwinningAgreement) -> bool:
    """Log an activity under an agreement: whoever may edit the agreement."""
    return can_edit_agreement(user, agreement)


def visible_agreements(user: AnyUser) -> Q:
    """The agreements `user` may read: all of them (the register is public; internal fields are not,
    see can_see_internal_of)."""
    return Q()


def visible_activities(user: AnyUser) -> Q:
    """The activities `user` may read: all of them (public fields; who logged it is internal)."""
    return Q()


__all__ = [
    "COORDINATORS_GROUP",
    "assigned_municipality_ids",
    "can_delete_agreement",
    "can_edit_activity",
    "can_edit_agreement",
    "can_edit_membership",
    "can_edit_reference_data",
    "can_grant_roles",
    "can_log_activity",
    "can_read_history",
    "can_record_agreement",
    "can_see_internal",
    "can_see_internal_of",
    "editable_agreements",
    "editable_memberships",
    "is_coordinator",
    "visible_activities",
    "visible_agreements",
]
