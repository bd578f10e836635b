"""Reloading shipped data never overwrites what was edited in the registry.

The rule every importer follows (import_municipalities, import_twin_pairs, import_agreements,
import_networks, and so `load_registry_data` / `make run`):

- a row the registry lacks is created, and the values the source gave it are recorded as its
  baseline (ImportedValues: one row per imported object, field → value as last imported);
- a field whose value equals the source's needs nothing (its baseline is brought up to date);
- a field whose value still equals its baseline was not edited since the last import: it takes
  the source's new value ("source changed, not edited → updated");
- a field whose value differs from its baseline was edited in the registry: it is **kept**, and
  the import reports it (summary.kept: object, field, the registry's value, the source's value).
  The baseline then records what the source says now, so the next run keeps it again;
- forced (`--force-source`), a locally edited field takes the source's value too, and the import
  reports each one it overwrote (summary.overwritten).

A field without a baseline (rows imported before baselines existed, rows entered by hand and
found by an import) is judged by the change history instead: it counts as edited when a change
record other than an import names the field (an edit through the admin, the API or a service).
Creating a row is not editing its fields: a row entered by hand that a file later describes takes
the file's values, as a first import would give them. An empty field is filled. A row without
any history was written outside the services (a shell, a raw load), so nobody can say its values
are an import's: they are kept.

Values are compared as JSON-ready plain values (foreign keys as ids, dates as ISO text).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone

from registry.models import ChangeAction, ChangeRecord, ImportedValues

from .imports import ImportSummary, LocalEdit

#: The object has a history (created or changed through a service or an import).
WRITTEN = "<written>"


def plain(value: Any) -> Any:
    """A value as JSON keeps it, so that the registry's and the baseline's compare equal."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal | str):
        return str(value)  # choices (TextChoices members) as their plain value
    if isinstance(value, tuple):
        return [plain(item) for item in value]
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _field_of(key: str) -> str:
    """History keys name foreign keys with or without `_id` (the admin writes `parent`)."""
    return key[:-3] if key.endswith("_id") else key


class Baselines:
    """The baselines of one model's imported rows, read once; the rule above, field by field.

    Use: `values = baselines.reconcile(obj, source)` for an existing row (returns the fields to
    write), `baselines.created(obj, source)` for a new one, then `baselines.save()` once the new
    rows have ids.
    """

    def __init__(
        self,
        model: type[models.Model],
        *,
        source: str,
        summary: ImportSummary,
        force: bool = False,
    ) -> None:
        self.content_type = ContentType.objects.get_for_model(model)
        self.source = source
        self.summary = summary
        self.force = force
        self.recorded: dict[int, dict[str, Any]] = dict(
            ImportedValues.objects.filter(content_type=self.content_type).values_list("object_id", "values")
        )
        self._pending: dict[int, dict[str, Any]] = {}
        self._new: list[tuple[models.Model, dict[str, Any]]] = []
        self._history: dict[int, set[str]] | None = None

    def reconcile(
        self, obj: models.Model, source: dict[str, Any], *, current: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The source values to write to `obj`, field → value: those not edited since the last
        import (all of them when forced). Kept and overwritten edits go to the summary.

        `current` gives the registry's values where they are not plain attributes of `obj` (e.g.
        a date with its precision); by default `getattr(obj, field)`.
        """
        recorded = self.recorded.get(obj.pk, {})
        baseline = dict(recorded)
        writes: dict[str, Any] = {}
        for name, value in source.items():
            now = plain(current[name] if current is not None else getattr(obj, name))
            wanted = plain(value)
            baseline[name] = wanted
            if now == wanted:
                continue
            edited = recorded[name] != now if name in recorded else self._edited_by_hand(obj, name, now)
            if edited:
                edit = LocalEdit(target=str(obj), field=_field_of(name), registry_value=now, source_value=wanted)
                if not self.force:
                    self.summary.kept.append(edit)
                    continue
                self.summary.overwritten.append(edit)
            writes[name] = value
        if baseline != recorded:
            self._pending[obj.pk] = baseline
        return writes

    def created(self, obj: models.Model, source: dict[str, Any]) -> None:
        """`obj` was created from `source`: its baseline is those values (saved once it has an id)."""
        self._new.append((obj, {name: plain(value) for name, value in source.items()}))

    def remember(self, pk: int, values: dict[str, Any]) -> None:
        """Record values for a row that exists already (e.g. imported before baselines existed)."""
        self._pending[pk] = {**self.recorded.get(pk, {}), **{name: plain(value) for name, value in values.items()}}

    def save(self) -> None:
        """Write the new and changed baselines: one upsert on (content_type, object_id).

        Plain SQL rather than bulk_create: a first load writes tens of thousands of baselines, and building
        a model instance for each would cost more than the import itself.
        """
        rows = {**self._pending, **{obj.pk: values for obj, values in self._new}}
        table = connection.ops.quote_name(ImportedValues._meta.db_table)
        values_, source, imported_at = (connection.ops.quote_name(name) for name in ("values", "source", "imported_at"))
        field = ImportedValues._meta.get_field("values")
        now = ImportedValues._meta.get_field("imported_at").get_db_prep_value(timezone.now(), connection)
        items = list(rows.items())
        with connection.cursor() as cursor:
            for start in range(0, len(items), 500):  # 2,500 parameters a statement: under SQLite's limit
                batch = items[start : start + 500]
                cursor.execute(
                    f"INSERT INTO {table} (content_type_id, object_id, {values_}, {source}, {imported_at}) VALUES "
                    + ", ".join(["(%s, %s, %s, %s, %s)"] * len(batch))
                    + f" ON CONFLICT (content_type_id, object_id) DO UPDATE SET {values_} = EXCLUDED.{values_}, "
                    f"{source} = EXCLUDED.{source}, {imported_at} = EXCLUDED.{imported_at}",
                    [
                        param
                        for pk, values in batch
                        for param in (
                            self.content_type.pk,
                            pk,
                            field.get_db_prep_save(values, connection),
                            self.source,
                            now,
                        )
                    ],
                )
        self.recorded.update(rows)
        self._pending.clear()
        self._new.clear()

    def _edited_by_hand(self, obj: models.Model, name: str, now: Any) -> bool:
        """No baseline for this field: the change history decides (see the module's docstring)."""
        if self._history is None:
            self._history = {}
            records = ChangeRecord.objects.filter(content_type=self.content_type).values_list(
                "object_id", "action", "changes"
            )
            for object_id, action, changes in records:
                fields = self._history.setdefault(object_id, set())
                fields.add(WRITTEN)
                if action != ChangeAction.IMPORT:
                    fields.update(_field_of(key) for key in (changes or {}))
        fields = self._history.get(obj.pk, set())
        if _field_of(name) in fields:
            return True
        if now is None or now == "":
            return False  # an empty field is filled
        # No history at all: written outside the services, so not known to be an import's.
        return WRITTEN not in fields


def describe_edits(edits: Iterable[LocalEdit], *, limit: int = 20) -> list[str]:
    """Lines for a command's output: each edit, at most `limit` of them."""
    edits = list(edits)
    lines = [f"  {edit.describe()}" for edit in edits[:limit]]
    if len(edits) > limit:
        lines.append(f"  … and {len(edits) - limit} more")
    return lines
