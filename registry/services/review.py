"""The coordinators' review queue: agreements an importer matched by coordinates only (`needs_review`),
confirmed as they are or moved to the authority they really mean."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from registry.models import ChangeAction, Municipality, Tier, TwinningAgreement
from registry.models.agreements import home_country

from .agreements import _lock, describe, update_agreement
from .dates import today
from .history import diff, record_change, snapshot
from .search import SEPARATOR, fold

User = AbstractBaseUser | AnonymousUser | None


def review_queue() -> QuerySet[TwinningAgreement]:
    """The agreements marked `needs_review`, oldest record first, with both sides."""
    return TwinningAgreement.objects.filter(needs_review=True).with_sides().order_by("pk")


def home_side(agreement: TwinningAgreement, *, country: str | None = None) -> Municipality | None:
    """The side in the home country that an importer chose (A when both are; None when neither is)."""
    country = (country or home_country()).upper()
    if agreement.municipality_a.country == country:
        return agreement.municipality_a
    if agreement.municipality_b.country == country:
        return agreement.municipality_b
    return None


def candidates_for(agreements: list[TwinningAgreement]) -> dict[int, list[Municipality]]:
    """For each agreement, the home authorities (not prefectures, not abolished) that share its home
    side's English name after search folding — the namesakes the importer had to choose between —
    the chosen one first. One query for the whole list."""
    keys: dict[int, str] = {}
    for agreement in agreements:
        side = home_side(agreement)
        key = fold(side.name_en or side.name) if side is not None else ""
        if key:
            keys[agreement.pk] = key
    if not keys:
        return {}
    wanted = Q()
    for key in set(keys.values()):
        wanted |= Q(search_key__contains=f"{SEPARATOR}{key}{SEPARATOR}")
    by_key: dict[str, list[Municipality]] = defaultdict(list)
    found = (
        Municipality.objects.filter(wanted, country=home_country(), abolished_on__isnull=True)
        .exclude(tier=Tier.PREFECTURE)
        .select_related("parent")
        .order_by("lg_code", "pk")
    )
    for municipality in found:
        for key in set(keys.values()):
            if f"{SEPARATOR}{key}{SEPARATOR}" in municipality.search_key:
                by_key[key].append(municipality)
    result = {}
    for agreement in agreements:
        side = home_side(agreement)
        listed = by_key.get(keys.get(agreement.pk, ""), [])
        result[agreement.pk] = sorted(listed, key=lambda m: (side is None or m.pk != side.pk, m.lg_code or ""))
    return result


def _reviewed_note(agreement: TwinningAgreement, text: str) -> str:
    return f"{agreement.review_note}\n{text}".strip()


@transaction.atomic
def confirm_review(
    *, agreement: TwinningAgreement, by: User = None, expected_version: int | None = None
) -> TwinningAgreement:
    """The importer's choice was right: the agreement leaves the queue (its note says when it was confirmed)."""
    if not agreement.needs_review:
        raise ValidationError(
            {"agreement": _("%(agreement)s is not waiting for review.") % {"agreement": describe(agreement)}}
        )
    note = _("Confirmed on %(date)s.") % {"date": today().isoformat()}
    return update_agreement(
        agreement=agreement,
        by=by,
        expected_version=expected_version,
        needs_review=False,
        review_note=_reviewed_note(agreement, note),
    )


@transaction.atomic
def move_home_side(
    *, agreement: TwinningAgreement, to: Municipality, by: User = None, expected_version: int | None = None
) -> TwinningAgreement:
    """The importer chose the wrong namesake: the agreement's home side becomes `to`, and it leaves the queue.

    Refused: `to` in another country than the side it replaces, abolished, the partner itself, or
    already twinned with the partner (that relationship is then the one to keep); the side it already has.
    """
    locked = _lock(agreement, expected_version)
    locked = TwinningAgreement.objects.with_sides().get(pk=locked.pk)
    side = home_side(locked)
    if side is None:
        raise ValidationError({"to": _("Neither side of this agreement is a home authority.")})
    field = "municipality_a" if locked.municipality_a_id == side.pk else "municipality_b"
    partner = locked.other_side(side)
    if to.pk == side.pk:
        raise ValidationError({"to": _("%(name)s is already this agreement's side.") % {"name": to}})
    if to.country != side.country:
        raise ValidationError({"to": _("%(name)s is not in %(country)s.") % {"name": to, "country": side.country}})
    if to.abolished_on is not None:
        raise ValidationError({"to": _("%(name)s was abolished on %(date)s.") % {"name": to, "date": to.abolished_on}})
    if to.pk == partner.pk:
        raise ValidationError({"to": _("A municipality cannot twin with itself (%(name)s).") % {"name": to}})
    existing = TwinningAgreement.objects.between(to, partner).exclude(pk=locked.pk).first()
    if existing is not None:
        raise ValidationError(
            {"to": _("These two already have an agreement: %(existing)s.") % {"existing": describe(existing)}}
        )
    fields = ("municipality_a", "municipality_b", "needs_review", "review_note")
    before = snapshot(locked, fields)
    setattr(locked, field, to)
    setattr(locked, "country_a" if field == "municipality_a" else "country_b", to.country)
    locked.needs_review = False
    note = _("Moved from %(old)s to %(new)s on %(date)s.") % {"old": side, "new": to, "date": today().isoformat()}
    locked.review_note = _reviewed_note(locked, note)
    locked.version += 1
    locked.save()
    record_change(
        target=locked, action=ChangeAction.UPDATE, by=by, changes=diff(before, snapshot(locked, fields)), note=note
    )
    return locked
