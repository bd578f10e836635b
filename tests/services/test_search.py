"""Search folding and Municipality.objects.search (issue 7, point 8)."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection

from registry.models import Municipality, Tier
from registry.services.import_agreements import import_agreements
from registry.services.import_municipalities import import_municipalities_rows
from registry.services.imports import ImportSummary
from registry.services.search import fold, search_key_for, search_key_of, search_terms
from tests.factories import ForeignCityFactory, MunicipalityFactory, PrefectureFactory
from tests.management.helpers import jp_rows
from tests.search_world import FIVE_SPELLINGS, _csv, import_search_world

# --- Folding --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Ōsaka", "osaka"),  # macron
        ("Oosaka", "osaka"),  # long vowel written out
        ("Toukyou", "tokyo"),
        ("Tōkyō", "tokyo"),
        ("Minoh", "mino"),  # oh before a consonant
        ("Köln", "koln"),  # diaeresis
        ("Łódź", "lodz"),  # a letter that does not decompose, and two that do
        ("Gdańsk", "gdansk"),
        ("São Paulo", "saopaulo"),
        ("Straße", "strasse"),  # ß → ss
        ("St. Paul", "saintpaul"),
        ("Saint Paul", "saintpaul"),
        ("St Albans", "saintalbans"),
        ("Ste-Foy", "saintfoy"),
        ("Sankt Pölten", "saintpolten"),
        ("Stoke", "stoke"),  # st only as a word
        ("ナガサキシ", "ながさきし"),  # katakana → hiragana
        ("ｵｵｻｶ", "おおさか"),  # half-width katakana
        ("ガ", "が"),  # the dakuten stays: が is not か
        ("鶴ヶ島市", "鶴け島市"),
        ("ＮＡＧＡＳＡＫＩ", "nagasaki"),  # full-width letters
        ("Nagasaki-shi", "nagasakishi"),
        ("長崎 市", "長崎市"),  # spaces and punctuation removed
    ],
)
def test_fold_writes_spellings_alike(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "full", "core", "tiers"),
    [
        ("Nagasaki City", "nagasakicity", "nagasaki", {Tier.CITY, Tier.SPECIAL_WARD, Tier.LOCALITY}),
        ("長崎市", "長崎市", "長崎", {Tier.CITY}),
        ("長崎県", "長崎県", "長崎", {Tier.PREFECTURE}),
        ("東京都", "東京都", "東京", {Tier.PREFECTURE}),
        ("ながさきし", "ながさきし", "ながさき", {Tier.CITY}),
        ("オオマチチョウ", "おおまちちょう", "おおまち", {Tier.TOWN}),
        ("Nagasaki Prefecture", "nagasakiprefecture", "nagasaki", {Tier.PREFECTURE}),
        ("Tokyo-to", "tokyoto", "tokyo", {Tier.PREFECTURE}),
        ("Chiyoda Ward", "chiyodaward", "chiyoda", {Tier.SPECIAL_WARD}),
        ("Village of Hakuba", "villageofhakuba", "hakuba", {Tier.VILLAGE, Tier.LOCALITY}),
        ("Ōsaka", "osaka", "osaka", None),
        ("市", "市", "市", None),  # a tier word alone is the text itself
        ("St. Paul", "saintpaul", "saintpaul", None),
    ],
)
def test_search_terms_take_the_tier_word_off(text, full, core, tiers):
    terms = search_terms(text)
    assert (terms.full, terms.core, terms.tiers) == (full, core, None if tiers is None else frozenset(tiers))


def test_search_key_holds_each_name_with_and_without_its_tier_word():
    assert search_key_for(name="長崎市", name_en="Nagasaki", name_kana="ナガサキシ") == (
        "|長崎市|長崎|nagasaki|ながさきし|ながさき|"
    )
    # 町 read チョウ: the reading loses チョウ; a reading whose end is not the kanji's stays whole.
    assert search_key_for(name="大町町", name_en="Omachi", name_kana="オオマチチョウ") == (
        "|大町町|大町|omachi|おおまちちょう|おおまち|"
    )
    assert search_key_for(name="札幌市", name_en="Sapporo", name_kana="サッポロ") == "|札幌市|札幌|sapporo|さっぽろ|"
    assert search_key_for(name="Kansas City", name_en="Kansas City") == "|kansascity|kansas|"
    assert search_key_for(name="Cologne", name_en="Cologne", aliases=["Köln"]) == "|cologne|koln|"
    assert search_key_for(name="", name_en="") == ""


# --- Municipality.objects.search ------------------------------------------------------------------


@pytest.fixture
def world(db):
    return import_search_world()


@pytest.mark.parametrize(("spelling", "authority"), FIVE_SPELLINGS)
def test_search_finds_the_five_spellings_of_the_audit(world, spelling, authority):
    assert world[authority] in Municipality.objects.search(spelling)


def test_search_ranks_whole_name_then_prefix_then_contains(world):
    # Osaka: the prefecture and the city are whole names (prefecture first, by tier), Osakasayama
    # starts with it, Higashiosaka contains it.
    names = [m.name for m in Municipality.objects.search("Ōsaka")]
    assert names == ["大阪府", "大阪市", "大阪狭山市", "東大阪市"]
    assert [m.name for m in Municipality.objects.search("おおさか")] == names


def test_search_of_one_or_two_characters_matches_the_start_of_a_name(world):
    assert [m.name for m in Municipality.objects.search("ka")] == []  # not Osaka, not Nagasaki
    assert {m.name for m in Municipality.objects.search("Ō")} == {"大阪府", "大阪市", "大阪狭山市", "大町市", "大町町"}
    assert [m.name for m in Municipality.objects.search("大阪")] == ["大阪府", "大阪市", "大阪狭山市"]
    assert [m.name for m in Municipality.objects.search("大阪狭")] == ["大阪狭山市"]
    assert "東大阪市" in [m.name for m in Municipality.objects.search("osa")]  # three: anywhere


def test_search_tier_word_asks_for_that_tier(world):
    assert [m.name for m in Municipality.objects.search("Nagasaki")] == ["長崎県", "長崎市"]
    assert [m.name for m in Municipality.objects.search("Nagasaki City")] == ["長崎市"]
    assert [m.name for m in Municipality.objects.search("Nagasaki Prefecture")] == ["長崎県"]
    assert [m.name for m in Municipality.objects.search("長崎県")] == ["長崎県"]
    assert [m.name for m in Municipality.objects.search("ながさきし")] == ["長崎市"]
    # Tokyo's special wards call themselves cities in English.
    assert [m.name for m in Municipality.objects.search("Chiyoda City")] == ["千代田区"]
    # 大町市 (Nagano) and 大町町 (Saga) are both Omachi; 大町 is the whole name of neither.
    assert [m.name for m in Municipality.objects.search("Omachi Town")] == ["大町町"]
    assert [m.name for m in Municipality.objects.search("大町")] == ["大町市", "大町町"]


def test_search_ranks_home_country_then_tier_then_population(db):
    PrefectureFactory(name="長崎県", name_en="Nagasaki", lg_code="420000")
    MunicipalityFactory(name="長崎市", name_en="Nagasaki", name_kana="ナガサキシ", lg_code="422011")
    ForeignCityFactory(name="Nagasaki", country="US", population=900)
    ForeignCityFactory(name="Nagasaki", country="BR", population=None)
    ForeignCityFactory(name="Nagasaki", country="AU", population=5_000)

    found = [(m.country, m.tier) for m in Municipality.objects.search("nagasaki")]

    assert found == [("JP", "prefecture"), ("JP", "city"), ("AU", "locality"), ("US", "locality"), ("BR", "locality")]
    # Another home country puts its own first.
    assert Municipality.objects.search("nagasaki", home="us").first().country == "US"


def test_search_by_code_prefix_and_exact_code_first(db):
    prefecture = PrefectureFactory(name="長崎県", name_en="Nagasaki", lg_code="420000")
    city = MunicipalityFactory(name="長崎市", name_en="Nagasaki", lg_code="422011", parent=prefecture)
    assert list(Municipality.objects.search("42")) == [prefecture, city]
    assert list(Municipality.objects.search("422011")) == [city]
    assert list(Municipality.objects.search("４２２０")) == [city]  # full-width digits


def test_search_blank_and_punctuation_only(db):
    MunicipalityFactory.create_batch(2)
    assert Municipality.objects.search("  ").count() == 2
    assert Municipality.objects.search("・、!").count() == 0
    assert Municipality.objects.search("\x00").count() == 0  # never reaches the database as text


def test_search_costs_one_query_for_two_rows_or_twenty(db, django_assert_num_queries):
    ForeignCityFactory.create_batch(2, name="Springfield")
    with django_assert_num_queries(1):
        assert len(list(Municipality.objects.search("spring"))) == 2
    ForeignCityFactory.create_batch(18, name="Springfield")
    with django_assert_num_queries(1):
        assert len(list(Municipality.objects.search("spring"))) == 20


@pytest.mark.postgres
def test_search_uses_the_trigram_index_on_postgresql(db):
    ForeignCityFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a table this small would be scanned anyway
        sql, params = Municipality.objects.search("Köln").order_by().values("pk").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "municipality_search_key_trgm" in plan, plan


# --- Every write of a name keeps the key ----------------------------------------------------------


def _stale() -> list[str]:
    return [m.name for m in Municipality.objects.all() if m.search_key != search_key_of(m) or not m.search_key]


def test_importers_write_the_search_key(world):
    assert _stale() == []
    assert "|koln|" in world["Cologne"].search_key  # GeoNames' own name, from the twin-pairs import
    assert world["Cologne"].geonames_id is not None


def test_import_municipalities_updates_the_search_key_of_a_renamed_authority(db):
    rows = jp_rows("長崎市")
    import_municipalities_rows(text=_csv(rows), summary=ImportSummary())
    rows[-1]["name_romaji"] = "Nagasaki-shi"
    summary = ImportSummary()
    import_municipalities_rows(text=_csv(rows), summary=summary)
    assert summary.updated == 1
    assert _stale() == []
    assert "|nagasakishi|" in Municipality.objects.get(lg_code="422011").search_key


def test_import_agreements_writes_the_search_key_of_a_partner_it_creates(db):
    import_municipalities_rows(text=_csv(jp_rows("長崎市")), summary=ImportSummary())
    header = (
        "lg_code,partner_name,partner_country,partner_region,kind,signed_on,status,heads_signed,"
        "fields_unrestricted,assembly_approved,source_url\n"
    )
    summary = ImportSummary()
    import_agreements(text=header + "422011,St. Paul,US,Minnesota,sister,1955-12-07,active,○,○,○,\n", summary=summary)
    assert summary.rejected == []
    assert _stale() == []
    assert list(Municipality.objects.search("Saint Paul").values_list("name", flat=True)) == ["St. Paul"]


def test_migration_fills_the_search_key_of_existing_rows(world):
    Municipality.objects.update(search_key="")
    migration = importlib.import_module("registry.migrations.0004_municipality_search_key")
    from django.apps import apps

    migration.fill_search_keys(apps, SimpleNamespace(connection=connection))

    assert _stale() == []
