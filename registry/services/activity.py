"""Writing the activity log; `last_activity_on` and `last_real_activity_on` of the agreement are kept
right here, and only here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from registry.models import ActivityLog, AgreementStatus, ChangeAction, TwinningAgreement

from .dates import ensure_not_future, parse_partial_date
from .errors import StaleVersion
from .history import diff, record_change, snapshot

User = AbstractBaseUser | AnonymousUser | None

EDITABLE_FIELDS: tuple[str, ...] = (
    "occurred_on",
    "category",
    "title",
    "description",
    "direction",
    "participants",
    "evidence_url",
)


def refresh_last_activity(agreement_ids: list[int] | set[int]) -> None:
    """Recompute `last_activity_on` and `last_real_activity_on` (demo rows left out) of these
    agreements from their log (one UPDATE each)."""
    for agreement_id in set(agreement_ids):
        latest = ActivityLog.objects.filter(agreement_id=agreement_id).aggregate(
            latest=Max("occurred_on"), latest_real=Max("occurred_on", filter=Q(is_demo=False))
        )
        TwinningAgreement.objects.filter(pk=agreement_id).update(
            last_activity_on=latest["latest"], last_real_activity_on=latest["latest_real"]
        )


def refresh_last_activity_bulk(agreements: QuerySet[TwinningAgreement]) -> int:
    """Recompute `last_activity_on` and `last_real_activity_on` of every agreement in `agreements`
    in one statement.

    UPDATE … SET last_activity_on = (SELECT MAX(occurred_on) FROM activity WHERE agreement = …),
    last_real_activity_on = (the same over rows that are not demo data); an agreement without
    (real) activity gets NULL. Returns the number of agreements updated.
    """

    def latest(activities: QuerySet[ActivityLog]) -> Subquery:
        return Subquery(
            activities.filter(agreement=OuterRef("pk"))
            .order_by()
            .values("agreement")
            .annotate(latest=Max("occurred_on"))
            .values("latest")
        )

    return agreements.update(
        last_activity_on=latest(ActivityLog.objects.all()),
        last_real_activity_on=latest(ActivityLog.objects.filter(is_demo=False)),
    )


def _check_date(agreement: TwinningAgreement, occurred_on: str | dt.date) -> dt.date:
    partial = parse_partial_date(occurred_on, field="occurred_on")
    if partial is None:
        raise ValidationError({"occurred_on": _("Give the date of the activity.")})
    when = partial.value
    ensure_not_future(when, field="occurred_on")
    if agreement.signed_on is not None and when < agreement.signed_on:
        raise ValidationError(
            {
                "occurred_on": _("The agreement was signed on %(signed)s; an activity under it cannot be earlier.")
                % {"signed": agreement.signed_on_display}
            }
        )
    if (
        agreement.status == AgreementStatus.TERMINATED
        and agreement.status_changed_on is not None
        and when > agreement.status_changed_on
    ):
        raise ValidationError(
            {
                "occurred_on": _("The agreement was terminated on %(date)s; an activity after that cannot be logged.")
                % {"date": agreement.status_changed_on.isoformat()}
            }
        )
    return when


@transaction.atomic
def log_activity(
    *,
    agreement: TwinningAgreement,
    occurred_on: str | dt.date,
    category: str,
    title: str,
    by: User = None,
    description: str = "",
    direction: str = "",
    participants: int | None = None,
    evidence_url: str = "",
    is_demo: bool = False,
) -> ActivityLog:
    """Log one exchange under an agreement and bring its `last_activity_on` up to date.

    Refused: a date in the future, before the signing, or after a termination; an empty title;
    an unknown category or direction.
    """
    # Read the agreement as it is now (status, signing), not as the caller last saw it.
    agreement = TwinningAgreement.objects.select_for_update().get(pk=agreement.pk)
    when = _check_date(agreement, occurred_on)
    activity = ActivityLog(
        agreement=agreement,
        occurred_on=when,
        category=category,
        title=(title or "").strip(),
        description=description,
        direction=direction,
        participants=participants,
        evidence_url=evidence_url,
        is_demo=is_demo,
        logged_by=by if getattr(by, "is_authenticated", False) else None,
    )
    activity.full_clean()
    activity.save()
    refresh_last_activity({agreement.pk})
    record_change(target=activity, action=ChangeAction.CREATE, by=by)
    return activity


@transaction.atomic
def update_activity(
    *, activity: ActivityLog, by: User = None, expected_version: int | None = None, **changes: Any
) -> ActivityLog:
    """Edit a logged activity; the agreement's `last_activity_on` follows."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    activity = ActivityLog.objects.select_for_update().select_related("agreement").get(pk=activity.pk)
    if expected_version is not None and activity.version != expected_version:
        raise StaleVersion(current=activity.version, expected=expected_version)
    before = snapshot(activity, EDITABLE_FIELDS)
    if "occurred_on" in changes:
        changes["occurred_on"] = _check_date(activity.agreement, changes["occurred_on"])
    for name, value in changes.items():
        setattr(activity, name, value)
    activity.full_clean()
    changed = diff(before, snapshot(activity, EDITABLE_FIELDS))
    if changed:
        activity.version += 1
        activity.save()
        refresh_last_activity({activity.agreement_id})
        record_change(target=activity, action=ChangeAction.UPDATE, by=by, changes=changed)
    return activity


@transaction.atomic
def delete_activity(*, activity: ActivityLog, by: User = None, expected_version: int | None = None) -> None:
    """Remove a logged activity; the agreement's `last_activity_on` falls back to the one before."""
    activity = ActivityLog.objects.select_for_update().get(pk=activity.pk)
    if expected_version is not None and activity.version != expected_version:
        raise StaleVersion(current=activity.version, expected=expected_version)
    agreement_id = activity.agreement_id
    record_change(target=activity, action=ChangeAction.DELETE, by=by, note=str(activity))
    activity.delete()
    refresh_last_activity({agreement_id})
