"""Reminder digests: one e-mail per staff member, in their language, listing their relationships that are
in name only (dormant, or never active) and their fixed-term agreements ending within EXPIRING_DAYS.

A reminder (user, agreement, reason) is sent at most once per period (REGISTRY_REMINDER_PERIOD_DAYS,
default 30): every one sent is recorded (ReminderSent) and read back before the next run. Users who
turned digests off on their profile page, inactive users and users without an e-mail address get none.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from registry.models import (
    AgreementStatus,
    ReminderReason,
    ReminderSent,
    StaffAssignment,
    StaffProfile,
    TwinningAgreement,
)
from registry.models.agreements import Vitality

from .workspace import GRACE_YEARS, VITALITY_YEARS, quiet_from

#: Fixed-term agreements are reminded of this many days before they end.
EXPIRING_DAYS = 90


@dataclass
class Reminder:
    agreement: TwinningAgreement
    reason: str
    #: For dormant / never: the day it counted as in name only; for expiring: the end of the term.
    on: dt.date | None


@dataclass
class Digest:
    user: object
    language: str
    reminders: list[Reminder] = field(default_factory=list)
    subject: str = ""
    body: str = ""


def period_days() -> int:
    return int(getattr(settings, "REGISTRY_REMINDER_PERIOD_DAYS", 30))


def digests(*, as_of: dt.date, period: int | None = None) -> list[Digest]:
    """The digests due on `as_of`, rendered in each user's language (nothing sent, nothing recorded).

    Four queries whatever the number of users and agreements: the recipients' assignments, their
    relationships with vitality, the reminders sent within the period, the profiles.
    """
    period = period_days() if period is None else period
    assignments = list(
        StaffAssignment.objects.filter(user__is_active=True)
        .exclude(user__email="")
        .exclude(user__staff_profile__digests_enabled=False)
        .select_related("user")
        .order_by("user_id", "municipality_id")
    )
    if not assignments:
        return []
    users = {assignment.user_id: assignment.user for assignment in assignments}
    places_of: dict[int, set[int]] = defaultdict(set)
    for assignment in assignments:
        places_of[assignment.user_id].add(assignment.municipality_id)
    places = set().union(*places_of.values())
    horizon = as_of + dt.timedelta(days=EXPIRING_DAYS)
    relationships = list(
        TwinningAgreement.objects.filter(Q(municipality_a_id__in=places) | Q(municipality_b_id__in=places))
        .with_sides()
        .with_vitality(as_of=as_of, years=VITALITY_YEARS, grace_years=GRACE_YEARS)
        .filter(Q(in_name_only=True) | Q(status=AgreementStatus.ACTIVE, expires_on__gte=as_of, expires_on__lte=horizon))
        .order_by(F("last_activity_on").asc(nulls_first=True), "pk")
    )
    recent = set(
        ReminderSent.objects.filter(user_id__in=users, sent_on__gt=as_of - dt.timedelta(days=period)).values_list(
            "user_id", "agreement_id", "reason"
        )
    )
    languages = dict(StaffProfile.objects.filter(user_id__in=users).values_list("user_id", "language"))
    result = []
    for user_id, user in users.items():
        digest = Digest(user=user, language=languages.get(user_id, "ja"))
        for agreement in relationships:
            if not {agreement.municipality_a_id, agreement.municipality_b_id} & places_of[user_id]:
                continue
            for reminder in _reminders_of(agreement, as_of=as_of, horizon=horizon):
                if (user_id, agreement.pk, reminder.reason) not in recent:
                    digest.reminders.append(reminder)
        if digest.reminders:
            _render(digest, as_of=as_of)
            result.append(digest)
    return result


def _reminders_of(agreement: TwinningAgreement, *, as_of: dt.date, horizon: dt.date) -> list[Reminder]:
    reminders = []
    if agreement.in_name_only:
        reason = ReminderReason.DORMANT if agreement.vitality == Vitality.DORMANT else ReminderReason.NEVER
        reminders.append(Reminder(agreement=agreement, reason=reason, on=quiet_from(agreement)))
    if (
        agreement.status == AgreementStatus.ACTIVE
        and agreement.expires_on is not None
        and as_of <= agreement.expires_on <= horizon
    ):
        reminders.append(Reminder(agreement=agreement, reason=ReminderReason.EXPIRING, on=agreement.expires_on))
    return reminders


def _render(digest: Digest, *, as_of: dt.date) -> None:
    with translation.override(digest.language):
        context = {
            "user": digest.user,
            "as_of": as_of,
            "in_name_only": [r for r in digest.reminders if r.reason != ReminderReason.EXPIRING],
            "expiring": [r for r in digest.reminders if r.reason == ReminderReason.EXPIRING],
            "years": VITALITY_YEARS,
            "count": len(digest.reminders),
            # Addresses in the e-mail: the site's own (REGISTRY_SITE_URL) and the pages in the reader's language.
            "site": getattr(settings, "REGISTRY_SITE_URL", "").rstrip("/"),
            "my_url": reverse("workspace:my"),
            "profile_url": reverse("workspace:profile"),
        }
        digest.subject = " ".join(render_to_string("workspace/email/digest_subject.txt", context).split())
        digest.body = render_to_string("workspace/email/digest.txt", context)


def send_reminders(*, as_of: dt.date, dry_run: bool = False, period: int | None = None) -> list[Digest]:
    """E-mail the digests due on `as_of` and record each reminder sent (one transaction per user:
    a failed e-mail records nothing, so it is tried again next run). `dry_run`: render only."""
    due = digests(as_of=as_of, period=period)
    if dry_run:
        return due
    for digest in due:
        with transaction.atomic():
            ReminderSent.objects.bulk_create(
                ReminderSent(user=digest.user, agreement=r.agreement, reason=r.reason, sent_on=as_of)
                for r in digest.reminders
            )
            send_mail(digest.subject, digest.body, None, [digest.user.email])
    return due


__all__ = ["EXPIRING_DAYS", "Digest", "Reminder", "digests", "send_reminders"]
