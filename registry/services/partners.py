"""Adding a foreign partner that is not in the registry yet (the staff workspace's "new partner")."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from registry.models import ChangeAction, Municipality, Tier
from registry.models.agreements import home_country

from .history import record_change
from .search import SEPARATOR, fold, search_key_of

User = AbstractBaseUser | AnonymousUser | None


class PartnerExists(ValidationError):
    """An authority of that name is already recorded in that country: `existing` is offered instead."""

    def __init__(self, existing: Municipality) -> None:
        super().__init__(
            {
                "name": _("%(name)s is already recorded in %(country)s; it is offered instead of a second one.")
                % {"name": existing, "country": existing.country}
            },
            code="exists",
        )
        self.existing = existing


def named_in_country(*, name: str, country: str, tiers: tuple[str, ...] | None = None) -> Municipality | None:
    """An authority of `country` one of whose names is `name` after search folding (registry.services.search:
    Köln = koln, St. Paul = Saint Paul), largest first; None when there is none."""
    folded = fold(name or "")
    if not folded:
        return None
    queryset = Municipality.objects.filter(
        country=country.upper(), search_key__contains=f"{SEPARATOR}{folded}{SEPARATOR}"
    )
    if tiers:
        queryset = queryset.filter(tier__in=tiers)
    return queryset.order_by("abolished_on", "-population", "pk").first()


@transaction.atomic
def add_foreign_partner(
    *, name: str, name_en: str = "", country: str, region: str = "", by: User = None
) -> Municipality:
    """Record a foreign city (tier `locality`) in `country`, with its region (a `region` authority of
    that country, found by name or recorded too).

    Refused: an empty name; a country that is not a two-letter ISO code or is the home country (a
    home authority comes from the code list); a name (official or English) that an authority of that
    country already has — PartnerExists carries it, to be offered instead of a duplicate.
    """
    name, name_en, region = (name or "").strip(), (name_en or "").strip(), (region or "").strip()
    country = (country or "").strip().upper()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the partner's name.")
    if len(country) != 2 or not country.isalpha():
        errors["country"] = _("Choose the partner's country.")
    elif country == home_country():
        errors["country"] = _("A partner in %(country)s is already in the registry: search for it by name.") % {
            "country": country
        }
    if errors:
        raise ValidationError(errors)
    for candidate in (name, name_en):
        existing = named_in_country(name=candidate, country=country, tiers=(Tier.LOCALITY, Tier.REGION))
        if existing is not None:
            raise PartnerExists(existing)
    parent = None
    if region:
        parent = named_in_country(name=region, country=country, tiers=(Tier.REGION,))
        if parent is None:
            parent = _create(
                name=region, name_en=region if region.isascii() else "", country=country, tier=Tier.REGION, by=by
            )
    return _create(
        name=name,
        name_en=name_en or (name if name.isascii() else ""),
        country=country,
        tier=Tier.LOCALITY,
        parent=parent,
        by=by,
    )


def _create(
    *, name: str, name_en: str, country: str, tier: str, by: User, parent: Municipality | None = None
) -> Municipality:
    municipality = Municipality(name=name, name_en=name_en, country=country, tier=tier, parent=parent)
    municipality.search_key = search_key_of(municipality)
    municipality.full_clean()
    municipality.save()
    record_change(target=municipality, action=ChangeAction.CREATE, by=by)
    return municipality


__all__ = ["PartnerExists", "add_foreign_partner", "named_in_country"]
