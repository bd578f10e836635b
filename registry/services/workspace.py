"""The staff workspace's questions: whose record a user keeps, and which of its relationships need them.

Reads only (the workspace's writes go through agreements.py, activity.py, partners.py, review.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from registry.models import AgreementStatus, ChangeAction, Municipality, StaffProfile, TwinningAgreement

from .access import assigned_municipality_ids, is_coordinator
from .dates import years_before
from .history import diff, record_change, snapshot

User = AbstractBaseUser | AnonymousUser | None

#: The vitality window and grace period the workspace explains (the audits' defaults).
VITALITY_YEARS = 3
GRACE_YEARS = 1
#: "About to become in name only": the relationship turns dormant (or never active) within this many days.
SOON_DAYS = 180
#: Fixed-term agreements listed as ending soon on the workspace page.
EXPIRING_DAYS = 180
#: The practitioner's rule of thumb (CONTEXT.md): a municipality does well with 4 to 8 relationships.
BAND = (4, 8)


class Attention:
    """How urgently a relationship needs its keeper (the order of the workspace's list)."""

    IN_NAME_ONLY = 0
    SOON = 1
    FINE = 2
    NOT_ACTIVE = 3


def workspace_municipalities(user: User) -> QuerySet[Municipality]:
    """The municipalities whose record `user` keeps: every one for coordinators, the assigned ones
    for municipal staff, none for anyone else. Ordered by code, then name."""
    queryset = Municipality.objects.select_related("parent")
    if is_coordinator(user):
        return queryset.order_by("country", "lg_code", "name")
    return queryset.filter(pk__in=assigned_municipality_ids(user)).order_by("country", "lg_code", "name")


def may_keep(user: User, municipality: Municipality | int) -> bool:
    """Whether `user` keeps this municipality's record (coordinators keep every one)."""
    pk = getattr(municipality, "pk", municipality)
    return is_coordinator(user) or pk in assigned_municipality_ids(user)


def relationships_needing_attention(municipality: Municipality, *, as_of: dt.date) -> QuerySet[TwinningAgreement]:
    """The municipality's relationships with vitality (see TwinningAgreementQuerySet.with_vitality),
    those in name only first, then those about to become so, then the live ones, then suspended and
    terminated ones; within each, the longest silent first (never active before any activity).

    Annotates `attention` (Attention) besides the vitality annotations. "About to": active, and its
    last activity leaves the VITALITY_YEARS window within SOON_DAYS, or, with no activity yet, the
    GRACE_YEARS after the signing end within SOON_DAYS. One query, both sides joined.
    """
    horizon = as_of + dt.timedelta(days=SOON_DAYS)
    soon = Q(status_on=AgreementStatus.ACTIVE) & (
        Q(last_activity_as_of__lte=years_before(horizon, VITALITY_YEARS))
        | Q(
            last_activity_as_of__isnull=True, signed_on__isnull=False, signed_on__lte=years_before(horizon, GRACE_YEARS)
        )
    )
    return (
        TwinningAgreement.objects.involving(municipality)
        .with_sides()
        .with_vitality(as_of=as_of, years=VITALITY_YEARS, grace_years=GRACE_YEARS)
        .annotate(
            attention=Case(
                When(in_name_only=True, then=Value(Attention.IN_NAME_ONLY)),
                When(soon, then=Value(Attention.SOON)),
                When(status_on=AgreementStatus.ACTIVE, then=Value(Attention.FINE)),
                default=Value(Attention.NOT_ACTIVE),
                output_field=IntegerField(),
            )
        )
        .order_by("attention", F("last_activity_as_of").asc(nulls_first=True), "signed_on", "pk")
    )


def quiet_from(agreement: TwinningAgreement) -> dt.date | None:
    """The day an active relationship counts as in name only if nothing more is logged: its last
    activity plus the window, or, with no activity, its signing plus the grace period (None when
    the signing date is unknown and nothing was logged: it already counts as never active)."""
    last = getattr(agreement, "last_activity_as_of", agreement.last_activity_on)
    if last is not None:
        return _years_after(last, VITALITY_YEARS)
    if agreement.signed_on is not None:
        return _years_after(agreement.signed_on, GRACE_YEARS)
    return None


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass
class Standing:
    """Where a municipality stands against the 4–8 band (its active relationships with a foreign partner)."""

    active: int
    low: int = BAND[0]
    high: int = BAND[1]
    expiring: list[TwinningAgreement] = field(default_factory=list)

    @property
    def position(self) -> str:
        if self.active < self.low:
            return "below"
        if self.active > self.high:
            return "above"
        return "within"


def standing_of(municipality: Municipality, relationships: list[TwinningAgreement], *, as_of: dt.date) -> Standing:
    """Count the active foreign relationships among `relationships` (the page's own list, already
    read: no query) and pick the fixed-term ones ending within EXPIRING_DAYS."""
    active = [
        agreement
        for agreement in relationships
        if agreement.status == AgreementStatus.ACTIVE and agreement.country_a != agreement.country_b
    ]
    horizon = as_of + dt.timedelta(days=EXPIRING_DAYS)
    expiring = sorted(
        (
            agreement
            for agreement in relationships
            if agreement.status == AgreementStatus.ACTIVE
            and agreement.expires_on is not None
            and as_of <= agreement.expires_on <= horizon
        ),
        key=lambda agreement: agreement.expires_on,
    )
    return Standing(active=len(active), expiring=expiring)


def profile_of(user: AbstractBaseUser) -> StaffProfile:
    """The user's workspace preferences (defaults until they save theirs: Japanese, digests on)."""
    profile = StaffProfile.objects.filter(user=user).first()
    return profile or StaffProfile(user=user)


@transaction.atomic
def update_profile(*, user: AbstractBaseUser, language: str, digests_enabled: bool, by: User = None) -> StaffProfile:
    """Save a user's e-mail language and whether they get reminder digests (in the change history)."""
    profile, _created = StaffProfile.objects.select_for_update().get_or_create(user=user)
    before = snapshot(profile, ("language", "digests_enabled"))
    profile.language = language
    profile.digests_enabled = bool(digests_enabled)
    profile.full_clean()
    changed = diff(before, snapshot(profile, ("language", "digests_enabled")))
    if changed or _created:
        profile.save()
        record_change(target=profile, action=ChangeAction.UPDATE, by=by or user, changes=changed)
    return profile
