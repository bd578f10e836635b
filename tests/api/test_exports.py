"""`?format=csv` and `?format=xlsx`: the whole answer of every list and report (not one page), with
the JSON list's filters, visibility, order and row shape, in a constant number of queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from api import exports
from api.pagination import RegistryPagination
from api.renderers import flatten, spreadsheet_safe
from registry.models import Tier
from registry.services.agreements import change_status
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    ForeignCityFactory,
    MembershipFactory,
    MunicipalityFactory,
    NetworkFactory,
    PrefectureFactory,
)

pytestmark = pytest.mark.django_db

#: More rows than one page of the JSON list holds.
MORE_THAN_A_PAGE = RegistryPagination.page_size + 5


# --- Helpers -------------------------------------------------------------------------------------


def csv_table(response) -> list[list[str]]:
    """The CSV's rows (header first), read as a spreadsheet would: BOM, UTF-8, CRLF."""
    body = response.getvalue()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def xlsx_table(response, like: list[list[str]] | None = None) -> list[list[str]]:
    """The workbook's one sheet, each cell as the CSV writes it (empty as ""). A number is a number
    cell: where `like` (the CSV) holds the same number, written as a float (100.0), its text is taken."""
    workbook = openpyxl.load_workbook(io.BytesIO(response.getvalue()), read_only=True)
    assert len(workbook.worksheets) == 1
    table = []
    for number, row in enumerate(workbook.worksheets[0].values):
        cells = []
        for position, value in enumerate(row):
            text = "" if value is None else str(value)
            if isinstance(value, int | float) and like is not None and float(like[number][position]) == value:
                text = like[number][position]
            cells.append(text)
        table.append(cells)
    return table


def json_pages(client, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row of the JSON list, page after page (the default page size), checking the count."""
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.get(url, {**params, "page": page}).json()
        rows.extend(body["results"])
        if body["next"] is None:
            assert len(rows) == body["count"]
            return rows
        page += 1


def expected_table(rows: list[dict[str, Any]], header: list[str]) -> list[list[str]]:
    """JSON rows as the export's cells: column `a.b` is the nested object's field, a list one cell
    joined by `; `, a free-form object (a change record's `changes`) JSON; every cell spreadsheet-safe."""
    table = []
    for row in rows:
        assert {name for name, value in flatten(row).items() if value is not None} - set(header) <= {
            name
            for name in flatten(row)
            if name.split(".")[0] in header  # a free-form object's keys
        }
        cells = []
        for name in header:
            value = row
            for key in name.split("."):
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, list):
                value = "; ".join(str(item) for item in value)
            elif isinstance(value, dict):
                value = json.dumps(value, ensure_ascii=False)
            cells.append(spreadsheet_safe(value))
        table.append(cells)
    return table


def export(client, url: str, params: dict[str, Any], format_: str):
    response = client.get(url, {**params, "format": format_})
    assert response.status_code == HTTPStatus.OK, response.getvalue()[:500]
    return response


# --- Every list and report: every row --------------------------------------------------------------


def many_agreements() -> None:
    """Agreements over 30 signing years, two kinds, a few partner countries (all in name only)."""
    for number in range(MORE_THAN_A_PAGE):
        AgreementFactory(
            kind="sister" if number % 3 else "friendship",
            signed_on=dt.date(1970 + number % 30, 1 + number % 12, 1),
            municipality_b=ForeignCityFactory(country=("US", "FR", "KR")[number % 3]),
            public_notes=f"-{number}e3 =A{number}" if number % 5 == 0 else f"note {number}",
            exchange_fields=["culture", "education"] if number % 2 else [],
        )


def many_municipalities() -> None:
    prefecture = PrefectureFactory()
    for number in range(MORE_THAN_A_PAGE):
        MunicipalityFactory(
            parent=prefecture if number % 2 else None,
            tier=Tier.TOWN if number % 4 == 0 else Tier.CITY,
            population=None if number % 3 == 0 else 1_000 * number,
            longitude=-(number + 0.25),  # a negative number stays a number
        )


def many_activities() -> None:
    agreement = AgreementFactory()
    for number in range(MORE_THAN_A_PAGE):
        ActivityFactory(
            agreement=agreement,
            occurred_on=dt.date(2000 + number % 25, 6, 1),
            category="culture" if number % 2 else "education",
            participants=number,
        )


def many_memberships() -> None:
    network = NetworkFactory()
    for number in range(MORE_THAN_A_PAGE):
        MembershipFactory(network=network if number % 2 else NetworkFactory(), joined_on=dt.date(2001, 1, 1))


def many_foreign_cities() -> None:
    for number in range(MORE_THAN_A_PAGE):
        ForeignCityFactory(country=("GB", "FR")[number % 2], population=10_000 * (number % 7))


@dataclass(frozen=True)
class Listing:
    url: str
    build: Callable[[], None]
    params: tuple[tuple[str, str], ...] = ()
    coordinator: bool = False

    def __str__(self) -> str:
        query = "&".join(f"{name}={value}" for name, value in self.params)
        return f"{self.url}?{query}" + (" as coordinator" if self.coordinator else "")


EVERY_LIST_AND_REPORT = [
    Listing("/api/agreements/", many_agreements),
    Listing("/api/agreements/", many_agreements, coordinator=True),
    Listing("/api/municipalities/", many_municipalities),
    Listing("/api/activities/", many_activities),
    Listing("/api/networks/", lambda: NetworkFactory.create_batch(MORE_THAN_A_PAGE)),
    Listing("/api/memberships/", many_memberships),
    Listing("/api/history/", many_agreements, coordinator=True),
    Listing("/api/reports/in-name-only/", many_agreements),
    Listing("/api/reports/gaps/", many_municipalities),
    Listing("/api/reports/gaps/", many_foreign_cities, params=(("kind", "foreign"),)),
]


@pytest.mark.parametrize("listing", EVERY_LIST_AND_REPORT, ids=str)
def test_export_is_every_row_of_every_list_and_report(api, coordinator, listing):
    listing.build()
    client = api(coordinator if listing.coordinator else None)
    params = dict(listing.params)
    rows = json_pages(client, listing.url, params)
    assert len(rows) > RegistryPagination.page_size

    header, *cells = csv_table(export(client, listing.url, params, "csv"))

    assert header[0] == "id"
    assert len(cells) == len(rows)
    assert cells == expected_table(rows, header)
    assert xlsx_table(export(client, listing.url, params, "xlsx"), [header, *cells]) == [header, *cells]


def test_export_ignores_page_and_page_size(api):
    many_agreements()

    response = export(api(None), "/api/agreements/", {"page": 2, "page_size": 3}, "csv")

    assert len(csv_table(response)) == 1 + MORE_THAN_A_PAGE


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/agreements/", {"kind": "friendship"}),
        ("/api/agreements/", {"partner_country": "FR", "ordering": "signed_on"}),
        ("/api/agreements/", {"status": "active", "kind": "sister"}),
        ("/api/municipalities/", {"country": "FR"}),
        ("/api/activities/", {"category": "culture", "ordering": "occurred_on"}),
        ("/api/reports/in-name-only/", {"tier": "town"}),
        ("/api/reports/gaps/", {"kind": "foreign", "partner_country": "FR"}),
        ("/api/reports/gaps/", {"tier": "town"}),
    ],
    ids=lambda value: str(value),
)
def test_export_answers_the_filtered_list(api, url, params):
    for number in range(6):
        agreement = AgreementFactory(
            kind=("sister", "friendship")[number % 2],
            signed_on=dt.date(1990 + number, 1, 1),
            municipality_a=MunicipalityFactory(tier=(Tier.CITY, Tier.CITY, Tier.TOWN)[number % 3]),
            municipality_b=ForeignCityFactory(country=("US", "FR", "KR")[number % 3]),
        )
        if number % 2:  # the others are in name only
            ActivityFactory(agreement=agreement, category=("culture", "education")[number // 2 % 2])
        ForeignCityFactory(country=("GB", "FR")[number % 2])
        MunicipalityFactory(tier=(Tier.CITY, Tier.TOWN)[number % 2])
    client = api(None)
    unfiltered = {key: value for key, value in params.items() if url.endswith("/gaps/") and key == "kind"}
    everything = client.get(url, unfiltered).json()["count"]
    rows = json_pages(client, url, params)
    assert 0 < len(rows) < everything

    header, *cells = csv_table(export(client, url, params, "csv"))

    assert cells == expected_table(rows, header)
    assert xlsx_table(export(client, url, params, "xlsx"), [header, *cells]) == [header, *cells]


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/agreements/", {"country": "JPN"}, "country"),
        ("/api/agreements/", {"in_name_only": "perhaps"}, "in_name_only"),
        ("/api/activities/", {"occurred_after": "yesterday"}, "occurred_after"),
        ("/api/reports/in-name-only/", {"as_of": "nope"}, "as_of"),
        ("/api/reports/gaps/", {"kind": "foreign", "tier": "city"}, "tier"),
    ],
)
@pytest.mark.parametrize("format_", ["csv", "xlsx"])
def test_export_with_bad_input_is_400_naming_the_field(api, url, params, field, format_):
    response = api(None).get(url, {**params, "format": format_})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    table = csv_table(response) if format_ == "csv" else xlsx_table(response)
    assert field in table[0]


# --- Visibility ----------------------------------------------------------------------------------

INTERNAL = ["internal_notes", "internal_contact", "needs_review", "review_note"]


def table_of(response, format_: str) -> list[dict[str, str]]:
    header, *cells = csv_table(response) if format_ == "csv" else xlsx_table(response)
    return [dict(zip(header, row, strict=True)) for row in cells], header


@pytest.mark.parametrize("format_", ["csv", "xlsx"])
def test_public_export_has_no_internal_fields(api, own_agreement, other_agreement, format_):
    ActivityFactory(agreement=own_agreement)
    response = export(api(None), "/api/agreements/", {}, format_)
    rows, header = table_of(response, format_)

    assert len(rows) == 2
    assert not set(INTERNAL) & set(header)
    assert b"Mayor visits" not in response.getvalue() and b"internal note" not in response.getvalue()
    _, header = table_of(export(api(None), "/api/activities/", {}, format_), format_)
    assert "logged_by" not in header


@pytest.mark.parametrize("format_", ["csv", "xlsx"])
def test_staff_export_shows_internal_fields_of_their_own_agreements_only(
    api, own_agreement, other_agreement, staff_of_nagasaki, format_
):
    rows, header = table_of(export(api(staff_of_nagasaki), "/api/agreements/", {}, format_), format_)

    assert set(INTERNAL) <= set(header)
    by_id = {row["id"]: row for row in rows}
    assert by_id[str(own_agreement.pk)]["internal_notes"] == "Mayor visits in May."
    assert by_id[str(other_agreement.pk)]["internal_notes"] == ""


# --- Spreadsheet safety through the API ------------------------------------------------------------

HOSTILE_NOTES = {
    '=HYPERLINK("http://evil.example","click")': '\'=HYPERLINK("http://evil.example","click")',
    "＝ＨＹＰＥＲＬＩＮＫ（）": "'＝ＨＹＰＥＲＬＩＮＫ（）",
    "＋1": "'＋1",
    "－1": "'－1",
    "＠SUM(A1)": "'＠SUM(A1)",
    "-nan": "'-nan",
    "-Infinity": "'-Infinity",
    "-1e3": "'-1e3",
    "-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
    "Japan's first link": "Japan's first link",
}


@pytest.mark.parametrize("format_", ["csv", "xlsx"])
def test_export_cells_cannot_run_as_formulas(api, format_):
    for notes in HOSTILE_NOTES:
        AgreementFactory(public_notes=notes, source_url="")
    MunicipalityFactory(longitude=-122.5, latitude=37.75)

    rows, _ = table_of(export(api(None), "/api/agreements/", {"ordering": "id"}, format_), format_)
    municipalities, _ = table_of(export(api(None), "/api/municipalities/", {"country": "JP"}, format_), format_)

    assert [row["public_notes"] for row in rows] == list(HOSTILE_NOTES.values())
    # Numbers the database holds as numbers are data, negative ones included.
    assert "-122.5" in {row["longitude"] for row in municipalities}


def test_xlsx_cells_are_text_not_formulas_and_numbers_stay_numbers(api):
    AgreementFactory(public_notes="=1+2", municipality_a=MunicipalityFactory(population=5_000_000, longitude=-1.5))

    response = export(api(None), "/api/agreements/", {}, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    notes = sheet.cell(row=2, column=header.index("public_notes") + 1)
    municipalities = export(api(None), "/api/municipalities/", {"ordering": "-population"}, "xlsx")
    first = openpyxl.load_workbook(io.BytesIO(municipalities.getvalue())).worksheets[0]
    columns = [cell.value for cell in first[1]]

    assert (notes.data_type, notes.value) == ("s", "'=1+2")
    assert first.cell(row=2, column=columns.index("population") + 1).value == 5_000_000
    assert first.cell(row=2, column=columns.index("longitude") + 1).value == -1.5
    assert response["Content-Disposition"] == 'attachment; filename="agreements.xlsx"'
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_xlsx_export_replaces_characters_xml_cannot_hold(api):
    AgreementFactory(public_notes="bell\x07 and escape\x1b")  # (PostgreSQL text cannot hold NUL)

    rows, _ = table_of(export(api(None), "/api/agreements/", {}, "xlsx"), "xlsx")
    text_rows, _ = table_of(export(api(None), "/api/agreements/", {}, "csv"), "csv")

    assert rows[0]["public_notes"] == "bell\ufffd and escape\ufffd"
    assert text_rows[0]["public_notes"] == "bell\x07 and escape\x1b"


def test_empty_export_still_has_its_header(api):
    header, *cells = csv_table(export(api(None), "/api/agreements/", {}, "csv"))

    assert cells == []
    assert header[:3] == ["id", "municipality_a.id", "municipality_a.name"]


# --- Constant queries ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "params", "format_"),
    [
        # 1 query each: the rows with what their columns need joined or annotated, read through one
        # cursor (server-side on PostgreSQL) a chunk at a time.
        ("/api/agreements/", {}, "csv"),  # both sides, vitality
        ("/api/agreements/", {}, "xlsx"),
        ("/api/agreements/", {"kind": "sister", "country": "US"}, "csv"),
        ("/api/municipalities/", {}, "csv"),  # the prefecture, agreement counts
        ("/api/activities/", {}, "xlsx"),  # the agreement (its sides decide who-logged-it), who logged it
        ("/api/memberships/", {}, "csv"),  # network and municipality
        ("/api/reports/in-name-only/", {}, "csv"),  # both sides, last activity as of the day
        ("/api/reports/gaps/", {}, "xlsx"),  # the prefecture
    ],
)
def test_export_costs_one_query_for_2_or_many_rows(api, monkeypatch, django_assert_num_queries, url, params, format_):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 3)  # several chunks out of few rows
    client = api(None)
    prefecture = PrefectureFactory()
    for batch in (2, 8):
        for number in range(batch):
            agreement = AgreementFactory(
                municipality_a=MunicipalityFactory(parent=prefecture), signed_on=dt.date(1980 + number, 1, 1)
            )
            ActivityFactory(agreement=agreement, occurred_on=dt.date(1990, 1, 1))
            MembershipFactory(municipality=agreement.municipality_a)
            MunicipalityFactory(parent=prefecture)
        with django_assert_num_queries(1):
            response = export(client, url, params, format_)
            table = csv_table(response) if format_ == "csv" else xlsx_table(response)
        assert len(table) > batch


def test_export_of_suspended_agreements_uses_the_history(api):
    """The status filter reads the same rows as the JSON list (a status changed through the service)."""
    agreement = AgreementFactory(signed_on="1990")
    change_status(agreement=agreement, status="suspended", on="2020-01", reason="dispute", by=None)
    AgreementFactory()

    rows, _ = table_of(export(api(None), "/api/agreements/", {"status": "suspended"}, "csv"), "csv")

    assert [(row["id"], row["status"], row["status_reason"]) for row in rows] == [
        (str(agreement.pk), "suspended", "dispute")
    ]


def test_export_reads_its_rows_while_streaming_on_postgresql_and_before_sending_on_sqlite(api):
    """PostgreSQL streams from a server-side cursor as the client reads. SQLite would hold its lock
    (writers wait, then fail) as long as a download lasts: there the file is written before it is sent."""
    AgreementFactory()
    with CaptureQueriesContext(connection) as before_sending:
        response = api(None).get("/api/agreements/", {"format": "csv"})
    with CaptureQueriesContext(connection) as while_sending:
        table = csv_table(response)

    assert len(table) == 2
    assert (len(before_sending), len(while_sending)) == ((1, 0) if connection.vendor == "sqlite" else (0, 1))


@pytest.mark.parametrize(
    ("url", "params", "rows_of"),
    [
        ("/api/reports/coverage/", {}, lambda body: [*body["tiers"], body["total"]]),
        ("/api/reports/partner-countries/", {}, lambda body: body["rows"]),
        ("/api/reports/gaps/", {"kind": "countries"}, lambda body: body["rows"]),
        ("/api/reports/growth/", {}, lambda body: body["rows"]),
    ],
)
def test_reports_of_a_few_rows_export_every_row_in_both_formats(api, url, params, rows_of):
    for number in range(4):
        AgreementFactory(
            signed_on=dt.date(1990 + number, 1, 1), municipality_b=ForeignCityFactory(country=("US", "FR")[number % 2])
        )
    client = api(None)
    expected = rows_of(client.get(url, params).json())

    header, *cells = csv_table(export(client, url, params, "csv"))

    assert len(cells) == len(expected) > 1
    assert xlsx_table(export(client, url, params, "xlsx"), [header, *cells]) == [header, *cells]


@pytest.mark.parametrize("format_", ["csv", "xlsx"])
def test_format_suffix_exports_too(api, own_agreement, other_agreement, format_):
    client = api(None)

    by_suffix = client.get(f"/api/agreements.{format_}")

    assert by_suffix["Content-Disposition"] == f'attachment; filename="agreements.{format_}"'
    table = csv_table if format_ == "csv" else xlsx_table
    assert table(by_suffix) == table(export(client, "/api/agreements/", {}, format_))


@pytest.mark.django_db
@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_export_refuses_a_malformed_page_size_as_the_pages_do(export):
    """An export ignores paging, but `page_size=false` is still a 400 naming it (found by schemathesis)."""
    response = APIClient().get("/api/networks/", {"format": export, "page_size": "false"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.status_code == APIClient().get("/api/networks/", {"page_size": "false"}).status_code
