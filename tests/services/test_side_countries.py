"""Every path that writes an agreement keeps `country_a` / `country_b` equal to its sides' countries,
and an authority's country cannot change under its agreements (the country reports rely on both)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import F, Q

from registry.models import Municipality, TwinningAgreement
from registry.services.agreements import sign_agreement
from registry.services.imports import ImportSummary
from registry.services.municipalities import check_country_change, merge_municipality
from registry.services.twin_pairs import import_twin_pairs_rows
from tests.factories import AgreementFactory, ForeignCityFactory, MunicipalityFactory
from tests.management.helpers import PAIRS_HEADER, jp_rows, run, write_csv

pytestmark = pytest.mark.django_db


def mismatched_side_countries() -> list[int]:
    """Agreements whose stored side countries differ from their municipalities' (should be none)."""
    return list(
        TwinningAgreement.objects.filter(
            ~Q(country_a=F("municipality_a__country")) | ~Q(country_b=F("municipality_b__country"))
        ).values_list("pk", flat=True)
    )


def test_sign_agreement_stores_the_sides_countries():
    home, partner = MunicipalityFactory(), ForeignCityFactory(country="KR")

    agreement = sign_agreement(a=partner, b=home, signed_on="1990")

    agreement.refresh_from_db()
    assert (agreement.country_a, agreement.country_b) == ("KR", "JP")
    assert mismatched_side_countries() == []


def test_merge_moves_the_side_and_its_country():
    merged, successor = MunicipalityFactory(), MunicipalityFactory()
    as_a = AgreementFactory(municipality_a=merged, municipality_b=ForeignCityFactory(country="FR"))
    as_b = AgreementFactory(municipality_a=ForeignCityFactory(country="DE"), municipality_b=merged)

    result = merge_municipality(merged=merged, successor=successor, on="2020-04-01")

    assert sorted(result.moved_agreements) == sorted([as_a.pk, as_b.pk])
    rows = TwinningAgreement.objects.order_by("pk").values_list(
        "municipality_a", "country_a", "municipality_b", "country_b"
    )
    assert list(rows) == [
        (successor.pk, "JP", as_a.municipality_b_id, "FR"),
        (as_b.municipality_a_id, "DE", successor.pk, "JP"),
    ]
    assert mismatched_side_countries() == []


def test_import_twin_pairs_stores_the_sides_countries(tmp_path):
    run("import_municipalities", write_csv(tmp_path / "jp.csv", jp_rows("世田谷区")))
    text = "\n".join(
        [
            ",".join(PAIRS_HEADER),
            "Winnipeg,Canada,49.8956,-97.1386,Setagaya (Tokyo),Japan,35.6492,139.6327",
            "Setagaya (Tokyo),Japan,35.6492,139.6327,Bunbury,Australia,-33.3268,115.6367",
        ]
    )

    import_twin_pairs_rows(text=text, summary=ImportSummary())

    assert sorted(TwinningAgreement.objects.values_list("country_a", "country_b")) == [("CA", "JP"), ("JP", "AU")]
    assert mismatched_side_countries() == []


def test_import_agreements_stores_the_sides_countries(tmp_path, nagasaki):
    path = tmp_path / "agreements.csv"
    path.write_text(
        "lg_code,partner_name,partner_country,partner_region,kind,signed_on,status,"
        "heads_signed,fields_unrestricted,assembly_approved,source_url\n"
        "422011,Saint Paul,US,Minnesota,sister,1955-12-07,active,○,○,○,\n"
        "422011,Santos,BR,,sister,1972-10-09,active,,,,\n",
        encoding="utf-8",
    )

    call_command("import_agreements", str(path), "--no-progress", stdout=None)

    assert sorted(TwinningAgreement.objects.values_list("country_a", "country_b")) == [("JP", "BR"), ("JP", "US")]
    assert mismatched_side_countries() == []


def test_country_cannot_change_under_agreements():
    home, partner = MunicipalityFactory(), ForeignCityFactory(country="US")
    AgreementFactory(municipality_a=home, municipality_b=partner)
    lone = ForeignCityFactory(country="US")

    with pytest.raises(ValidationError) as refused:
        check_country_change(municipality=partner, country="CA")

    assert list(refused.value.message_dict) == ["country"]
    # Unchanged, without agreements, or not yet saved: allowed.
    check_country_change(municipality=partner, country="US")
    check_country_change(municipality=lone, country="CA")
    check_country_change(municipality=Municipality(name="New", country="FR", tier="locality"), country="FR")
