"""Matching a romanised Japanese place name to the coded local authority it means.

Wikipedia-style names (`Ōshū`, `Setagaya (Tokyo)`, `Tokyo – Setagaya`, `Kusatsu, Gunma`,
`Gotemba`, `Hyōgo Prefecture`) are matched against the registry's own romaji (`Oshu`,
`Setagaya`, `Kusatsu`, `Gotenba`, `Hyogo`). The rules, in order:

1. A name ending in "District" is a 郡, not a local authority: rejected.
2. A qualifier — `(Tokyo)`, `Tokyo – …`, `…, Gunma` — must name a prefecture and restricts the
   candidates to it. "… Prefecture" (or "Metropolis") asks for the prefecture itself.
3. Names compare after folding: macrons and case dropped, apostrophes, hyphens and spaces
   removed, m before b/m/p written n (Gotemba = Gotenba); if nothing matches, long vowels are
   folded too (oo, ou → o; uu → u: Nishinoomote = Nishinomote).
4. A plain name means a city, ward, town or village; only when none has that name does it mean
   the prefecture (`Tokyo` is Tokyo Metropolis; `Osaka` is Osaka City, `Osaka Prefecture` the
   prefecture).
5. One candidate: matched by name. Several: the one nearest the row's coordinates if it lies
   within `NEAR_KM` and every other candidate is clearly farther (`DOMINANCE` times as far and
   `MARGIN_KM` more) — a match decided by coordinates, to be reviewed. Otherwise rejected with the
   candidates named: never guessed.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from registry.models import Tier

#: A candidate this close to the row's coordinates may be chosen among namesakes (a large city's
#: centre can lie 30 km from where a geocoder puts it; the prefecture's centroid, say).
NEAR_KM = 40.0
#: … if every other namesake is at least this many times as far, and MARGIN_KM farther.
DOMINANCE = 3.0
MARGIN_KM = 5.0
#: A match by a unique name whose coordinates lie farther than this is flagged for review.
DOUBTFUL_KM = 100.0

#: Official English names that romanisation of the reading does not give (name_ja → extra names).
EXTRA_NAMES: dict[str, tuple[str, ...]] = {
    "南アルプス市": ("Minami-Alps", "Minami Alps"),
}

_PREFECTURE_WORDS = re.compile(r"\s+(prefecture|metropolis|metropolitan prefecture|-ken|-fu|-to)$", re.IGNORECASE)
_TIER_WORDS = {"city": Tier.CITY, "ward": Tier.SPECIAL_WARD, "town": Tier.TOWN, "village": Tier.VILLAGE}
_TIER_SUFFIX = re.compile(r"\s+(city|ward|town|village)$", re.IGNORECASE)
_DISTRICT = re.compile(r"\s+(district|gun)$", re.IGNORECASE)
_PARENTHESES = re.compile(r"^(?P<name>.+?)\s*\((?P<qualifier>[^()]+)\)$")
_DASHES = re.compile(r"\s+[–—-]\s+")


@dataclass(frozen=True)
class Authority:
    """What matching needs to know of one Japanese authority."""

    pk: int
    name: str
    name_en: str
    tier: str
    prefecture: str  # two-digit prefecture number, e.g. "13"
    latitude: float | None = None
    longitude: float | None = None
    #: Other English names it answers to (the shipped one, when the registry's was edited).
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.name} ({self.name_en})"


@dataclass(frozen=True)
class JapaneseMatch:
    """The outcome of matching one name: an authority, or the reason there is none."""

    authority: Authority | None
    by_coordinates: bool = False
    needs_review: bool = False
    note: str = ""
    category: str = ""  # why it failed, for the summary (empty when matched)
    reason: str = ""  # a clerk's sentence: what was looked for, what was found

    @property
    def matched(self) -> bool:
        return self.authority is not None


def fold_name(text: str) -> str:
    """The comparison form of a romanised name: Ōshū → oshu, Gotemba → gotenba, San'yō-Onoda → sanyoonoda."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    plain = re.sub(r"[^a-z0-9]", "", plain)
    return re.sub(r"m(?=[bmp])", "n", plain)


def fold_long_vowels(key: str) -> str:
    """A looser form: long vowels written out (oo, ou, uu, oh) count as one (Nishinoomote = Nishinomote,
    Minoh = Mino)."""
    key = re.sub(r"oh(?![aeiouy])", "o", key)
    previous = None
    while previous != key:
        previous = key
        key = key.replace("oo", "o").replace("ou", "o").replace("uu", "u")
    return key


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius 6,371 km)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lng2 - lng1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


class JapaneseNameMatcher:
    """An in-memory index of Japan's authorities by folded romaji (no query per name)."""

    def __init__(self, authorities: Iterable[Authority]) -> None:
        self.strict: dict[str, list[Authority]] = defaultdict(list)
        self.loose: dict[str, list[Authority]] = defaultdict(list)
        self.prefectures: dict[str, Authority] = {}  # folded English name → prefecture
        for authority in authorities:
            names = {authority.name_en, authority.name, *authority.aliases, *EXTRA_NAMES.get(authority.name, ())}
            for name in names:
                key = fold_name(name) or name
                if authority not in self.strict[key]:
                    self.strict[key].append(authority)
                loose = fold_long_vowels(key)
                if authority not in self.loose[loose]:
                    self.loose[loose].append(authority)
            if authority.tier == Tier.PREFECTURE:
                for name_en in (authority.name_en, *authority.aliases):
                    self.prefectures[fold_name(name_en)] = authority
                self.prefectures[authority.name] = authority

    def prefecture_named(self, text: str) -> Authority | None:
        text = _PREFECTURE_WORDS.sub("", text.strip())
        return self.prefectures.get(fold_name(text)) or self.prefectures.get(text)

    def _candidates(self, key: str) -> list[Authority]:
        return self.strict.get(key) or self.loose.get(fold_long_vowels(key)) or []

    def match(self, name: str, *, latitude: float | None = None, longitude: float | None = None) -> JapaneseMatch:
        """The authority `name` means (see the module's rules), or the reason none can be chosen."""
        original = name
        name = " ".join(name.split())
        if not name:
            return _fail("empty name", "The Japanese name is empty.")
        if _DISTRICT.search(name):
            return _fail(
                "district, not an authority",
                f"“{original}” is a district (郡), not a local authority; name the town or village.",
            )
        qualifier: Authority | None = None
        parts = _split_qualifier(name)
        if parts is not None:
            first, second = parts
            # "Tokyo – Setagaya" puts the prefecture first, "Setagaya (Tokyo)" and "Kusatsu, Gunma" last.
            if (prefecture := self.prefecture_named(second)) is not None:
                name, qualifier = first, prefecture
            elif (prefecture := self.prefecture_named(first)) is not None:
                name, qualifier = second, prefecture
            else:
                return _fail(
                    "qualifier not a prefecture",
                    f"In “{original}”, neither “{first}” nor “{second}” is a prefecture, so the authority "
                    "cannot be told apart.",
                )

        if _PREFECTURE_WORDS.search(name):
            prefecture = self.prefecture_named(name)
            if prefecture is None:
                return _fail("unknown name", f"“{original}” is not one of Japan's 47 prefectures.")
            return JapaneseMatch(authority=prefecture)

        wanted_tier = None
        if (suffix := _TIER_SUFFIX.search(name)) is not None and self._candidates(fold_name(name[: suffix.start()])):
            wanted_tier = _TIER_WORDS[suffix.group(1).lower()]
            name = name[: suffix.start()]
        # A name in kanji folds to nothing: it is its own key (the official name, e.g. 尾張旭市).
        key = fold_name(name) or name
        candidates = [a for a in self._candidates(key) if a.tier != Tier.PREFECTURE]
        if wanted_tier is not None:
            candidates = [a for a in candidates if a.tier == wanted_tier]
        if qualifier is not None:
            candidates = [a for a in candidates if a.prefecture == qualifier.prefecture]
        if not candidates:
            prefecture = self.prefectures.get(key)
            if prefecture is not None and qualifier is None and wanted_tier is None:
                # No city, ward, town or village has the name: "Tokyo" is Tokyo Metropolis.
                return JapaneseMatch(authority=prefecture)
            where = f" in {qualifier.label}" if qualifier is not None else ""
            return _fail("unknown name", f"No Japanese local authority{where} is called “{original}”.")
        if len(candidates) == 1:
            return self._unique(candidates[0], original, latitude, longitude)
        return self._by_coordinates(candidates, original, latitude, longitude)

    def _unique(
        self, authority: Authority, original: str, latitude: float | None, longitude: float | None
    ) -> JapaneseMatch:
        if None in (latitude, longitude, authority.latitude, authority.longitude):
            return JapaneseMatch(authority=authority)
        km = distance_km(latitude, longitude, authority.latitude, authority.longitude)
        if km <= DOUBTFUL_KM:
            return JapaneseMatch(authority=authority)
        return JapaneseMatch(
            authority=authority,
            needs_review=True,
            note=f"“{original}” matched {authority.label} by name, the only authority so called, but the "
            f"source's coordinates ({latitude:.4f}, {longitude:.4f}) are {km:.0f} km from it: check.",
        )

    def _by_coordinates(
        self, candidates: list[Authority], original: str, latitude: float | None, longitude: float | None
    ) -> JapaneseMatch:
        listed = ", ".join(sorted(a.label for a in candidates))
        if latitude is None or longitude is None:
            return _fail(
                "ambiguous name",
                f"“{original}” may be any of {len(candidates)} authorities ({listed}) and the row has no "
                "coordinates to choose by.",
            )
        placed = sorted(
            (distance_km(latitude, longitude, a.latitude, a.longitude), a.label, a)
            for a in candidates
            if a.latitude is not None and a.longitude is not None
        )
        if placed and placed[0][0] <= NEAR_KM:
            km, _label, authority = placed[0]
            runner_up = placed[1][0] if len(placed) > 1 else math.inf
            if runner_up < max(DOMINANCE * km, km + MARGIN_KM):
                return _fail(
                    "ambiguous name",
                    f"“{original}” may be any of {len(candidates)} authorities ({listed}); the coordinates "
                    f"({latitude:.4f}, {longitude:.4f}) do not tell them apart: {placed[0][1]} is {km:.1f} km "
                    f"away, {placed[1][1]} {runner_up:.1f} km. Give the prefecture, e.g. “Ikeda, Osaka”.",
                )
            return JapaneseMatch(
                authority=authority,
                by_coordinates=True,
                needs_review=True,
                note=f"“{original}” may be any of {len(candidates)} authorities ({listed}); {authority.label} "
                f"was chosen only because it lies {km:.1f} km from the source's coordinates "
                f"({latitude:.4f}, {longitude:.4f}) and "
                + (f"the next is {runner_up:.0f} km away." if runner_up != math.inf else "no other has coordinates."),
            )
        nearest = f"{placed[0][1]} at {placed[0][0]:.0f} km" if placed else "none has coordinates"
        return _fail(
            "ambiguous name, coordinates too far",
            f"“{original}” may be any of {len(candidates)} authorities ({listed}); none lies within {NEAR_KM:g} km "
            f"of the coordinates ({latitude:.4f}, {longitude:.4f}) (nearest: {nearest}), so the coordinates "
            "look wrong: give the prefecture, e.g. “Ikeda, Osaka”.",
        )


def _split_qualifier(name: str) -> tuple[str, str] | None:
    """(name, qualifier) from "Setagaya (Tokyo)", "Tokyo – Setagaya" or "Kusatsu, Gunma"; None if plain."""
    if (found := _PARENTHESES.match(name)) is not None:
        return found.group("name").strip(), found.group("qualifier").strip()
    parts = _DASHES.split(name)
    if len(parts) == 2:
        return parts[0].strip(), parts[1].strip()
    if name.count(",") == 1:
        first, second = name.split(",")
        return first.strip(), second.strip()
    return None


def _fail(category: str, reason: str) -> JapaneseMatch:
    return JapaneseMatch(authority=None, category=category, reason=reason)
