"""Places: every local authority, home or foreign."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.backends.ddl_references import Statement
from django.db.models import Case, F, Q, When
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    PREFECTURE = "prefecture", _("Prefecture")
    CITY = "city", _("City")
    SPECIAL_WARD = "special_ward", _("Special ward")
    TOWN = "town", _("Town")
    VILLAGE = "village", _("Village")
    REGION = "region", _("Region (state, province, county)")
    LOCALITY = "locality", _("Locality (foreign city, town or village)")


#: Japan's tiers in the order CLAIR's statistics list them.
JAPAN_TIERS: tuple[str, ...] = (Tier.PREFECTURE, Tier.CITY, Tier.SPECIAL_WARD, Tier.TOWN, Tier.VILLAGE)
#: Tiers of every other country, in report order.
FOREIGN_TIERS: tuple[str, ...] = (Tier.REGION, Tier.LOCALITY)


def tiers_of(country: str) -> tuple[str, ...]:
    """The tiers a country's authorities use, in report order."""
    return JAPAN_TIERS if country == "JP" else FOREIGN_TIERS


class NullsLastIndex(models.Index):
    """An index over expressions whose descending columns put NULLs last (`.desc(nulls_last=True)`).

    PostgreSQL needs the NULLS LAST in the index to serve that order (its DESC puts NULLs first);
    SQLite already sorts NULLs last when descending and refuses NULLS LAST in CREATE INDEX, so
    there the columns are plain DESC.
    """

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "sqlite":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        plain = models.Index(
            *(
                models.OrderBy(expression.expression, descending=expression.descending)
                if isinstance(expression, models.OrderBy)
                else expression
                for expression in self.expressions
            ),
            name=self.name,
        )
        return plain.create_sql(model, schema_editor, using=using, **kwargs)


#: Searches of fewer folded characters match the start of a name only (Municipality.objects.search).
SHORT_SEARCH = 3


class TrigramIndex(GinIndex):
    """A pg_trgm GIN index (`gin_trgm_ops`) on PostgreSQL, which serves LIKE '%…%' on its column.

    The migration creates the extension first (TrigramExtension); the statement makes sure of it
    too, for tables built from the models without migrations (pytest --nomigrations). Other
    databases have no such index and no need: on SQLite no index is made (the statement is an
    SQL comment), and the search scans the table as a LIKE '%…%' would anyway.
    """

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return Statement("-- %(name)s: a PostgreSQL trigram index", name=self.name)
        index = super().create_sql(model, schema_editor, using=using, **kwargs)
        return Statement("CREATE EXTENSION IF NOT EXISTS pg_trgm; %(index)s", index=index)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return Statement("-- %(name)s: a PostgreSQL trigram index", name=self.name)
        return super().remove_sql(model, schema_editor, **kwargs)


class MunicipalityQuerySet(models.QuerySet["Municipality"]):
    def of_country(self, country: str) -> MunicipalityQuerySet:
        """Authorities of one country (ISO 3166-1 alpha-2, upper case)."""
        return self.filter(country=country.upper())

    def existing(self, *, as_of) -> MunicipalityQuerySet:
        """Authorities that exist on `as_of`: not abolished on or before that date.

        An authority with no `abolished_on` exists (its creation date is not recorded).
        """
        return self.filter(Q(abolished_on__isnull=True) | Q(abolished_on__gt=as_of))

    def with_agreement_counts(
        self,
        *,
        as_of,
        basis: str = "all",
        include_domestic: bool = False,
        years: int = 3,
        grace_years: int = 1,
        general: bool = False,
        exclude_demo: bool = False,
        compare_without_demo: bool = False,
    ) -> MunicipalityQuerySet:
        """Annotate `agreement_count` and `live_agreement_count` on `as_of` (and, with
        `compare_without_demo`, `live_agreement_count_without_demo`).

        `agreement_count`: relationships the authority holds that are active on `as_of` (signed by
        then, an unknown signing date counting as before; status on that date `active`), only
        CLAIR-countable ones when `basis` is `clair`, and only with a partner in another country
        unless `include_domestic`. `live_agreement_count`: of those, the ones not in name only
        (vitality `active` or `new` with `years` / `grace_years`; see
        TwinningAgreementQuerySet.with_vitality; demo activity counts unless `exclude_demo`). An
        authority with none has 0, never None.

        Counted side by side (the authority as A, then as B), each an index scan of
        agreement_a_status / agreement_b_status, rather than one `A = pk OR B = pk` scan joined
        to both sides. `general=True`: never the shortcut for `as_of` today or later (see
        registry.models.agreements.settled_on; for tests).
        """
        from .agreements import live_on_q  # agreements.py imports this module

        sides = _counted_sides(as_of=as_of, basis=basis, include_domestic=include_domestic, general=general)
        live = live_on_q(as_of=as_of, years=years, grace_years=grace_years, general=general, exclude_demo=exclude_demo)
        queryset = self.annotate(
            agreement_count=_sum_over_sides(sides, None),
            live_agreement_count=_sum_over_sides(sides, live),
        )
        if not compare_without_demo:
            return queryset
        live_without_demo = live_on_q(
            as_of=as_of, years=years, grace_years=grace_years, general=general, exclude_demo=True
        )
        return queryset.annotate(live_agreement_count_without_demo=_sum_over_sides(sides, live_without_demo))

    def with_coverage_counts(
        self,
        *,
        country: str,
        as_of,
        basis: str = "all",
        include_domestic: bool = False,
        years: int = 3,
        grace_years: int = 1,
        exclude_demo: bool = False,
    ) -> MunicipalityQuerySet:
        """For authorities of `country` only: annotate `agreement_count` (as with_agreement_counts)
        and `has_live` (at least one counted relationship not in name only) — the coverage audit —
        and, unless `exclude_demo`, `has_live_without_demo` (the same over real activity only).

        Demo activity counts in `has_live` unless `exclude_demo`. `has_live` is an EXISTS, which
        stops at the first live relationship instead of counting them all. ("A partner in another
        country" is the agreement's own `country_a <> country_b`, so `country` itself is no
        longer needed to count.)
        """
        from .agreements import live_on_q  # agreements.py imports this module

        sides = _counted_sides(as_of=as_of, basis=basis, include_domestic=include_domestic)

        def has_live(*, exclude_demo: bool) -> models.Expression:
            live = live_on_q(as_of=as_of, years=years, grace_years=grace_years, exclude_demo=exclude_demo)
            return models.ExpressionWrapper(
                Q(models.Exists(sides[0].filter(live))) | Q(models.Exists(sides[1].filter(live))),
                output_field=models.BooleanField(),
            )

        queryset = self.annotate(
            agreement_count=_sum_over_sides(sides, None), has_live=has_live(exclude_demo=exclude_demo)
        )
        if exclude_demo:
            return queryset
        return queryset.annotate(has_live_without_demo=has_live(exclude_demo=True))

    def without_relationship(
        self, *, as_of, basis: str = "all", include_domestic: bool = False
    ) -> MunicipalityQuerySet:
        """Authorities holding no relationship counted on `as_of` (agreement_count 0 in with_agreement_counts)."""
        as_a, as_b = _counted_sides(as_of=as_of, basis=basis, include_domestic=include_domestic)
        return self.filter(~models.Exists(as_a), ~models.Exists(as_b))

    def without_partner_in(
        self, country: str, *, as_of, basis: str = "all", partner_country: str | None = None
    ) -> MunicipalityQuerySet:
        """Authorities with no relationship active on `as_of` with any authority of `country`.

        Two NOT EXISTS over the agreements' own side countries (no join to the sides): for a
        count over every foreign authority PostgreSQL hashes the country's partners once per side
        (index-only scans of agreement_country_a_b / agreement_country_b_a); for a page in
        population order (municipality_pop_order) it probes agreement_b_country_a /
        agreement_a_country_b per authority and stops at the page's end. When every outer
        authority is of `partner_country`, only that country's pairs are read.
        """
        from .agreements import TwinningAgreement  # agreements.py imports this module

        country = country.upper()
        active = TwinningAgreement.objects.active_on(as_of).on_basis(basis).order_by()
        of_a, of_b = active.filter(country_a=country), active.filter(country_b=country)
        if partner_country:
            of_a, of_b = of_a.filter(country_b=partner_country.upper()), of_b.filter(country_a=partner_country.upper())
        return self.filter(
            ~models.Exists(of_a.filter(municipality_b=models.OuterRef("pk"))),
            ~models.Exists(of_b.filter(municipality_a=models.OuterRef("pk"))),
        )

    def search(self, text: str, *, home: str = "JP") -> MunicipalityQuerySet:
        """Authorities whose official name, English name, reading (or GeoNames name) matches `text`
        after folding (registry.services.search: kana, macrons and diacritics, tier words such as
        市 / City / Prefecture, St. / Saint), or whose local government code starts with it; best
        match first.

        A match is the folded text anywhere in `search_key` (at the start of a name when it is
        shorter than SHORT_SEARCH: two letters typed into a search-as-you-type box would match a
        tenth of the world, and no trigram index serves them), or the text without its tier word
        as a whole name of an authority of the tier that word means (`Nagasaki City` finds the
        city Nagasaki, not the prefecture). Order: a whole name (`|長崎市|`), a whole name
        without tier word, the start of a name, anywhere in a name; then authorities of `home`
        first, tier (prefecture … village, region, locality), population (largest first,
        unknown last), name, id. One query; an explicit order_by() afterwards replaces this
        order. Blank `text`: every row, unordered by this; text that folds to nothing
        (punctuation only): none. On PostgreSQL the LIKEs are served by the trigram index
        municipality_search_key_trgm.
        """
        from registry.services.search import SEPARATOR, search_terms  # services import the models

        if not text.strip():
            return self
        terms = search_terms(text)
        if not terms.full:
            return self.none()
        exact = Q(search_key__contains=f"{SEPARATOR}{terms.full}{SEPARATOR}")
        short = len(terms.full) < SHORT_SEARCH
        matches = Q(search_key__contains=f"{SEPARATOR}{terms.full}" if short else terms.full)
        ranks = [When(exact, then=0)]
        if terms.tiers:
            core_exact = Q(search_key__contains=f"{SEPARATOR}{terms.core}{SEPARATOR}", tier__in=terms.tiers)
            matches |= core_exact
            ranks.append(When(core_exact, then=1))
        if terms.full.isdigit():
            matches |= Q(lg_code__startswith=terms.full)
            ranks.insert(0, When(lg_code=terms.full, then=0))
        ranks.append(When(search_key__contains=f"{SEPARATOR}{terms.full}", then=2))
        tiers = (*JAPAN_TIERS, *FOREIGN_TIERS)
        return self.filter(matches).order_by(
            Case(*ranks, default=3, output_field=models.IntegerField()),
            Case(When(country=home.upper(), then=0), default=1, output_field=models.IntegerField()),
            Case(*(When(tier=tier, then=i) for i, tier in enumerate(tiers)), default=len(tiers)),
            F("population").desc(nulls_last=True),
            "name",
            "pk",
        )


def _counted_sides(
    *, as_of, basis: str, include_domestic: bool, general: bool = False
) -> tuple[models.QuerySet, models.QuerySet]:
    """The relationships the coverage audit counts (TwinningAgreementQuerySet.counted) held by the
    outer authority as side A, and as side B: correlated querysets for Exists / Subquery.

    Foreign pairs only unless `include_domestic`: the agreement's two side countries differ (its
    own columns, no join to the partner).
    """
    from .agreements import TwinningAgreement  # agreements.py imports this module

    active = TwinningAgreement.objects.active_on(as_of, general=general).on_basis(basis).order_by()
    if not include_domestic:
        active = active.foreign()
    return active.filter(municipality_a=models.OuterRef("pk")), active.filter(municipality_b=models.OuterRef("pk"))


def _sum_over_sides(sides: tuple[models.QuerySet, models.QuerySet], condition: Q | None) -> models.Expression:
    """COUNT of the side querysets' rows (meeting `condition`), A side plus B side, 0 when none."""

    def count(agreements: models.QuerySet) -> models.Subquery:
        if condition is not None:
            agreements = agreements.filter(condition)
        return models.Subquery(
            agreements.annotate(n=models.Func(models.F("pk"), function="COUNT")).values("n"),
            output_field=models.IntegerField(),
        )

    return models.ExpressionWrapper(count(sides[0]) + count(sides[1]), output_field=models.IntegerField())


class Municipality(models.Model):
    """A local authority: a Japanese prefecture, city, ward, town or village, or a foreign one."""

    name = models.CharField(_("official name"), max_length=200, help_text=_("In the local script."))
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    name_kana = models.CharField(_("reading (kana)"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166-1 alpha-2, e.g. JP."))
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("A Japanese municipality's prefecture; a foreign city's state where known."),
    )
    lg_code = models.CharField(
        _("local government code"),
        max_length=6,
        null=True,
        blank=True,
        help_text=_("Japan's 6-digit 全国地方公共団体コード, check digit included."),
    )
    population = models.PositiveBigIntegerField(_("population"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    geonames_id = models.PositiveIntegerField(_("GeoNames id"), null=True, blank=True)
    # Kept by every service that writes a name (registry.services.search.search_key_of).
    search_key = models.TextField(
        _("search key"),
        blank=True,
        default="",
        db_default="",
        editable=False,
        help_text=_("The names folded for search (kana, accents and tier words aside)."),
    )
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
    )
    abolished_on = models.DateField(_("abolished on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["country", "lg_code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["lg_code"], condition=Q(lg_code__isnull=False), name="municipality_lg_code_unique"
            ),
            models.UniqueConstraint(
                fields=["geonames_id"],
                condition=Q(geonames_id__isnull=False),
                name="municipality_geonames_id_unique",
            ),
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="municipality_tier_valid"),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="municipality_country_iso_alpha2"),
            models.CheckConstraint(
                condition=Q(lg_code__isnull=True) | Q(lg_code__regex=r"^[0-9]{6}$"),
                name="municipality_lg_code_six_digits",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="municipality_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="municipality_longitude_range",
            ),
            models.CheckConstraint(condition=~Q(successor=models.F("pk")), name="municipality_not_own_successor"),
        ]
        indexes = [
            # Coverage and gap reports: authorities of one country, tier by tier.
            models.Index(fields=["country", "tier"], name="municipality_country_tier"),
            # Directory and importer look-ups by name within a country.
            models.Index(fields=["country", "name"], name="municipality_country_name"),
            models.Index(fields=["country", "name_en"], name="municipality_country_name_en"),
            # Gaps foreign (gaps_foreign), a page of the largest first, in its exact order
            # (population DESC NULLS LAST, name, id): over every country, and in one partner country.
            NullsLastIndex(F("population").desc(nulls_last=True), F("name"), F("id"), name="municipality_pop_order"),
            NullsLastIndex(
                F("country"),
                F("population").desc(nulls_last=True),
                F("name"),
                F("id"),
                name="municipality_country_pop_order",
            ),
            # Municipality.objects.search: LIKE '%…%' over the folded names (PostgreSQL; see TrigramIndex).
            TrigramIndex(fields=["search_key"], opclasses=["gin_trgm_ops"], name="municipality_search_key_trgm"),
        ]

    def __str__(self) -> str:
        if self.name_en and self.name_en != self.name:
            return f"{self.name} ({self.name_en})"
        return self.name

    @property
    def is_japanese(self) -> bool:
        return self.country == "JP"

    @property
    def is_abolished(self) -> bool:
        return self.abolished_on is not None


class StaffAssignment(models.Model):
    """A user who works for a municipality's international-relations office (set by an admin)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_assignments")
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="staff_assignments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("staff assignment")
        verbose_name_plural = _("staff assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "municipality"], name="staff_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.municipality}"
