"""Writing agreements: record one, change its status, edit it, delete it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from registry.models import (
    AgreementKind,
    AgreementSource,
    AgreementStatus,
    AgreementStatusChange,
    ChangeAction,
    DatePrecision,
    ExchangeCategory,
    Municipality,
    TwinningAgreement,
)

from .dates import PartialDate, ensure_not_future, parse_partial_date
from .errors import StaleVersion
from .history import diff, record_change, snapshot

User = AbstractBaseUser | AnonymousUser | None

#: Fields an editor may change with update_agreement (status has its own service; the sides never change).
EDITABLE_FIELDS: tuple[str, ...] = (
    "kind",
    "signed_on",
    "signed_on_precision",
    "expires_on",
    "heads_signed",
    "fields_unrestricted",
    "assembly_approved",
    "exchange_fields",
    "public_notes",
    "internal_notes",
    "internal_contact",
    "source_url",
    "needs_review",
    "review_note",
)


def describe(agreement: TwinningAgreement) -> str:
    """How a clerk recognises an agreement in a message: both sides, the id and the signing date."""
    signed = agreement.signed_on_display or _("signing date unknown")
    return _("agreement #%(id)s %(a)s – %(b)s (%(signed)s)") % {
        "id": agreement.pk,
        "a": agreement.municipality_a,
        "b": agreement.municipality_b,
        "signed": signed,
    }


def _refuse_duplicate(a: Municipality, b: Municipality) -> None:
    existing = TwinningAgreement.objects.between(a, b).select_related("municipality_a", "municipality_b").first()
    if existing is not None:
        raise ValidationError(
            {
                "municipality_b": _("These two already have an agreement: %(existing)s.")
                % {"existing": describe(existing)}
            },
            code="duplicate",
        )


def check_sides(a: Municipality, b: Municipality, *, on: dt.date | None) -> None:
    """The sides rule of every agreement write (bulk imports too): not with itself, no abolished side."""
    if a.pk == b.pk:
        raise ValidationError(
            {"municipality_b": _("A municipality cannot twin with itself (%(name)s).") % {"name": a}}, code="self_pair"
        )
    for field, side in (("municipality_a", a), ("municipality_b", b)):
        if side.abolished_on is not None and (on is None or on >= side.abolished_on):
            successor = side.successor or _("its successor")
            raise ValidationError(
                {
                    field: _("%(name)s was abolished on %(date)s; record the agreement with %(successor)s.")
                    % {"name": side, "date": side.abolished_on.isoformat(), "successor": successor}
                },
                code="abolished",
            )


def _check_exchange_fields(values: Iterable[str]) -> list[str]:
    values = list(values or [])
    unknown = [value for value in values if value not in ExchangeCategory.values]
    if unknown:
        raise ValidationError(
            {
                "exchange_fields": _("Unknown field(s) of exchange: %(unknown)s. Choose from %(choices)s.")
                % {"unknown": ", ".join(unknown), "choices": ", ".join(ExchangeCategory.values)}
            }
        )
    return sorted(set(values), key=ExchangeCategory.values.index)


def _check_expiry(agreement: TwinningAgreement) -> None:
    """A fixed term ends after the signing (the constraint agreement_expires_after_signing, as a 400)."""
    if (
        agreement.expires_on is not None
        and agreement.signed_on is not None
        and agreement.expires_on <= agreement.signed_on
    ):
        raise ValidationError(
            {
                "expires_on": _(
                    "An agreement signed on %(signed)s cannot expire on %(expires)s: it expires after the signing."
                )
                % {"signed": agreement.signed_on_display, "expires": agreement.expires_on.isoformat()}
            },
            code="expires_before_signing",
        )


def _check_status(status: str) -> None:
    if status not in AgreementStatus.values:
        raise ValidationError(
            {
                "status": _("“%(status)s” is not a status; choose %(choices)s.")
                % {"status": status, "choices": ", ".join(AgreementStatus.values)}
            }
        )


@transaction.atomic
def sign_agreement(
    *,
    a: Municipality,
    b: Municipality,
    kind: str = AgreementKind.SISTER,
    signed_on: str | dt.date | PartialDate | None = None,
    status: str = AgreementStatus.ACTIVE,
    status_changed_on: str | dt.date | None = None,
    status_reason: str = "",
    heads_signed: bool = False,
    fields_unrestricted: bool = False,
    assembly_approved: bool = False,
    by: User = None,
    source: str = AgreementSource.MANUAL,
    **details: Any,
) -> TwinningAgreement:
    """Record a relationship between `a` and `b`.

    Refused: a municipality with itself, a pair that already has an agreement (in either order,
    also when two requests race: the database's unordered-pair constraint decides), a signing in
    the future, an abolished side, unknown choices. The first status-history row records the
    status it was recorded with; a non-active status with a change date also records the
    `active` period before it.
    """
    partial = signed_on if isinstance(signed_on, PartialDate) else parse_partial_date(signed_on, field="signed_on")
    signed_date = partial.value if partial else None
    ensure_not_future(signed_date, field="signed_on")
    check_sides(a, b, on=signed_date)
    _check_status(status)
    changed = parse_partial_date(status_changed_on, field="status_changed_on")
    changed_date = changed.value if changed else None
    if changed_date is not None:
        ensure_not_future(changed_date, field="status_changed_on")
        if signed_date is not None and changed_date < signed_date:
            raise ValidationError({"status_changed_on": _("A status cannot change before the signing.")})
    if "exchange_fields" in details:
        details["exchange_fields"] = _check_exchange_fields(details["exchange_fields"])
    _refuse_duplicate(a, b)

    agreement = TwinningAgreement(
        municipality_a=a,
        municipality_b=b,
        country_a=a.country,
        country_b=b.country,
        kind=kind,
        signed_on=signed_date,
        signed_on_precision=partial.precision if partial else DatePrecision.DAY,
        status=status,
        status_changed_on=changed_date if changed_date is not None else signed_date,
        status_reason=status_reason,
        heads_signed=bool(heads_signed),
        fields_unrestricted=bool(fields_unrestricted),
        assembly_approved=bool(assembly_approved),
        source=source,
        created_by=by if getattr(by, "is_authenticated", False) else None,
        **details,
    )
    # The unordered-pair constraint is checked just below, with a message naming the agreement.
    agreement.full_clean(validate_constraints=False)
    _check_expiry(agreement)
    try:
        with transaction.atomic():
            agreement.save()
    except IntegrityError:
        # Another request recorded the same pair between our check and our insert.
        _refuse_duplicate(a, b)
        raise
    user = by if getattr(by, "is_authenticated", False) else None
    if status != AgreementStatus.ACTIVE and changed_date is not None:
        AgreementStatusChange.objects.create(
            agreement=agreement,
            from_status="",
            to_status=AgreementStatus.ACTIVE,
            changed_on=signed_date,
            changed_by=user,
        )
        AgreementStatusChange.objects.create(
            agreement=agreement,
            from_status=AgreementStatus.ACTIVE,
            to_status=status,
            changed_on=changed_date,
            reason=status_reason,
            changed_by=user,
        )
    else:
        AgreementStatusChange.objects.create(
            agreement=agreement,
            from_status="",
            to_status=status,
            changed_on=signed_date,
            reason=status_reason,
            changed_by=user,
        )
    record_change(target=agreement, action=ChangeAction.CREATE, by=by)
    return agreement


def _lock(agreement: TwinningAgreement, expected_version: int | None) -> TwinningAgreement:
    locked = TwinningAgreement.objects.select_for_update().get(pk=agreement.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(current=locked.version, expected=expected_version)
    return locked


@transaction.atomic
def change_status(
    *,
    agreement: TwinningAgreement,
    status: str,
    on: str | dt.date,
    reason: str,
    by: User = None,
    expected_version: int | None = None,
) -> TwinningAgreement:
    """Suspend, terminate or reactivate an agreement on a date, with the reason.

    Refused: the status it already has, a date in the future, before the signing or before the
    last recorded change, and an empty reason.
    """
    agreement = _lock(agreement, expected_version)
    _check_status(status)
    if status == agreement.status:
        raise ValidationError(
            {"status": _("The agreement is already %(status)s.") % {"status": agreement.get_status_display()}}
        )
    partial = parse_partial_date(on, field="on")
    if partial is None:
        raise ValidationError({"on": _("Give the date of the change.")})
    when = partial.value
    ensure_not_future(when, field="on")
    if agreement.signed_on is not None and when < agreement.signed_on:
        raise ValidationError(
            {
                "on": _("A status cannot change before the signing (%(signed)s).")
                % {"signed": agreement.signed_on_display}
            }
        )
    last = agreement.status_changes.exclude(changed_on=None).chronological().last()
    if last is not None and when < last.changed_on:
        raise ValidationError(
            {
                "on": _("The last status change was on %(date)s; a new one cannot be earlier.")
                % {"date": last.changed_on.isoformat()}
            }
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the status changes.")})

    before = snapshot(agreement, ("status", "status_changed_on", "status_reason"))
    AgreementStatusChange.objects.create(
        agreement=agreement,
        from_status=agreement.status,
        to_status=status,
        changed_on=when,
        reason=reason,
        changed_by=by if getattr(by, "is_authenticated", False) else None,
    )
    agreement.status = status
    agreement.status_changed_on = when
    agreement.status_reason = reason
    agreement.version += 1
    agreement.save(update_fields=["status", "status_changed_on", "status_reason", "version", "updated_at"])
    record_change(
        target=agreement,
        action=ChangeAction.STATUS,
        by=by,
        changes=diff(before, snapshot(agreement, ("status", "status_changed_on", "status_reason"))),
        note=reason,
    )
    return agreement


@transaction.atomic
def update_agreement(
    *,
    agreement: TwinningAgreement,
    by: User = None,
    expected_version: int | None = None,
    **changes: Any,
) -> TwinningAgreement:
    """Edit an agreement's details (not its sides, not its status: see change_status).

    `signed_on` accepts a partial date ("1986", "1986-04"), which also sets its precision.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    agreement = _lock(agreement, expected_version)
    before = snapshot(agreement, EDITABLE_FIELDS)
    if "signed_on" in changes:
        raw = changes.pop("signed_on")
        partial = raw if isinstance(raw, PartialDate) else parse_partial_date(raw, field="signed_on")
        ensure_not_future(partial.value if partial else None, field="signed_on")
        agreement.signed_on = partial.value if partial else None
        if partial is not None and "signed_on_precision" not in changes:
            agreement.signed_on_precision = partial.precision
        first = agreement.status_changes.chronological().first()
        later = agreement.status_changes.exclude(pk=getattr(first, "pk", None)).exclude(changed_on=None)
        if agreement.signed_on is not None and later.filter(changed_on__lt=agreement.signed_on).exists():
            raise ValidationError({"signed_on": _("The status changed before this date; the signing cannot be later.")})
        if (
            agreement.signed_on is not None
            and agreement.activities.filter(occurred_on__lt=agreement.signed_on).exists()
        ):
            raise ValidationError(
                {"signed_on": _("Activities are logged before this date; the signing cannot be later.")}
            )
        if first is not None and first.from_status == "":
            first.changed_on = agreement.signed_on
            first.save(update_fields=["changed_on"])
    if "exchange_fields" in changes:
        changes["exchange_fields"] = _check_exchange_fields(changes["exchange_fields"])
    for name, value in changes.items():
        setattr(agreement, name, value)
    agreement.full_clean(validate_constraints=False)
    _check_expiry(agreement)
    after = snapshot(agreement, EDITABLE_FIELDS)
    changed = diff(before, after)
    if changed:
        agreement.version += 1
        agreement.save()
        record_change(target=agreement, action=ChangeAction.UPDATE, by=by, changes=changed)
    return agreement


@transaction.atomic
def delete_agreement(*, agreement: TwinningAgreement, by: User = None, expected_version: int | None = None) -> None:
    """Remove an agreement recorded in error (with its history and activities); the change log keeps a note.

    A relationship that ended is terminated with change_status, not deleted.
    """
    agreement = _lock(agreement, expected_version)
    record_change(target=agreement, action=ChangeAction.DELETE, by=by, note=str(agreement))
    agreement.delete()
