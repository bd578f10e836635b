"""import_memberships, derive_memberships, import_network_counts: the importers' contract, matching
with the twin-pairs matcher, derived rows marked as such, published counts."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from registry.models import ChangeRecord, DatePrecision, Municipality, Network, NetworkMemberCount, NetworkMembership
from registry.services.import_memberships import as_of_date, is_approximate, japanese_queries, parse_joined
from registry.services.memberships import update_membership
from tests.management.helpers import FIXTURES, jp_rows, read_rejects, run, write_csv

pytestmark = pytest.mark.django_db

HEADER = ["network", "city", "country", "role", "joined", "source_url", "retrieved_note"]
AUTHORITIES = ("横浜市", "横浜町", "広島市", "長崎市", "佐世保市", "松川町", "松川村", "東京都")
URL = "https://example.org/source"


@pytest.fixture
def registry(tmp_path):
    run("import_municipalities", write_csv(tmp_path / "jp.csv", jp_rows(*AUTHORITIES)))
    run("import_networks", FIXTURES / "networks.json")


def members_file(tmp_path, *rows: list[str], name: str = "members.csv"):
    return write_csv(tmp_path / name, [list(row) for row in rows], header=HEADER)


C40_YOKOHAMA = ["C40 Cities", "Yokohama", "JP", "active", "2008", URL, "pref=Kanagawa; ja=横浜市; read"]
C40_TOKYO = ["C40 Cities", "Tokyo", "JP", "active", "2006", URL, "pref=Tokyo; ja=東京都; read"]
C40_LONDON = ["C40 Cities", "London", "GB", "active", "", URL, "read"]
UBC_RIVNE = ["Union of the Baltic Cities", "Rivne region", "UA", "associate", "", URL, "partner"]
MFP_MATSUKAWA = [
    "Mayors for Peace",
    "Matsukawa",
    "JP",
    "active",
    "2010",
    URL,
    "pref=Nagano; ja=松川町（下伊那郡）; read",
]


def test_import_memberships_creates_matches_and_is_idempotent(tmp_path, registry):
    path = members_file(tmp_path, C40_YOKOHAMA, C40_TOKYO, C40_LONDON, UBC_RIVNE, MFP_MATSUKAWA)

    out = run("import_memberships", path)

    assert "created: 5, updated: 0, unchanged: 0, rejected: 0" in out
    c40 = Network.objects.get(slug="c40")
    members = {
        m.municipality.name: m for m in NetworkMembership.objects.filter(network=c40).select_related("municipality")
    }
    # Yokohama the city (not 横浜町 in Aomori), Tokyo the metropolis (a prefecture-level authority).
    assert set(members) == {"横浜市", "東京都", "London"}
    assert members["東京都"].joined_on == dt.date(2006, 1, 1)
    assert members["東京都"].joined_on_precision == DatePrecision.YEAR
    assert members["横浜市"].source_url == URL and members["横浜市"].source_note.startswith("pref=Kanagawa")
    assert not members["横浜市"].is_derived
    rivne = NetworkMembership.objects.get(network__slug="union-of-the-baltic-cities")
    assert (rivne.municipality.tier, rivne.municipality.country, rivne.role) == ("region", "UA", "associate")
    # The district in brackets is dropped: 松川町 (town), not 松川村 (village), both in Nagano.
    assert NetworkMembership.objects.get(network__slug="mayors-for-peace").municipality.name == "松川町"
    # Five memberships and two foreign authorities (London, Rivne region), each in the change history.
    assert ChangeRecord.objects.filter(note="Created by import_memberships.").count() == 7

    again = run("import_memberships", path)

    assert "created: 0, updated: 0, unchanged: 5, rejected: 0" in again
    assert Municipality.objects.filter(name="London").count() == 1


def test_import_memberships_rejects_with_reasons_and_writes_the_rejects_file(tmp_path, registry):
    rejects = tmp_path / "rejects.csv"
    path = members_file(
        tmp_path,
        ["C40 Cities", "Yokohama", "JP", "active", "2008", URL, "read"],  # no prefecture: 横浜市 or 横浜町
        ["Nowhere Network", "Paris", "FR", "active", "", URL, ""],
        ["C40 Cities", "Paris", "XX", "active", "", URL, ""],
        ["C40 Cities", "Paris", "FR", "chair", "", URL, ""],
        ["C40 Cities", "Paris", "FR", "active", "next year", URL, ""],
        ["UN-Habitat", "Fukuoka", "JP", "associate", "1997", URL, "pref=Fukuoka; ja=福岡市; NOT a membership: host"],
        ["UCLG", "CLAIR", "JP", "associate", "", URL, "ja=一般財団法人自治体国際化協会; an organisation"],
        C40_LONDON,
        C40_LONDON,
    )

    out = run("import_memberships", path, rejects=rejects)

    assert "created: 1, updated: 0, unchanged: 0, rejected: 8" in out
    reasons = {row["line"]: row["reason"] for row in read_rejects(rejects)}
    assert "横浜市 (Yokohama), 横浜町 (Yokohama)" in reasons["2"]
    assert reasons["3"].startswith("network: no city network called “Nowhere Network”")
    assert reasons["4"].startswith("country: “XX” is not an ISO 3166-1 alpha-2 code")
    assert reasons["5"].startswith("role: “chair” is not a role")
    assert reasons["6"].startswith("joined: “next year” is not a year")
    assert "not a membership" in reasons["7"]
    assert "may be an organisation rather than a local authority" in reasons["8"]
    assert reasons["10"] == "line 10 repeats line 9 (the same network and authority)."


def test_import_memberships_dry_run_writes_nothing(tmp_path, registry):
    out = run("import_memberships", members_file(tmp_path, C40_LONDON), "--dry-run")

    assert out.startswith("[dry run, nothing written] created: 1")
    assert not NetworkMembership.objects.exists()
    assert not Municipality.objects.filter(name="London").exists()


def test_import_memberships_keeps_local_edits_unless_forced(tmp_path, registry):
    path = members_file(tmp_path, C40_TOKYO)
    run("import_memberships", path)
    membership = NetworkMembership.objects.get()
    update_membership(membership=membership, role="observer")

    out = run("import_memberships", path)

    assert "kept 1 local edit" in out
    membership.refresh_from_db()
    assert membership.role == "observer"
    forced = run("import_memberships", path, "--force-source")
    membership.refresh_from_db()
    assert "overwrote 1 local edit" in forced and membership.role == "active"


def test_import_memberships_does_not_recreate_a_deleted_membership(tmp_path, registry):
    path = members_file(tmp_path, C40_TOKYO)
    run("import_memberships", path)
    NetworkMembership.objects.get().delete()

    out = run("import_memberships", path)

    assert "kept 1 local edit" in out and not NetworkMembership.objects.exists()


def _statement(tmp_path, **changes):
    data = {
        "network": "Mayors for Peace",
        "country": "JP",
        "tiers": ["city", "special_ward", "town", "village"],
        "as_of": "2024-06-01",
        "except": [{"lg_code": "422029", "name": "佐世保市"}],
        "expected": 6,
        "source_url": URL,
        "statement": "every Japanese municipality except Sasebo was a member.",
        **changes,
    }
    path = tmp_path / "derived.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_derived_memberships_are_marked_and_read_rows_take_precedence(tmp_path, registry):
    read = ["Mayors for Peace", "Hiroshima", "JP", "active", "1982", URL, "pref=Hiroshima; ja=広島市; co-founder"]
    run("import_memberships", members_file(tmp_path, read))

    out = run("derive_memberships", _statement(tmp_path))

    mfp = NetworkMembership.objects.filter(network__slug="mayors-for-peace").select_related("municipality")
    names = {m.municipality.name: m for m in mfp}
    # Every municipality of the file but Sasebo (and not the prefectures) is a member.
    assert set(names) == {"横浜市", "横浜町", "広島市", "長崎市", "松川町", "松川村"}
    assert names["広島市"].is_derived is False and names["広島市"].joined_on == dt.date(1982, 1, 1)
    derived = names["長崎市"]
    assert derived.is_derived and derived.joined_on is None
    assert derived.source_note.startswith("Derived from the source's statement, as of 2024-06-01: every Japanese")
    assert "created: 5, updated: 0, unchanged: 1" in out
    assert "members of mayors-for-peace in JP (tiers stated) now: 6" in out
    assert "derived: 5" not in out  # the summary's notes name what they count
    assert "created: 0, updated: 0, unchanged: 6" in run("derive_memberships", _statement(tmp_path))


def test_a_source_row_turns_a_derived_membership_into_a_read_one(tmp_path, registry):
    run("derive_memberships", _statement(tmp_path))
    read = ["Mayors for Peace", "Nagasaki", "JP", "active", "1982", URL, "pref=Nagasaki; ja=長崎市; co-founder"]

    out = run("import_memberships", members_file(tmp_path, read))

    membership = NetworkMembership.objects.get(network__slug="mayors-for-peace", municipality__name="長崎市")
    assert (membership.is_derived, membership.joined_on.year) == (False, 1982)
    assert "updated: 1" in out and "derived memberships now read in a source: 1" in out
    assert "kept" not in out


def test_derive_memberships_refuses_a_bad_statement(tmp_path, registry):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="tiers: Not tiers of JP: region"):
        run("derive_memberships", _statement(tmp_path, tiers=["region"]))
    with pytest.raises(CommandError, match="no city network called “Mayors for War”"):
        run("derive_memberships", _statement(tmp_path, network="Mayors for War"))


def test_import_network_counts_records_published_totals(tmp_path, registry):
    header = ["network", "as_of", "scope", "count", "detail", "source_url"]
    rows = [
        ["C40 Cities", "undated (2024-25 site)", "total", "97", "c40.org homepage", URL],
        ["Union of the Baltic Cities", "undated (c. 2023-25)", "total", "70", "network of 70 cities", URL],
        ["AFHC Japan Chapter", "2021-11-01", "JP chapter", "44", "", URL],
    ]
    path = write_csv(tmp_path / "counts.csv", rows, header=header)

    out = run("import_network_counts", path, rejects=tmp_path / "rejects.csv")

    assert "created: 2, updated: 0, unchanged: 0, rejected: 1" in out
    c40 = NetworkMemberCount.objects.get(network__slug="c40")
    assert (c40.count, c40.as_of_date, c40.is_approximate) == (97, dt.date(2024, 1, 1), False)
    assert NetworkMemberCount.objects.get(network__slug="union-of-the-baltic-cities").is_approximate
    assert "created: 0, updated: 0, unchanged: 2" in run("import_network_counts", path)


def test_value_parsers():
    assert parse_joined("") == (None, DatePrecision.DAY)
    assert parse_joined("2006-04") == (dt.date(2006, 4, 1), DatePrecision.MONTH)
    assert parse_joined("2006-04-12") == (dt.date(2006, 4, 12), DatePrecision.DAY)
    assert as_of_date("2022-06 (Asahi 2022-06-21)") == dt.date(2022, 6, 1)
    assert as_of_date("undated") is None
    assert is_approximate("2019-07", "1,000+ cities") and not is_approximate("2024-06-01", "JP 1,740")
    assert japanese_queries({"city": "Nichinan", "retrieved_note": "pref=Tottori; ja=日南町; read"}) == [
        "日南町, Tottori",
        "日南町",
        "Nichinan, Tottori",
        "Nichinan",
    ]
