"""import_agreements: CLAIR-style CSV, all rows or none, idempotent."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from registry.models import AgreementStatusChange, ChangeRecord, Municipality, TwinningAgreement
from registry.services.import_agreements import parse_bool, parse_country

pytestmark = pytest.mark.django_db

HEADER = (
    "lg_code,partner_name,partner_country,partner_region,kind,signed_on,status,"
    "heads_signed,fields_unrestricted,assembly_approved,source_url"
)


def run(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_agreements", str(path), "--no-progress", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def write(tmp_path: Path, *rows: str, encoding: str = "utf-8", name: str = "agreements.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode(encoding))
    return path


def test_import_agreements_utf8_creates_agreement_partner_and_region(tmp_path, nagasaki):
    path = write(
        tmp_path,
        "422011,Saint Paul,US,Minnesota,sister,1955-12-07,active,○,○,○,https://example.org/nagasaki",
    )

    output = run(path)

    assert "created: 1, updated: 0, unchanged: 0, rejected: 0" in output
    agreement = TwinningAgreement.objects.select_related("municipality_b__parent").get()
    partner = agreement.municipality_b
    assert (partner.name, partner.country, partner.tier) == ("Saint Paul", "US", "locality")
    assert (partner.parent.name, partner.parent.tier, partner.parent.country) == ("Minnesota", "region", "US")
    assert agreement.municipality_a == nagasaki
    assert (agreement.signed_on, agreement.signed_on_precision) == (dt.date(1955, 12, 7), "day")
    assert (agreement.source, agreement.source_url) == ("clair_csv", "https://example.org/nagasaki")
    assert agreement.clair_countable is True
    assert list(agreement.status_changes.values_list("to_status", flat=True)) == ["active"]


def test_import_agreements_reuses_existing_partner_by_english_name(tmp_path, nagasaki, saint_paul):
    path = write(tmp_path, "422011,saint paul,United States,,friendship,1955,,,,,")

    run(path)

    agreement = TwinningAgreement.objects.get()
    assert agreement.municipality_b == saint_paul
    assert (agreement.kind, agreement.signed_on_precision, agreement.clair_countable) == ("friendship", "year", False)
    assert Municipality.objects.filter(country="US").count() == 1


def test_import_agreements_reads_utf8_with_bom(tmp_path, nagasaki):
    path = write(tmp_path, "422011,Saint Paul,US,,sister,1955-12,active,yes,yes,no,", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    run(path)

    agreement = TwinningAgreement.objects.get()
    assert (agreement.signed_on_precision, agreement.heads_signed, agreement.assembly_approved) == (
        "month",
        True,
        False,
    )


def test_import_agreements_reads_shift_jis(tmp_path, nagasaki):
    path = write(
        tmp_path,
        "422011,セントポール,アメリカ合衆国,ミネソタ州,姉妹都市,1955-12-07,active,はい,○,×,",
        encoding="cp932",
    )
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")

    run(path)

    agreement = TwinningAgreement.objects.select_related("municipality_b__parent").get()
    assert (agreement.municipality_b.name, agreement.municipality_b.country) == ("セントポール", "US")
    assert agreement.municipality_b.parent.name == "ミネソタ州"
    assert (agreement.kind, agreement.heads_signed, agreement.fields_unrestricted, agreement.assembly_approved) == (
        "sister",
        True,
        True,
        False,
    )


def test_import_agreements_refuses_whole_file_listing_every_problem_by_line(tmp_path, nagasaki):
    path = write(
        tmp_path,
        "422011,Saint Paul,US,Minnesota,sister,1955-12-07,active,1,1,1,",  # line 2: good
        "422012,Lyon,FR,,sister,1959,active,,,,",  # line 3: wrong check digit
        "422011,Atlantis,XX,,sister,1960,active,,,,",  # line 4: unknown country
        "422011,Busan,KR,,cousin,2099-01-01,active,perhaps,,,",  # line 5: kind, future date, boolean
        "131016,Paris,FR,,sister,1958,active,,,,",  # line 6: valid code, no such authority here
        "42201,Seoul,KR,,sister,1990,,,,,",  # line 7: five digits
    )

    with pytest.raises(CommandError) as error:
        run(path)

    message = str(error.value)
    for expected in (
        "line 3, lg_code: The check digit of “422012” is wrong",
        "line 4, partner_country: “XX” is not a country",
        "line 5, kind: “cousin” is not a kind",
        "line 5, signed_on: 2099-01-01 is in the future",
        "line 5, heads_signed: “perhaps” is not yes or no",
        "line 6, lg_code: No Japanese authority has the code 131016",
        "line 7, lg_code: “42201” has five digits",
    ):
        assert expected in message
    assert "line 2" not in message
    # Nothing half-written: not the good row, not its partner, not its history.
    assert not TwinningAgreement.objects.exists()
    assert not AgreementStatusChange.objects.exists()
    assert not ChangeRecord.objects.exists()
    assert not Municipality.objects.filter(country="US").exists()


def test_import_agreements_refuses_same_pair_twice_in_file_naming_both_lines(tmp_path, nagasaki):
    path = write(
        tmp_path,
        "422011,Saint Paul,US,Minnesota,sister,1955-12-07,active,,,,",
        "422011,Busan,KR,,sister,1990,active,,,,",
        "422011,SAINT PAUL,US,Minnesota,sister,1955,active,,,,",
    )

    with pytest.raises(CommandError) as error:
        run(path)

    assert "line 4, partner_name: The same pair as line 2" in str(error.value)
    assert not TwinningAgreement.objects.exists()


def test_import_agreements_second_run_reports_unchanged_then_updated(tmp_path, nagasaki):
    path = write(
        tmp_path,
        "422011,Saint Paul,US,Minnesota,sister,1955-12-07,active,1,1,1,",
        "422011,Busan,KR,,friendship,1990,active,,,,",
    )
    run(path)
    versions = dict(TwinningAgreement.objects.values_list("pk", "version"))
    records = ChangeRecord.objects.count()

    assert "created: 0, updated: 0, unchanged: 2, rejected: 0" in run(path)
    assert dict(TwinningAgreement.objects.values_list("pk", "version")) == versions
    assert ChangeRecord.objects.count() == records
    assert TwinningAgreement.objects.count() == 2

    changed = write(
        tmp_path,
        "422011,Saint Paul,US,Minnesota,sister,1955-12-07,active,1,1,1,",
        "422011,Busan,KR,,sister,1990-05,active,,,,",
        name="changed.csv",
    )
    assert "created: 0, updated: 1, unchanged: 1, rejected: 0" in run(changed)
    busan = TwinningAgreement.objects.get(municipality_b__name="Busan")
    assert (busan.kind, busan.signed_on, busan.signed_on_precision) == ("sister", dt.date(1990, 5, 1), "month")


def test_import_agreements_refuses_status_change_without_date(tmp_path, nagasaki):
    path = write(tmp_path, "422011,Busan,KR,,friendship,1990,active,,,,")
    run(path)
    suspended = write(tmp_path, "422011,Busan,KR,,friendship,1990,suspended,,,,", name="suspended.csv")

    with pytest.raises(CommandError) as error:
        run(suspended)

    assert "line 2, status:" in str(error.value)
    assert TwinningAgreement.objects.get().status == "active"


def test_import_agreements_reversed_existing_pair_is_updated_not_duplicated(tmp_path, nagasaki, saint_paul):
    from registry.services.agreements import sign_agreement

    existing = sign_agreement(a=saint_paul, b=nagasaki, signed_on="1955")
    path = write(tmp_path, "422011,Saint Paul,US,,sister,1955-12-07,active,,,,")

    assert "created: 0, updated: 1, unchanged: 0" in run(path)
    existing.refresh_from_db()
    assert (existing.signed_on, existing.signed_on_precision) == (dt.date(1955, 12, 7), "day")


def test_import_agreements_dry_run_writes_nothing(tmp_path, nagasaki):
    path = write(tmp_path, "422011,Saint Paul,US,Minnesota,sister,1955-12-07,active,,,,")

    output = run(path, "--dry-run")

    assert output.startswith("[dry run, nothing written] created: 1")
    assert not TwinningAgreement.objects.exists()
    assert not Municipality.objects.filter(country="US").exists()


def test_import_agreements_sample_file_imports_cleanly(db):
    """The shipped sample names real authorities' codes and imports without a problem."""
    import csv

    from tests.factories import MunicipalityFactory

    sample = Path(__file__).resolve().parents[2] / "fixtures" / "sample_agreements.csv"
    with sample.open(encoding="utf-8") as handle:
        codes = [row["lg_code"] for row in csv.DictReader(handle)]
    for code in codes:
        MunicipalityFactory(lg_code=code)

    assert f"created: {len(codes)}, updated: 0, unchanged: 0, rejected: 0" in run(sample)
    assert TwinningAgreement.objects.filter(signed_on_precision="year").count() == len(codes) - 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [("○", True), ("×", False), ("はい", True), ("いいえ", False), ("ＹＥＳ", True), ("0", False), ("", None)],
)
def test_parse_bool_accepts_documented_spellings(text, expected):
    assert parse_bool(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"), [("us", "US"), ("United Kingdom", "GB"), ("KOR", "KR"), ("中国", "CN"), ("ＵＳ", "US")]
)
def test_parse_country_accepts_codes_and_names(text, expected):
    assert parse_country(text) == expected
