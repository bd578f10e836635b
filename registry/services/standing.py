"""Where each home authority stands, for the map of Japan: no partner, partners all in name only, or live.

One rule, shared by the home page's map, its legend counts and the JSON the map reads: an authority's
standing on `as_of` is read from the coverage audit's own per-authority counts
(MunicipalityQuerySet.with_coverage_counts), so the map and the coverage table cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from registry.models import tiers_of
from registry.models.agreements import CountingBasis
from registry.services.audits import counted_authorities


class Standing(TextChoices):
    """An authority's standing on a date (the map's three colours)."""

    NONE = "none", _("No partner")
    NAME_ONLY = "name_only", _("Partners, all in name only")
    LIVE = "live", _("At least one live relationship")


#: Index of each standing in the compact JSON (`codes` maps a code to [standing index, pk]).
STANDING_ORDER: tuple[str, ...] = (Standing.NONE, Standing.NAME_ONLY, Standing.LIVE)


def standing_of(*, agreement_count: int, has_live: bool) -> Standing:
    """No counted relationship: `none`; some, none of them live: `name_only`; otherwise `live`."""
    if not agreement_count:
        return Standing.NONE
    return Standing.LIVE if has_live else Standing.NAME_ONLY


def standings(
    *,
    country: str,
    as_of: dt.date,
    basis: str = CountingBasis.ALL,
    years: int = 3,
    grace_years: int = 1,
) -> dict[str, Any]:
    """Standing of every existing authority of `country` below prefecture level on `as_of`. One query.

    `codes` maps the 5-digit local government code (the 6-digit code without its check digit, as
    the boundary file keys its shapes) to `[standing index in STANDING_ORDER, pk, latitude,
    longitude]` (the point draws the few small islands whose shapes the simplified boundaries
    lost); `counts` gives the authorities per standing (the legend). Authorities without a code are left out (they have
    no shape to colour).
    """
    country = country.upper()
    tiers = [tier for tier in tiers_of(country) if tier != "prefecture"]
    rows = (
        counted_authorities(
            country=country,
            as_of=as_of,
            tiers=tiers,
            basis=basis,
            include_domestic=False,
            years=years,
            grace_years=grace_years,
            exclude_demo=False,
        )
        .filter(lg_code__isnull=False)
        .values_list("pk", "lg_code", "agreement_count", "has_live", "latitude", "longitude")
    )
    codes: dict[str, list[int | float | None]] = {}
    counts: Counter[str] = Counter()
    for pk, lg_code, agreement_count, has_live, latitude, longitude in rows:
        standing = standing_of(agreement_count=agreement_count, has_live=bool(has_live))
        counts[standing] += 1
        codes[lg_code[:5]] = [
            STANDING_ORDER.index(standing),
            pk,
            None if latitude is None else round(latitude, 3),
            None if longitude is None else round(longitude, 3),
        ]
    return {
        "country": country,
        "as_of": as_of.isoformat(),
        "basis": str(basis),
        "standings": list(STANDING_ORDER),
        "counts": {standing: counts[standing] for standing in STANDING_ORDER},
        "codes": codes,
    }
