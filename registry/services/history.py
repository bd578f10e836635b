"""The audit trail: one ChangeRecord per write made through a service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import models

from registry.models import ChangeRecord


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.date | dt.datetime | Decimal):
        return str(value)
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The values of `fields` (foreign keys as ids), JSON-ready, to diff before and after a write."""
    return {name: _plain(getattr(instance, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field → [before, after] for the fields that changed."""
    return {key: [before.get(key), after.get(key)] for key in after if before.get(key) != after.get(key)}


def record_change(
    *,
    target: models.Model,
    action: str,
    by: AbstractBaseUser | AnonymousUser | None,
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> ChangeRecord:
    """Write who changed what and when. Called by services inside their transaction."""
    user = by if by is not None and getattr(by, "is_authenticated", False) else None
    return ChangeRecord.objects.create(
        content_type=ContentType.objects.get_for_model(target, for_concrete_model=True),
        object_id=target.pk,
        object_repr=str(target)[:300],
        action=action,
        changes=changes or {},
        note=note,
        changed_by=user,
    )
