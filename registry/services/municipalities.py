"""Writing municipalities: mergers (a merged authority's relationships pass to its successor)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from registry.models import (
    AgreementStatus,
    AgreementStatusChange,
    ChangeAction,
    Municipality,
    NetworkMembership,
    StaffAssignment,
    TwinningAgreement,
)

from .dates import ensure_not_future, parse_partial_date
from .history import record_change

User = AbstractBaseUser | AnonymousUser | None


@dataclass
class MergeResult:
    merged: Municipality
    successor: Municipality
    moved_agreements: list[int] = field(default_factory=list)
    ended_agreements: list[int] = field(default_factory=list)
    moved_memberships: list[int] = field(default_factory=list)
    ended_memberships: list[int] = field(default_factory=list)


def check_country_change(*, municipality: Municipality, country: str) -> None:
    """An authority's country cannot change while it has agreements.

    Each agreement keeps its two sides' countries (`country_a` / `country_b`, copied when it is
    written) for the country reports; a new country under existing agreements would leave them
    wrong. A new authority, an unchanged country, or one without agreements passes. Raises a
    ValidationError on `country`.
    """
    if municipality.pk is None:
        return
    current = Municipality.objects.filter(pk=municipality.pk).values_list("country", flat=True).first()
    if current is None or current == country:
        return
    if TwinningAgreement.objects.involving(municipality).exists():
        raise ValidationError(
            {
                "country": _(
                    "%(name)s has agreements recorded as %(country)s; its country cannot change while they exist."
                )
                % {"name": municipality, "country": current}
            },
            code="country_fixed",
        )


@transaction.atomic
def merge_municipality(
    *, merged: Municipality, successor: Municipality, on: str | dt.date, by: User = None
) -> MergeResult:
    """Abolish `merged` on `on` and pass its agreements and memberships to `successor`.

    An agreement moves to the successor unless the successor already has one with the same
    partner, or the partner is the successor itself: then it is terminated on the merger date,
    and the reason says which agreement continues it. Memberships move likewise; a network the
    successor already belongs to ends the merged one's membership. Every move is in the history.
    """
    partial = parse_partial_date(on, field="on")
    if partial is None:
        raise ValidationError({"on": _("Give the date of the merger.")})
    when = partial.value
    ensure_not_future(when, field="on")
    if merged.pk == successor.pk:
        raise ValidationError({"successor": _("A municipality cannot merge into itself.")})
    if merged.abolished_on is not None:
        raise ValidationError(
            {"merged": _("%(name)s was already abolished on %(date)s.") % {"name": merged, "date": merged.abolished_on}}
        )
    if successor.abolished_on is not None:
        raise ValidationError({"successor": _("%(name)s is itself abolished.") % {"name": successor}})
    if merged.country != successor.country:
        raise ValidationError({"successor": _("A successor is in the same country.")})

    result = MergeResult(merged=merged, successor=successor)
    user = by if getattr(by, "is_authenticated", False) else None
    agreements = list(
        TwinningAgreement.objects.involving(merged)
        .select_for_update()
        .select_related("municipality_a", "municipality_b")
    )
    for agreement in agreements:
        partner = agreement.other_side(merged)
        continuing = None
        if partner.pk != successor.pk:
            continuing = TwinningAgreement.objects.between(successor, partner).first()
        if partner.pk == successor.pk or continuing is not None:
            if agreement.status != AgreementStatus.TERMINATED:
                reason = (
                    _("%(merged)s merged into %(successor)s") % {"merged": merged, "successor": successor}
                    if continuing is None
                    else _("%(merged)s merged into %(successor)s; continued by agreement #%(id)s")
                    % {"merged": merged, "successor": successor, "id": continuing.pk}
                )
                AgreementStatusChange.objects.create(
                    agreement=agreement,
                    from_status=agreement.status,
                    to_status=AgreementStatus.TERMINATED,
                    changed_on=max(when, agreement.signed_on or when),
                    reason=reason,
                    changed_by=user,
                )
                agreement.status = AgreementStatus.TERMINATED
                agreement.status_changed_on = max(when, agreement.signed_on or when)
                agreement.status_reason = reason
                agreement.version += 1
                agreement.save(update_fields=["status", "status_changed_on", "status_reason", "version", "updated_at"])
                record_change(target=agreement, action=ChangeAction.MERGE, by=by, note=reason)
            result.ended_agreements.append(agreement.pk)
            continue
        side, country = (
            ("municipality_a", "country_a")
            if agreement.municipality_a_id == merged.pk
            else ("municipality_b", "country_b")
        )
        setattr(agreement, side, successor)
        # The same country by the rule above; copied anyway, so the column follows the side it describes.
        setattr(agreement, country, successor.country)
        agreement.version += 1
        agreement.save(update_fields=[side, country, "version", "updated_at"])
        record_change(
            target=agreement,
            action=ChangeAction.MERGE,
            by=by,
            changes={f"{side}_id": [merged.pk, successor.pk]},
            note=_("%(merged)s merged into %(successor)s on %(date)s")
            % {"merged": merged, "successor": successor, "date": when.isoformat()},
        )
        result.moved_agreements.append(agreement.pk)

    for membership in NetworkMembership.objects.filter(municipality=merged, left_on__isnull=True).select_for_update():
        if NetworkMembership.objects.filter(
            network_id=membership.network_id, municipality=successor, left_on__isnull=True
        ).exists():
            membership.left_on = max(when, membership.joined_on or when)
            membership.version += 1
            membership.save(update_fields=["left_on", "version", "updated_at"])
            result.ended_memberships.append(membership.pk)
        else:
            membership.municipality = successor
            membership.version += 1
            membership.save(update_fields=["municipality", "version", "updated_at"])
            result.moved_memberships.append(membership.pk)
        record_change(
            target=membership,
            action=ChangeAction.MERGE,
            by=by,
            note=_("%(merged)s merged into %(successor)s") % {"merged": merged, "successor": successor},
        )

    for assignment in StaffAssignment.objects.filter(municipality=merged):
        if not StaffAssignment.objects.filter(user_id=assignment.user_id, municipality=successor).exists():
            StaffAssignment.objects.create(user_id=assignment.user_id, municipality=successor)

    merged.successor = successor
    merged.abolished_on = when
    merged.save(update_fields=["successor", "abolished_on", "updated_at"])
    record_change(
        target=merged,
        action=ChangeAction.MERGE,
        by=by,
        changes={"successor_id": [None, successor.pk], "abolished_on": [None, when.isoformat()]},
        note=_("merged into %(successor)s") % {"successor": successor},
    )
    return result
