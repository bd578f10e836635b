"""The matching rules of jp_names, one case each, against the real list of Japan's authorities
(no database: the matcher is built from fixtures/jp_local_governments.csv in memory)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from registry.services.import_municipalities import tier_of
from registry.services.jp_names import Authority, JapaneseNameMatcher, fold_name

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "jp_local_governments.csv"


@pytest.fixture(scope="module")
def matcher() -> JapaneseNameMatcher:
    authorities = []
    with FIXTURE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            tier = tier_of(lg_code=row["lg_code"], name=row["name_ja"])
            authorities.append(
                Authority(
                    pk=int(row["lg_code"]),
                    name=row["name_ja"],
                    name_en=row["prefecture_en"] if tier == "prefecture" else row["name_romaji"],
                    tier=tier,
                    prefecture=row["lg_code"][:2],
                    latitude=float(row["lat"]) if row["lat"] else None,
                    longitude=float(row["lng"]) if row["lng"] else None,
                )
            )
    return JapaneseNameMatcher(authorities)


def matched_name(matcher: JapaneseNameMatcher, name: str, **coordinates: float) -> str:
    match = matcher.match(name, **coordinates)
    assert match.matched, match.reason
    return match.authority.name


def test_fold_name_drops_macrons_apostrophes_and_writes_n_before_labials():
    assert fold_name("Ōshū") == "oshu"
    assert fold_name("San'yō-Onoda") == "sanyoonoda"
    assert fold_name("Gotemba") == fold_name("Gotenba") == "gotenba"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ōshū", "奥州市"),
        ("Kyōtamba", "京丹波町"),
        ("San'yō-Onoda", "山陽小野田市"),
        ("Gotemba", "御殿場市"),
        ("Gotenba", "御殿場市"),
        ("Mombetsu", "紋別市"),
        ("Nishinoomote", "西之表市"),  # long vowel written out; the registry's romaji folds it
        ("Minami-Alps", "南アルプス市"),  # official English name, not the reading
    ],
)
def test_match_spelling_variants(matcher, name, expected):
    match = matcher.match(name)
    assert match.matched and match.authority.name == expected
    assert not match.by_coordinates


@pytest.mark.parametrize("name", ["Setagaya (Tokyo)", "Tokyo – Setagaya", "Setagaya, Tokyo"])
def test_match_qualified_ward_all_spellings(matcher, name):
    assert matched_name(matcher, name) == "世田谷区"


def test_match_kusatsu_qualified_by_prefecture_needs_no_coordinates(matcher):
    gunma = matcher.match("Kusatsu, Gunma")
    shiga = matcher.match("Kusatsu, Shiga")
    assert (gunma.authority.name, gunma.authority.prefecture) == ("草津町", "10")
    assert (shiga.authority.name, shiga.authority.prefecture) == ("草津市", "25")
    assert not gunma.needs_review and not shiga.needs_review


def test_match_plain_kusatsu_is_decided_by_coordinates_and_flagged(matcher):
    match = matcher.match("Kusatsu", latitude=35.0132, longitude=135.9599)
    assert match.authority.name == "草津市"
    assert match.by_coordinates and match.needs_review
    assert "草津町" in match.note and "km" in match.note


def test_match_ikeda_by_coordinates(matcher):
    osaka = matcher.match("Ikeda", latitude=34.8217, longitude=135.4284)
    hokkaido = matcher.match("Ikeda", latitude=42.929, longitude=143.4485)
    assert (osaka.authority.name, osaka.authority.prefecture) == ("池田市", "27")
    assert (hokkaido.authority.name, hokkaido.authority.prefecture) == ("池田町", "01")
    assert osaka.by_coordinates and hokkaido.by_coordinates


def test_match_ambiguous_name_without_coordinates_is_rejected_naming_candidates(matcher):
    match = matcher.match("Ikeda")
    assert not match.matched
    assert match.category == "ambiguous name"
    assert "池田市" in match.reason and "池田町" in match.reason


def test_match_far_off_coordinates_are_rejected_never_guessed(matcher):
    # The list puts "Naka" in Micronesia; 那珂市 and 那賀町 are both thousands of km away.
    match = matcher.match("Naka", latitude=7.25, longitude=151.25)
    assert not match.matched
    assert match.category == "ambiguous name, coordinates too far"
    assert "coordinates look wrong" in match.reason


def test_match_neighbours_too_close_to_tell_apart_are_rejected(matcher):
    # Shimanto town (37 km) and Shimanto city (68 km): the nearest is not clearly the one.
    match = matcher.match("Shimanto", latitude=33.4333, longitude=133.4333)
    assert not match.matched and match.category == "ambiguous name"


def test_match_clearly_nearest_neighbour_wins(matcher):
    # Kushiro city's hall at 0 km, Kushiro town's at 7 km.
    match = matcher.match("Kushiro", latitude=42.985, longitude=144.3817)
    assert match.authority.name == "釧路市" and match.by_coordinates


@pytest.mark.parametrize(
    ("name", "expected", "tier"),
    [
        ("Tokyo", "東京都", "prefecture"),  # no city is called Tokyo: the metropolis
        ("Osaka", "大阪市", "city"),  # a plain name means the city …
        ("Osaka Prefecture", "大阪府", "prefecture"),  # … "Prefecture" asks for the prefecture
        ("Nagasaki", "長崎市", "city"),
        ("Hyōgo Prefecture", "兵庫県", "prefecture"),
    ],
)
def test_match_city_versus_prefecture(matcher, name, expected, tier):
    match = matcher.match(name, latitude=35.0, longitude=135.0)
    assert (match.authority.name, match.authority.tier) == (expected, tier)
    assert not match.by_coordinates


def test_match_district_is_not_an_authority(matcher):
    match = matcher.match("Higashichikuma District")
    assert not match.matched and "district" in match.reason


def test_match_unknown_name_and_unknown_qualifier_are_rejected(matcher):
    assert matcher.match("Atlantis").category == "unknown name"
    assert matcher.match("Setagaya (Osaka)").category == "unknown name"
    assert matcher.match("Chūō (Sapporo)").category == "qualifier not a prefecture"


def test_match_unique_name_with_far_coordinates_is_flagged_not_dropped(matcher):
    match = matcher.match("Kanda", latitude=35.7019, longitude=139.7678)  # Kanda, Tokyo is no authority
    assert match.authority.name == "苅田町"
    assert match.needs_review and not match.by_coordinates
    assert "km" in match.note
