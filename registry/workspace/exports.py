"""The workspace's exports: a municipality's relationships and activities as rows for api.exports
(the same CSV / XLSX writers as the API's lists: UTF-8 with BOM, cells no spreadsheet runs as formulas).

The keeper of a municipality reads its internal notes, so they are in the export. Each export is one
query, read in chunks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import Q

from registry.models import ActivityLog, TwinningAgreement

RELATIONSHIP_COLUMNS = [
    "id",
    "municipality",
    "partner",
    "partner_country",
    "kind",
    "signed_on",
    "expires_on",
    "status",
    "status_changed_on",
    "status_reason",
    "vitality",
    "in_name_only",
    "last_activity_on",
    "heads_signed",
    "fields_unrestricted",
    "assembly_approved",
    "clair_countable",
    "exchange_fields",
    "public_notes",
    "internal_notes",
    "source_url",
]

ACTIVITY_COLUMNS = [
    "id",
    "agreement",
    "municipality",
    "partner",
    "occurred_on",
    "category",
    "title",
    "description",
    "direction",
    "participants",
    "evidence_url",
    "is_demo",
]


def _involving(ids: list[int], prefix: str = "") -> Q:
    return Q(**{f"{prefix}municipality_a_id__in": ids}) | Q(**{f"{prefix}municipality_b_id__in": ids})


def _sides(agreement: TwinningAgreement, ids: list[int]) -> tuple[Any, Any]:
    if agreement.municipality_a_id in ids:
        return agreement.municipality_a, agreement.municipality_b
    return agreement.municipality_b, agreement.municipality_a


def relationships(ids: list[int], *, as_of: dt.date) -> tuple[list[str], Iterator[dict[str, Any]]]:
    queryset = TwinningAgreement.objects.filter(_involving(ids)).with_sides().with_vitality(as_of=as_of).order_by("pk")

    def rows() -> Iterator[dict[str, Any]]:
        for agreement in queryset.iterator(chunk_size=2000):
            home, partner = _sides(agreement, ids)
            yield {
                "id": agreement.pk,
                "municipality": home.name,
                "partner": str(partner),
                "partner_country": partner.country,
                "kind": agreement.kind,
                "signed_on": agreement.signed_on_display,
                "expires_on": agreement.expires_on,
                "status": agreement.status,
                "status_changed_on": agreement.status_changed_on,
                "status_reason": agreement.status_reason,
                "vitality": agreement.vitality,
                "in_name_only": agreement.in_name_only,
                "last_activity_on": agreement.last_activity_on,
                "heads_signed": agreement.heads_signed,
                "fields_unrestricted": agreement.fields_unrestricted,
                "assembly_approved": agreement.assembly_approved,
                "clair_countable": agreement.clair_countable,
                "exchange_fields": list(agreement.exchange_fields or []),
                "public_notes": agreement.public_notes,
                "internal_notes": agreement.internal_notes,
                "source_url": agreement.source_url,
            }

    return RELATIONSHIP_COLUMNS, rows()


def activities(ids: list[int], *, as_of: dt.date) -> tuple[list[str], Iterator[dict[str, Any]]]:
    queryset = (
        ActivityLog.objects.filter(_involving(ids, "agreement__"))
        .select_related("agreement", "agreement__municipality_a", "agreement__municipality_b")
        .order_by("-occurred_on", "-pk")
    )

    def rows() -> Iterator[dict[str, Any]]:
        for activity in queryset.iterator(chunk_size=2000):
            home, partner = _sides(activity.agreement, ids)
            yield {
                "id": activity.pk,
                "agreement": activity.agreement_id,
                "municipality": home.name,
                "partner": str(partner),
                "occurred_on": activity.occurred_on,
                "category": activity.category,
                "title": activity.title,
                "description": activity.description,
                "direction": activity.direction,
                "participants": activity.participants,
                "evidence_url": activity.evidence_url,
                "is_demo": activity.is_demo,
            }

    return ACTIVITY_COLUMNS, rows()


EXPORTS: dict[str, Callable[..., tuple[list[str], Iterator[dict[str, Any]]]]] = {
    "relationships": relationships,
    "activities": activities,
}
