"""FilterSets: every question a user asks of a list, as a query parameter.

Invalid values answer 400 (DjangoFilterBackend's `raise_exception`), also for booleans and
orderings, which django-filter would otherwise ignore silently (see StrictBooleanFilter and the
`ordering` filters below).
"""

from __future__ import annotations

import copy
import datetime as dt

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from django_filters.filters import FilterMethod
from drf_spectacular.utils import extend_schema_field

from registry.models import (
    ActivityLog,
    AgreementKind,
    AgreementStatus,
    ChangeAction,
    ChangeRecord,
    Direction,
    ExchangeCategory,
    MembershipRole,
    Municipality,
    Network,
    NetworkMembership,
    NetworkScale,
    Tier,
    TwinningAgreement,
)
from registry.services.dates import check_moment, today

VITALITY_CHOICES = [("active", "active"), ("dormant", "dormant"), ("never", "never"), ("new", "new")]


class StrictBooleanField(forms.Field):
    """`true`/`false` (also 1/0, yes/no); anything else is an error, not "no filter"."""

    TRUE = {"true", "1", "yes"}
    FALSE = {"false", "0", "no"}

    def to_python(self, value: str | None) -> bool | None:
        text = "" if value is None else str(value).strip().lower()
        if not text:  # blank, white space only too (as the other filters read it): no filter
            return None
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(_("Write true or false (got “%(value)s”)."), params={"value": value})


def _any_case(words: set[str]) -> str:
    return "|".join("".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in w) for w in sorted(words))


# The exact set StrictBooleanField accepts (any case, white space around), blank meaning no filter.
@extend_schema_field(
    {
        "type": "string",
        "pattern": rf"^\s*({_any_case(StrictBooleanField.TRUE | StrictBooleanField.FALSE)})?\s*$",
        "example": "true",
    }
)
class StrictBooleanFilter(filters.Filter):
    """Like BooleanFilter, but an unknown value is a 400 (BooleanFilter's widget turns it into "no filter")."""

    field_class = StrictBooleanField


#: The largest id the database holds (BigAutoField): a larger number is a 400, not an OverflowError.
MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})
class IdFilter(filters.NumberFilter):
    """A whole, positive id within the database's integer range (a decimal or a huge number is a 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 9999})
class YearFilter(filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 9999)
        super().__init__(*args, **kwargs)


class CountryField(forms.CharField):
    """ISO 3166-1 alpha-2, any case, answered in upper case."""

    def to_python(self, value: str | None) -> str:
        text = (super().to_python(value) or "").strip().upper()
        if text and (len(text) != 2 or not text.isalpha() or not text.isascii()):
            raise forms.ValidationError(
                _("A country is two letters, ISO 3166-1, e.g. JP (got “%(value)s”)."), params={"value": value}
            )
        return text


# Blank is no filter; surrounding white space is ignored (as a form field strips it).
@extend_schema_field({"type": "string", "pattern": r"^\s*([A-Za-z]{2})?\s*$"})
class CountryFilter(filters.CharFilter):
    field_class = CountryField


def _prefecture_ids(value: str) -> Q:
    """A prefecture given as its local government code (6 digits) or its id."""
    value = value.strip()
    if len(value) == 6 and value.isdigit():
        return Q(lg_code=value, tier=Tier.PREFECTURE)
    return Q(pk=int(value), tier=Tier.PREFECTURE)


class PrefectureField(forms.CharField):
    def to_python(self, value: str | None) -> str:
        text = (super().to_python(value) or "").strip()
        is_code = len(text) == 6 and text.isascii() and text.isdigit()
        # Only ASCII digits ("²" or "٤" pass isdigit() but int() refuses them), within the id range.
        if text and not is_code and not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_ID):
            raise forms.ValidationError(
                _("A prefecture is its local government code (e.g. 420000) or its id (got “%(value)s”)."),
                params={"value": value},
            )
        return text


@extend_schema_field({"type": "string", "pattern": r"^\s*[0-9]*\s*$"})
class PrefectureFilter(filters.CharFilter):
    field_class = PrefectureField


class RegistryFilterSet(filters.FilterSet):
    """A FilterSet whose form class is built once per class, not once per request.

    django-filter builds a new form class (and every form field, labels included) for each request;
    the fields depend only on the declared filters, so the first one built is reused.
    """

    _form_classes: dict[type, type] = {}

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None) -> None:
        """FilterSet.__init__ with shallow copies of the declared filters instead of `copy.deepcopy`.

        The deep copy (every filter's choices, labels, lookups…) cost ~1 ms a request and bought
        nothing: a filter's only per-request state is its `model` and `parent`, set below, and the
        method proxy, which must point at the copy (so that it finds this FilterSet's methods).
        """
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        model = queryset.model
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for name, declared in self.base_filters.items():
            filter_ = copy.copy(declared)
            if getattr(declared, "_method", None) is not None:
                filter_.filter = FilterMethod(filter_)
            filter_.model = model
            filter_.parent = self
            self.filters[name] = filter_

    def get_form_class(self) -> type:
        form_class = RegistryFilterSet._form_classes.get(type(self))
        if form_class is None:
            form_class = RegistryFilterSet._form_classes[type(self)] = super().get_form_class()
        return form_class


class MunicipalityFilter(RegistryFilterSet):
    country = CountryFilter(help_text="ISO 3166-1 alpha-2 country code, e.g. JP.")
    # distinct=False: a filter on the row's own column cannot repeat a row (DISTINCT would only cost).
    tier = filters.MultipleChoiceFilter(choices=Tier.choices, distinct=False, help_text="Tier; repeat for several.")
    prefecture = PrefectureFilter(
        method="filter_prefecture",
        help_text="Municipalities of a prefecture: its local government code (420000) or id.",
    )
    parent = IdFilter(field_name="parent_id", help_text="Id of the parent authority.")
    has_agreements = StrictBooleanFilter(
        method="filter_has_agreements", help_text="With (true) or without (false) any active agreement."
    )
    search = filters.CharFilter(
        method="filter_search", help_text="Free text over the official name, English name, reading and code."
    )
    ordering = filters.OrderingFilter(
        fields=(
            ("name", "name"),
            ("name_en", "name_en"),
            ("lg_code", "lg_code"),
            ("population", "population"),
            ("id", "id"),
            ("agreement_count", "agreement_count"),
        ),
        help_text="Sort by a field; prefix with - for descending.",
    )

    class Meta:
        model = Municipality
        fields: list[str] = []

    def filter_prefecture(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(parent__in=Municipality.objects.filter(_prefecture_ids(value)))

    def filter_has_agreements(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        # `agreement_count` comes from Municipality.objects.with_agreement_counts() (the audits' rule).
        if value is None:
            return queryset
        return queryset.filter(agreement_count__gt=0) if value else queryset.filter(agreement_count=0)

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.search(value)


class AgreementFilter(RegistryFilterSet):
    """Agreement filters. Vitality and in name only are the audits' rule (TwinningAgreementQuerySet.
    in_name_only / with_vitality) for a home country: `country` when given, else the registry's home
    country (settings.REGISTRY_HOME_COUNTRY, JP). The view annotates the rows for the same home
    country, `include_domestic` and `exclude_demo` (api.views.AgreementViewSet.audit_params), so
    the `vitality` / `in_name_only` columns and these filters always agree with each other and with
    /api/reports/in-name-only/ given the same parameters.
    """

    municipality = IdFilter(method="filter_municipality", help_text="Id of either side.")
    country = CountryFilter(
        method="filter_country",
        help_text=(
            "Agreements with a side in this country (e.g. JP). Also the home country whose audit `vitality`, "
            "`in_name_only` and their filters answer for (default: the registry's home country, JP)."
        ),
    )
    partner_country = CountryFilter(
        method="filter_partner_country",
        help_text="Agreements with one side in this country and the other side in another country.",
    )
    prefecture = PrefectureFilter(
        method="filter_prefecture",
        help_text="Agreements of a prefecture or of its municipalities: local government code (420000) or id.",
    )
    tier = filters.MultipleChoiceFilter(choices=Tier.choices, method="filter_tier", help_text="Tier of either side.")
    # distinct=False: filters on the row's own column cannot repeat a row (DISTINCT would only cost).
    kind = filters.MultipleChoiceFilter(
        choices=AgreementKind.choices, distinct=False, help_text="Kind; repeat for several."
    )
    status = filters.MultipleChoiceFilter(
        choices=AgreementStatus.choices, distinct=False, help_text="Status; repeat for several."
    )
    signed_year_min = YearFilter(
        field_name="signed_on__year", lookup_expr="gte", help_text="Signed in this year or later."
    )
    signed_year_max = YearFilter(
        field_name="signed_on__year", lookup_expr="lte", help_text="Signed in this year or earlier."
    )
    clair_countable = StrictBooleanFilter(help_text="Meets CLAIR's three criteria (true) or not (false).")
    in_name_only = StrictBooleanFilter(
        method="filter_in_name_only",
        help_text=(
            "true: in name only today in the home country's audit (see `country`): a side in the home country and "
            "the other abroad (domestic pairs too with include_domestic), active, no activity within the last 3 "
            "years and signed more than a year ago; the same rule and count as /api/reports/in-name-only/. "
            "false: in the audit and not in name only. Agreements outside the audit (no side in the home country; "
            "domestic pairs unless include_domestic) are neither: their `in_name_only` is null."
        ),
    )
    vitality = filters.ChoiceFilter(
        choices=VITALITY_CHOICES,
        help_text="Vitality as of today; agreements with no side in the home country (see `country`) have none.",
    )
    include_domestic = StrictBooleanFilter(
        method="filter_audit_parameter",
        help_text="Count domestic pairs of the home country in the in-name-only audit too (default false).",
    )
    exclude_demo = StrictBooleanFilter(
        method="filter_audit_parameter",
        help_text=(
            "Compute vitality and in name only without the demo activity (rows flagged is_demo); default false, "
            "then `vitality_rests_on_demo` says where the demo rows decide."
        ),
    )
    search = filters.CharFilter(
        method="filter_search", help_text="Free text over either side's names, reading and code."
    )
    ordering = filters.OrderingFilter(
        fields=(
            ("signed_on", "signed_on"),
            ("id", "id"),
            ("status", "status"),
            ("last_activity_on", "last_activity_on"),
        ),
        help_text="Sort by a field; prefix with - for descending.",
    )

    class Meta:
        model = TwinningAgreement
        fields: list[str] = []

    def filter_municipality(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        return queryset.involving(int(value))

    def filter_in_name_only(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        if value:
            # The reports' rule itself; the rows are annotated already (for the same audit parameters).
            data = self.form.cleaned_data
            return queryset.in_name_only(
                as_of=today(),
                country=data.get("country") or None,
                include_domestic=bool(data.get("include_domestic")),
                exclude_demo=bool(data.get("exclude_demo")),
                annotate=False,
            )
        return queryset.filter(in_name_only=False)  # in the audit (None is outside it)

    def filter_audit_parameter(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        # include_domestic / exclude_demo choose how the rows are annotated (the view does it, before
        # filtering); validated here, they filter nothing themselves.
        return queryset

    # Both read the agreement's own side countries (`country_a` / `country_b`, copied from the sides
    # by every service that writes an agreement, as the reports rely on): no join to the sides.

    def filter_country(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.involving_country(value)

    def filter_partner_country(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter((Q(country_a=value) & ~Q(country_b=value)) | (Q(country_b=value) & ~Q(country_a=value)))

    def filter_prefecture(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        prefectures = Municipality.objects.filter(_prefecture_ids(value)).values("pk")
        return queryset.filter(
            Q(municipality_a__in=prefectures)
            | Q(municipality_b__in=prefectures)
            | Q(municipality_a__parent__in=prefectures)
            | Q(municipality_b__parent__in=prefectures)
        )

    def filter_tier(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(Q(municipality_a__tier__in=value) | Q(municipality_b__tier__in=value))

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value.strip():
            return queryset
        matches = Municipality.objects.search(value).values("pk")
        return queryset.filter(Q(municipality_a__in=matches) | Q(municipality_b__in=matches))


class ActivityFilter(RegistryFilterSet):
    agreement = IdFilter(field_name="agreement_id", help_text="Id of the agreement.")
    municipality = IdFilter(method="filter_municipality", help_text="Id of either side of the agreement.")
    category = filters.MultipleChoiceFilter(choices=ExchangeCategory.choices, help_text="Category; repeat for several.")
    direction = filters.ChoiceFilter(choices=Direction.choices)
    occurred_after = filters.DateFilter(
        field_name="occurred_on", lookup_expr="gte", help_text="On or after (YYYY-MM-DD)."
    )
    occurred_before = filters.DateFilter(
        field_name="occurred_on", lookup_expr="lte", help_text="On or before (YYYY-MM-DD)."
    )
    ordering = filters.OrderingFilter(fields=(("occurred_on", "occurred_on"), ("id", "id")))

    class Meta:
        model = ActivityLog
        fields: list[str] = []

    def filter_municipality(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        pk = int(value)
        return queryset.filter(Q(agreement__municipality_a_id=pk) | Q(agreement__municipality_b_id=pk))


class NetworkFilter(RegistryFilterSet):
    scale = filters.ChoiceFilter(choices=NetworkScale.choices)
    search = filters.CharFilter(method="filter_search", help_text="Free text over the name and the Japanese name.")
    ordering = filters.OrderingFilter(fields=(("name", "name"), ("founded_year", "founded_year"), ("id", "id")))

    class Meta:
        model = Network
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(name__icontains=value) | Q(name_ja__icontains=value))


class MembershipFilter(RegistryFilterSet):
    network = IdFilter(field_name="network_id", help_text="Id of the network.")
    municipality = IdFilter(field_name="municipality_id", help_text="Id of the municipality.")
    country = CountryFilter(field_name="municipality__country")
    role = filters.ChoiceFilter(choices=MembershipRole.choices)
    current = StrictBooleanFilter(
        field_name="left_on", lookup_expr="isnull", help_text="Current (true: not left) or past (false) memberships."
    )
    ordering = filters.OrderingFilter(fields=(("joined_on", "joined_on"), ("id", "id")))

    class Meta:
        model = NetworkMembership
        fields: list[str] = []


HISTORY_MODELS = {
    "agreement": ("registry", "twinningagreement"),
    "activity": ("registry", "activitylog"),
    "membership": ("registry", "networkmembership"),
    "municipality": ("registry", "municipality"),
}


class MomentField(IsoDateTimeField):
    """An ISO 8601 moment (IsoDateTimeFilter's) within the dates the database can compare with."""

    def to_python(self, value: str | None) -> dt.datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return check_moment(moment, field="value")
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["value"]) from None


class MomentFilter(filters.IsoDateTimeFilter):
    field_class = MomentField


class ChangeRecordFilter(RegistryFilterSet):
    model = filters.ChoiceFilter(
        choices=[(key, key) for key in HISTORY_MODELS], method="filter_model", help_text="What kind of record."
    )
    object_id = IdFilter(help_text="Id of the record (with `model`).")
    action = filters.ChoiceFilter(choices=ChangeAction.choices)
    changed_by = filters.CharFilter(field_name="changed_by__username", help_text="Username of who changed it.")
    changed_after = MomentFilter(field_name="changed_at", lookup_expr="gte")
    changed_before = MomentFilter(field_name="changed_at", lookup_expr="lte")

    class Meta:
        model = ChangeRecord
        fields: list[str] = []

    def filter_model(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        app_label, model = HISTORY_MODELS[value]
        return queryset.filter(content_type=ContentType.objects.get_by_natural_key(app_label, model))
