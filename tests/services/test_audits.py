"""The audit rules of issue 3 on a hand-computed world, boundaries included.

The world, as of 2024-06-15 with a 3-year window (from 2021-06-15) and a 1-year grace period (from
2023-06-15); every agreement is with a foreign partner unless said otherwise:

prefectures  PA  – California (US region), signed 1990, activity 2024-01-10: active, live (CLAIR)
             PB  none
cities (PA)  C1  – F1 (KR), activity 2021-06-15 (exactly `years` before): active, live (CLAIR)
                 – F2 (KR), F3, F4 (US), signed 2000, no activity: never (4 relationships: in band)
             C2  – C3 (domestic pair, activity 2024-03-01): counted only with include_domestic
             C4  – F14, but C4 was abolished 2020-04-01: not an authority on as_of
             C5  – F5 suspended 2015, reactivated 2024-09-01: suspended on as_of (history)
             C6  – F6 signed 2024-06-16 (the day after as_of): not yet
             C7  – F7 signed 2010, activity 2021-06-14 (a day before the window): dormant;
                   suspended 2024-09-01, so active on as_of (history)
towns (PB)   T1  – F8 signing date unknown, no activity: never (unknown counts as old)
             T2  – F9 signed 2023-06-16, no activity: new (live)
             T3  – F13 signed 2023-06-15 (exactly one grace period before): never
villages(PB) V1  – F10 signed 2000, terminated 2005: not counted (and not flagged)
             V2  – F11 signed 2000, activities 2019-01-01 and 2024-06-16 (after as_of): dormant
             V3 … V16 none (16 villages, 1 with a relationship: 6.25 % → 6.3)
foreign      F12 (GB, 2,000,000 people) has no relationship at all.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from registry.models import Municipality, TwinningAgreement
from registry.services import audits
from registry.services.agreements import change_status
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    ForeignCityFactory,
    MunicipalityFactory,
    PrefectureFactory,
)

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2024, 6, 15)
CLAIR = {"heads_signed": True, "fields_unrestricted": True, "assembly_approved": True}


def build_world() -> SimpleNamespace:
    w = SimpleNamespace()
    w.PA = PrefectureFactory(name="甲県", name_en="Prefecture A")
    w.PB = PrefectureFactory(name="乙県", name_en="Prefecture B")
    w.california = ForeignCityFactory(name="California", tier="region", population=39_000_000)
    foreign = {
        name: ForeignCityFactory(name=name, country=country, population=population)
        for name, country, population in [
            ("F1", "KR", 900_000),
            ("F2", "KR", 800_000),
            ("F3", "US", 700_000),
            ("F4", "US", 600_000),
            ("F5", "US", 500_000),
            ("F6", "US", 300_000),
            ("F7", "US", 200_000),
            ("F8", "US", 190_000),
            ("F9", "US", 180_000),
            ("F10", "US", None),
            ("F11", "US", 170_000),
            ("F12", "GB", 2_000_000),
            ("F13", "US", 160_000),
            ("F14", "US", 150_000),
        ]
    }
    w.__dict__.update(foreign)
    for name in ("C1", "C2", "C3", "C4", "C5", "C6", "C7"):
        setattr(w, name, MunicipalityFactory(name=name, name_en=name, parent=w.PA))
    for name in ("T1", "T2", "T3"):
        setattr(w, name, MunicipalityFactory(name=name, name_en=name, tier="town", parent=w.PB))
    w.villages = [MunicipalityFactory(name=f"V{n}", name_en=f"V{n}", tier="village", parent=w.PB) for n in range(1, 17)]
    w.V1, w.V2 = w.villages[0], w.villages[1]

    def sign(a: Municipality, b: Municipality, signed_on: dt.date | None, **extra) -> TwinningAgreement:
        return AgreementFactory(municipality_a=a, municipality_b=b, signed_on=signed_on, **extra)

    def act(agreement: TwinningAgreement, *days: dt.date) -> None:
        for day in days:
            ActivityFactory(agreement=agreement, occurred_on=day)

    w.pa_cal = sign(w.PA, w.california, dt.date(1990, 5, 1), **CLAIR)
    act(w.pa_cal, dt.date(2024, 1, 10))
    w.c1_f1 = sign(w.C1, w.F1, dt.date(2000, 4, 1), **CLAIR)
    act(w.c1_f1, dt.date(2021, 6, 15))
    w.c1_f2 = sign(w.C1, w.F2, dt.date(2000, 4, 1))
    w.c1_f3 = sign(w.C1, w.F3, dt.date(2000, 4, 1))
    w.c1_f4 = sign(w.F4, w.C1, dt.date(2000, 4, 1))  # the home side as B
    w.c2_c3 = sign(w.C2, w.C3, dt.date(2000, 4, 1))
    act(w.c2_c3, dt.date(2024, 3, 1))
    w.c4_f14 = sign(w.C4, w.F14, dt.date(2000, 4, 1))
    Municipality.objects.filter(pk=w.C4.pk).update(abolished_on=dt.date(2020, 4, 1))
    w.c5_f5 = sign(w.C5, w.F5, dt.date(2000, 4, 1))
    change_status(agreement=w.c5_f5, status="suspended", on="2015-01-01", reason="dispute")
    change_status(agreement=w.c5_f5, status="active", on="2024-09-01", reason="resumed")
    w.c6_f6 = sign(w.C6, w.F6, dt.date(2024, 6, 16))
    w.c7_f7 = sign(w.C7, w.F7, dt.date(2010, 4, 1))
    act(w.c7_f7, dt.date(2021, 6, 14))
    change_status(agreement=w.c7_f7, status="suspended", on="2024-09-01", reason="dispute")
    w.t1_f8 = sign(w.T1, w.F8, None)
    w.t2_f9 = sign(w.T2, w.F9, dt.date(2023, 6, 16))
    w.t3_f13 = sign(w.T3, w.F13, dt.date(2023, 6, 15))
    w.v1_f10 = sign(w.V1, w.F10, dt.date(2000, 4, 1))
    change_status(agreement=w.v1_f10, status="terminated", on="2005-01-01", reason="ended")
    w.v2_f11 = sign(w.V2, w.F11, dt.date(2000, 4, 1))
    act(w.v2_f11, dt.date(2019, 1, 1), dt.date(2024, 6, 16))
    return w


@pytest.fixture
def world() -> SimpleNamespace:
    return build_world()


def row(tier, authorities, with_, rate, relationships, in_band, live, live_rate, live_on_demo=0) -> dict:
    return {
        "tier": tier,
        "authorities": authorities,
        "with_relationship": with_,
        "without_relationship": authorities - with_,
        "rate": rate,
        "relationships": relationships,
        "in_band": in_band,
        "live": live,
        "live_rate": live_rate,
        "live_on_demo": live_on_demo,
    }


#: The coverage of the world's JP on AS_OF, computed by hand (see the module docstring).
EXPECTED_COVERAGE = {
    "country": "JP",
    "as_of": "2024-06-15",
    "basis": "all",
    "years": 3,
    # No demo activity in this world (see tests/services/test_vitality_demo.py for a world with some).
    "exclude_demo": False,
    "rests_on_demo_activity": False,
    "demo_share": 0.0,
    "tiers": [
        row("prefecture", 2, 1, 50.0, 1, 0, 1, 50.0),
        row("city", 6, 2, 33.3, 5, 1, 1, 16.7),
        row("special_ward", 0, 0, None, 0, 0, 0, None),
        row("town", 3, 3, 100.0, 3, 0, 1, 33.3),
        row("village", 16, 1, 6.3, 1, 0, 0, 0.0),
    ],
    "total": row("total", 27, 7, 25.9, 10, 1, 3, 11.1),
}


# --- vitality and in name only -----------------------------------------------------------------


def test_with_vitality_boundaries_and_status_history(world, django_assert_num_queries):
    expected = {
        world.pa_cal.pk: ("active", False),
        world.c1_f1.pk: ("active", False),  # activity exactly `years` before as_of
        world.c1_f2.pk: ("never", True),
        world.c2_c3.pk: ("active", None),  # a domestic pair: a vitality, but outside the default audit
        world.c5_f5.pk: ("never", False),  # suspended on as_of (reactivated later): not flagged
        world.c6_f6.pk: ("new", False),  # signed the day after as_of: not active then
        world.c7_f7.pk: ("dormant", True),  # a day before the window; suspended only after as_of
        world.t1_f8.pk: ("never", True),  # unknown signing date counts as old
        world.t2_f9.pk: ("new", False),  # signed a day after the grace date
        world.t3_f13.pk: ("never", True),  # signed exactly one grace period before
        world.v1_f10.pk: ("never", False),  # terminated: not flagged
        world.v2_f11.pk: ("dormant", True),  # the activity the day after as_of does not count
    }
    with django_assert_num_queries(1):
        found = {
            pk: (vitality, in_name_only)
            for pk, vitality, in_name_only in TwinningAgreement.objects.filter(pk__in=expected)
            .with_vitality(as_of=AS_OF, years=3, grace_years=1)
            .values_list("pk", "vitality", "in_name_only")
        }
    assert found == expected


def test_with_vitality_reads_last_activity_as_of_the_date(world):
    agreement = TwinningAgreement.objects.with_vitality(as_of=AS_OF).get(pk=world.v2_f11.pk)

    assert agreement.last_activity_on == dt.date(2024, 6, 16)
    assert agreement.last_activity_as_of == dt.date(2019, 1, 1)


def test_with_vitality_today_sees_current_status(world):
    # Today C7–F7 is suspended (not flagged) and C5–F5 active again, with no activity: never.
    today = dt.date(2026, 1, 1)
    flags = dict(
        TwinningAgreement.objects.filter(pk__in=[world.c7_f7.pk, world.c5_f5.pk])
        .with_vitality(as_of=today)
        .values_list("pk", "in_name_only")
    )
    assert flags == {world.c7_f7.pk: False, world.c5_f5.pk: True}


def test_active_on_reads_status_history_for_past_dates(world):
    active = set(TwinningAgreement.objects.active_on(AS_OF).values_list("pk", flat=True))

    assert world.c7_f7.pk in active  # suspended on 2024-09-01, after as_of
    assert world.c5_f5.pk not in active  # suspended 2015 .. 2024-09-01
    assert world.v1_f10.pk not in active
    assert world.c6_f6.pk not in active  # signed the day after
    assert world.t1_f8.pk in active  # unknown signing date
    assert world.c5_f5.pk in set(TwinningAgreement.objects.active_on(dt.date(2024, 9, 1)).values_list("pk", flat=True))


def test_in_name_only_lists_longest_silent_first(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = [(a.pk, a.vitality, a.last_activity_as_of) for a in audits.in_name_only(country="JP", as_of=AS_OF)]

    assert found == [
        (world.t1_f8.pk, "never", None),  # unknown signing date first
        (world.c1_f2.pk, "never", None),
        (world.c1_f3.pk, "never", None),
        (world.c1_f4.pk, "never", None),
        (world.c4_f14.pk, "never", None),  # its home side was abolished, the relationship was not ended
        (world.t3_f13.pk, "never", None),
        (world.v2_f11.pk, "dormant", dt.date(2019, 1, 1)),
        (world.c7_f7.pk, "dormant", dt.date(2021, 6, 14)),
    ]


def test_in_name_only_window_and_tier_parameters(world):
    # A 2-year window (from 2022-06-15): C1–F1 (2021-06-15) becomes dormant too.
    two_years = set(audits.in_name_only(country="JP", as_of=AS_OF, years=2).values_list("pk", flat=True))
    assert world.c1_f1.pk in two_years
    towns = set(audits.in_name_only(country="JP", as_of=AS_OF, tier="town").values_list("pk", flat=True))
    assert towns == {world.t1_f8.pk, world.t3_f13.pk}


# --- coverage ------------------------------------------------------------------------------------


def test_coverage_by_tier_whole_report(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        report = audits.coverage(country="JP", as_of=AS_OF)

    assert report == EXPECTED_COVERAGE


def test_coverage_include_domestic_counts_the_pair_for_both_sides(world):
    report = audits.coverage(country="jp", as_of=AS_OF, include_domestic=True)

    assert report["tiers"][1] == row("city", 6, 4, 66.7, 7, 1, 3, 50.0)
    assert report["total"] == row("total", 27, 9, 33.3, 12, 1, 5, 18.5)


def test_coverage_basis_clair_counts_only_countable_relationships(world):
    report = audits.coverage(country="JP", as_of=AS_OF, basis="clair")

    assert report["basis"] == "clair"
    assert report["tiers"][0] == row("prefecture", 2, 1, 50.0, 1, 0, 1, 50.0)
    assert report["tiers"][1] == row("city", 6, 1, 16.7, 1, 0, 1, 16.7)
    assert report["total"] == row("total", 27, 2, 7.4, 2, 0, 2, 7.4)


def test_coverage_counts_an_authority_before_its_abolition(world):
    # On 2019-06-15 C4 still existed and held its relationship.
    report = audits.coverage(country="JP", as_of=dt.date(2019, 6, 15))

    city = report["tiers"][1]
    assert (city["authorities"], city["with_relationship"]) == (7, 3)  # C1, C4, C7 (C5 was suspended)


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(1, 8, 12.5), (1, 16, 6.3), (1, 3, 33.3), (2, 3, 66.7), (1, 6, 16.7), (0, 5, 0.0), (0, 0, None)],
)
def test_percent_rounds_half_up(part, whole, expected):
    assert audits.percent(part, whole) == expected


# --- gaps, partner countries, growth -------------------------------------------------------------


def test_gaps_authorities_are_coverage_without_relationship(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = [m.name for m in audits.gaps_authorities(country="JP", as_of=AS_OF)]

    villages = [f"V{n}" for n in [1, *range(3, 17)]]
    assert sorted(names[:5]) == ["C2", "C3", "C5", "C6", "乙県"]
    assert names[0] == "乙県"  # prefectures first
    assert sorted(names[5:]) == sorted(villages)
    assert len(names) == EXPECTED_COVERAGE["total"]["without_relationship"]


def test_gaps_authorities_filters(world):
    in_pa = {m.name for m in audits.gaps_authorities(country="JP", as_of=AS_OF, prefecture=world.PA.pk)}
    assert in_pa == {"C2", "C3", "C5", "C6"}
    with_domestic = {
        m.name for m in audits.gaps_authorities(country="JP", as_of=AS_OF, tier="city", include_domestic=True)
    }
    assert with_domestic == {"C5", "C6"}
    with pytest.raises(ValidationError) as error:
        audits.gaps_authorities(country="JP", as_of=AS_OF, tier="locality")
    assert "tier" in error.value.message_dict


def test_gaps_foreign_largest_first(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = [m.name for m in audits.gaps_foreign(country="JP", as_of=AS_OF)]

    # F5 (suspended on as_of), F6 (not yet signed), F10 (terminated; population unknown: last),
    # F14 (its partner C4 was abolished, but the relationship is still active).
    assert names == ["F12", "F5", "F6", "F10"]
    assert [m.name for m in audits.gaps_foreign(country="JP", as_of=AS_OF, partner_country="gb")] == ["F12"]


def test_partner_countries(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        report = audits.partner_countries(country="JP", as_of=AS_OF)

    # US: California, F3, F4, F7, F8, F9, F11, F13, F14 (C4's, still active); KR: F1, F2.
    assert report == {
        "country": "JP",
        "as_of": "2024-06-15",
        "basis": "all",
        "rows": [
            {"partner_country": "US", "relationships": 9, "authorities": 8, "partner_authorities": 9},
            {"partner_country": "KR", "relationships": 2, "authorities": 1, "partner_authorities": 2},
        ],
    }


def test_growth_per_year_cumulative_and_change(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        report = audits.growth(country="JP", as_of=AS_OF)

    years = {item["year"]: item for item in report["rows"]}
    assert [report["rows"][0]["year"], report["rows"][-1]["year"]] == [1990, 2024]
    assert len(report["rows"]) == 35
    # 2000: C1 ×4, C4, C5, V1, V2 (terminated later: still a signing of that year).
    assert years[1990] == {"year": 1990, "signed": 1, "cumulative": 1, "change": 1}
    assert years[1991] == {"year": 1991, "signed": 0, "cumulative": 1, "change": -1}
    assert years[2000] == {"year": 2000, "signed": 8, "cumulative": 9, "change": 8}
    assert years[2001] == {"year": 2001, "signed": 0, "cumulative": 9, "change": -8}
    assert years[2010] == {"year": 2010, "signed": 1, "cumulative": 10, "change": 1}
    assert years[2023] == {"year": 2023, "signed": 2, "cumulative": 12, "change": 2}
    assert years[2024] == {"year": 2024, "signed": 0, "cumulative": 12, "change": -2}  # C6 signed after as_of
    assert (report["unknown_year"], report["total"]) == (1, 13)


def test_growth_include_domestic(world):
    assert audits.growth(country="JP", as_of=AS_OF, include_domestic=True)["total"] == 14


def test_today_shortcut_agrees_with_the_general_form():
    """For `as_of` today the expressions read the row's own status and last activity (see
    registry.models.agreements.settled_on); the general form, which reads the status history and
    the activity log, must give the same answer on every boundary."""
    from registry.models.agreements import live_on_q, silent_on_q
    from registry.services.dates import today, years_before

    as_of = today()
    window_start, grace = years_before(as_of, 3), years_before(as_of, 1)
    home = [MunicipalityFactory(name=f"S{n}") for n in range(12)]
    away = [ForeignCityFactory(name=f"G{n}") for n in range(12)]
    pairs = iter(zip(home, away, strict=True))

    def sign(signed_on, *activities, status_changes=()):
        a, b = next(pairs)
        agreement = AgreementFactory(municipality_a=a, municipality_b=b, signed_on=signed_on)
        for day in activities:
            ActivityFactory(agreement=agreement, occurred_on=day)
        for status, on in status_changes:
            change_status(agreement=TwinningAgreement.objects.get(pk=agreement.pk), status=status, on=on, reason="r")
        return agreement

    sign(dt.date(2000, 4, 1), window_start)  # active: exactly `years` before
    sign(dt.date(2000, 4, 1), window_start - dt.timedelta(days=1))  # dormant: the day before
    sign(dt.date(2000, 4, 1), as_of)  # active: today
    sign(grace)  # never: signed exactly one grace period before
    sign(grace + dt.timedelta(days=1))  # new
    sign(None)  # never: unknown signing date
    sign(as_of)  # new, signed today
    sign(dt.date(2000, 4, 1), status_changes=[("suspended", "2015-01-01")])
    sign(dt.date(2000, 4, 1), dt.date(2010, 1, 1), status_changes=[("terminated", "2012-01-01")])
    sign(dt.date(2000, 4, 1), status_changes=[("suspended", "2015-01-01"), ("active", as_of.isoformat())])
    sign(dt.date(2000, 4, 1), dt.date(2019, 1, 1), status_changes=[("suspended", as_of.isoformat())])
    domestic = AgreementFactory(municipality_a=home[11], municipality_b=home[0], signed_on=dt.date(2001, 1, 1))
    ActivityFactory(agreement=domestic, occurred_on=as_of)

    fields = ("pk", "status_on", "last_activity_as_of", "vitality", "in_name_only")

    def vitality(general):
        rows = TwinningAgreement.objects.with_vitality(as_of=as_of, general=general).order_by("pk")
        return list(rows.values_list(*fields))

    def pks(queryset):
        return sorted(queryset.values_list("pk", flat=True))

    simple, general = vitality(False), vitality(True)
    assert simple == general
    assert {row[3] for row in simple} == {"active", "dormant", "never", "new"}
    assert any(row[4] for row in simple) and not all(row[4] for row in simple)
    agreements = TwinningAgreement.objects.all()
    assert pks(agreements.active_on(as_of)) == pks(agreements.active_on(as_of, general=True))
    assert pks(agreements.filter(live_on_q(as_of=as_of))) == pks(
        agreements.filter(live_on_q(as_of=as_of, general=True))
    )
    assert pks(agreements.filter(silent_on_q(as_of=as_of))) == pks(
        agreements.filter(silent_on_q(as_of=as_of, general=True))
    )
    assert pks(agreements.in_name_only(as_of=as_of)) == [row[0] for row in simple if row[4]]
    for include_domestic in (False, True):
        counts = [
            list(
                Municipality.objects.with_agreement_counts(
                    as_of=as_of, include_domestic=include_domestic, general=general
                )
                .order_by("pk")
                .values_list("pk", "agreement_count", "live_agreement_count")
            )
            for general in (False, True)
        ]
        assert counts[0] == counts[1]
        assert any(row[1] for row in counts[0])
    # The shortcut really is taken for today and not for yesterday.
    assert "registry_activitylog" not in str(TwinningAgreement.objects.with_vitality(as_of=as_of).query)
    yesterday = as_of - dt.timedelta(days=1)
    assert "registry_activitylog" in str(TwinningAgreement.objects.with_vitality(as_of=yesterday).query)
