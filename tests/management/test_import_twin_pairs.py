"""import_twin_pairs: matching, countries, one agreement per pair, rejects, idempotency."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.models import AgreementStatusChange, ChangeRecord, Municipality, TwinningAgreement
from registry.services.imports import ImportSummary
from registry.services.twin_pairs import import_twin_pairs_rows, is_region_name, resolve_country
from tests.factories import AgreementFactory, ForeignCityFactory
from tests.management.helpers import PAIRS_HEADER, jp_rows, read_rejects, run, write_csv

pytestmark = pytest.mark.django_db

AUTHORITIES = ("世田谷区", "草津町", "草津市", "御殿場市", "池田市", "池田町", "那珂市", "那賀町", "長崎市", "奥州市")

SETAGAYA = ["Setagaya (Tokyo)", "Japan", "35.6492", "139.6327"]
SETAGAYA_2 = ["Tokyo – Setagaya", "Japan", "35.6492", "139.6327"]
WINNIPEG = ["Winnipeg", "Canada", "49.8956", "-97.1386"]
BUNBURY = ["Bunbury", "Australia", "-33.3268", "115.6367"]


@pytest.fixture
def authorities(tmp_path):
    run("import_municipalities", write_csv(tmp_path / "jp.csv", jp_rows(*AUTHORITIES)))


def pairs_file(tmp_path, *rows: list[str], name: str = "pairs.csv"):
    return write_csv(tmp_path / name, [list(row) for row in rows], header=PAIRS_HEADER)


def agreement_between(a: str, b: str) -> TwinningAgreement:
    return TwinningAgreement.objects.between(Municipality.objects.get(name=a), Municipality.objects.get(name=b)).get()


def test_import_twin_pairs_same_pair_spelt_two_ways_is_one_agreement(tmp_path, authorities):
    path = pairs_file(tmp_path, SETAGAYA + WINNIPEG, WINNIPEG + SETAGAYA_2, BUNBURY + SETAGAYA_2)

    output = run("import_twin_pairs", path)

    assert "created: 2, updated: 0, unchanged: 1, rejected: 0" in output
    agreement = agreement_between("世田谷区", "Winnipeg")
    assert TwinningAgreement.objects.count() == 2
    # What sign_agreement gives: sister, active, date unknown, first history row, audit row.
    assert (agreement.kind, agreement.status, agreement.signed_on, agreement.source) == (
        "sister",
        "active",
        None,
        "world_twin_pairs",
    )
    assert not agreement.needs_review
    assert list(agreement.status_changes.values_list("from_status", "to_status", "changed_on")) == [
        ("", "active", None)
    ]
    assert ChangeRecord.objects.filter(object_id=agreement.pk, action="import", object_repr=str(agreement)).count() == 1
    assert Municipality.objects.filter(name="Winnipeg").get().country == "CA"


def test_import_twin_pairs_gotemba_and_kusatsu_by_prefecture(tmp_path, authorities):
    path = pairs_file(
        tmp_path,
        ["Gotemba", "Japan", "35.3088", "138.9349", "Beaverton", "United States", "45.4872", "-122.8038"],
        ["Kusatsu, Gunma", "Japan", "36.62", "138.59", "Bad Kissingen", "Germany", "50.2", "10.08"],
    )

    run("import_twin_pairs", path)

    assert agreement_between("御殿場市", "Beaverton").needs_review is False
    kusatsu = agreement_between("草津町", "Bad Kissingen")
    assert kusatsu.municipality_a.lg_code == "104264"
    assert not kusatsu.needs_review


def test_import_twin_pairs_ikeda_decided_by_coordinates_needs_review(tmp_path, authorities):
    path = pairs_file(tmp_path, ["Ikeda", "Japan", "34.8217", "135.4284", "Suzhou", "China", "31.3", "120.6194"])

    output = run("import_twin_pairs", path)

    agreement = agreement_between("池田市", "Suzhou")
    assert agreement.needs_review is True
    assert "池田町" in agreement.review_note and "km" in agreement.review_note
    assert agreement.review_note.startswith("Line 2 of the twin-pairs list:")
    assert "Japanese names decided by coordinates (marked for review): 1" in output


def test_import_twin_pairs_far_off_coordinates_are_rejected_with_line(tmp_path, authorities):
    rejects = tmp_path / "rejected.csv"
    path = pairs_file(
        tmp_path,
        SETAGAYA + WINNIPEG,
        ["Oak Ridge", "United States", "36.0104", "-84.2696", "Naka", "Japan", "7.25", "151.25"],
    )

    output = run("import_twin_pairs", path, rejects=rejects)

    [rejected] = read_rejects(rejects)
    assert (rejected["line"], rejected["city2"]) == ("3", "Naka")
    assert "coordinates look wrong" in rejected["reason"]
    assert "line 3: city2:" in output
    assert "rejected: Japanese name: ambiguous name, coordinates too far: 1" in output
    assert not Municipality.objects.filter(name="Oak Ridge").exists()
    assert TwinningAgreement.objects.count() == 1


def test_import_twin_pairs_scotland_is_gb_with_a_region_parent(tmp_path, authorities):
    path = pairs_file(
        tmp_path,
        ["Edinburgh", "Scotland, United Kingdom", "55.9533", "-3.1892", *SETAGAYA],
        ["Glasgow", "Scotland", "55.8609", "-4.2514", *SETAGAYA],
        ["Edinburgh", "Scotland", "55.9533", "-3.1892", "Munich", "Germany", "48.1375", "11.575"],
    )

    run("import_twin_pairs", path)

    scotland = Municipality.objects.get(name="Scotland")
    assert (scotland.country, scotland.tier, scotland.parent) == ("GB", "region", None)
    edinburgh = Municipality.objects.get(name="Edinburgh")
    glasgow = Municipality.objects.get(name="Glasgow")
    assert (edinburgh.country, edinburgh.tier, edinburgh.parent) == ("GB", "locality", scotland)
    assert glasgow.parent == scotland
    assert Municipality.objects.filter(name="Edinburgh").count() == 1


@pytest.mark.parametrize(
    ("field", "iso", "region"),
    [
        ("Scotland, United Kingdom", "GB", "Scotland"),
        ("England", "GB", "England"),
        ("New York, United States", "US", "New York"),
        ("Georgia (country)", "GE", ""),
        ("Georgia", "GE", ""),
        ("Czech Republic", "CZ", ""),
        ("Republic of Ireland", "IE", ""),
        ("Réunion, France", "RE", ""),
        ("South Korea", "KR", ""),
    ],
)
def test_resolve_country(field, iso, region):
    country = resolve_country(field)
    assert (country.iso, country.region) == (iso, region)


def test_import_twin_pairs_unknown_country_is_rejected_with_line_in_rejects_csv(tmp_path, authorities):
    rejects = tmp_path / "rejected.csv"
    path = pairs_file(
        tmp_path,
        SETAGAYA + WINNIPEG,
        [*SETAGAYA, "Atlantis City", "Atlantis", "0", "0"],
        ["Varna, Bulgaria", "", "43.2", "27.9", *SETAGAYA],
    )

    run("import_twin_pairs", path, rejects=rejects)

    rows = read_rejects(rejects)
    assert [(row["line"], row["country1"], row["country2"]) for row in rows] == [
        ("3", "Japan", "Atlantis"),
        ("4", "", "Japan"),
    ]
    assert rows[0]["reason"] == "country2: “Atlantis” is not a country this importer knows (ISO 3166-1)."
    assert rows[1]["reason"] == "country1: the country is empty."
    assert not Municipality.objects.filter(name__in=["Atlantis City", "Varna, Bulgaria"]).exists()


def test_import_twin_pairs_self_pair_after_matching_is_rejected(tmp_path, authorities):
    rejects = tmp_path / "rejected.csv"
    path = pairs_file(tmp_path, SETAGAYA + SETAGAYA_2, ["Nienburg", "Germany", "52.6", "9.2"] * 2)

    run("import_twin_pairs", path, rejects=rejects)

    assert [(row["line"], "itself" in row["reason"]) for row in read_rejects(rejects)] == [("2", True), ("3", True)]
    assert not TwinningAgreement.objects.exists()


def test_import_twin_pairs_region_partners_and_prefecture_partners(tmp_path, authorities):
    path = pairs_file(
        tmp_path,
        ["Tokyo", "Japan", "35.6897", "139.6922", "New South Wales", "Australia", "-32", "147"],
        ["Nagasaki", "Japan", "32.7447", "129.8736", "Maui County", "United States", "20.76", "-156.31"],
    )

    run("import_twin_pairs", path)

    assert agreement_between("東京都", "New South Wales").municipality_a.tier == "prefecture"
    assert Municipality.objects.get(name="New South Wales").tier == "region"
    assert Municipality.objects.get(name="Maui County").tier == "region"
    assert agreement_between("長崎市", "Maui County").municipality_a.tier == "city"


def test_import_twin_pairs_geonames_only_when_certain(tmp_path, authorities):
    path = pairs_file(
        tmp_path,
        ["Nagasaki", "Japan", "32.7447", "129.8736", "Saint Paul", "United States", "44.9497", "-93.0931"],
        # Right name, wrong place: no GeoNames city of that name within 25 km.
        ["Ōshū", "Japan", "39.14", "141.14", "Porto", "Portugal", "10.0", "10.0"],
    )

    run("import_twin_pairs", path)

    saint_paul = Municipality.objects.get(name="Saint Paul")
    assert saint_paul.geonames_id == 5045360
    assert saint_paul.population > 250_000
    porto = Municipality.objects.get(name="Porto")
    assert (porto.geonames_id, porto.population) == (None, None)


def test_import_twin_pairs_second_run_creates_and_updates_nothing(tmp_path, authorities):
    path = pairs_file(
        tmp_path,
        SETAGAYA + WINNIPEG,
        ["Edinburgh", "Scotland, United Kingdom", "55.9533", "-3.1892", *SETAGAYA_2],
        ["Ikeda", "Japan", "34.8217", "135.4284", "Suzhou", "China", "31.3", "120.6194"],
        ["Nagasaki", "Japan", "32.7447", "129.8736", "Saint Paul", "United States", "44.9497", "-93.0931"],
        ["Ōshū", "Japan", "39.14", "141.14", "Nagasaki", "Japan", "32.7447", "129.8736"],
    )
    run("import_twin_pairs", path)
    counts = [model.objects.count() for model in (Municipality, TwinningAgreement, AgreementStatusChange, ChangeRecord)]
    stamps = list(Municipality.objects.values_list("pk", "updated_at", "geonames_id").order_by("pk"))

    output = run("import_twin_pairs", path)

    assert "created: 0, updated: 0, unchanged: 5, rejected: 0" in output
    assert [
        model.objects.count() for model in (Municipality, TwinningAgreement, AgreementStatusChange, ChangeRecord)
    ] == counts
    assert list(Municipality.objects.values_list("pk", "updated_at", "geonames_id").order_by("pk")) == stamps


def test_import_twin_pairs_existing_agreement_counts_as_unchanged(tmp_path, authorities):
    setagaya = Municipality.objects.get(name="世田谷区")
    winnipeg = ForeignCityFactory(name="Winnipeg", country="CA", population=749_534)
    existing = AgreementFactory(municipality_a=winnipeg, municipality_b=setagaya, signed_on=dt.date(1970, 5, 1))

    output = run("import_twin_pairs", pairs_file(tmp_path, SETAGAYA + WINNIPEG))

    assert "created: 0, updated: 0, unchanged: 1, rejected: 0" in output
    assert list(TwinningAgreement.objects.all()) == [existing]
    winnipeg.refresh_from_db()
    assert winnipeg.population == 749_534  # what someone entered is never overwritten


def test_import_twin_pairs_dry_run_writes_nothing(tmp_path, authorities):
    before = Municipality.objects.count(), ChangeRecord.objects.count()

    output = run("import_twin_pairs", pairs_file(tmp_path, SETAGAYA + WINNIPEG), "--dry-run")

    assert output.startswith("Japan–foreign rows linked")
    assert "[dry run, nothing written] created: 1" in output
    assert (Municipality.objects.count(), ChangeRecord.objects.count()) == before
    assert not TwinningAgreement.objects.exists()


def test_import_twin_pairs_queries_do_not_grow_with_rows(tmp_path, authorities, django_assert_max_num_queries):
    rows = [
        ["Setagaya (Tokyo)", "Japan", "35.6492", "139.6327", f"Town {n}", "France", "45.0", f"{n / 100:.2f}"]
        for n in range(300)
    ]
    summary = ImportSummary()
    text = ",".join(PAIRS_HEADER) + "\n" + "\n".join(",".join(row) for row in rows)

    # Four reads, then bulk inserts: 300 new towns, 300 agreements, their history and audit rows cost
    # a few dozen queries at most (SQLite splits a bulk insert at 999 parameters), never one per row.
    with django_assert_max_num_queries(40):
        import_twin_pairs_rows(text=text, summary=summary)

    assert summary.created == 300


@pytest.mark.parametrize(
    ("name", "country", "region"),
    [
        ("New South Wales", "AU", True),
        ("Maui County", "US", True),
        ("California", "US", True),
        ("São Paulo State", "BR", True),
        ("County Mayo", "IE", True),
        ("Washington", "US", False),  # the city as often as the state: no suffix, no guess
        ("Saint Paul", "US", False),
        ("Jilin City", "CN", False),
    ],
)
def test_is_region_name(name, country, region):
    assert is_region_name(name, country=country) is region
