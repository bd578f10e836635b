"""Audits a coordinator asks for: coverage by tier, in name only, gaps, partner countries, growth.

Every function answers "as of" a date, aggregates in the database and costs a constant number of
queries whatever the number of rows (see tests/services/test_audits.py). The rules are those of
issue 3 and DESIGN.md ("Rules"); the row-level ones live in the QuerySet methods they call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Case, Count, F, Q, QuerySet, Sum, When
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext as _

from registry.models import Municipality, TwinningAgreement, tiers_of
from registry.models.agreements import CountingBasis, silent_on_q

#: The band of relationships a municipality does well with (CONTEXT.md, practitioners' rule of thumb).
BAND_LOW, BAND_HIGH = 4, 8

#: Keys of a coverage row, in the order the JSON and the CSV list them.
COVERAGE_KEYS: tuple[str, ...] = (
    "tier",
    "authorities",
    "with_relationship",
    "without_relationship",
    "rate",
    "relationships",
    "in_band",
    "live",
    "live_rate",
    "live_on_demo",
)


def percent(part: int, whole: int) -> float | None:
    """`part` of `whole` in percent, one decimal, rounded half up (1 of 16 = 6.25 → 6.3); None of 0."""
    if not whole:
        return None
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(value)


def check_tier(country: str, tier: str | None, *, field: str = "tier") -> None:
    """A tier filter must be one of the country's tiers."""
    if tier is not None and tier not in tiers_of(country.upper()):
        raise ValidationError(
            {
                field: _("“%(tier)s” is not a tier of %(country)s; choose %(choices)s.")
                % {"tier": tier, "country": country.upper(), "choices": ", ".join(tiers_of(country.upper()))}
            }
        )


def _check_basis(basis: str) -> None:
    if basis not in CountingBasis.values:
        raise ValidationError(
            {
                "basis": _("“%(basis)s” is not a basis; choose %(choices)s.")
                % {"basis": str(basis), "choices": "all, clair"}
            }
        )


def counted_authorities(
    *,
    country: str,
    as_of: dt.date,
    tiers: Sequence[str],
    basis: str,
    include_domestic: bool,
    years: int,
    grace_years: int,
    exclude_demo: bool,
) -> QuerySet[Municipality]:
    """The authorities of `country` on `tiers` existing on `as_of`, with the coverage audit's
    per-authority counts (MunicipalityQuerySet.with_coverage_counts), unordered: what coverage()
    and coverage_by_prefecture() aggregate."""
    return (
        Municipality.objects.of_country(country)
        .existing(as_of=as_of)
        .filter(tier__in=tiers)
        .order_by()
        .with_coverage_counts(
            country=country,
            as_of=as_of,
            basis=basis,
            include_domestic=include_domestic,
            years=years,
            grace_years=grace_years,
            exclude_demo=exclude_demo,
        )
    )


def coverage(
    *,
    country: str,
    as_of: dt.date,
    basis: str = CountingBasis.ALL,
    years: int = 3,
    grace_years: int = 1,
    include_domestic: bool = False,
    exclude_demo: bool = False,
) -> dict[str, Any]:
    """Coverage of `country` on `as_of`, tier by tier, and a total row. One query.

    Per tier (the country's tiers in report order): `authorities` existing on `as_of`;
    `with_relationship` holding at least one counted relationship (see
    MunicipalityQuerySet.with_agreement_counts); `without_relationship`; `rate` (percent, one
    decimal, half up; None without authorities); `relationships` held (a domestic pair, when
    included, counts for each home side); `in_band` holding 4 to 8; `live` holding at least one
    that is not in name only; `live_rate`; `live_on_demo`: authorities whose `live` standing
    rests on demo activity (live with the demo rows and not without them, or the reverse).

    Demo activity counts unless `exclude_demo` (then every figure is without it and nothing rests
    on it). The body says whether the figures rest on demo activity (`rests_on_demo_activity`)
    and how much (`demo_share`, see demo_share).
    """
    country = country.upper()
    _check_basis(basis)
    tiers = tiers_of(country)
    authorities = counted_authorities(
        country=country,
        as_of=as_of,
        tiers=tiers,
        basis=basis,
        include_domestic=include_domestic,
        years=years,
        grace_years=grace_years,
        exclude_demo=exclude_demo,
    ).values("pk", "tier", "agreement_count", "has_live", *(() if exclude_demo else ("has_live_without_demo",)))
    # Live with the demo rows and not without them, or the reverse (only with odd windows: a demo
    # activity can make a new agreement dormant).
    on_demo = Q(has_live=True, has_live_without_demo=False) | Q(has_live=False, has_live_without_demo=True)

    def measures(prefix: str, where: Q) -> dict[str, Any]:
        return {
            f"{prefix}authorities": Count("pk", filter=where),
            f"{prefix}with_relationship": Count("pk", filter=where & Q(agreement_count__gt=0)),
            f"{prefix}relationships": Sum("agreement_count", filter=where, default=0),
            f"{prefix}in_band": Count(
                "pk", filter=where & Q(agreement_count__gte=BAND_LOW, agreement_count__lte=BAND_HIGH)
            ),
            f"{prefix}live": Count("pk", filter=where & Q(has_live=True)),
            **({} if exclude_demo else {f"{prefix}live_on_demo": Count("pk", filter=where & on_demo)}),
        }

    aggregates: dict[str, Any] = measures("total__", Q())
    if not exclude_demo:
        aggregates["live_either_way"] = Count("pk", filter=Q(has_live=True) | Q(has_live_without_demo=True))
    for index, tier in enumerate(tiers):
        aggregates.update(measures(f"t{index}__", Q(tier=tier)))
    # The per-authority counts are subqueries, so Django aggregates over a derived table. DISTINCT
    # (a no-op: every row has its own pk; over four columns it costs well under a millisecond)
    # keeps PostgreSQL from flattening that table into the outer query, which would evaluate the
    # subqueries once per aggregate that reads them (30 times instead of once per authority).
    figures = authorities.distinct().aggregate(**aggregates)

    def row(tier: str, prefix: str) -> dict[str, Any]:
        count = figures[f"{prefix}authorities"]
        with_relationship = figures[f"{prefix}with_relationship"]
        live = figures[f"{prefix}live"]
        return {
            "tier": str(tier),
            "authorities": count,
            "with_relationship": with_relationship,
            "without_relationship": count - with_relationship,
            "rate": percent(with_relationship, count),
            "relationships": figures[f"{prefix}relationships"],
            "in_band": figures[f"{prefix}in_band"],
            "live": live,
            "live_rate": percent(live, count),
            "live_on_demo": figures.get(f"{prefix}live_on_demo", 0),
        }

    total = row("total", "total__")
    return {
        "country": country,
        "as_of": as_of.isoformat(),
        "basis": str(basis),
        "years": years,
        **demo_figures(
            exclude_demo=exclude_demo, on_demo=total["live_on_demo"], either_way=figures.get("live_either_way", 0)
        ),
        "tiers": [row(tier, f"t{index}__") for index, tier in enumerate(tiers)],
        "total": total,
    }


def demo_figures(*, exclude_demo: bool, on_demo: int, either_way: int) -> dict[str, Any]:
    """How much a report's figures rest on demo activity (ActivityLog.is_demo), in its body.

    `exclude_demo`: the figures were computed without demo rows (then nothing rests on them).
    `rests_on_demo_activity`: some answer would change without the demo rows. `demo_share`: the
    share of the report's units (authorities for coverage's live figures, relationships for the
    in-name-only list) whose answer would change without the demo rows, out of those that count
    (live, or in name only) with or without them: percent, one decimal, half up; 0.0 when none.
    """
    return {
        "exclude_demo": exclude_demo,
        "rests_on_demo_activity": bool(on_demo) and not exclude_demo,
        "demo_share": 0.0 if exclude_demo else (percent(on_demo, either_way) or 0.0),
    }


def _in_name_only_scope(
    queryset: QuerySet[TwinningAgreement], *, country: str, basis: str, tier: str | None
) -> QuerySet[TwinningAgreement]:
    """The in-name-only report's own filters: CLAIR-countable only when `basis` is `clair`, the
    home side on `tier` when given."""
    queryset = queryset.on_basis(basis)
    if tier is None:
        return queryset
    return queryset.filter(
        Q(country_a=country, municipality_a__tier=tier) | Q(country_b=country, municipality_b__tier=tier)
    )


def in_name_only(
    *,
    country: str,
    as_of: dt.date,
    years: int = 3,
    grace_years: int = 1,
    basis: str = CountingBasis.ALL,
    include_domestic: bool = False,
    tier: str | None = None,
    exclude_demo: bool = False,
) -> QuerySet[TwinningAgreement]:
    """Relationships of `country` that exist in name only on `as_of`, sides selected.

    TwinningAgreementQuerySet.in_name_only — the one rule the agreement filters and the admin
    call too: in the audit of `country` (a side in it, the other abroad unless
    `include_domestic`), active on `as_of`, vitality dormant or never (demo activity counts
    unless `exclude_demo`) — CLAIR-countable only when `basis` is `clair`, the home side on
    `tier` when given. Annotated as with_vitality (`last_activity_as_of`, `vitality`,
    `vitality_rests_on_demo`…). Longest silent first: never-active ones (oldest signing first),
    then by last activity.
    """
    country = country.upper()
    _check_basis(basis)
    check_tier(country, tier)
    queryset = TwinningAgreement.objects.in_name_only(
        as_of=as_of,
        years=years,
        grace_years=grace_years,
        country=country,
        include_domestic=include_domestic,
        exclude_demo=exclude_demo,
    )
    queryset = _in_name_only_scope(queryset, country=country, basis=basis, tier=tier)
    return queryset.select_related("municipality_a", "municipality_b").order_by(
        F("last_activity_as_of").asc(nulls_first=True), F("signed_on").asc(nulls_first=True), "pk"
    )


def in_name_only_summary(
    *,
    country: str,
    as_of: dt.date,
    years: int = 3,
    grace_years: int = 1,
    basis: str = CountingBasis.ALL,
    include_domestic: bool = False,
    tier: str | None = None,
    exclude_demo: bool = False,
) -> dict[str, Any]:
    """The number of relationships in_name_only lists (same parameters), and how much it rests on
    demo activity (see demo_figures), in one query.

    `count`: the rows of in_name_only. `count_without_demo`: the same without demo activity.
    `on_demo`: relationships in name only with the demo rows and not without them, or the
    reverse. Counted over the relationships in name only either way (a BitmapOr of
    agreement_status_last_activity and agreement_status_last_real): |A Δ B| = 2 |A ∪ B| − |A| − |B|.
    """
    country = country.upper()
    _check_basis(basis)
    check_tier(country, tier)

    def silent(*, exclude_demo: bool) -> Q:
        # The general form, as TwinningAgreementQuerySet.in_name_only filters (its comment says why).
        return silent_on_q(as_of=as_of, years=years, grace_years=grace_years, general=True, exclude_demo=exclude_demo)

    audited = _in_name_only_scope(
        TwinningAgreement.objects.active_on(as_of, general=True).audited(
            country=country, include_domestic=include_domestic
        ),
        country=country,
        basis=basis,
        tier=tier,
    ).order_by()
    if exclude_demo:
        count = audited.filter(silent(exclude_demo=True)).count()
        return {
            "count": count,
            "count_without_demo": count,
            "on_demo": 0,
            **demo_figures(exclude_demo=True, on_demo=0, either_way=count),
        }
    with_demo, without_demo = silent(exclude_demo=False), silent(exclude_demo=True)
    figures = audited.filter(with_demo | without_demo).aggregate(
        count=Count("pk", filter=with_demo),
        count_without_demo=Count("pk", filter=without_demo),
        either_way=Count("pk"),
    )
    on_demo = 2 * figures["either_way"] - figures["count"] - figures["count_without_demo"]
    return {
        "count": figures["count"],
        "count_without_demo": figures["count_without_demo"],
        "on_demo": on_demo,
        **demo_figures(exclude_demo=False, on_demo=on_demo, either_way=figures["either_way"]),
    }


def gaps_authorities(
    *,
    country: str,
    as_of: dt.date,
    tier: str | None = None,
    prefecture: int | None = None,
    basis: str = CountingBasis.ALL,
    include_domestic: bool = False,
) -> QuerySet[Municipality]:
    """Authorities of `country` existing on `as_of` that hold no counted relationship.

    The same relationships as coverage counts (so a tier's list has `without_relationship`
    rows); filtered by `tier` and by `prefecture` (the id of the parent authority). In tier
    order, then by local government code and name.
    """
    country = country.upper()
    _check_basis(basis)
    check_tier(country, tier)
    tiers = tiers_of(country)
    queryset = (
        Municipality.objects.of_country(country)
        .existing(as_of=as_of)
        .filter(tier__in=[tier] if tier else tiers)
        .without_relationship(as_of=as_of, basis=basis, include_domestic=include_domestic)
    )
    if prefecture is not None:
        queryset = queryset.filter(parent_id=prefecture)
    tier_order = Case(*(When(tier=value, then=index) for index, value in enumerate(tiers)))
    return queryset.select_related("parent").order_by(tier_order, "lg_code", "name", "pk")


def gaps_foreign(
    *,
    country: str,
    as_of: dt.date,
    partner_country: str | None = None,
    basis: str = CountingBasis.ALL,
) -> QuerySet[Municipality]:
    """Foreign authorities existing on `as_of` with no relationship active then with any authority
    of `country`; only those of `partner_country` when given. Largest population first (unknown
    population last), then by name."""
    country = country.upper()
    _check_basis(basis)
    queryset = Municipality.objects.exclude(country=country).existing(as_of=as_of)
    if partner_country:
        queryset = queryset.of_country(partner_country)
    return queryset.without_partner_in(country, as_of=as_of, basis=basis, partner_country=partner_country).order_by(
        F("population").desc(nulls_last=True), "name", "pk"
    )


def partner_countries(*, country: str, as_of: dt.date, basis: str = CountingBasis.ALL) -> dict[str, Any]:
    """Partner countries of `country` on `as_of`, most relationships first. One query.

    Per partner country: `relationships` active on `as_of` between an authority of `country` and
    one of the partner country (CLAIR-countable only when `basis` is `clair`), `authorities`:
    home authorities holding at least one, `partner_authorities`: partner-side authorities.
    """
    country = country.upper()
    _check_basis(basis)
    # One branch per side holding the country (foreign pairs only, so the other side is the
    # partner, its country the agreement's own column): each branch is an index-only range scan
    # of agreement_country_a_b / agreement_country_b_a. One `a = country OR b = country` filter
    # could only be a BitmapOr through the table, twice as slow at benchmark size. The ORM cannot
    # group over a UNION, so the grouping below is SQL over the union of the two querysets; the
    # rules (active_on, on_basis) stay in them.
    counted = TwinningAgreement.objects.active_on(as_of).on_basis(basis).order_by()
    home_as_a = counted.filter(country_a=country).exclude(country_b=country)
    home_as_b = counted.filter(country_b=country).exclude(country_a=country)
    pairs = home_as_a.values(
        partner_country=F("country_b"), home_id=F("municipality_a_id"), partner_id=F("municipality_b_id")
    ).union(
        home_as_b.values(
            partner_country=F("country_a"), home_id=F("municipality_b_id"), partner_id=F("municipality_a_id")
        ),
        all=True,
    )
    pairs_sql, params = pairs.query.sql_with_params()
    with connections[pairs.db].cursor() as cursor:
        cursor.execute(
            "SELECT partner_country, COUNT(*), COUNT(DISTINCT home_id), COUNT(DISTINCT partner_id) "
            f"FROM ({pairs_sql}) AS pairs "
            "GROUP BY partner_country ORDER BY 2 DESC, 1",
            params,
        )
        rows = [
            dict(zip(("partner_country", "relationships", "authorities", "partner_authorities"), row, strict=True))
            for row in cursor.fetchall()
        ]
    return {"country": country, "as_of": as_of.isoformat(), "basis": str(basis), "rows": rows}


def growth(
    *,
    country: str,
    as_of: dt.date,
    basis: str = CountingBasis.ALL,
    include_domestic: bool = False,
) -> dict[str, Any]:
    """Relationships of `country` signed per year up to `as_of`, cumulative, and the change. One query.

    Every signing counts in its year, whatever happened to the relationship later (a history of
    signings, as CLAIR's running total). Per year from the first to `as_of`'s year (years without
    signings included): `signed`, `cumulative` (known years), `change` (signed minus the year
    before: the slowing shows as negative numbers). Agreements with an unknown signing date are
    counted apart in `unknown_year`; `total` = last cumulative + unknown_year. Foreign pairs only
    unless `include_domestic`; CLAIR-countable only when `basis` is `clair`.
    """
    country = country.upper()
    _check_basis(basis)
    queryset = TwinningAgreement.objects.signed_by(as_of).on_basis(basis).involving_country(country)
    if not include_domestic:
        queryset = queryset.foreign_to(country)
    # One row per year (None for unknown), counted by the database.
    per_year = dict(
        queryset.order_by()
        .annotate(year=ExtractYear("signed_on"))
        .values("year")
        .annotate(signed=Count("pk"))
        .values_list("year", "signed")
    )
    unknown_year = per_year.pop(None, 0)
    rows: list[dict[str, int]] = []
    if per_year:
        # Running totals over the per-year aggregates (at most one row per year), with the empty
        # years filled in so that `change` always compares with the calendar year before.
        cumulative = previous = 0
        for year in range(min(per_year), as_of.year + 1):
            signed = per_year.get(year, 0)
            cumulative += signed
            rows.append({"year": year, "signed": signed, "cumulative": cumulative, "change": signed - previous})
            previous = signed
    known = rows[-1]["cumulative"] if rows else 0
    return {
        "country": country,
        "as_of": as_of.isoformat(),
        "basis": str(basis),
        "rows": rows,
        "unknown_year": unknown_year,
        "total": known + unknown_year,
    }


def coverage_by_prefecture(
    *,
    country: str,
    as_of: dt.date,
    basis: str = CountingBasis.ALL,
    years: int = 3,
    grace_years: int = 1,
    include_domestic: bool = False,
    exclude_demo: bool = False,
) -> list[dict[str, Any]]:
    """Coverage of `country`'s authorities below prefecture level on `as_of`, prefecture by
    prefecture (the drill-down of coverage()): per prefecture (its id, name, English name, code),
    `authorities`, `with_relationship`, `without_relationship`, `rate`, `live`, `live_rate`, in
    code order. The per-authority counts are coverage()'s own (with_coverage_counts); the
    grouping is done by the database over them. Demo activity counts unless `exclude_demo`. Two
    queries (the prefectures, the counts).
    """
    country = country.upper()
    _check_basis(basis)
    tiers = [tier for tier in tiers_of(country) if tier != "prefecture"]
    prefectures = list(
        Municipality.objects.of_country(country)
        .filter(tier="prefecture")
        .order_by("lg_code", "name", "pk")
        .values("pk", "name", "name_en", "lg_code")
    )
    authorities = counted_authorities(
        country=country,
        as_of=as_of,
        tiers=tiers,
        basis=basis,
        include_domestic=include_domestic,
        years=years,
        grace_years=grace_years,
        exclude_demo=exclude_demo,
    ).values("pk", "parent_id", "agreement_count", "has_live")
    # The ORM cannot group over its own annotations' subqueries without repeating them, so the
    # grouping is SQL over the queryset (as partner_countries does); the rules stay in it.
    sql, params = authorities.query.sql_with_params()
    with connections[authorities.db].cursor() as cursor:
        cursor.execute(
            "SELECT parent_id, COUNT(*), "
            "SUM(CASE WHEN agreement_count > 0 THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN has_live THEN 1 ELSE 0 END) "
            f"FROM ({sql}) AS authorities GROUP BY parent_id",
            params,
        )
        counts = {parent_id: (total, with_relationship, live) for parent_id, total, with_relationship, live in cursor}
    rows = []
    for prefecture in prefectures:
        total, with_relationship, live = counts.get(prefecture["pk"], (0, 0, 0))
        rows.append(
            {
                "prefecture": prefecture["pk"],
                "name": prefecture["name"],
                "name_en": prefecture["name_en"],
                "lg_code": prefecture["lg_code"],
                "authorities": total,
                "with_relationship": with_relationship,
                "without_relationship": total - with_relationship,
                "rate": percent(with_relationship, total),
                "live": live,
                "live_rate": percent(live, total),
            }
        )
    return rows
