"""City-network memberships from files: rows read in sources, rows derived from a source's statement,
and the member totals networks publish.

`import_memberships` reads CSV rows `network, city, country, role, joined, source_url, retrieved_note`
(fixtures/networks/*.csv and files like them):

- `network` is matched to a Network by its slug, name, name without its parenthesis ("United Cities
  and Local Governments"), the parenthesis ("UCLG"), Japanese name or one of its `aliases` (case,
  accents and spacing aside). A network the registry lacks is a rejected row: run import_networks.
- `country` is an ISO 3166-1 alpha-2 code. A Japanese row is matched to its coded authority with the
  **same matcher as the twin-pairs import** (twin_pairs.japanese_name_matcher, jp_names' rules): the
  `retrieved_note` starts `pref=<prefecture>; ja=<kanji name>`, and the kanji name qualified by its
  prefecture is tried first (it tells Nichinan in Tottori from Nichinan in Miyazaki), then the kanji
  name alone, then the romanised `city` with the prefecture, then alone. A name no authority has, or
  one that stays ambiguous, is rejected with the matcher's reason (never guessed).
- A foreign member is the foreign Municipality of that country and name (the twin-pairs import's
  rule: case, accents, spacing and dashes aside); one not yet in the registry is created (a
  `region` when its name says so, "Rivne region", else a `locality`).
- `role`: active, observer or associate. `joined`: empty, a year (kept as 1 January with precision
  "year"), YYYY-MM or YYYY-MM-DD; never in the future.
- A row whose note says "NOT a membership" (UN-Habitat's host and MOU partners) is rejected: the
  registry holds memberships only (fixtures/networks/SOURCES.md).
- Keyed on (network, authority) among current memberships: a second row for the same pair in one
  file is rejected, naming the first. An existing membership takes the row's values only in fields
  nobody edited in the registry since the last import (registry/services/local_edits.py), unless
  forced; a membership this importer created that was deleted in the registry is not created again.
  A membership derived from a statement (below) that a source row now names becomes a read one,
  with the row's join year: read rows take precedence.

`derive_memberships` reads a JSON statement (fixtures/networks/mayors_for_peace_japan_derived.json):
"on `as_of` every authority of `country` on `tiers` except `except` was a member of `network`".
Each such authority without a current membership of that network gets one marked `is_derived`,
its note saying "Derived from the source's statement, as of <as_of>: …". Authorities that have a
membership read in a source keep it, with its join year.

`import_network_counts` reads the totals networks publish (`network, as_of, scope, count, detail,
source_url`; fixtures/networks/network_counts.csv), keyed on (network, as_of, scope, source_url).
A count is approximate when the source hedges: an `as_of` "c. …" or "circa", a detail saying
"about", "approx", "more than" or "+".
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django_countries import countries

from registry.models import (
    ChangeAction,
    ChangeRecord,
    DatePrecision,
    MembershipRole,
    Municipality,
    Network,
    NetworkMemberCount,
    NetworkMembership,
    Tier,
    tiers_of,
)

from .dates import ensure_not_future
from .history import record_change
from .imports import ImportSummary, LocalEdit, Progress, no_progress, read_csv
from .local_edits import Baselines, plain
from .search import with_search_keys
from .twin_pairs import (
    fold_place_name,
    foreign_municipalities_by_name,
    is_region_name,
    japanese_name_matcher,
)

User = AbstractBaseUser | AnonymousUser | None

REQUIRED_COLUMNS: list[str] = ["network", "city", "country", "role", "joined", "source_url", "retrieved_note"]
COUNT_COLUMNS: list[str] = ["network", "as_of", "scope", "count", "detail", "source_url"]
#: The names baselines carry for these importers (registry/services/local_edits.py).
SOURCE = "import_memberships"
DERIVED_SOURCE = "derive_memberships"
COUNTS_SOURCE = "import_network_counts"
#: What a row whose source is not a membership says of itself (fixtures/networks/SOURCES.md).
NOT_A_MEMBERSHIP = "not a membership"

#: A `pref=` value that names no prefecture (an organisation's row).
NO_PREFECTURE = frozenset({"", "n/a", "na", "-", "none"})
_BRACKETS = re.compile(r"\s*[（(][^（）()]*[）)]\s*$")
_NOTE_FIELD = re.compile(r"(?:^|;)\s*(pref|ja)=([^;]*)")
_PARENTHESIS = re.compile(r"^(?P<name>.*?)\s*\((?P<inner>[^()]+)\)\s*$")
_APPROXIMATE_AS_OF = re.compile(r"\bc\.|\bcirca\b", re.IGNORECASE)
_APPROXIMATE_DETAIL = re.compile(r"\babout\b|\bapprox|\bmore than\b|\d\+", re.IGNORECASE)
_AS_OF_DATE = re.compile(r"(?P<year>(19|20)\d\d)(-(?P<month>\d\d)(-(?P<day>\d\d))?)?")


# --- Networks by name -----------------------------------------------------------------------------


class NetworkNames:
    """Networks by every name a source file may give them (see the module's docstring)."""

    def __init__(self, networks: list[Network]) -> None:
        self.by_key: dict[str, Network] = {}
        for network in sorted(networks, key=lambda n: n.pk):
            names = [network.slug, network.name, network.name_ja, *network.aliases.splitlines()]
            if (found := _PARENTHESIS.match(network.name)) is not None:
                names += [found.group("name"), found.group("inner")]
            for name in names:
                if name.strip():
                    self.by_key.setdefault(fold_place_name(name.strip()), network)

    def find(self, text: str) -> Network | None:
        return self.by_key.get(fold_place_name(text.strip())) if text.strip() else None


def _unknown_network(text: str) -> str:
    return f"network: no city network called “{text}” is in the registry (run import_networks, or add the name to a network's other names)."


# --- Values -------------------------------------------------------------------------------------------


def parse_joined(text: str) -> tuple[dt.date | None, str]:
    """A join date as a source gives it: "" → unknown, "2006" → 2006-01-01 (year), "2006-04" (month),
    "2006-04-12" (day). A ValidationError on `joined` otherwise, or when it lies in the future."""
    text = text.strip()
    if not text:
        return None, DatePrecision.DAY
    formats = ((r"\d{4}", "%Y", DatePrecision.YEAR), (r"\d{4}-\d{2}", "%Y-%m", DatePrecision.MONTH))
    formats += ((r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d", DatePrecision.DAY),)
    for pattern, form, precision in formats:
        if re.fullmatch(pattern, text):
            try:
                day = dt.datetime.strptime(text, form).date()
            except ValueError:
                break
            ensure_not_future(day, field="joined")
            return day, precision
    raise ValidationError({"joined": f"“{text}” is not a year (2006), a month (2006-04) or a day (2006-04-12)."})


def note_fields(note: str) -> dict[str, str]:
    """`pref` and `ja` from a retrieved_note that starts "pref=Aichi; ja=尾張旭市; …"."""
    return {key: value.strip() for key, value in _NOTE_FIELD.findall(note)}


def japanese_queries(row: dict[str, str]) -> list[str]:
    """The names to try for a Japanese row, most precise first (kanji with prefecture, kanji, romaji
    with prefecture, romaji); each goes to the twin-pairs import's matcher."""
    fields = note_fields(row.get("retrieved_note", ""))
    # "松川町（下伊那郡）": the district in brackets only repeats what the prefecture and the kanji tell.
    ja = _BRACKETS.sub("", fields.get("ja", "")).strip()
    pref = fields.get("pref", "") if fields.get("pref", "").casefold() not in NO_PREFECTURE else ""
    city = row["city"].strip()
    queries = [f"{ja}, {pref}" if ja and pref else "", ja, f"{city}, {pref}" if pref else "", city]
    return list(dict.fromkeys(query for query in queries if query))


def _reason(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {message}" for field, items in error.message_dict.items() for message in items)
    return "; ".join(error.messages)


class _Rejected(Exception):
    def __init__(self, category: str, reason: str) -> None:
        super().__init__(reason)
        self.category = category
        self.reason = reason


def _reject(summary: ImportSummary, *, line: int, row: dict[str, str], category: str, reason: str) -> None:
    summary.reject(line=line, reason=reason, row=row)
    summary.count(f"rejected: {category}")


# --- Memberships read in sources --------------------------------------------------------------------


class _Places:
    """The authorities rows name, read once: Japanese ones through the matcher, foreign ones by name."""

    def __init__(self) -> None:
        self.matcher, self.japanese = japanese_name_matcher()
        self.foreign = foreign_municipalities_by_name()
        self.created: list[Municipality] = []

    def japanese_for(self, row: dict[str, str]) -> Municipality:
        first_failure = None
        for query in japanese_queries(row):
            match = self.matcher.match(query)
            if match.matched:
                return self.japanese[match.authority.pk]
            first_failure = first_failure or match
        if first_failure is None:
            raise _Rejected("empty name", "city: the name is empty.")
        hint = ""
        if row["role"].strip() == MembershipRole.ASSOCIATE and first_failure.category == "unknown name":
            hint = " An associate may be an organisation rather than a local authority: the registry holds authorities only."
        raise _Rejected(f"Japanese name: {first_failure.category}", f"city: {first_failure.reason}{hint}")

    def foreign_for(self, row: dict[str, str], *, country: str, by: User) -> Municipality:
        name = " ".join(row["city"].split())
        if not name:
            raise _Rejected("empty name", "city: the name is empty.")
        key = (country, fold_place_name(name))
        found = self.foreign.get(key)
        if found is not None:
            return found
        tier = Tier.REGION if is_region_name(name, country=country) else Tier.LOCALITY
        place = with_search_keys([Municipality(name=name, name_en=name, country=country, tier=tier)])[0]
        place.full_clean()
        place.save()
        record_change(target=place, action=ChangeAction.IMPORT, by=by, note="Created by import_memberships.")
        self.foreign[key] = place
        self.created.append(place)
        return place


def _membership_values(row: dict[str, str], joined_on: dt.date | None, precision: str) -> dict[str, Any]:
    return {
        "role": row["role"].strip(),
        "joined_on": joined_on,
        "joined_on_precision": precision,
        "source_url": row["source_url"].strip(),
        "source_note": row["retrieved_note"].strip(),
        "is_derived": False,
    }


def _current_memberships(network_ids: set[int] | None = None) -> dict[tuple[int, int], NetworkMembership]:
    queryset = NetworkMembership.objects.filter(left_on__isnull=True)
    if network_ids is not None:
        queryset = queryset.filter(network_id__in=network_ids)
    return {(m.network_id, m.municipality_id): m for m in queryset}


def _deleted_memberships(baselines: Baselines) -> set[tuple[int, int]]:
    """(network, authority) of memberships an import created that were deleted in the registry since."""
    existing = set(NetworkMembership.objects.values_list("pk", flat=True))
    return {
        (values["network_id"], values["municipality_id"])
        for pk, values in baselines.recorded.items()
        if pk not in existing and "network_id" in values and "municipality_id" in values
    }


def _user(by: User) -> User:
    return by if by is not None and getattr(by, "is_authenticated", False) else None


@transaction.atomic
def import_memberships(
    *,
    text: str,
    summary: ImportSummary,
    progress: Progress = no_progress,
    by: User = None,
    force_source: bool = False,
) -> list[str]:
    """Create or update one membership per row it can place; reject the others with the reason.
    Returns the file's header (for the rejects CSV)."""
    header, rows = read_csv(text, required=REQUIRED_COLUMNS)
    by = _user(by)
    networks = NetworkNames(list(Network.objects.all()))
    places = _Places()
    current = _current_memberships()
    baselines = Baselines(NetworkMembership, source=SOURCE, summary=summary, force=force_source)
    deleted = _deleted_memberships(baselines)
    seen: dict[tuple[int, int], int] = {}
    for done, (line, row) in enumerate(rows, start=1):
        progress(done, len(rows))
        try:
            key, values = _plan(row, networks=networks, places=places, by=by)
            if key in seen:
                raise _Rejected(
                    "repeated row", f"line {line} repeats line {seen[key]} (the same network and authority)."
                )
            seen[key] = line
            _write(key, values, current=current, baselines=baselines, deleted=deleted, summary=summary, by=by)
        except _Rejected as rejection:
            _reject(summary, line=line, row=row, category=rejection.category, reason=rejection.reason)
        except ValidationError as error:
            _reject(summary, line=line, row=row, category="invalid value", reason=_reason(error))
    baselines.save()
    summary.count("foreign authorities created", len(places.created))
    progress(len(rows), len(rows))
    return header


def _plan(
    row: dict[str, str], *, networks: NetworkNames, places: _Places, by: User
) -> tuple[tuple[int, int], dict[str, Any]]:
    """The (network, authority) a row names and the membership's values; _Rejected if it cannot be placed."""
    network = networks.find(row["network"])
    if network is None:
        raise _Rejected("unknown network", _unknown_network(row["network"]))
    if NOT_A_MEMBERSHIP in row["retrieved_note"].casefold():
        raise _Rejected(
            "not a membership",
            "retrieved_note: the source says this is not a membership (a partnership or host agreement); "
            "the registry holds memberships only.",
        )
    if row["role"].strip() not in MembershipRole.values:
        raise _Rejected(
            "unknown role", f"role: “{row['role']}” is not a role; choose {', '.join(MembershipRole.values)}."
        )
    country = row["country"].strip().upper()
    if not countries.name(country) or len(country) != 2:
        raise _Rejected(
            "unknown country", f"country: “{row['country']}” is not an ISO 3166-1 alpha-2 code (e.g. JP, DE)."
        )
    joined_on, precision = parse_joined(row["joined"])
    place = places.japanese_for(row) if country == "JP" else places.foreign_for(row, country=country, by=by)
    return (network.pk, place.pk), _membership_values(row, joined_on, precision)


def _write(
    key: tuple[int, int],
    values: dict[str, Any],
    *,
    current: dict[tuple[int, int], NetworkMembership],
    baselines: Baselines,
    deleted: set[tuple[int, int]],
    summary: ImportSummary,
    by: User,
) -> None:
    network_id, municipality_id = key
    membership = current.get(key)
    if membership is None:
        if key in deleted:
            edit = LocalEdit(
                target=f"membership #{network_id}/{municipality_id}",
                field="membership",
                registry_value="deleted",
                source_value="listed",
            )
            if not baselines.force:
                summary.kept.append(edit)
                summary.unchanged += 1
                return
            summary.overwritten.append(edit)
        membership = NetworkMembership(network_id=network_id, municipality_id=municipality_id, **values)
        with transaction.atomic():
            membership.full_clean()
            membership.save()
        baselines.created(membership, {"network_id": network_id, "municipality_id": municipality_id, **values})
        record_change(target=membership, action=ChangeAction.IMPORT, by=by, note="Created by import_memberships.")
        current[key] = membership
        summary.created += 1
        return
    was_derived = membership.is_derived
    writes = baselines.reconcile(membership, values)
    if not writes:
        summary.unchanged += 1
        return
    changes = {name: [plain(getattr(membership, name)), plain(value)] for name, value in writes.items()}
    for name, value in writes.items():
        setattr(membership, name, value)
    with transaction.atomic():
        membership.full_clean()
        membership.version += 1
        membership.save()
    record_change(
        target=membership, action=ChangeAction.IMPORT, by=by, changes=changes, note="Updated by import_memberships."
    )
    if was_derived and not membership.is_derived:
        summary.count("derived memberships now read in a source")
    summary.updated += 1


# --- Memberships derived from a statement ---------------------------------------------------------------

DERIVED_HEADER: list[str] = ["lg_code", "name"]


@dataclass(frozen=True)
class Statement:
    """ "On `as_of` every authority of `country` on `tiers`, except `except_codes`, was a member of `network`."""

    network: Network
    country: str
    tiers: tuple[str, ...]
    as_of: dt.date
    except_codes: tuple[str, ...]
    role: str
    source_url: str
    statement: str
    expected: int | None

    @property
    def note(self) -> str:
        return f"Derived from the source's statement, as of {self.as_of.isoformat()}: {self.statement}"


def read_statement(text: str) -> Statement:
    """The statement a JSON file makes; a ValidationError naming the key that is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationError({"file": f"line {error.lineno}: not JSON ({error.msg})."}) from None
    if not isinstance(data, dict):
        raise ValidationError({"file": "A JSON object is expected (network, country, tiers, as_of, …)."})
    missing = [key for key in ("network", "country", "tiers", "as_of", "source_url", "statement") if not data.get(key)]
    if missing:
        raise ValidationError({"file": f"Missing key(s): {', '.join(missing)}."})
    network = NetworkNames(list(Network.objects.all())).find(str(data["network"]))
    if network is None:
        raise ValidationError({"network": _unknown_network(str(data["network"]))})
    country = str(data["country"]).upper()
    tiers = tuple(str(tier) for tier in data["tiers"]) if isinstance(data["tiers"], list) else ()
    wrong = [tier for tier in tiers if tier not in tiers_of(country)] or ([] if tiers else ["(none)"])
    if wrong:
        raise ValidationError({"tiers": f"Not tiers of {country}: {', '.join(wrong)}."})
    try:
        as_of = dt.date.fromisoformat(str(data["as_of"]))
    except ValueError:
        raise ValidationError({"as_of": f"“{data['as_of']}” is not a date (YYYY-MM-DD)."}) from None
    ensure_not_future(as_of, field="as_of")
    role = str(data.get("role") or MembershipRole.ACTIVE)
    if role not in MembershipRole.values:
        raise ValidationError({"role": f"“{role}” is not a role; choose {', '.join(MembershipRole.values)}."})
    excepted = data.get("except") or []
    if not isinstance(excepted, list) or not all(isinstance(item, dict) and item.get("lg_code") for item in excepted):
        raise ValidationError({"except": 'A list of {"lg_code": …, "name": …} objects is expected.'})
    expected = data.get("expected")
    return Statement(
        network=network,
        country=country,
        tiers=tiers,
        as_of=as_of,
        except_codes=tuple(str(item["lg_code"]) for item in excepted),
        role=role,
        source_url=str(data["source_url"]),
        statement=str(data["statement"]),
        expected=int(expected) if isinstance(expected, int) else None,
    )


@transaction.atomic
def derive_memberships(
    *,
    text: str,
    summary: ImportSummary,
    progress: Progress = no_progress,
    by: User = None,
    force_source: bool = False,
) -> list[str]:
    """Memberships for every authority the statement covers that has none of that network yet,
    marked derived; a membership read in a source is kept as it is. Returns the rejects' header
    (an excepted code that names no authority is rejected)."""
    statement = read_statement(text)
    by = _user(by)
    network = statement.network
    for line, code in enumerate(statement.except_codes, start=1):
        if not Municipality.objects.filter(country=statement.country, lg_code=code).exists():
            _reject(
                summary,
                line=line,
                row={"lg_code": code, "name": ""},
                category="unknown exception",
                reason=f"except: no authority of {statement.country} has the code {code}.",
            )
    authorities = list(
        Municipality.objects.of_country(statement.country)
        .existing(as_of=statement.as_of)
        .filter(tier__in=statement.tiers)
        .exclude(lg_code__in=statement.except_codes)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    current = _current_memberships({network.pk})
    baselines = Baselines(NetworkMembership, source=DERIVED_SOURCE, summary=summary, force=force_source)
    deleted = _deleted_memberships(baselines)
    values = {
        "role": statement.role,
        "joined_on": None,
        "joined_on_precision": DatePrecision.DAY,
        "source_url": statement.source_url,
        "source_note": statement.note,
        "is_derived": True,
    }
    new: list[NetworkMembership] = []
    changed: list[tuple[NetworkMembership, dict[str, Any]]] = []
    for done, pk in enumerate(authorities, start=1):
        if done % 200 == 0:
            progress(done, len(authorities))
        membership = current.get((network.pk, pk))
        if membership is not None and not membership.is_derived:
            summary.unchanged += 1
            summary.count("already members from a source row (kept, with their join years)")
            continue
        if membership is not None:
            writes = baselines.reconcile(membership, values)
            if writes:
                changed.append((membership, writes))
            else:
                summary.unchanged += 1
            continue
        if (network.pk, pk) in deleted and not force_source:
            summary.kept.append(
                LocalEdit(
                    target=f"membership #{network.pk}/{pk}",
                    field="membership",
                    registry_value="deleted",
                    source_value="derived",
                )
            )
            summary.unchanged += 1
            continue
        new.append(NetworkMembership(network=network, municipality_id=pk, **values))
    NetworkMembership.objects.bulk_create(new, batch_size=1000)
    for membership in new:
        baselines.created(
            membership, {"network_id": network.pk, "municipality_id": membership.municipality_id, **values}
        )
    for membership, writes in changed:
        for name, value in writes.items():
            setattr(membership, name, value)
        membership.version += 1
        membership.save()
    baselines.save()
    content_type = ContentType.objects.get_for_model(NetworkMembership)
    ChangeRecord.objects.bulk_create(
        [
            ChangeRecord(
                content_type=content_type,
                object_id=membership.pk,
                object_repr=f"{network} #{membership.municipality_id}"[:300],
                action=ChangeAction.IMPORT,
                note=note,
                changed_by=by,
            )
            for group, note in (
                (new, "Derived by derive_memberships."),
                ([m for m, _writes in changed], "Updated by derive_memberships."),
            )
            for membership in group
        ],
        batch_size=1000,
    )
    summary.created += len(new)
    summary.updated += len(changed)
    members = (
        NetworkMembership.objects.filter(network=network, left_on__isnull=True, municipality__country=statement.country)
        .filter(municipality__tier__in=statement.tiers)
        .count()
    )
    summary.count(f"members of {network.slug} in {statement.country} (tiers stated) now", members)
    if statement.expected is not None:
        summary.count(f"members the statement gives ({statement.as_of.isoformat()})", statement.expected)
    progress(len(authorities), len(authorities))
    return DERIVED_HEADER


# --- Published member counts -----------------------------------------------------------------------------


def as_of_date(text: str) -> dt.date | None:
    """The first day of the period an `as_of` names ("2016-09" → 2016-09-01, "undated (c. 2023-25)"
    → 2023-01-01), None when it names no year."""
    found = _AS_OF_DATE.search(text)
    if found is None:
        return None
    year, month, day = int(found.group("year")), int(found.group("month") or 1), int(found.group("day") or 1)
    try:
        return dt.date(year, month, day)
    except ValueError:
        return dt.date(year, 1, 1)


def is_approximate(as_of: str, detail: str) -> bool:
    """The source hedges its count (see the module's docstring)."""
    return bool(_APPROXIMATE_AS_OF.search(as_of) or _APPROXIMATE_DETAIL.search(detail))


@transaction.atomic
def import_network_counts(
    *,
    text: str,
    summary: ImportSummary,
    progress: Progress = no_progress,
    by: User = None,
    force_source: bool = False,
) -> list[str]:
    """Create or update one published count per row; reject rows naming no known network or no count."""
    header, rows = read_csv(text, required=COUNT_COLUMNS)
    networks = NetworkNames(list(Network.objects.all()))
    existing = {(c.network_id, c.as_of, c.scope, c.source_url): c for c in NetworkMemberCount.objects.all()}
    baselines = Baselines(NetworkMemberCount, source=COUNTS_SOURCE, summary=summary, force=force_source)
    for done, (line, row) in enumerate(rows, start=1):
        progress(done, len(rows))
        network = networks.find(row["network"])
        if network is None:
            _reject(summary, line=line, row=row, category="unknown network", reason=_unknown_network(row["network"]))
            continue
        count_text = row["count"].replace(",", "").strip()
        if not count_text.isdigit():
            _reject(
                summary,
                line=line,
                row=row,
                category="bad count",
                reason=f"count: “{row['count']}” is not a whole number.",
            )
            continue
        values = {
            "count": int(count_text),
            "detail": row["detail"],
            "as_of_date": as_of_date(row["as_of"]),
            "is_approximate": is_approximate(row["as_of"], row["detail"]),
        }
        key = (network.pk, row["as_of"], row["scope"], row["source_url"])
        try:
            with transaction.atomic():
                current = existing.get(key)
                if current is None:
                    current = NetworkMemberCount(
                        network=network, as_of=row["as_of"], scope=row["scope"], source_url=row["source_url"], **values
                    )
                    current.full_clean()
                    current.save()
                    baselines.created(current, values)
                    existing[key] = current
                    summary.created += 1
                    continue
                writes = baselines.reconcile(current, values)
                if not writes:
                    summary.unchanged += 1
                    continue
                for name, value in writes.items():
                    setattr(current, name, value)
                current.full_clean()
                current.save()
                summary.updated += 1
        except ValidationError as error:
            _reject(summary, line=line, row=row, category="invalid value", reason=_reason(error))
    baselines.save()
    return header
