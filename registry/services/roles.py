"""Granting a role: a coordinator, or staff of a municipality (registry.services.access reads them).

One call gives the role and what it needs to sign in:
- **coordinator**: member of the `coordinators` group (created by migration 0003), `is_staff` (the
  admin, the coordinators' tool, lets in staff users only) and active;
- **staff** of a municipality: a StaffAssignment to it, and active. Municipal staff work through
  the API (token from /api/auth/token/) and the pages; the admin holds nothing for them, so they
  are not made `is_staff`.
Either way the user needs a usable password: give `password` (checked by the password validators)
or the grant is refused for a user without one. Granting a role the user already has changes
nothing and records nothing. Every grant that changes something writes a change record on the
user (and one on a new staff assignment, as the admin does).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.models import ChangeAction, Municipality, StaffAssignment

from .access import COORDINATORS_GROUP
from .history import record_change

User = AbstractBaseUser | AnonymousUser | None


class Role(models.TextChoices):
    COORDINATOR = "coordinator", gettext_lazy("Coordinator")
    STAFF = "staff", gettext_lazy("Staff of a municipality")


@transaction.atomic
def grant_role(
    *,
    user: AbstractBaseUser,
    role: str,
    municipality: Municipality | None = None,
    by: User = None,
    password: str | None = None,
) -> AbstractBaseUser:
    """Give `user` the role (coordinator, or staff of `municipality`) and what it needs to sign in.

    Refused: an unknown role; a coordinator grant naming a municipality; a staff grant without
    one, or for an abolished municipality; a password the validators refuse; a user who would
    still have no usable password.
    """
    if role not in Role.values:
        raise ValidationError(
            {
                "role": _("“%(role)s” is not a role; choose %(choices)s.")
                % {"role": role, "choices": ", ".join(Role.values)}
            }
        )
    if role == Role.COORDINATOR and municipality is not None:
        raise ValidationError({"municipality": _("Coordinators work for every municipality; do not name one.")})
    if role == Role.STAFF:
        if municipality is None:
            raise ValidationError({"municipality": _("Name the municipality the user works for.")})
        if municipality.abolished_on is not None:
            raise ValidationError(
                {
                    "municipality": _("%(municipality)s was abolished on %(date)s; assign its successor.")
                    % {"municipality": municipality, "date": municipality.abolished_on.isoformat()}
                }
            )
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from None
        user.set_password(password)
    elif not user.has_usable_password():
        raise ValidationError(
            {"password": _("%(user)s has no password and could not sign in; give one.") % {"user": user.get_username()}}
        )

    changes: dict[str, list[object]] = {}
    if password is not None:
        changes["password"] = ["…", "set"]
    if not user.is_active:
        changes["is_active"] = [False, True]
        user.is_active = True
    if role == Role.COORDINATOR:
        group, _created = Group.objects.get_or_create(name=COORDINATORS_GROUP)
        if not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
            changes["groups"] = [None, COORDINATORS_GROUP]
        if not user.is_staff:
            changes["is_staff"] = [False, True]
            user.is_staff = True
        note = _("Granted the coordinator role.")
    else:
        assignment, created = StaffAssignment.objects.get_or_create(user=user, municipality=municipality)
        if created:
            changes["staff_assignments"] = [None, municipality.pk]
            record_change(target=assignment, action=ChangeAction.CREATE, by=by)
        note = _("Granted the role of staff of %(municipality)s.") % {"municipality": municipality}
    if not changes:
        return user
    user.save()
    record_change(target=user, action=ChangeAction.UPDATE, by=by, changes=changes, note=note)
    # access caches the roles on the user object; this one now has another.
    for cached in ("_registry_is_coordinator", "_registry_municipality_ids"):
        user.__dict__.pop(cached, None)
    return user
