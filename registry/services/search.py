"""Search folding: the one comparison form of authority names that search reads.

A name and what a person types are compared after the same folding (`fold`):

1. NFKC (full-width letters and digits, half-width kana, ligatures), then case folded;
2. diacritics and macrons dropped outside the kana and CJK blocks (Ō → o, ö → o, ñ → n; ø, ł, æ,
   œ, đ, þ written out), so that a kana's dakuten (が) is kept;
3. katakana written as hiragana (ナガサキシ → ながさきし; ヶ → け);
4. St / St. / Ste / Saint / Sainte / Sankt all written `saint`;
5. spaces, punctuation and symbols removed;
6. long vowels written out in romaji counted once (oo, ou → o; uu → u; oh before a consonant → o:
   Oosaka, Ohsaka, Tōkyō, Toukyou all fold as osaka / tokyo), the rule jp_names matches with.

Besides that *full* form, a name has a *core* form without its tier word: 市 区 町 村 県 府 都 道 (and
the reading's シ, ク, マチ / チョウ, ムラ / ソン, ケン, フ, ト, ドウ when the name ends in that kanji),
and City, Town, Village, Ward, Prefecture, Metropolis, -shi, -ken, -fu, -to, -cho, -machi, -mura,
-son, -ku (written as a separate word), "City of …". A query's tier word also hints the tier it
means (`Nagasaki City` → a city), which ranks that tier first among equally good matches.

`Municipality.search_key` keeps both forms of the official name, the English name, the reading and
(for a foreign city matched to GeoNames) GeoNames' own name — `Köln` for the row the world list
calls Cologne — between separators: `|長崎市|長崎|nagasaki|ながさきし|ながさき|`. Every service that
writes a name sets it with `search_key_of`; `Municipality.objects.search(q)` reads it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from registry.models import Municipality, Tier

from .jp_names import fold_long_vowels

#: Between the folded forms in `search_key`, and around them (a form never contains it: folding
#: removes punctuation), so that `|q|` is an exact match and `|q` a prefix.
SEPARATOR = "|"

#: Letters that do not decompose into a base letter and a mark.
_LATIN_LETTERS = str.maketrans({"ø": "o", "đ": "d", "ð": "d", "ł": "l", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i"})
_SAINT = re.compile(r"\b(?:st|ste|saint|sainte|sankt)\b\.?")

_CITY_LIKE = frozenset({Tier.CITY, Tier.SPECIAL_WARD, Tier.LOCALITY})
_PREFECTURE = frozenset({Tier.PREFECTURE})
#: Tier words written in Latin letters → the tiers they mean (Tokyo's special wards call themselves cities).
LATIN_TIER_WORDS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("city", "shi"), _CITY_LIKE),
    **dict.fromkeys(("ward", "ku"), frozenset({Tier.SPECIAL_WARD})),
    **dict.fromkeys(("town", "machi", "cho", "chou"), frozenset({Tier.TOWN, Tier.LOCALITY})),
    **dict.fromkeys(("village", "mura", "son"), frozenset({Tier.VILLAGE, Tier.LOCALITY})),
    **dict.fromkeys(("prefecture", "metropolis", "ken", "fu", "to"), _PREFECTURE),
    **dict.fromkeys(("county", "province", "state", "region"), frozenset({Tier.REGION})),
}
_LATIN_SUFFIX = re.compile(r"^(?P<core>.*\w)[\s\-]+(?P<word>" + "|".join(LATIN_TIER_WORDS) + r")\.?$")
_LATIN_PREFIX = re.compile(r"^(?P<word>city|town|village|county|province|state)\s+of\s+(?P<core>\w.*)$")
#: The last kanji of a Japanese authority's name → its tiers, and the reading of that kanji.
KANJI_TIERS: dict[str, frozenset[str]] = {
    "市": frozenset({Tier.CITY}),
    "区": frozenset({Tier.SPECIAL_WARD}),
    "町": frozenset({Tier.TOWN}),
    "村": frozenset({Tier.VILLAGE}),
    **dict.fromkeys("県府都道", _PREFECTURE),
}
KANJI_READINGS: dict[str, tuple[str, ...]] = {
    "市": ("し",),
    "区": ("く",),
    "町": ("まち", "ちょう"),
    "村": ("むら", "そん"),
    "県": ("けん",),
    "府": ("ふ",),
    "都": ("と",),
    "道": ("どう",),
}
#: A typed reading's last kana → tiers (longest first).
_KANA_TIERS: list[tuple[str, frozenset[str]]] = sorted(
    ((reading, KANJI_TIERS[kanji]) for kanji, readings in KANJI_READINGS.items() for reading in readings),
    key=lambda item: -len(item[0]),
)


#: The combining diacritical marks (accents, macrons, cedillas …), not the kana's (゙ ゚ stay).
_DIACRITICS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
#: Katakana → hiragana (ァ…ヶ are ぁ…ゖ, 0x60 lower; ヵ ヶ are written か け as they are read).
_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F5)} | {0x30F5: "か", 0x30F6: "け"}
_NOT_LETTERS = re.compile(r"[\W_]+")
_ROMAJI = re.compile(r"[a-z]")


def _normalise(text: str) -> str:
    """Steps 1-4 of the module docstring: the text still has its spaces and punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        text = _DIACRITICS.sub("", unicodedata.normalize("NFD", text.translate(_LATIN_LETTERS)))
        text = unicodedata.normalize("NFC", text).translate(_HIRAGANA)
    return _SAINT.sub("saint", text)


def _compact(text: str) -> str:
    """Steps 5-6: letters and digits only, long vowels in romaji counted once."""
    kept = _NOT_LETTERS.sub("", text)
    return fold_long_vowels(kept) if _ROMAJI.search(kept) else kept


def fold(text: str) -> str:
    """The full comparison form of `text` (see the module docstring): `Ōsaka` → osaka,
    `ナガサキシ` → ながさきし, `St. Paul` → saintpaul, `Köln` → koln."""
    return _compact(_normalise(text))


def _latin_core(text: str) -> tuple[str, frozenset[str] | None]:
    match = _LATIN_PREFIX.match(text) or _LATIN_SUFFIX.match(text)
    if match is None:
        return text, None
    return match["core"], LATIN_TIER_WORDS[match["word"]]


def _kanji_core(text: str) -> tuple[str, frozenset[str] | None]:
    text = text.rstrip()
    if len(text) > 1 and text[-1] in KANJI_TIERS:
        return text[:-1], KANJI_TIERS[text[-1]]
    return text, None


@dataclass(frozen=True)
class SearchTerms:
    """What a person typed, folded: `full`, its `core` without a tier word (equal when it has none), and
    the `tiers` that tier word means (None when there was none)."""

    full: str
    core: str
    tiers: frozenset[str] | None = None


def search_terms(text: str) -> SearchTerms:
    """Fold a query: `Nagasaki City` → nagasakicity / nagasaki / cities, `ながさきし` → ながさきし /
    ながさき / cities, `長崎県` → 長崎県 / 長崎 / prefectures."""
    normalised = _normalise(text).strip()
    full = _compact(normalised)
    core, tiers = _latin_core(normalised)
    if tiers is None:
        core, tiers = _kanji_core(normalised)
    if tiers is None:
        for reading, reading_tiers in _KANA_TIERS:
            if full.endswith(reading) and len(full) > len(reading):
                return SearchTerms(full=full, core=full[: -len(reading)], tiers=reading_tiers)
    core = _compact(core)
    if not core:
        return SearchTerms(full=full, core=full)
    return SearchTerms(full=full, core=core, tiers=tiers if core != full else None)


def _forms_of_name(text: str) -> list[str]:
    """The full and core forms of an official, English or other name."""
    normalised = _normalise(text).strip()
    core, tiers = _latin_core(normalised)
    if tiers is None:
        core, _tiers = _kanji_core(normalised)
    return [_compact(normalised), _compact(core)]


def _forms_of_reading(reading: str, *, name: str) -> list[str]:
    """The full and core forms of a kana reading: its tier kana go when the name ends in that kanji
    (ナガサキシ of 長崎市 → ながさき; オオマチマチ of 大町町 → おおまち)."""
    full = fold(reading)
    kanji = name.strip()[-1:]
    for ending in KANJI_READINGS.get(kanji, ()):
        if full.endswith(ending) and len(full) > len(ending):
            return [full, full[: -len(ending)]]
    return [full]


def search_key_for(*, name: str, name_en: str = "", name_kana: str = "", aliases: Iterable[str] = ()) -> str:
    """The `search_key` of an authority with these names: every distinct folded form, between separators."""
    forms = [*_forms_of_name(name), *_forms_of_name(name_en)]
    if name_kana:
        forms += _forms_of_reading(name_kana, name=name)
    for alias in aliases:
        forms += _forms_of_name(alias)
    distinct = list(dict.fromkeys(form for form in forms if form))
    return SEPARATOR + SEPARATOR.join(distinct) + SEPARATOR if distinct else ""


def search_key_of(municipality: Municipality) -> str:
    """`search_key_for` the municipality's names, GeoNames' own name of its city included."""
    aliases = [geonames_name(municipality.geonames_id)] if municipality.geonames_id else []
    return search_key_for(
        name=municipality.name,
        name_en=municipality.name_en,
        name_kana=municipality.name_kana,
        aliases=[alias for alias in aliases if alias],
    )


def with_search_keys(municipalities: Iterable[Municipality]) -> list[Municipality]:
    """Set `search_key` on each (unsaved or about to be bulk-written) municipality; returns them as a list."""
    municipalities = list(municipalities)
    for municipality in municipalities:
        municipality.search_key = search_key_of(municipality)
    return municipalities


def geonames_name(geonames_id: int) -> str:
    """GeoNames' name of one of its cities (usually the local one: Köln, München), "" when unknown."""
    return _geonames_names().get(int(geonames_id), "")


@cache
def _geonames_names() -> dict[int, str]:
    # The very list the twin-pairs import matched the ids against, loaded once per process for both.
    from .twin_pairs import _geonames_cities

    return {int(city["geonameid"]): city["name"] for city in _geonames_cities().values()}
