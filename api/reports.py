"""Audit reports under /api/reports/: parse the query, call registry.services.audits, render.

Every report takes `country` (ISO alpha-2, default JP) and `as_of` (default today), validated by
a serializer (a bad value is a 400 naming the parameter); `?format=csv` gives the same rows as a
spreadsheet-safe CSV file. Public: anyone may read them (anonymous rate limits apply).

Coverage and in-name-only count demo activity (ActivityLog.is_demo) unless `exclude_demo=true`,
and say in the body how much their figures rest on it (`rests_on_demo_activity`, `demo_share`;
per row `live_on_demo` / `vitality_rests_on_demo`, which the CSV carries as columns).

`/api/reports/gaps/` answers three questions, chosen with `kind`:
- `kind=authorities` (default): authorities of `country` with no relationship (paginated;
  `tier`, `prefecture` filters; the same relationships as coverage counts);
- `kind=foreign`: foreign authorities with no relationship to any authority of `country`, largest
  population first (paginated; `partner_country` filter);
- `kind=countries`: partner countries with the number of relationships and of home authorities
  linked to each (the same body as `/api/reports/partner-countries/`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from api import exports
from api.caching import public_data
from api.filters import MAX_ID
from api.pagination import RegistryPagination
from api.serializers import PARTIAL_DATE_SCHEMA
from registry.models import Municipality, Tier, TwinningAgreement, tiers_of
from registry.models.agreements import CountingBasis, Vitality
from registry.services import audits
from registry.services.dates import check_as_of, today
from registry.services.figures import CountedPaginator, cached_figure

# --- Query parameters -------------------------------------------------------------------------


class ReportParamsSerializer(serializers.Serializer):
    """`country` and `as_of`, common to every report."""

    country = serializers.RegexField(
        r"^[A-Za-z]{2}$",
        default="JP",
        help_text=_("ISO 3166-1 alpha-2 code of the home country (default JP)."),
        error_messages={"invalid": _("Give a two-letter ISO 3166-1 country code such as JP.")},
    )
    as_of = serializers.DateField(
        default=today,
        input_formats=["iso-8601"],
        help_text=_("The day the report answers for, YYYY-MM-DD (default today)."),
        error_messages={"invalid": _("Give the date as YYYY-MM-DD, e.g. 2024-04-01.")},
    )

    def validate_country(self, value: str) -> str:
        return value.upper()

    def validate_as_of(self, value: dt.date) -> dt.date:
        try:
            return check_as_of(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict["as_of"]) from None


class BasisParamsSerializer(ReportParamsSerializer):
    basis = serializers.ChoiceField(
        choices=CountingBasis.choices,
        default=CountingBasis.ALL,
        help_text=_("`all`: every active relationship; `clair`: only CLAIR-countable ones."),
    )


class DomesticParamsSerializer(BasisParamsSerializer):
    include_domestic = serializers.BooleanField(
        default=False, help_text=_("Count relationships between two authorities of the same country too.")
    )


class VitalityParamsSerializer(DomesticParamsSerializer):
    exclude_demo = serializers.BooleanField(
        default=False,
        help_text=_(
            "Compute vitality, live coverage and in name only without the demo activity (rows flagged is_demo). "
            "Without it, demo rows count and the body says how much the figures rest on them."
        ),
    )
    years = serializers.IntegerField(
        min_value=1, max_value=100, default=3, help_text=_("Activity window in years (default 3).")
    )
    grace_years = serializers.IntegerField(
        min_value=0, max_value=100, default=1, help_text=_("Grace period of a new agreement in years (default 1).")
    )


class TierParamSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(
        choices=Tier.choices, required=False, help_text=_("Only this tier (one of the country's tiers).")
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        tier = attrs.get("tier")
        country = attrs.get("country", "JP")
        if tier and tier not in tiers_of(country):
            raise serializers.ValidationError(
                {
                    "tier": _("“%(tier)s” is not a tier of %(country)s; choose %(choices)s.")
                    % {"tier": tier, "country": country, "choices": ", ".join(tiers_of(country))}
                }
            )
        return attrs


class InNameOnlyParamsSerializer(TierParamSerializer, VitalityParamsSerializer):
    pass


class GapKind:
    AUTHORITIES = "authorities"
    FOREIGN = "foreign"
    COUNTRIES = "countries"
    CHOICES = (AUTHORITIES, FOREIGN, COUNTRIES)


class GapsParamsSerializer(TierParamSerializer, DomesticParamsSerializer):
    kind = serializers.ChoiceField(
        choices=GapKind.CHOICES,
        default=GapKind.AUTHORITIES,
        help_text=_(
            "`authorities`: home authorities without a partner; `foreign`: foreign authorities without a "
            "home partner; `countries`: partner countries with counts."
        ),
    )
    prefecture = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,  # larger is a 400, not an OverflowError
        required=False,
        help_text=_("kind=authorities: only authorities of this prefecture (its id)."),
    )
    partner_country = serializers.RegexField(
        r"^[A-Za-z]{2}$",
        required=False,
        help_text=_("kind=foreign: only authorities of this country (ISO alpha-2)."),
        error_messages={"invalid": _("Give a two-letter ISO 3166-1 country code such as US.")},
    )

    def validate_partner_country(self, value: str) -> str:
        return value.upper()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        # A filter that the chosen question ignores would silently answer another question.
        applies_to = {"tier": GapKind.AUTHORITIES, "prefecture": GapKind.AUTHORITIES}
        applies_to["partner_country"] = GapKind.FOREIGN
        errors = {
            name: _("%(name)s applies only to kind=%(kind)s.") % {"name": name, "kind": kind}
            for name, kind in applies_to.items()
            if attrs.get(name) is not None and attrs["kind"] != kind
        }
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def figure(name: str, report: Callable[..., Any], params: dict[str, Any], *, call: bool = True) -> Any:
    """`report(**params)` (or `report()` when not `call`), cached while the data is unchanged
    (registry.services.figures): the public reports are the same for every reader."""
    return cached_figure(f"report-{name}", compute=(lambda: report(**params)) if call else report, **params)


def _parse(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    params = serializer_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    return dict(params.validated_data)


# --- Response shapes ----------------------------------------------------------------------------


class CoverageRowSerializer(serializers.Serializer):
    tier = serializers.CharField(help_text=_("The tier, or `total`."))
    authorities = serializers.IntegerField(help_text=_("Authorities existing on as_of."))
    with_relationship = serializers.IntegerField()
    without_relationship = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text=_("Percent with a relationship, one decimal, half up."))
    relationships = serializers.IntegerField()
    in_band = serializers.IntegerField(help_text=_("Authorities holding 4 to 8 relationships."))
    live = serializers.IntegerField(help_text=_("Authorities holding at least one relationship not in name only."))
    live_rate = serializers.FloatField(allow_null=True)
    live_on_demo = serializers.IntegerField(
        help_text=_("Authorities whose live standing rests on demo activity (it would change without it).")
    )


class DemoFiguresSerializer(serializers.Serializer):
    """How much a report's figures rest on demo activity (registry.services.audits.demo_figures)."""

    exclude_demo = serializers.BooleanField(help_text=_("The figures were computed without demo activity."))
    rests_on_demo_activity = serializers.BooleanField(
        help_text=_("Some figure would change without the demo activity: read it as a demonstration, not a finding.")
    )
    demo_share = serializers.FloatField(
        help_text=_(
            "Percent of the units counted (authorities live, relationships in name only, with or without demo "
            "rows) whose answer rests on demo activity; one decimal, half up."
        )
    )


class CoverageSerializer(DemoFiguresSerializer):
    country = serializers.CharField()
    as_of = serializers.DateField()
    basis = serializers.CharField()
    years = serializers.IntegerField()
    tiers = CoverageRowSerializer(many=True)
    total = CoverageRowSerializer()


class SideSerializer(serializers.ModelSerializer):
    class Meta:
        model = Municipality
        fields = ["id", "name", "name_en", "country", "tier"]


class InNameOnlyRowSerializer(serializers.ModelSerializer):
    municipality_a = SideSerializer()
    municipality_b = SideSerializer()
    signed_on = serializers.SerializerMethodField(help_text=_("At its known precision: 1986, 1986-04 or 1986-04-12."))
    last_activity_on = serializers.DateField(
        source="last_activity_as_of", allow_null=True, help_text=_("Latest activity on or before as_of.")
    )
    vitality = serializers.ChoiceField(choices=Vitality.choices)
    vitality_rests_on_demo = serializers.BooleanField(
        help_text=_("The vitality would differ without the demo activity (e.g. dormant only from demo rows).")
    )

    class Meta:
        model = TwinningAgreement
        fields = [
            "id",
            "kind",
            "municipality_a",
            "municipality_b",
            "signed_on",
            "last_activity_on",
            "vitality",
            "vitality_rests_on_demo",
        ]

    @extend_schema_field(PARTIAL_DATE_SCHEMA)
    def get_signed_on(self, agreement: TwinningAgreement) -> str | None:
        return agreement.signed_on_display or None


class GapAuthoritySerializer(serializers.ModelSerializer):
    prefecture = serializers.CharField(source="parent.name", default=None, allow_null=True)
    prefecture_id = serializers.IntegerField(source="parent_id", allow_null=True)

    class Meta:
        model = Municipality
        fields = ["id", "name", "name_en", "tier", "lg_code", "prefecture_id", "prefecture", "population"]


class GapForeignSerializer(serializers.ModelSerializer):
    class Meta:
        model = Municipality
        fields = ["id", "name", "name_en", "country", "tier", "population"]


class PartnerCountryRowSerializer(serializers.Serializer):
    partner_country = serializers.CharField()
    relationships = serializers.IntegerField()
    authorities = serializers.IntegerField(help_text=_("Home authorities linked to the partner country."))
    partner_authorities = serializers.IntegerField(help_text=_("Authorities of the partner country linked."))


class PartnerCountriesSerializer(serializers.Serializer):
    country = serializers.CharField()
    as_of = serializers.DateField()
    basis = serializers.CharField()
    rows = PartnerCountryRowSerializer(many=True)


class GrowthRowSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    signed = serializers.IntegerField()
    cumulative = serializers.IntegerField()
    change = serializers.IntegerField(help_text=_("Signed minus the year before."))


class GrowthSerializer(serializers.Serializer):
    country = serializers.CharField()
    as_of = serializers.DateField()
    basis = serializers.CharField()
    rows = GrowthRowSerializer(many=True)
    unknown_year = serializers.IntegerField(help_text=_("Signed on an unknown date."))
    total = serializers.IntegerField()


def _paginated(name: str, row: type[serializers.Serializer]) -> serializers.Serializer:
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": row(many=True),
        },
    )


# --- Pagination ---------------------------------------------------------------------------------


class KeysFirstPaginator(CountedPaginator):
    """A page of a report in two steps inside one query: the page's primary keys first, over the
    filtered rows alone (their order, then LIMIT/OFFSET), and only then those rows with their
    joins (both sides of an agreement, a parent) and annotations — selected by those keys alone.
    (Report querysets filter through single-valued relations and subqueries only, so dropping the
    filters from the outer query cannot add rows.) A queryset with nothing to join or annotate
    (gaps foreign) is sliced directly: its keys would be its rows.

    Slicing the queryset itself would join the sides of every matching row (29,000 in-name-only
    agreements at benchmark size) before sorting and cutting the page of 50.
    """

    def __init__(self, *args: Any, keys_figure: tuple[str, dict[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: (name, params) of the report: its pages' keys are then cached figures (see `figure`).
        self.keys_figure = keys_figure

    def page(self, number: int | str) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        object_list = self.object_list
        if isinstance(object_list, QuerySet) and (object_list.query.select_related or object_list.query.annotations):
            keys: Any = object_list.values("pk")[bottom:top]
            if self.keys_figure is not None:
                # Finding a page of the report is the report's work (its rules over every row); the
                # page's keys are a figure like its count.
                name, params = self.keys_figure
                ordered = object_list.values_list("pk", flat=True)[bottom:top]
                keys = figure(f"{name}-keys", lambda: list(ordered), {**params, "rows": f"{bottom}-{top}"}, call=False)
            # The keys carry the report's filters; the page's rows need only their joins,
            # annotations and order. Filtering them again would compile and run every rule
            # (status history, vitality, the side countries) a second time.
            page_rows = object_list.all()
            page_rows.query.clear_where()
            page_rows = page_rows.filter(pk__in=keys)
        else:
            page_rows = object_list[bottom:top]
        return self._get_page(page_rows, number, self)


class ReportPagination(RegistryPagination):
    django_paginator_class = KeysFirstPaginator
    #: Set by the view: the report's name and parameters, to cache its pages' keys.
    keys_figure: tuple[str, dict[str, Any]] | None = None

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        if self.keys_figure is not None:
            self.django_paginator_class = partial(KeysFirstPaginator, keys_figure=self.keys_figure)
        return super().paginate_queryset(queryset, request, view)


# --- Views --------------------------------------------------------------------------------------


class ReportView(GenericAPIView):
    """A report: public, parameters validated by a serializer, no django-filter or ordering."""

    permission_classes = [AllowAny]  # public figures (anonymous rate limits apply)
    # Parameters are validated by each view's parameter serializer, not by filter backends.
    filter_backends: list = []
    pagination_class = None
    csv_filename = "report"
    #: The rows of this request's paginated report (see rows_response).
    report_rows: QuerySet | None = None

    def name_csv(self, report: str, params: dict[str, Any]) -> None:
        self.csv_filename = f"{report}-{params['country']}-{params['as_of'].isoformat()}"

    def get_queryset(self) -> QuerySet:
        # The browsable API asks a paginated answer's view for its queryset (to draw a filter form:
        # there is none here, reports have no filter backends). Before rows_response, no rows.
        if self.report_rows is None:
            return Municipality.objects.none()
        return self.report_rows

    def rows_response(
        self, queryset: QuerySet, serializer_class: type[serializers.Serializer]
    ) -> Response | StreamingHttpResponse:
        """One page of `queryset`'s rows; `?format=csv` / `xlsx`: every row as a file (api.exports)."""
        self.report_rows = queryset
        context = self.get_serializer_context()
        format_ = exports.export_format(self.request)
        if format_ is not None:
            return exports.export_response(
                rows=exports.serialized_rows(queryset, serializer_class, context),
                columns=exports.serializer_columns(serializer_class(context=context)),
                filename=self.csv_filename,
                format=format_,
            )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True, context=context).data)


class CoverageView(ReportView):
    @extend_schema(
        summary="Coverage by tier",
        description="Authorities with and without a relationship on as_of, tier by tier, with a total row.",
        parameters=[VitalityParamsSerializer, exports.FORMAT_PARAMETER],
        responses=CoverageSerializer,
        tags=["reports"],
    )
    @public_data
    def get(self, request: Request) -> Response:
        params = _parse(VitalityParamsSerializer, request)
        self.name_csv("coverage", params)
        return Response(CoverageSerializer(figure("coverage", audits.coverage, params)).data)


class InNameOnlyView(ReportView):
    pagination_class = ReportPagination
    serializer_class = InNameOnlyRowSerializer

    @extend_schema(
        summary="Relationships in name only",
        description=(
            "The audit of `country` (default JP): relationships with a side in it and the other abroad (domestic "
            "pairs too with include_domestic), active on as_of, with no activity within the window (dormant) or "
            "none at all (never). The same rule and number as /api/agreements/?in_name_only=true with the same "
            "country, include_domestic and exclude_demo. Demo activity counts unless exclude_demo: the body says "
            "how much the list rests on it (`count_without_demo`, `on_demo`: relationships whose verdict "
            "would change without demo rows, `rests_on_demo_activity`, `demo_share`)."
        ),
        parameters=[InNameOnlyParamsSerializer, exports.FORMAT_PARAMETER],
        responses=inline_serializer(
            name="PaginatedInNameOnlyList",
            fields={
                "count": serializers.IntegerField(),
                "count_without_demo": serializers.IntegerField(
                    help_text=_("Relationships in name only without the demo activity.")
                ),
                "on_demo": serializers.IntegerField(
                    help_text=_("Relationships whose in-name-only verdict rests on demo activity.")
                ),
                **DemoFiguresSerializer().get_fields(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": InNameOnlyRowSerializer(many=True),
            },
        ),
        tags=["reports"],
    )
    @public_data
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        params = _parse(InNameOnlyParamsSerializer, request)
        self.name_csv("in-name-only", params)
        if exports.export_format(self.request) is not None:
            return self.rows_response(audits.in_name_only(**params), InNameOnlyRowSerializer)
        # One query for the count and the demo figures; the paginator takes the count from it.
        summary = figure("in-name-only-summary", audits.in_name_only_summary, params)
        self.paginator.known_count = summary["count"]
        self.paginator.keys_figure = ("in-name-only", params)
        response = self.rows_response(audits.in_name_only(**params), InNameOnlyRowSerializer)
        response.data = {"count": response.data["count"], **summary, **response.data}
        return response


class GapsView(ReportView):
    pagination_class = ReportPagination

    @extend_schema(
        summary="Gaps: authorities without a partner, foreign authorities without one, partner countries",
        description=(
            "`kind=authorities` (default): authorities of the country with no relationship (paginated; `tier`, "
            "`prefecture`). `kind=foreign`: foreign authorities with no relationship to any authority of the "
            "country, largest population first (paginated; `partner_country`). `kind=countries`: partner "
            "countries with counts (the body of /api/reports/partner-countries/)."
        ),
        parameters=[GapsParamsSerializer, exports.FORMAT_PARAMETER],
        responses=PolymorphicProxySerializer(
            component_name="Gaps",
            serializers=[
                _paginated("PaginatedGapAuthorityList", GapAuthoritySerializer),
                _paginated("PaginatedGapForeignList", GapForeignSerializer),
                PartnerCountriesSerializer,
            ],
            resource_type_field_name=None,
        ),
        tags=["reports"],
    )
    @public_data
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        params = _parse(GapsParamsSerializer, request)
        kind = params.pop("kind")
        self.name_csv(f"gaps-{kind}", params)
        country, as_of, basis = params["country"], params["as_of"], params["basis"]
        if kind == GapKind.COUNTRIES:
            return Response(
                PartnerCountriesSerializer(
                    figure(
                        "partner-countries",
                        audits.partner_countries,
                        {"country": country, "as_of": as_of, "basis": basis},
                    )
                ).data
            )
        if kind == GapKind.FOREIGN:
            queryset = audits.gaps_foreign(
                country=country, as_of=as_of, basis=basis, partner_country=params.get("partner_country")
            )
            serializer_class: type[serializers.Serializer] = GapForeignSerializer
        else:
            queryset = audits.gaps_authorities(
                country=country,
                as_of=as_of,
                basis=basis,
                include_domestic=params["include_domestic"],
                tier=params.get("tier"),
                prefecture=params.get("prefecture"),
            )
            serializer_class = GapAuthoritySerializer
        if exports.export_format(self.request) is None:
            # Counting the gaps reads every authority (every foreign one for kind=foreign): a figure.
            self.paginator.known_count = figure(f"gaps-{kind}-count", queryset.count, params, call=False)
            self.paginator.keys_figure = (f"gaps-{kind}", params)
        return self.rows_response(queryset, serializer_class)


class PartnerCountriesView(ReportView):
    @extend_schema(
        summary="Partner countries",
        description="Relationships active on as_of per partner country, most first, with the authorities linked.",
        parameters=[BasisParamsSerializer, exports.FORMAT_PARAMETER],
        responses=PartnerCountriesSerializer,
        tags=["reports"],
    )
    @public_data
    def get(self, request: Request) -> Response:
        params = _parse(BasisParamsSerializer, request)
        self.name_csv("partner-countries", params)
        return Response(PartnerCountriesSerializer(figure("partner-countries", audits.partner_countries, params)).data)


class GrowthView(ReportView):
    @extend_schema(
        summary="Growth",
        description="Relationships signed per year up to as_of, cumulative, and the change on the year before.",
        parameters=[DomesticParamsSerializer, exports.FORMAT_PARAMETER],
        responses=GrowthSerializer,
        tags=["reports"],
    )
    @public_data
    def get(self, request: Request) -> Response:
        params = _parse(DomesticParamsSerializer, request)
        self.name_csv("growth", params)
        return Response(GrowthSerializer(figure("growth", audits.growth, params)).data)
