"""The admin names things in the reader's language: tiers and the counting basis on the coverage pages,
countries (django-countries' names, registry.countries) in the municipality and agreement lists."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import translation

from registry.countries import country_choices, country_name
from tests.factories import AgreementFactory, ForeignCityFactory, MunicipalityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, admin_user_persona):
    client.force_login(admin_user_persona)
    return client


def test_coverage_page_names_tiers_and_basis_in_japanese(signed_in):
    AgreementFactory(municipality_a=MunicipalityFactory(tier="town"))

    page = signed_in.get(reverse("admin:registry_coverage"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()

    for tier in ("都道府県", "市", "特別区", "町", "村"):
        assert f"<td>{tier}</td>" in page
    assert "日本、" in page and "集計基準: すべての提携" in page
    assert "<td>town</td>" not in page and "basis all" not in page and "集計基準: all" not in page


def test_coverage_page_names_tiers_and_basis_in_english(signed_in):
    page = signed_in.get(reverse("admin:registry_coverage"), {"basis": "clair"}, HTTP_ACCEPT_LANGUAGE="en")

    text = page.content.decode()
    assert "<td>Town</td>" in text and "<td>Special ward</td>" in text
    assert "Japan as of" in text and "basis CLAIR-countable only" in text


def test_coverage_drill_down_names_its_tier_in_japanese(signed_in):
    MunicipalityFactory(tier="town")
    url = reverse("admin:registry_coverage_gaps", kwargs={"tier": "town"})

    page = signed_in.get(url, HTTP_ACCEPT_LANGUAGE="ja")

    assert page.status_code == HTTPStatus.OK
    text = page.content.decode()
    assert "提携先のない自治体: 町" in text
    assert "提携先のない 日本 の自治体" in text
    assert "› town</div>" not in text and "› 町</div>" in text


def test_municipality_list_shows_country_names_in_the_readers_language(signed_in):
    ForeignCityFactory(name="Saint Paul", country="US")
    ForeignCityFactory(name="Seoul", country="KR")
    url = reverse("admin:registry_municipality_changelist")

    japanese = signed_in.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    english = signed_in.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<td class="field-country_column">アメリカ合衆国</td>' in japanese
    assert '<td class="field-country_column">韓国</td>' in japanese
    assert '<td class="field-country_column">United States of America</td>' in english
    # The filter offers the names too, and filters by the code.
    assert '<a href="?country=US">アメリカ合衆国</a>' in japanese
    only_korea = signed_in.get(url, {"country": "KR"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert [m.name for m in only_korea.context["cl"].result_list] == ["Seoul"]


def test_municipality_country_filter_ignores_what_is_not_a_code(signed_in):
    ForeignCityFactory(name="Seoul", country="KR")
    url = reverse("admin:registry_municipality_changelist")

    response = signed_in.get(url, {"country": "K\x00"})

    # PostgreSQL refuses NUL in a string: never sent to it. The admin's guard answers junk with
    # Django's own "invalid lookup" redirect (registry.admin_params), as for every list filter.
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].endswith("?e=1")


def test_agreement_partner_country_filter_offers_names(signed_in):
    AgreementFactory(municipality_b=ForeignCityFactory(country="US"))
    url = reverse("admin:registry_twinningagreement_changelist")

    japanese = signed_in.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()

    assert '<a href="?country=US">アメリカ合衆国</a>' in japanese
    assert '<a href="?country=JP">日本</a>' in japanese


def test_country_name_falls_back_to_the_code_and_choices_sort_by_name():
    with translation.override("en"):
        assert country_name("ZZ") == "ZZ"
        assert country_choices(["US", "FR", "JP"]) == [
            ("FR", "France"),
            ("JP", "Japan"),
            ("US", "United States of America"),
        ]
    with translation.override("ja"):
        assert country_name("US") == "アメリカ合衆国"


def test_municipality_form_offers_countries_by_name_and_keeps_the_code(signed_in):
    city = ForeignCityFactory(name="Saint Paul", country="US")
    url = reverse("admin:registry_municipality_change", args=[city.pk])

    page = signed_in.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()

    assert '<option value="US" selected>アメリカ合衆国</option>' in page
    assert '<option value="KR">韓国</option>' in page


def test_municipality_form_keeps_a_code_without_a_name(signed_in):
    city = ForeignCityFactory(name="Pristina", country="XK")

    page = signed_in.get(reverse("admin:registry_municipality_change", args=[city.pk])).content.decode()

    assert '<option value="XK" selected>XK</option>' in page
