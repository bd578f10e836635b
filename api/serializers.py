"""Serializers: explicit read shapes (never "__all__") and input shapes that map onto the services.

Read serializers decide per row whether internal fields show: `context["internal_ids"]` is the
set of municipality ids whose agreements' internal fields the user may read, or `ALL` for
coordinators (see InternalFieldsMixin; the rule itself is registry.services.access).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from registry.models import (
    ActivityLog,
    AgreementKind,
    AgreementStatus,
    AgreementStatusChange,
    ChangeRecord,
    DatePrecision,
    Direction,
    ExchangeCategory,
    MembershipRole,
    Municipality,
    Network,
    NetworkMembership,
    TwinningAgreement,
)
from registry.services import access

#: `internal_ids` value for users who see every agreement's internal fields (coordinators).
ALL = "all"

PARTIAL_DATE_HELP = _("A date known to the year, month or day: 1986, 1986-04 or 1986-04-12.")


def internal_ids_for(user: access.AnyUser) -> frozenset[int] | str:
    """What a read serializer needs to decide internal fields row by row, in one place."""
    if access.is_coordinator(user):
        return ALL
    return access.assigned_municipality_ids(user)


def sees_internal(context: Mapping[str, Any], side_ids: tuple[int, int]) -> bool:
    """The row-level twin of access.can_see_internal_of, without loading the agreement again."""
    allowed = context.get("internal_ids", frozenset())
    return allowed == ALL or bool(set(side_ids) & allowed)


# --- Read shapes -------------------------------------------------------------------------------


class MunicipalitySummarySerializer(serializers.ModelSerializer):
    """A side of an agreement, a member of a network: enough to name it and link to it."""

    class Meta:
        model = Municipality
        fields = ["id", "name", "name_en", "country", "tier", "lg_code"]
        read_only_fields = fields


class MunicipalitySerializer(serializers.ModelSerializer):
    parent = MunicipalitySummarySerializer(read_only=True, allow_null=True)
    agreement_count = serializers.IntegerField(
        read_only=True,
        required=False,
        help_text="Active agreements (present when the audits' counts are available).",
    )

    class Meta:
        model = Municipality
        fields = [
            "id",
            "name",
            "name_en",
            "name_kana",
            "country",
            "tier",
            "parent",
            "lg_code",
            "population",
            "latitude",
            "longitude",
            "successor",
            "abolished_on",
            "agreement_count",
        ]
        read_only_fields = fields


class StatusChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgreementStatusChange
        fields = ["from_status", "to_status", "changed_on", "reason"]
        read_only_fields = fields


#: A signing date at its known precision; null when it is not known (many world twin pairs).
PARTIAL_DATE_SCHEMA = {"type": "string", "nullable": True, "example": "1986-04"}


@extend_schema_field(PARTIAL_DATE_SCHEMA)
class PartialDateField(serializers.Field):
    """Reads the signing date at its known precision ("1986", "1986-04", "1986-04-12")."""

    def to_representation(self, agreement: TwinningAgreement) -> str | None:
        return agreement.signed_on_display or None


#: Never public: shown to coordinators and to staff of either side of the agreement.
AGREEMENT_INTERNAL_FIELDS = ("internal_notes", "internal_contact", "needs_review", "review_note")


class AgreementSerializer(serializers.ModelSerializer):
    """An agreement in a list. Internal fields appear only for coordinators and staff of a side."""

    municipality_a = MunicipalitySummarySerializer(read_only=True)
    municipality_b = MunicipalitySummarySerializer(read_only=True)
    signed_on = PartialDateField(source="*", read_only=True, help_text=PARTIAL_DATE_HELP)
    vitality = serializers.CharField(
        read_only=True,
        required=False,
        allow_null=True,
        help_text=(
            "active, dormant, never or new (as of today; active agreements); null when neither side is in the home "
            "country (`country`, default JP): the registry does not record their activity."
        ),
    )
    in_name_only = serializers.BooleanField(
        read_only=True,
        required=False,
        allow_null=True,
        help_text=(
            "Active, yet no activity within the last three years (the audit's rule, as /api/reports/in-name-only/); "
            "null outside the audit: no side in the home country, or a domestic pair unless include_domestic."
        ),
    )
    vitality_rests_on_demo = serializers.BooleanField(
        read_only=True,
        required=False,
        allow_null=True,
        help_text=(
            "The vitality (and so in_name_only) would differ without the demo activity (rows flagged is_demo): "
            "read it as a demonstration. Always false with exclude_demo; null when there is no vitality."
        ),
    )
    # Not read-only in the schema's sense: they are optional, as they are absent for the public.
    internal_notes = serializers.CharField(required=False, help_text="Coordinators and staff of a side only.")
    internal_contact = serializers.CharField(required=False, help_text="Coordinators and staff of a side only.")
    needs_review = serializers.BooleanField(required=False, help_text="Coordinators and staff of a side only.")
    review_note = serializers.CharField(required=False, help_text="Coordinators and staff of a side only.")

    class Meta:
        model = TwinningAgreement
        fields = [
            "id",
            "municipality_a",
            "municipality_b",
            "kind",
            "signed_on",
            "signed_on_precision",
            "expires_on",
            "status",
            "status_changed_on",
            "status_reason",
            "heads_signed",
            "fields_unrestricted",
            "assembly_approved",
            "clair_countable",
            "exchange_fields",
            "public_notes",
            "source_url",
            "source",
            "last_activity_on",
            "vitality",
            "in_name_only",
            "vitality_rests_on_demo",
            "version",
            "internal_notes",
            "internal_contact",
            "needs_review",
            "review_note",
        ]
        read_only_fields = [name for name in fields if name not in AGREEMENT_INTERNAL_FIELDS]

    def to_representation(self, instance: TwinningAgreement) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not sees_internal(self.context, (instance.municipality_a_id, instance.municipality_b_id)):
            for name in AGREEMENT_INTERNAL_FIELDS:
                data.pop(name, None)
        return data


class AgreementDetailSerializer(AgreementSerializer):
    """One agreement with its status history, oldest change first."""

    status_history = StatusChangeSerializer(source="status_changes", many=True, read_only=True)

    class Meta(AgreementSerializer.Meta):
        fields = [*AgreementSerializer.Meta.fields, "status_history"]
        read_only_fields = [*AgreementSerializer.Meta.read_only_fields, "status_history"]


class ActivitySerializer(serializers.ModelSerializer):
    """One logged exchange; who logged it shows to coordinators and staff of the agreement's sides."""

    logged_by = serializers.CharField(
        source="logged_by.username", required=False, allow_null=True, help_text="Coordinators and staff of a side only."
    )

    class Meta:
        model = ActivityLog
        fields = [
            "id",
            "agreement",
            "occurred_on",
            "category",
            "title",
            "description",
            "direction",
            "participants",
            "evidence_url",
            "is_demo",
            "version",
            "logged_by",
        ]
        read_only_fields = [name for name in fields if name != "logged_by"]

    def to_representation(self, instance: ActivityLog) -> dict[str, Any]:
        data = super().to_representation(instance)
        agreement = instance.agreement
        if not sees_internal(self.context, (agreement.municipality_a_id, agreement.municipality_b_id)):
            data.pop("logged_by", None)
        return data


class NetworkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Network
        fields = ["id", "slug", "name", "name_ja", "scale", "founded_year", "seat", "website", "source"]
        read_only_fields = fields


class NetworkSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Network
        fields = ["id", "slug", "name", "scale"]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer):
    network = NetworkSummarySerializer(read_only=True)
    municipality = MunicipalitySummarySerializer(read_only=True)

    class Meta:
        model = NetworkMembership
        fields = ["id", "network", "municipality", "role", "joined_on", "left_on", "version"]
        read_only_fields = fields


class ChangeRecordSerializer(serializers.ModelSerializer):
    """Who changed what, and when (coordinators only)."""

    model = serializers.CharField(source="content_type.model", read_only=True, help_text="e.g. twinningagreement")
    changed_by = serializers.CharField(source="changed_by.username", read_only=True, allow_null=True, default=None)
    changes = serializers.DictField(child=serializers.ListField(), read_only=True, help_text="Field: [before, after].")

    class Meta:
        model = ChangeRecord
        fields = ["id", "model", "object_id", "object_repr", "action", "changes", "note", "changed_by", "changed_at"]
        read_only_fields = fields


# --- Input shapes (each maps onto one service's keyword arguments) -----------------------------


class StrictInputSerializer(serializers.Serializer):
    """Refuses fields it does not know, so that a typo or a read-only field is a 400, not a silent no-op."""

    #: Field name → the message that says where that field is changed instead.
    redirect_messages: Mapping[str, str] = {}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [self.redirect_messages.get(name, _("Unknown field; it cannot be written here."))]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


class AgreementCreateSerializer(StrictInputSerializer):
    """sign_agreement(a=municipality_a, b=municipality_b, …)."""

    municipality_a = serializers.PrimaryKeyRelatedField(queryset=Municipality.objects.all())
    municipality_b = serializers.PrimaryKeyRelatedField(queryset=Municipality.objects.all())
    kind = serializers.ChoiceField(choices=AgreementKind.choices, default=AgreementKind.SISTER)
    signed_on = serializers.CharField(required=False, allow_blank=True, max_length=10, help_text=PARTIAL_DATE_HELP)
    expires_on = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=AgreementStatus.choices, default=AgreementStatus.ACTIVE)
    status_changed_on = serializers.CharField(required=False, allow_blank=True, max_length=10)
    status_reason = serializers.CharField(required=False, allow_blank=True)
    heads_signed = serializers.BooleanField(default=False)
    fields_unrestricted = serializers.BooleanField(default=False)
    assembly_approved = serializers.BooleanField(default=False)
    exchange_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=ExchangeCategory.choices), required=False
    )
    public_notes = serializers.CharField(required=False, allow_blank=True)
    internal_notes = serializers.CharField(required=False, allow_blank=True)
    internal_contact = serializers.CharField(required=False, allow_blank=True)
    source_url = serializers.URLField(required=False, allow_blank=True, max_length=500)

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        data["a"] = data.pop("municipality_a")
        data["b"] = data.pop("municipality_b")
        return data


class AgreementUpdateSerializer(StrictInputSerializer):
    """update_agreement(agreement, **changes): only the fields sent change."""

    redirect_messages = {
        "status": _("The status changes through POST /api/agreements/{id}/change-status/ with a date and a reason."),
        "municipality_a": _("The sides of an agreement never change; record a new agreement instead."),
        "municipality_b": _("The sides of an agreement never change; record a new agreement instead."),
    }

    kind = serializers.ChoiceField(choices=AgreementKind.choices, required=False)
    signed_on = serializers.CharField(required=False, allow_blank=True, max_length=10, help_text=PARTIAL_DATE_HELP)
    signed_on_precision = serializers.ChoiceField(choices=DatePrecision.choices, required=False)
    expires_on = serializers.DateField(required=False, allow_null=True)
    heads_signed = serializers.BooleanField(required=False)
    fields_unrestricted = serializers.BooleanField(required=False)
    assembly_approved = serializers.BooleanField(required=False)
    exchange_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=ExchangeCategory.choices), required=False
    )
    public_notes = serializers.CharField(required=False, allow_blank=True)
    internal_notes = serializers.CharField(required=False, allow_blank=True)
    internal_contact = serializers.CharField(required=False, allow_blank=True)
    source_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    needs_review = serializers.BooleanField(required=False)
    review_note = serializers.CharField(required=False, allow_blank=True)


class ChangeStatusSerializer(StrictInputSerializer):
    """change_status(agreement, status, on, reason)."""

    status = serializers.ChoiceField(choices=AgreementStatus.choices)
    on = serializers.CharField(max_length=10, help_text=PARTIAL_DATE_HELP)
    reason = serializers.CharField(help_text="Why the status changes (kept in the status history).")


class ActivityCreateSerializer(StrictInputSerializer):
    """log_activity(agreement, occurred_on, category, title, …)."""

    agreement = serializers.PrimaryKeyRelatedField(queryset=TwinningAgreement.objects.all())
    occurred_on = serializers.DateField()
    category = serializers.ChoiceField(choices=ExchangeCategory.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False, allow_blank=True)
    participants = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2_147_483_647)
    evidence_url = serializers.URLField(required=False, allow_blank=True, max_length=500)


class ActivityUpdateSerializer(StrictInputSerializer):
    """update_activity(activity, **changes)."""

    redirect_messages = {"agreement": _("An activity stays under its agreement; log it again under the other one.")}

    occurred_on = serializers.DateField(required=False)
    category = serializers.ChoiceField(choices=ExchangeCategory.choices, required=False)
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False, allow_blank=True)
    participants = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2_147_483_647)
    evidence_url = serializers.URLField(required=False, allow_blank=True, max_length=500)


class MembershipCreateSerializer(StrictInputSerializer):
    """join_network(network, municipality, role, joined_on, left_on)."""

    network = serializers.PrimaryKeyRelatedField(queryset=Network.objects.all())
    municipality = serializers.PrimaryKeyRelatedField(queryset=Municipality.objects.all())
    role = serializers.ChoiceField(choices=MembershipRole.choices, default=MembershipRole.ACTIVE)
    joined_on = serializers.DateField(required=False, allow_null=True)
    left_on = serializers.DateField(required=False, allow_null=True)


class MembershipUpdateSerializer(StrictInputSerializer):
    """update_membership(membership, **changes)."""

    role = serializers.ChoiceField(choices=MembershipRole.choices, required=False)
    joined_on = serializers.DateField(required=False, allow_null=True)
    left_on = serializers.DateField(required=False, allow_null=True)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


# --- Lean list rows ------------------------------------------------------------------------------
# The two biggest lists (agreements, municipalities) read `.values()` rows and shape them here in
# plain Python: building model instances and walking DRF fields cost ~10× the SQL on a 50-row page
# (see `manage.py bench_api`). The shapes are exactly those of AgreementSerializer and
# MunicipalitySerializer (which the schema and the detail views use); tests/api/test_lean_rows.py
# pins the equality, so the two cannot drift apart.

_SIDE_FIELDS = ("id", "name", "name_en", "country", "tier", "lg_code")

AGREEMENT_ROW_VALUES: tuple[str, ...] = (
    "id",
    *(f"municipality_a__{name}" for name in _SIDE_FIELDS),
    *(f"municipality_b__{name}" for name in _SIDE_FIELDS),
    "kind",
    "signed_on",
    "signed_on_precision",
    "expires_on",
    "status",
    "status_changed_on",
    "status_reason",
    "heads_signed",
    "fields_unrestricted",
    "assembly_approved",
    "clair_countable",
    "exchange_fields",
    "public_notes",
    "source_url",
    "source",
    "last_activity_on",
    "vitality",
    "in_name_only",
    "vitality_rests_on_demo",
    "version",
    *AGREEMENT_INTERNAL_FIELDS,
)


def _iso(value: Any) -> str | None:
    """A date as ISO text; prepared rows on SQLite hand over the stored ISO text itself (see api.views)."""
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def _flag(value: Any) -> bool | None:
    """A nullable boolean annotation (SQLite hands over 0 / 1): None stays None (outside the audit)."""
    return None if value is None else bool(value)


def _partial_date(value: Any, precision: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):  # ISO text (see _iso)
        if precision == DatePrecision.DAY or not value[0].isdigit() or value[0] == "0":
            # Days as they are; years before 1000 formatted as the date object would be (`%Y`).
            value = dt.date.fromisoformat(value)
            if precision == DatePrecision.DAY:
                return value.isoformat()
        else:
            return value[:4] if precision == DatePrecision.YEAR else value[:7]
    text = value.isoformat()
    if precision == DatePrecision.DAY:
        return text
    if value.year < 1000:  # as `%Y` writes it (unpadded), which the serializer field uses
        return f"{value:%Y}" if precision == DatePrecision.YEAR else f"{value:%Y-%m}"
    return text[:4] if precision == DatePrecision.YEAR else text[:7]


@functools.lru_cache(maxsize=32)
def _positions(names: tuple[str, ...]) -> dict[str, int]:
    return {name: position for position, name in enumerate(names)}


def agreement_rows(
    rows: Iterable[Sequence[Any]], names: tuple[str, ...], context: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Rows of the columns AGREEMENT_ROW_VALUES (with_vitality annotated), as tuples whose columns are
    `names` (any order), shaped as AgreementSerializer in one pass."""
    allowed = context.get("internal_ids", frozenset())
    at = _positions(names)
    side_a = [(name, at[f"municipality_a__{name}"]) for name in _SIDE_FIELDS]
    side_b = [(name, at[f"municipality_b__{name}"]) for name in _SIDE_FIELDS]
    internal = [(name, at[name]) for name in AGREEMENT_INTERNAL_FIELDS]
    a_id, b_id = at["municipality_a__id"], at["municipality_b__id"]
    (
        id_,
        kind,
        signed_on,
        precision,
        expires_on,
        status,
        status_changed_on,
        status_reason,
        heads_signed,
        fields_unrestricted,
        assembly_approved,
        clair_countable,
        exchange_fields,
        public_notes,
        source_url,
        source,
        last_activity_on,
        vitality,
        in_name_only,
        rests_on_demo,
        version,
    ) = (
        at[name]
        for name in (
            "id",
            "kind",
            "signed_on",
            "signed_on_precision",
            "expires_on",
            "status",
            "status_changed_on",
            "status_reason",
            "heads_signed",
            "fields_unrestricted",
            "assembly_approved",
            "clair_countable",
            "exchange_fields",
            "public_notes",
            "source_url",
            "source",
            "last_activity_on",
            "vitality",
            "in_name_only",
            "vitality_rests_on_demo",
            "version",
        )
    )
    everything = allowed == ALL
    shaped = []
    for row in rows:
        data = {
            "id": row[id_],
            "municipality_a": {name: row[position] for name, position in side_a},
            "municipality_b": {name: row[position] for name, position in side_b},
            "kind": row[kind],
            "signed_on": _partial_date(row[signed_on], row[precision]),
            "signed_on_precision": row[precision],
            "expires_on": _iso(row[expires_on]),
            "status": row[status],
            "status_changed_on": _iso(row[status_changed_on]),
            "status_reason": row[status_reason],
            "heads_signed": bool(row[heads_signed]),
            "fields_unrestricted": bool(row[fields_unrestricted]),
            "assembly_approved": bool(row[assembly_approved]),
            "clair_countable": bool(row[clair_countable]),
            "exchange_fields": row[exchange_fields],
            "public_notes": row[public_notes],
            "source_url": row[source_url],
            "source": row[source],
            "last_activity_on": _iso(row[last_activity_on]),
            "vitality": row[vitality],
            "in_name_only": _flag(row[in_name_only]),
            "vitality_rests_on_demo": _flag(row[rests_on_demo]),
            "version": row[version],
        }
        if everything or row[a_id] in allowed or row[b_id] in allowed:
            for name, position in internal:
                data[name] = row[position]
        shaped.append(data)
    return shaped


MUNICIPALITY_ROW_VALUES: tuple[str, ...] = (
    "id",
    "name",
    "name_en",
    "name_kana",
    "country",
    "tier",
    *(f"parent__{name}" for name in _SIDE_FIELDS),
    "lg_code",
    "population",
    "latitude",
    "longitude",
    "successor",
    "abolished_on",
    "agreement_count",
)


def municipality_rows(
    rows: Iterable[Sequence[Any]], names: tuple[str, ...], context: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Rows of the columns MUNICIPALITY_ROW_VALUES (with_agreement_counts annotated), as tuples whose
    columns are `names` (any order), shaped as MunicipalitySerializer in one pass."""
    at = _positions(names)
    parent = [(name, at[f"parent__{name}"]) for name in _SIDE_FIELDS]
    parent_id = at["parent__id"]
    (
        id_,
        name_,
        name_en,
        name_kana,
        country,
        tier,
        lg_code,
        population,
        latitude,
        longitude,
        successor,
        abolished_on,
        agreement_count,
    ) = (
        at[name]
        for name in (
            "id",
            "name",
            "name_en",
            "name_kana",
            "country",
            "tier",
            "lg_code",
            "population",
            "latitude",
            "longitude",
            "successor",
            "abolished_on",
            "agreement_count",
        )
    )
    return [
        {
            "id": row[id_],
            "name": row[name_],
            "name_en": row[name_en],
            "name_kana": row[name_kana],
            "country": row[country],
            "tier": row[tier],
            "parent": ({name: row[position] for name, position in parent} if row[parent_id] is not None else None),
            "lg_code": row[lg_code],
            "population": row[population],
            "latitude": row[latitude],
            "longitude": row[longitude],
            "successor": row[successor],
            "abolished_on": _iso(row[abolished_on]),
            "agreement_count": row[agreement_count],
        }
        for row in rows
    ]
