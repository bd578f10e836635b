"""read_csv: a broken CSV file is refused whole, every break named by its line."""

import pytest
from django.core.exceptions import ValidationError

from registry.services.imports import decode_csv_bytes, read_csv

HEADER = "lg_code,partner_name,partner_country\n"


def test_read_csv_numbers_rows_by_the_line_they_start_on():
    header, rows = read_csv(HEADER + '422011,"Saint Paul",US\n\n130001,Paris,FR\n', required=["lg_code"])

    assert header == ["lg_code", "partner_name", "partner_country"]
    assert [(line, row["partner_name"]) for line, row in rows] == [(2, "Saint Paul"), (4, "Paris")]


def test_read_csv_refuses_an_unclosed_quote_naming_its_line():
    text = HEADER + '422011,Saint Paul,US\n422011,"Broken,US\n130001,Paris,FR\n'

    with pytest.raises(ValidationError) as error:
        read_csv(text, required=["lg_code"])

    assert error.value.message_dict["file"] == ['line 3: unexpected end of data; is a quote (") left open?']


def test_read_csv_refuses_a_quote_that_swallows_lines():
    text = HEADER + '422011,"Saint\nPaul",US\n'

    with pytest.raises(ValidationError) as error:
        read_csv(text, required=["lg_code"])

    assert "line 2: a quoted cell runs on to line 3" in error.value.message_dict["file"][0]


def test_read_csv_lists_every_row_with_the_wrong_number_of_cells():
    text = HEADER + "422011,Saint Paul\n422011,Saint Paul,US\n130001,Paris,FR,extra\n"

    with pytest.raises(ValidationError) as error:
        read_csv(text, required=["lg_code"])

    assert error.value.message_dict["file"] == [
        "line 2: 2 cells where the header has 3.",
        "line 4: 4 cells where the header has 3.",
    ]


def test_read_csv_names_missing_columns():
    with pytest.raises(ValidationError, match="Missing column"):
        read_csv("code,name\n1,x\n", required=["lg_code"])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_decode_csv_bytes_reads_utf8_bom_and_shift_jis(encoding):
    assert decode_csv_bytes("長崎市,ナガサキ".encode(encoding)) == "長崎市,ナガサキ"
