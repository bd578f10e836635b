"""The coordinators' review queue: agreements marked needs_review, their candidates, confirm or move."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from registry.models import ChangeRecord, TwinningAgreement
from registry.services.review import candidates_for, move_home_side, review_queue
from tests.factories import AgreementFactory, ForeignCityFactory, MunicipalityFactory, PrefectureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ikeda_cases(db):
    """Penticton's partner put at Ikeda, Osaka by the source's coordinates (Ikeda, Hokkaido is right), and
    an agreement of Ōta ward with a single candidate (here only to exercise confirming; the browser walk
    moves the real Burbank case to Ōta, Gunma)."""
    osaka, hokkaido, tokyo = (
        PrefectureFactory(name="大阪府", name_en="Osaka"),
        PrefectureFactory(name="北海道", name_en="Hokkaido"),
        PrefectureFactory(name="東京都", name_en="Tokyo"),
    )
    ikeda_osaka = MunicipalityFactory(name="池田市", name_en="Ikeda", parent=osaka, latitude=34.82, longitude=135.43)
    ikeda_hokkaido = MunicipalityFactory(
        name="池田町", name_en="Ikeda", tier="town", parent=hokkaido, latitude=42.92, longitude=143.45
    )
    ota = MunicipalityFactory(
        name="大田区", name_en="Ota", tier="special_ward", parent=tokyo, latitude=35.56, longitude=139.72
    )
    penticton = AgreementFactory(
        municipality_a=ikeda_osaka,
        municipality_b=ForeignCityFactory(name="Penticton", country="CA"),
        signed_on=None,
        needs_review=True,
        review_note="Line 12 of the twin-pairs list: “Ikeda” may be any of 2 authorities; chosen by coordinates.",
    )
    burbank = AgreementFactory(
        municipality_a=ota,
        municipality_b=ForeignCityFactory(name="Burbank", country="US"),
        signed_on=None,
        needs_review=True,
        review_note="Line 40: Ota matched by coordinates.",
    )
    return {"penticton": penticton, "burbank": burbank, "right": ikeda_hokkaido, "wrong": ikeda_osaka}


def test_review_queue_only_for_coordinators(client, staff_of_nagasaki, ikeda_cases):
    client.force_login(staff_of_nagasaki)
    assert client.get("/en/my/review/").status_code == HTTPStatus.FORBIDDEN
    pk = ikeda_cases["burbank"].pk
    assert client.post(f"/en/my/review/{pk}/", {"version": 1, "choice": "confirm"}).status_code == HTTPStatus.FORBIDDEN
    assert TwinningAgreement.objects.get(pk=pk).needs_review


def test_review_queue_lists_reasons_and_candidates(client, coordinator, ikeda_cases, django_assert_num_queries):
    client.force_login(coordinator)
    client.get("/en/my/review/")
    # session, user, coordinators group, count, the page's agreements, their candidates
    with django_assert_num_queries(6):
        response = client.get("/en/my/review/")
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "chosen by coordinates" in body and "Penticton" in body
    row = next(row for row in response.context["rows"] if row["agreement"].pk == ikeda_cases["penticton"].pk)
    # The importer's choice first, then the other namesake; both on the small map.
    assert [c.pk for c in row["candidates"]] == [ikeda_cases["wrong"].pk, ikeda_cases["right"].pk]
    assert [p["chosen"] for p in row["points"]] == [True, False]


def test_review_confirm_and_move(client, coordinator, ikeda_cases):
    client.force_login(coordinator)
    burbank, penticton = ikeda_cases["burbank"], ikeda_cases["penticton"]
    response = client.post(f"/en/my/review/{burbank.pk}/", {"version": burbank.version, "choice": "confirm"})
    assert response.status_code == HTTPStatus.FOUND
    burbank.refresh_from_db()
    assert not burbank.needs_review and "Confirmed on" in burbank.review_note
    right = ikeda_cases["right"]
    response = client.post(
        f"/en/my/review/{penticton.pk}/", {"version": penticton.version, "choice": f"move-{right.pk}"}
    )
    assert response.status_code == HTTPStatus.FOUND
    penticton.refresh_from_db()
    assert penticton.municipality_a_id == right.pk and not penticton.needs_review
    record = ChangeRecord.objects.filter(object_id=penticton.pk, changed_by=coordinator).latest("pk")
    assert record.changes["municipality_a"] == [ikeda_cases["wrong"].pk, right.pk]
    assert list(review_queue()) == []


def test_review_stale_version_changes_nothing(client, coordinator, ikeda_cases):
    client.force_login(coordinator)
    penticton = ikeda_cases["penticton"]
    response = client.post(
        f"/en/my/review/{penticton.pk}/", {"version": penticton.version + 1, "choice": "confirm"}, follow=True
    )
    assert "changed" in response.content.decode()
    penticton.refresh_from_db()
    assert penticton.needs_review


def test_move_home_side_refuses_a_pair_that_exists(ikeda_cases):
    from django.core.exceptions import ValidationError

    penticton = ikeda_cases["penticton"]
    AgreementFactory(municipality_a=ikeda_cases["right"], municipality_b=penticton.municipality_b)
    with pytest.raises(ValidationError) as error:
        move_home_side(agreement=penticton, to=ikeda_cases["right"])
    assert "already have an agreement" in error.value.message_dict["to"][0]


def test_candidates_for_reads_one_query(ikeda_cases, django_assert_num_queries):
    agreements = list(review_queue())
    with django_assert_num_queries(1):
        found = candidates_for(agreements)
    assert len(found[ikeda_cases["penticton"].pk]) == 2
