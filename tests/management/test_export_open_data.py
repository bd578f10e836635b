"""export_open_data: every public record as CSV and JSON with a manifest; nothing internal; all or nothing."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from registry.models import ChangeRecord
from registry.services import open_data
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    ForeignCityFactory,
    MembershipFactory,
    NetworkFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SECRETS = {
    "internal_notes": "SECRET-NOTE-41",
    "internal_contact": "secret-contact@example.org",
    "review_note": "SECRET-REVIEW-17",
}
CLERK = "secret_clerk_name"
TABLES = ("municipalities", "agreements", "activities", "networks", "memberships")


@pytest.fixture
def registry(nagasaki, saint_paul):
    """Two agreements with internal fields set, three activities (one logged by a named clerk),
    a network with a member, and a title a spreadsheet would run as a formula."""
    clerk = UserFactory(username=CLERK)
    first = AgreementFactory(municipality_a=nagasaki, municipality_b=saint_paul, needs_review=True, **SECRETS)
    second = AgreementFactory(municipality_a=nagasaki, municipality_b=ForeignCityFactory(name="Porto"), **SECRETS)
    ActivityFactory(agreement=first, by=clerk, title='=HYPERLINK("http://x")')
    ActivityFactory(agreement=first, by=clerk)
    ActivityFactory(agreement=second)
    network = NetworkFactory(name="Mayors for Peace")
    MembershipFactory(network=network, municipality=nagasaki)
    NetworkFactory()
    return {"agreements": [first, second]}


def export(tmp_path: Path, *args: str, name: str = "open") -> tuple[Path, str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_open_data", str(tmp_path / name), *args, stdout=out, stderr=err)
    return tmp_path / name, out.getvalue(), err.getvalue()


def read_csv(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")  # the API's CSV: Excel in a Japanese locale reads it right
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_export_open_data_files_match_manifest(registry, tmp_path):
    directory, stdout, _ = export(tmp_path)

    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    expected_files = {f"{table}.{fmt}" for table in TABLES for fmt in ("csv", "json")}
    assert set(manifest["files"]) == expected_files
    assert {path.name for path in directory.iterdir()} == expected_files | {"manifest.json"}
    counts = {"municipalities": 4, "agreements": 2, "activities": 3, "networks": 2, "memberships": 1}
    for name, entry in manifest["files"].items():
        body = (directory / name).read_bytes()
        assert entry["sha256"] == hashlib.sha256(body).hexdigest(), name
        assert entry["bytes"] == len(body), name
        records = read_csv(directory / name) if name.endswith(".csv") else json.loads(body)
        assert entry["records"] == len(records) == counts[entry["table"]], name
    assert {table: info["records"] for table, info in manifest["tables"].items()} == counts
    assert manifest["data_version"] == ChangeRecord.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert manifest["licence"]["name"] == "CC BY-SA 4.0"
    assert {"GeoNames", "Wikipedia: List of twin towns and sister cities (by country)"} <= {
        source["name"] for source in manifest["sources"]
    }
    assert manifest["exported_at"]
    assert "agreements.csv" in stdout


def test_export_open_data_leaves_out_internal_fields(registry, tmp_path):
    directory, _, _ = export(tmp_path)

    everything = "".join(
        (directory / name).read_text(encoding="utf-8") for name in sorted(map(str, directory.iterdir()))
    )
    for secret in [*SECRETS.values(), CLERK]:
        assert secret not in everything
    hidden = {"internal_notes", "internal_contact", "needs_review", "review_note", "logged_by", "version"}
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    for table in TABLES:
        assert not hidden & set(manifest["tables"][table]["columns"]), table
        assert not hidden & set(read_csv(directory / f"{table}.csv")[0]), table
        assert not hidden & set(json.loads((directory / f"{table}.json").read_text(encoding="utf-8"))[0]), table


def test_export_open_data_shapes_rows_as_the_public_api(registry, tmp_path, public):
    directory, _, _ = export(tmp_path)

    agreements = json.loads((directory / "agreements.json").read_text(encoding="utf-8"))
    api = public.get("/api/agreements/").json()["results"]
    for row in api:
        row.pop("version")
    assert sorted(agreements, key=lambda row: row["id"]) == sorted(api, key=lambda row: row["id"])
    rows = read_csv(directory / "agreements.csv")
    assert {row["municipality_b.name"] for row in rows} == {"Saint Paul", "Porto"}


def test_export_open_data_csv_is_spreadsheet_safe(registry, tmp_path):
    directory, _, _ = export(tmp_path)

    titles = {row["title"] for row in read_csv(directory / "activities.csv")}
    assert '\'=HYPERLINK("http://x")' in titles  # a formula would run in a spreadsheet: quoted, as the API does
    json_titles = {row["title"] for row in json.loads((directory / "activities.json").read_text(encoding="utf-8"))}
    assert '=HYPERLINK("http://x")' in json_titles  # JSON keeps the text as it is


def test_export_open_data_of_an_empty_registry_is_valid(db, tmp_path):
    directory, _, _ = export(tmp_path)

    for table in TABLES:
        assert json.loads((directory / f"{table}.json").read_text(encoding="utf-8")) == []
        assert read_csv(directory / f"{table}.csv") == []
    assert json.loads((directory / "manifest.json").read_text(encoding="utf-8"))["tables"]["agreements"]["records"] == 0


def test_export_open_data_refuses_a_directory_that_is_not_empty(registry, tmp_path):
    target = tmp_path / "open"
    target.mkdir()
    (target / "notes.txt").write_text("mine")

    with pytest.raises(CommandError, match="exists and is not empty"):
        export(tmp_path)
    with pytest.raises(CommandError, match=r"holds no manifest\.json"):
        export(tmp_path, "--force")
    assert [path.name for path in target.iterdir()] == ["notes.txt"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["open"]


def test_export_open_data_force_replaces_a_previous_export(registry, tmp_path):
    directory, _, _ = export(tmp_path)
    (directory / "stale.csv").write_text("old")
    AgreementFactory(municipality_a=registry["agreements"][0].municipality_a)

    export(tmp_path, "--force")

    assert not (directory / "stale.csv").exists()
    assert json.loads((directory / "manifest.json").read_text(encoding="utf-8"))["tables"]["agreements"]["records"] == 3
    assert sorted(path.name for path in tmp_path.iterdir()) == ["open"]


def test_export_open_data_into_an_empty_directory(registry, tmp_path):
    (tmp_path / "open").mkdir()

    directory, _, _ = export(tmp_path)

    assert (directory / "manifest.json").is_file()


def test_export_open_data_failure_leaves_nothing(registry, tmp_path, monkeypatch):
    real = open_data.public_columns_and_rows

    def failing(table):
        columns, rows = real(table)
        if table.name != "activities":
            return columns, rows

        def broken():
            yield from rows
            raise RuntimeError("disk full")

        return columns, broken()

    monkeypatch.setattr(open_data, "public_columns_and_rows", failing)

    with pytest.raises(RuntimeError, match="disk full"):
        export(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_export_open_data_failure_keeps_the_previous_export(registry, tmp_path, monkeypatch):
    directory, _, _ = export(tmp_path)
    before = (directory / "manifest.json").read_bytes()
    monkeypatch.setattr(open_data, "_manifest", lambda **kwargs: 1 / 0)

    with pytest.raises(ZeroDivisionError):
        export(tmp_path, "--force")

    assert (directory / "manifest.json").read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["open"]


def test_export_open_data_reports_progress_on_long_tables(registry, tmp_path, monkeypatch):
    monkeypatch.setattr(open_data, "PROGRESS_EVERY", 2)

    _, _, stderr = export(tmp_path)

    assert "activities: 2 rows" in stderr
    assert "activities: 3 rows" in stderr  # the last count of a long table
    _, _, quiet = export(tmp_path, "--no-progress", name="quiet")
    assert quiet == ""


def test_export_open_data_reads_each_table_in_constant_queries(registry, tmp_path, django_assert_max_num_queries):
    # The same number of queries for 2 rows or 2,000: no query per row (the rows are streamed).
    for _ in range(5):
        ActivityFactory(agreement=registry["agreements"][1])
        AgreementFactory(municipality_a=registry["agreements"][0].municipality_a)
    with django_assert_max_num_queries(12):
        export(tmp_path)


@pytest.mark.django_db(transaction=True)
def test_export_open_data_outside_a_transaction_reads_one_snapshot(tmp_path):
    # As the command runs for real: on PostgreSQL its own REPEATABLE READ transaction (the SET must come first).
    AgreementFactory()

    directory, _, _ = export(tmp_path)

    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["agreements"]["records"] == 1
    assert manifest["data_version"] == ChangeRecord.objects.order_by("-pk").values_list("pk", flat=True).first()
