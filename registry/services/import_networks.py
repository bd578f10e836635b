"""The city networks the registry ships (fixtures/networks.json) and files like it.

The file is a Django fixture of `registry.network` objects (`fields`: slug, name, name_ja, scale,
founded_year, seat, website, source, founded_year_other, founded_year_other_source, aliases). Keyed on the slug: a network the registry lacks is created,
a known one takes the file's values only in fields nobody has edited in the registry since the
last import (a coordinator's website stays; see registry/services/local_edits.py), unless forced.
An entry that is not a network, has no slug or does not validate is rejected with its reason
(its line is its position in the file's list, from 1); the others are imported.
"""

from __future__ import annotations

import json

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction

from registry.models import ChangeAction, Network

from .history import record_change
from .imports import ImportSummary, Progress, no_progress
from .local_edits import Baselines

User = AbstractBaseUser | AnonymousUser | None

SOURCE = "import_networks"
#: The fields the file gives (the slug is the key).
FIELDS: tuple[str, ...] = (
    "name",
    "name_ja",
    "scale",
    "founded_year",
    "seat",
    "website",
    "source",
    "founded_year_other",
    "founded_year_other_source",
    "aliases",
)
#: Fields whose missing value is None rather than "".
NULLABLE: frozenset[str] = frozenset({"founded_year", "founded_year_other"})
HEADER: list[str] = ["slug", *FIELDS]


def _entries(text: str) -> list[object]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationError({"file": f"line {error.lineno}: not JSON ({error.msg})."}) from None
    if not isinstance(data, list):
        raise ValidationError({"file": "A list of fixture objects is expected."})
    return data


def _row(entry: object) -> dict[str, str]:
    fields = entry.get("fields", {}) if isinstance(entry, dict) else {}
    fields = fields if isinstance(fields, dict) else {}
    return {name: "" if fields.get(name) is None else str(fields.get(name)) for name in HEADER}


def _reason(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {message}" for field, items in error.message_dict.items() for message in items)
    return "; ".join(error.messages)


@transaction.atomic
def import_networks(
    *,
    text: str,
    summary: ImportSummary,
    progress: Progress = no_progress,
    by: User = None,
    force_source: bool = False,
) -> list[str]:
    """Create or update every network of the file; returns the header of the rejects CSV."""
    entries = _entries(text)
    existing = {network.slug: network for network in Network.objects.all()}
    baselines = Baselines(Network, source=SOURCE, summary=summary, force=force_source)
    for number, entry in enumerate(entries, start=1):
        progress(number, len(entries))
        try:
            if not isinstance(entry, dict) or entry.get("model") != "registry.network":
                raise ValidationError({"model": "Not a registry.network object."})
            fields = entry.get("fields")
            if not isinstance(fields, dict) or not fields.get("slug"):
                raise ValidationError({"slug": "Every network needs a slug."})
            values = {name: fields.get(name, None if name in NULLABLE else "") for name in FIELDS}
            current = existing.get(fields["slug"])
            with transaction.atomic():
                if current is None:
                    network = Network(slug=fields["slug"], **values)
                    network.full_clean()
                    network.save()
                    baselines.created(network, values)
                    existing[network.slug] = network
                    record_change(target=network, action=ChangeAction.IMPORT, by=by, note="Created by import_networks.")
                    summary.created += 1
                    continue
                writes = baselines.reconcile(current, values)
                if not writes:
                    summary.unchanged += 1
                    continue
                changes = {name: [getattr(current, name), value] for name, value in writes.items()}
                for name, value in writes.items():
                    setattr(current, name, value)
                current.full_clean()
                current.save()
                record_change(
                    target=current,
                    action=ChangeAction.IMPORT,
                    by=by,
                    changes=changes,
                    note="Updated by import_networks.",
                )
                summary.updated += 1
        except ValidationError as error:
            summary.reject(line=number, reason=_reason(error), row=_row(entry))
    baselines.save()
    return HEADER
