"""seed_demo_activity: labelled, deterministic, idempotent, and real data stays real."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Max

from registry.models import ActivityLog, TwinningAgreement
from registry.services.activity import refresh_last_activity_bulk
from tests.factories import ActivityFactory, AgreementFactory, ForeignCityFactory, MunicipalityFactory

pytestmark = pytest.mark.django_db

AS_OF = "2025-03-31"


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo_activity", "--as-of", AS_OF, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def agreements():
    home = MunicipalityFactory()
    return [
        AgreementFactory(municipality_a=home, municipality_b=ForeignCityFactory(), signed_on=dt.date(1960 + n, 1, 1))
        for n in range(40)
    ]


def demo_rows() -> list[tuple]:
    return list(
        ActivityLog.objects.filter(is_demo=True)
        .order_by("agreement_id", "occurred_on", "title")
        .values_list("agreement_id", "occurred_on", "category", "title", "direction", "participants")
    )


def test_seed_demo_activity_labels_every_row_and_keeps_dates_in_bounds(agreements):
    output = seed()

    rows = ActivityLog.objects.filter(is_demo=True).select_related("agreement")
    assert rows.exists()
    assert f"Created {rows.count()} demo activity rows" in output
    assert not ActivityLog.objects.filter(is_demo=False).exists()
    for row in rows:
        assert row.title.startswith("[DEMO] ") and "【デモ】" in row.title
        assert "not a real exchange" in row.description
        assert row.agreement.signed_on <= row.occurred_on <= dt.date(2025, 3, 31)


def test_seed_demo_activity_spreads_agreements_over_lively_dormant_never(agreements):
    seed()

    as_of = dt.date(2025, 3, 31)
    last = dict(TwinningAgreement.objects.values_list("pk", "last_activity_on"))
    lively = [pk for pk, day in last.items() if day and day >= dt.date(2023, 3, 31)]
    dormant = [pk for pk, day in last.items() if day and day <= dt.date(2021, 3, 31)]
    never = [pk for pk, day in last.items() if day is None]
    assert len(lively) + len(dormant) + len(never) == 40
    # Roughly 60 / 25 / 15 out of 40, with room for the draw.
    assert 16 <= len(lively) <= 32 and 4 <= len(dormant) <= 18 and 1 <= len(never) <= 14
    assert max(day for day in last.values() if day) <= as_of


def test_seed_demo_activity_sets_last_activity_on_to_latest_demo_row(agreements):
    seed()

    latest = dict(
        ActivityLog.objects.values("agreement_id")
        .annotate(latest=Max("occurred_on"))
        .values_list("agreement_id", "latest")
    )
    assert latest
    assert {pk: day for pk, day in TwinningAgreement.objects.values_list("pk", "last_activity_on") if day} == latest


def test_seed_demo_activity_second_run_does_nothing_and_says_so(agreements):
    seed()
    before = demo_rows()

    output = seed()

    assert f"already there ({len(before)} rows); nothing done" in output
    assert demo_rows() == before


def test_seed_demo_activity_is_deterministic_and_reset_regenerates(agreements):
    seed()
    first = demo_rows()
    first_ids = set(ActivityLog.objects.values_list("pk", flat=True))

    output = seed("--reset")

    assert output.startswith(f"Deleted {len(first)} previous demo rows.")
    assert demo_rows() == first
    assert not first_ids & set(ActivityLog.objects.values_list("pk", flat=True))
    seed("--reset", "--seed", "7")
    assert demo_rows() != first


def test_seed_demo_activity_leaves_real_activity_and_its_agreement_alone(agreements):
    real = ActivityFactory(agreement=agreements[0], occurred_on=dt.date(2024, 5, 1), title="Real student exchange")
    snapshot = ActivityLog.objects.filter(pk=real.pk).values().get()

    seed()
    seed("--reset")

    assert ActivityLog.objects.filter(pk=real.pk).values().get() == snapshot
    assert not ActivityLog.objects.filter(agreement=agreements[0], is_demo=True).exists()
    agreements[0].refresh_from_db()
    assert agreements[0].last_activity_on == dt.date(2024, 5, 1)


def test_seed_demo_activity_delete_removes_only_demo_rows(agreements):
    real = ActivityFactory(agreement=agreements[0], occurred_on=dt.date(2024, 5, 1))
    seed()

    out = StringIO()
    call_command("seed_demo_activity", "--delete", stdout=out)

    assert list(ActivityLog.objects.values_list("pk", flat=True)) == [real.pk]
    assert set(TwinningAgreement.objects.exclude(last_activity_on=None).values_list("pk", flat=True)) == {
        agreements[0].pk
    }


def test_seed_demo_activity_refreshes_last_activity_in_one_statement(agreements, django_assert_num_queries):
    seed()
    TwinningAgreement.objects.update(last_activity_on=None)

    with django_assert_num_queries(1) as captured:
        updated = refresh_last_activity_bulk(TwinningAgreement.objects.all())

    assert updated == 40
    assert "MAX" in captured.captured_queries[0]["sql"].upper()
    assert TwinningAgreement.objects.exclude(last_activity_on=None).exists()


def test_seed_demo_activity_only_touches_agreements_of_the_home_country(agreements):
    paris = ForeignCityFactory(country="FR")
    foreign_only = [AgreementFactory(municipality_a=paris, municipality_b=ForeignCityFactory()) for _ in range(10)]

    seed()

    assert ActivityLog.objects.filter(agreement__municipality_a__country="JP").exists()
    assert not ActivityLog.objects.filter(agreement__in=foreign_only).exists()
    seed("--reset", "--country", "all")
    assert ActivityLog.objects.filter(agreement__in=foreign_only).exists()
