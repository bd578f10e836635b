"""Japan's local authorities from the MIC code list (fixtures/jp_local_governments.csv and files like it).

Keyed on the local government code: a second run over the same file changes nothing. The file
gives the fields it carries (names, reading, tier, prefecture, coordinates): a changed row updates
a field nobody has edited in the registry since the last import, and a field edited here (a
coordinator's English name, say) is kept and reported, unless the import is forced (see
registry/services/local_edits.py). Rows with a wrong check digit or an unknown tier are rejected
with their line and reason, and the rest is imported.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registry.models import ChangeAction, ChangeRecord, Municipality, Tier

from .codes import prefecture_code_of, validate_lg_code
from .imports import ImportSummary, Progress, no_progress, read_csv
from .local_edits import Baselines
from .search import with_search_keys

User = AbstractBaseUser | AnonymousUser | None

REQUIRED_COLUMNS: list[str] = [
    "lg_code",
    "prefecture_code",
    "prefecture_ja",
    "prefecture_en",
    "name_ja",
    "name_kana",
    "name_romaji",
    "lat",
    "lng",
]

#: The last character of a municipality's official name tells its tier.
SUFFIX_TIERS: dict[str, str] = {"市": Tier.CITY, "区": Tier.SPECIAL_WARD, "町": Tier.TOWN, "村": Tier.VILLAGE}
#: Special wards (特別区) exist only in Tokyo; other 区 are wards of a designated city, not authorities.
TOKYO = "13"
#: Fields the file gives; a difference from the registry is an update unless edited here since the last import.
FILE_FIELDS: tuple[str, ...] = ("name", "name_en", "name_kana", "tier", "parent_id", "latitude", "longitude", "country")
SOURCE = "import_municipalities"


def is_prefecture_code(lg_code: str) -> bool:
    """Prefecture codes are the two-digit prefecture number, 000, and the check digit (e.g. 130001)."""
    return lg_code[2:5] == "000"


def tier_of(*, lg_code: str, name: str) -> str:
    """The tier of an authority from its code and its official name.

    A prefecture's code ends in 000 + check digit; otherwise the LAST character of the name
    decides (四日市市 and 町田市 are cities, 大町町 a town): 市 city, 区 special ward (Tokyo only),
    町 town, 村 village.
    """
    if is_prefecture_code(lg_code):
        return Tier.PREFECTURE
    suffix = name[-1:] if name else ""
    tier = SUFFIX_TIERS.get(suffix)
    if tier is None:
        raise ValidationError(
            {
                "name_ja": f"“{name}” does not end in 市, 区, 町 or 村, so its tier (city, ward, town, village) is unknown."
            }
        )
    if tier == Tier.SPECIAL_WARD and lg_code[:2] != TOKYO:
        raise ValidationError(
            {"name_ja": f"“{name}” is a ward of a designated city, not a local authority (special wards are Tokyo's)."}
        )
    return tier


def _coordinate(value: str, *, field: str, limit: float) -> float | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValidationError({field: f"“{value}” is not a number."}) from None
    if not -limit <= number <= limit:
        raise ValidationError({field: f"{value} is outside −{limit:g}…{limit:g}."})
    return number


@dataclass
class _Row:
    line: int
    raw: dict[str, str]
    lg_code: str
    tier: str
    fields: dict[str, object]


def _parse(line: int, row: dict[str, str]) -> _Row:
    lg_code = validate_lg_code(row["lg_code"])
    if row["prefecture_code"] and row["prefecture_code"].zfill(2) != lg_code[:2]:
        raise ValidationError(
            {
                "prefecture_code": f"{row['prefecture_code']} does not match the code {lg_code} (prefecture {lg_code[:2]})."
            }
        )
    name = row["name_ja"]
    if not name:
        raise ValidationError({"name_ja": "The official name is empty."})
    tier = tier_of(lg_code=lg_code, name=name)
    name_en = row["prefecture_en"] if tier == Tier.PREFECTURE else row["name_romaji"]
    return _Row(
        line=line,
        raw=row,
        lg_code=lg_code,
        tier=tier,
        fields={
            "name": name,
            "name_en": name_en,
            "name_kana": row["name_kana"],
            "tier": tier,
            "latitude": _coordinate(row["lat"], field="lat", limit=90),
            "longitude": _coordinate(row["lng"], field="lng", limit=180),
        },
    )


def _reason(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {message}" for field, messages in error.message_dict.items() for message in messages
        )
    return "; ".join(error.messages)


@transaction.atomic
def import_municipalities_rows(
    *,
    text: str,
    summary: ImportSummary,
    progress: Progress = no_progress,
    by: User = None,
    force_source: bool = False,
) -> list[str]:
    """Create or update every authority of the file; returns the header (for the rejects CSV).

    Prefectures first, so that every municipality gets its prefecture as `parent`; a municipality
    whose prefecture is neither in the file nor in the registry is rejected. Fields edited in the
    registry since the last import are kept (summary.kept) unless `force_source`
    (summary.overwritten).
    """
    header, rows = read_csv(text, required=REQUIRED_COLUMNS)
    all_rows = list(rows)
    total = len(all_rows)
    parsed: list[_Row] = []
    seen: dict[str, int] = {}
    for done, (line, row) in enumerate(all_rows, start=1):
        try:
            item = _parse(line, row)
            if item.lg_code in seen:
                raise ValidationError({"lg_code": f"{item.lg_code} already appears on line {seen[item.lg_code]}."})
        except ValidationError as error:
            summary.reject(line=line, reason=_reason(error), row=row)
        else:
            seen[item.lg_code] = line
            parsed.append(item)
        progress(done, total)

    existing = {m.lg_code: m for m in Municipality.objects.filter(lg_code__isnull=False)}
    baselines = Baselines(Municipality, source=SOURCE, summary=summary, force=force_source)
    now = timezone.now()
    created: list[Municipality] = []
    updated: list[tuple[Municipality, dict[str, list[object]]]] = []

    def apply(item: _Row, parent_id: int | None) -> None:
        summary.count(f"tier {item.tier}")
        values = {**item.fields, "parent_id": parent_id, "country": "JP"}
        current = existing.get(item.lg_code)
        if current is None:
            municipality = Municipality(lg_code=item.lg_code, **values)
            created.append(municipality)
            baselines.created(municipality, values)
            existing[item.lg_code] = municipality
            return
        writes = baselines.reconcile(current, values)
        changes = {name: [getattr(current, name), value] for name, value in writes.items()}
        if changes:
            for name, (_before, after) in changes.items():
                setattr(current, name, after)
            current.updated_at = now
            updated.append((current, changes))
        else:
            summary.unchanged += 1

    for item in parsed:
        if item.tier == Tier.PREFECTURE:
            apply(item, None)
    # Prefectures must have ids before their municipalities can point at them.
    Municipality.objects.bulk_create(with_search_keys(created))
    for item in parsed:
        if item.tier == Tier.PREFECTURE:
            continue
        prefecture = existing.get(prefecture_code_of(item.lg_code))
        if prefecture is None or prefecture.pk is None:
            summary.reject(
                line=item.line,
                reason=f"lg_code: its prefecture ({prefecture_code_of(item.lg_code)}) is neither in the file "
                "nor in the registry; import the prefecture first.",
                row=item.raw,
            )
            continue
        apply(item, prefecture.pk)
    new_municipalities = [m for m in created if m.pk is None]
    Municipality.objects.bulk_create(with_search_keys(new_municipalities))
    if updated:
        Municipality.objects.bulk_update(
            with_search_keys(m for m, _changes in updated),
            [*FILE_FIELDS, "search_key", "updated_at"],
            batch_size=500,
        )
    baselines.save()

    content_type = ContentType.objects.get_for_model(Municipality)
    user = by if by is not None and getattr(by, "is_authenticated", False) else None
    records = [
        ChangeRecord(
            content_type=content_type,
            object_id=m.pk,
            object_repr=str(m)[:300],
            action=ChangeAction.IMPORT,
            note="Created by import_municipalities.",
            changed_by=user,
        )
        for m in created
    ] + [
        ChangeRecord(
            content_type=content_type,
            object_id=m.pk,
            object_repr=str(m)[:300],
            action=ChangeAction.IMPORT,
            changes={name: [_plain(before), _plain(after)] for name, (before, after) in changes.items()},
            note="Updated by import_municipalities.",
            changed_by=user,
        )
        for m, changes in updated
    ]
    ChangeRecord.objects.bulk_create(records, batch_size=1000)
    summary.created += len(created)
    summary.updated += len(updated)
    return header


def _plain(value: object) -> object:
    return value if value is None or isinstance(value, str | int | float) else str(value)
