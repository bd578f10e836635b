"""City diplomacy in the API: an authority's profile (`/api/municipalities/<pk>/diplomacy/`) and the
multilateral coverage report (`/api/reports/multilateral-coverage/`). Adapters over
registry.services.diplomacy, which states every weight and mapping and where it comes from."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api import exports
from api.caching import public_data
from api.reports import ReportParamsSerializer, ReportView, _parse
from registry.models import ExchangeCategory, MembershipRole, NetworkScale, Tier
from registry.services import diplomacy

# --- The profile ----------------------------------------------------------------------------------------


class ProfileParamsSerializer(ReportParamsSerializer):
    """`as_of` (default today) and `years`; `country` is the authority's own, so it is not asked for."""

    years = serializers.IntegerField(
        min_value=1, max_value=100, default=3, help_text=_("Activity window in years (default 3).")
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields.pop("country")
        return fields


class ProfilePlaceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    name_en = serializers.CharField(allow_blank=True)
    country = serializers.CharField()
    tier = serializers.ChoiceField(choices=Tier.choices)


class CountryCountSerializer(serializers.Serializer):
    country = serializers.CharField()
    relationships = serializers.IntegerField()


class ContinentCountSerializer(serializers.Serializer):
    continent = serializers.CharField(help_text=_("GeoNames continent code: AF, AN, AS, EU, NA, OC, SA."))
    relationships = serializers.IntegerField()


class ActivityCountsSerializer(serializers.Serializer):
    """Activities of the window per category (every category, zeros included)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {category: serializers.IntegerField() for category in ExchangeCategory.values}


class BilateralSerializer(serializers.Serializer):
    relationships = serializers.IntegerField(help_text=_("Relationships active on as_of, any partner."))
    live = serializers.IntegerField(help_text=_("Of those, not in name only (judged for the home country)."))
    in_name_only = serializers.IntegerField()
    partner_countries = CountryCountSerializer(many=True)
    continents = ContinentCountSerializer(many=True)
    activities = ActivityCountsSerializer()
    activities_total = serializers.IntegerField()
    demo_activities = serializers.IntegerField(help_text=_("Of the window's activities, demo rows (is_demo)."))


class ProfileMembershipSerializer(serializers.Serializer):
    network = serializers.IntegerField()
    name = serializers.CharField()
    name_ja = serializers.CharField(allow_blank=True)
    scale = serializers.ChoiceField(choices=NetworkScale.choices)
    role = serializers.ChoiceField(choices=MembershipRole.choices)
    joined_year = serializers.IntegerField(allow_null=True)
    is_derived = serializers.BooleanField(help_text=_("Derived from a source's statement, not read row by row."))
    source_url = serializers.CharField(allow_blank=True)


class ScaleRolesSerializer(serializers.Serializer):
    scale = serializers.ChoiceField(choices=NetworkScale.choices)
    active = serializers.IntegerField()
    observer = serializers.IntegerField()
    associate = serializers.IntegerField()


class MultilateralSerializer(serializers.Serializer):
    memberships = ProfileMembershipSerializer(many=True)
    by_scale = ScaleRolesSerializer(many=True)


class DimensionSerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(choices=[(d, d) for d in diplomacy.Dimension.ALL])
    categories = serializers.ListField(child=serializers.CharField(), help_text=_("Activity categories mapped on it."))
    activities = serializers.IntegerField()
    memberships = serializers.IntegerField()


class IndexPartSerializer(serializers.Serializer):
    indicator = serializers.CharField()
    rank = serializers.IntegerField(help_text=_("The review's rank of the indicator (1 = most frequent)."))
    measured = serializers.BooleanField()
    counts = serializers.CharField(help_text=_("What the registry counts for it."))
    categories = serializers.ListField(child=serializers.CharField())
    count = serializers.IntegerField(allow_null=True)
    weight = serializers.FloatField()
    value = serializers.FloatField(allow_null=True, help_text=_("Percent of the peers with a lower count."))
    contribution = serializers.FloatField(allow_null=True, help_text=_("weight × value"))


class IndexSerializer(serializers.Serializer):
    value = serializers.FloatField(help_text=_("0–100: the weighted sum of the parts."))
    percentile = serializers.FloatField(allow_null=True, help_text=_("Percent of the peers with a lower index."))
    peers = serializers.IntegerField(help_text=_("Authorities of the same country and tier, itself included."))
    country = serializers.CharField()
    tier = serializers.ChoiceField(choices=Tier.choices)
    parts = IndexPartSerializer(many=True)


class DiplomacyProfileSerializer(serializers.Serializer):
    municipality = ProfilePlaceSerializer()
    as_of = serializers.DateField()
    years = serializers.IntegerField()
    bilateral = BilateralSerializer()
    multilateral = MultilateralSerializer()
    dimensions = DimensionSerializer(many=True)
    index = IndexSerializer()
    rests_on_demo_activity = serializers.BooleanField()


def parse_profile_params(request: Request) -> dict[str, Any]:
    return _parse(ProfileParamsSerializer, request)


# --- Multilateral coverage ---------------------------------------------------------------------------


class MultilateralRowSerializer(serializers.Serializer):
    tier = serializers.CharField(help_text=_("The tier, or `total`."))
    authorities = serializers.IntegerField(help_text=_("Authorities existing on as_of."))
    in_network = serializers.IntegerField(help_text=_("Authorities in at least one city network on as_of."))
    in_network_rate = serializers.FloatField(allow_null=True)
    beyond_mayors_for_peace = serializers.IntegerField(
        help_text=_("Authorities in a network other than Mayors for Peace.")
    )
    beyond_mayors_for_peace_rate = serializers.FloatField(allow_null=True)
    only_derived = serializers.IntegerField(
        help_text=_("Authorities in a network only through memberships derived from a source's statement.")
    )


class MultilateralCoverageSerializer(serializers.Serializer):
    country = serializers.CharField()
    as_of = serializers.DateField()
    tiers = MultilateralRowSerializer(many=True)
    total = MultilateralRowSerializer()


class MultilateralCoverageView(ReportView):
    @extend_schema(
        summary="Multilateral coverage by tier",
        description=(
            "Per tier: authorities in at least one city network on as_of, and in one beyond Mayors for Peace "
            "(almost every Japanese municipality is in that one), with a total row. The same numbers as the "
            "coverage page's multilateral table."
        ),
        parameters=[ReportParamsSerializer, exports.FORMAT_PARAMETER],
        responses=MultilateralCoverageSerializer,
        tags=["reports"],
    )
    @public_data
    def get(self, request: Request) -> Response:
        params = _parse(ReportParamsSerializer, request)
        self.name_csv("multilateral-coverage", params)
        return Response(MultilateralCoverageSerializer(diplomacy.multilateral_coverage(**params)).data)
