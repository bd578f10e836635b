"""Issue 7, points 5 and 6: one in-name-only rule and count, and figures that say when they rest on
demo activity — on a hand-computed world.

The world, as of today (3-year window, 1-year grace), home country JP; signed 2000-04-01 unless said:

nagasaki_santos   JP–BR  six demo activities, the last 30 days ago: active only from demo rows
                         (without them: never, in name only)
nagasaki_porto    JP–PT  a real activity 100 days ago and a demo one 10 days ago: active either way
sasebo_busan      JP–KR  a real activity 5 years ago, a demo one 60 days ago: active from demo rows
                         (without them: dormant, in name only)
sasebo_lyon       JP–FR  no activity: never, in name only either way
kobe_bremen       JP–DE  one demo activity 5 years ago: dormant from demo rows (never without
                         them); in name only either way
osaka_seattle     JP–US  suspended, no activity: never, not flagged
kobe_tacoma       JP–US  signed 100 days ago, no activity: new
nagasaki_sasebo   JP–JP  a domestic pair, no activity: never; outside the default audit
lyon_bremen       FR–DE  no side in JP: no vitality, outside the audit (in FR's audit: never,
                         in name only)

In JP's audit (a JP side, the other abroad): 7 relationships. In name only: 2 with the demo rows
(sasebo_lyon, kobe_bremen), 4 without them (+ nagasaki_santos, sasebo_busan): 2 verdicts of the 4
relationships in name only either way rest on demo rows (50.0 %). With domestic pairs: 3 and 5.
Coverage of JP's four cities: with a relationship Nagasaki, Sasebo, Kobe (Osaka's is suspended);
live with demo rows Nagasaki, Sasebo, Kobe (new), without them Nagasaki, Kobe: Sasebo's standing
rests on demo rows, 1 of the 3 live either way (33.3 %).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection

from registry.models import ActivityLog, TwinningAgreement
from registry.services import audits
from registry.services.activity import delete_activity, log_activity, update_activity
from registry.services.agreements import change_status
from registry.services.dates import today, years_before
from registry.services.demo import delete_demo_activity
from tests.factories import ActivityFactory, AgreementFactory, ForeignCityFactory, MunicipalityFactory

pytestmark = pytest.mark.django_db

SIGNED = dt.date(2000, 4, 1)


def build_demo_world() -> SimpleNamespace:
    w = SimpleNamespace(as_of=today())
    days_ago = lambda n: w.as_of - dt.timedelta(days=n)  # noqa: E731
    five_years_ago = years_before(w.as_of, 5)
    for name in ("Nagasaki", "Sasebo", "Kobe", "Osaka"):
        setattr(w, name.lower(), MunicipalityFactory(name=name, name_en=name))
    for name, country in [
        ("Santos", "BR"),
        ("Porto", "PT"),
        ("Busan", "KR"),
        ("Lyon", "FR"),
        ("Bremen", "DE"),
        ("Seattle", "US"),
        ("Tacoma", "US"),
    ]:
        setattr(w, name.lower(), ForeignCityFactory(name=name, country=country))

    def sign(a, b, signed_on=SIGNED, **extra) -> TwinningAgreement:
        return AgreementFactory(municipality_a=a, municipality_b=b, signed_on=signed_on, **extra)

    def act(agreement, *days: dt.date, demo: bool) -> None:
        for day in days:
            ActivityFactory(agreement=agreement, occurred_on=day, is_demo=demo)

    w.nagasaki_santos = sign(w.nagasaki, w.santos)
    act(w.nagasaki_santos, *(days_ago(n) for n in (30, 200, 400, 700, 900, 1000)), demo=True)
    w.nagasaki_porto = sign(w.nagasaki, w.porto)
    act(w.nagasaki_porto, days_ago(100), demo=False)
    act(w.nagasaki_porto, days_ago(10), demo=True)
    w.sasebo_busan = sign(w.busan, w.sasebo)  # the home side as B
    act(w.sasebo_busan, five_years_ago, demo=False)
    act(w.sasebo_busan, days_ago(60), demo=True)
    w.sasebo_lyon = sign(w.sasebo, w.lyon)
    w.kobe_bremen = sign(w.kobe, w.bremen)
    act(w.kobe_bremen, five_years_ago, demo=True)
    w.osaka_seattle = sign(w.osaka, w.seattle)
    change_status(agreement=w.osaka_seattle, status="suspended", on="2010-01-01", reason="dispute")
    w.kobe_tacoma = sign(w.kobe, w.tacoma, signed_on=days_ago(100))
    w.nagasaki_sasebo = sign(w.nagasaki, w.sasebo)
    w.lyon_bremen = sign(w.lyon, w.bremen)
    return w


@pytest.fixture
def world() -> SimpleNamespace:
    return build_demo_world()


def _verdicts(world, **parameters) -> dict[str, tuple]:
    names = {
        getattr(world, name).pk: name for name in vars(world) if isinstance(getattr(world, name), TwinningAgreement)
    }
    rows = TwinningAgreement.objects.with_vitality(as_of=world.as_of, **parameters).values_list(
        "pk", "vitality", "in_name_only", "vitality_rests_on_demo"
    )
    return {names[pk]: (vitality, flag, on_demo) for pk, vitality, flag, on_demo in rows}


#: (vitality, in_name_only, vitality_rests_on_demo) of every agreement, by hand (module docstring).
WITH_DEMO = {
    "nagasaki_santos": ("active", False, True),
    "nagasaki_porto": ("active", False, False),
    "sasebo_busan": ("active", False, True),
    "sasebo_lyon": ("never", True, False),
    "kobe_bremen": ("dormant", True, True),
    "osaka_seattle": ("never", False, False),
    "kobe_tacoma": ("new", False, False),
    "nagasaki_sasebo": ("never", None, False),
    "lyon_bremen": (None, None, None),
}
WITHOUT_DEMO = {
    "nagasaki_santos": ("never", True, False),
    "nagasaki_porto": ("active", False, False),
    "sasebo_busan": ("dormant", True, False),
    "sasebo_lyon": ("never", True, False),
    "kobe_bremen": ("never", True, False),
    "osaka_seattle": ("never", False, False),
    "kobe_tacoma": ("new", False, False),
    "nagasaki_sasebo": ("never", None, False),
    "lyon_bremen": (None, None, None),
}


@pytest.mark.parametrize("general", [False, True])
def test_with_vitality_scope_and_demo_flags(world, general):
    assert _verdicts(world, general=general) == WITH_DEMO
    assert _verdicts(world, general=general, exclude_demo=True) == WITHOUT_DEMO


def test_with_vitality_domestic_pairs_and_another_home_country(world):
    assert _verdicts(world, include_domestic=True)["nagasaki_sasebo"] == ("never", True, False)
    in_france = _verdicts(world, country="fr")
    assert in_france["lyon_bremen"] == ("never", True, False)  # in FR's audit
    assert in_france["sasebo_lyon"] == ("never", True, False)
    assert in_france["nagasaki_santos"] == (None, None, None)  # no side in FR


def test_with_vitality_default_home_country_is_the_setting(world, settings):
    settings.REGISTRY_HOME_COUNTRY = "DE"

    verdicts = _verdicts(world)

    assert verdicts["lyon_bremen"] == ("never", True, False)
    assert verdicts["kobe_bremen"] == ("dormant", True, True)
    assert verdicts["sasebo_lyon"] == (None, None, None)


def test_in_name_only_is_one_rule_with_and_without_demo_rows(world):
    def listed(**parameters) -> set[str]:
        pks = set(audits.in_name_only(country="JP", as_of=world.as_of, **parameters).values_list("pk", flat=True))
        return {name for name in WITH_DEMO if getattr(world, name).pk in pks}

    assert listed() == {"sasebo_lyon", "kobe_bremen"}
    assert listed(exclude_demo=True) == {"sasebo_lyon", "kobe_bremen", "nagasaki_santos", "sasebo_busan"}
    assert listed(include_domestic=True) == {"sasebo_lyon", "kobe_bremen", "nagasaki_sasebo"}
    # The rows of the rule are those the annotation flags, whatever the parameters.
    for parameters in ({}, {"exclude_demo": True}, {"include_domestic": True}):
        flagged = TwinningAgreement.objects.with_vitality(as_of=world.as_of, **parameters).filter(in_name_only=True)
        rule = TwinningAgreement.objects.in_name_only(as_of=world.as_of, **parameters)
        assert set(flagged.values_list("pk", flat=True)) == set(rule.values_list("pk", flat=True))


def test_in_name_only_summary_counts_and_demo_share(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        summary = audits.in_name_only_summary(country="JP", as_of=world.as_of)

    assert summary == {
        "count": 2,
        "count_without_demo": 4,
        "on_demo": 2,
        "exclude_demo": False,
        "rests_on_demo_activity": True,
        "demo_share": 50.0,
    }
    assert audits.in_name_only_summary(country="JP", as_of=world.as_of, exclude_demo=True) == {
        "count": 4,
        "count_without_demo": 4,
        "on_demo": 0,
        "exclude_demo": True,
        "rests_on_demo_activity": False,
        "demo_share": 0.0,
    }
    domestic = audits.in_name_only_summary(country="JP", as_of=world.as_of, include_domestic=True)
    assert (domestic["count"], domestic["count_without_demo"], domestic["demo_share"]) == (3, 5, 40.0)


@pytest.mark.parametrize("days_back", [0, 20, 45, 365 * 4])
def test_in_name_only_summary_agrees_with_the_list_on_any_date(world, days_back):
    # Past dates read the status history and the activity log (the general path) for rows changed since.
    as_of = world.as_of - dt.timedelta(days=days_back)
    for parameters in ({}, {"include_domestic": True}, {"tier": "city"}):
        summary = audits.in_name_only_summary(country="JP", as_of=as_of, **parameters)
        with_demo = audits.in_name_only(country="JP", as_of=as_of, **parameters)
        without_demo = audits.in_name_only(country="JP", as_of=as_of, exclude_demo=True, **parameters)
        assert summary["count"] == with_demo.count()
        assert summary["count_without_demo"] == without_demo.count()
        ids_with = set(with_demo.values_list("pk", flat=True))
        ids_without = set(without_demo.values_list("pk", flat=True))
        assert summary["on_demo"] == len(ids_with ^ ids_without)


def test_coverage_demo_figures(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        report = audits.coverage(country="JP", as_of=world.as_of)

    city = report["tiers"][1]
    assert (city["tier"], city["authorities"], city["with_relationship"], city["live"], city["live_on_demo"]) == (
        "city",
        4,
        3,
        3,
        1,
    )
    assert report["total"]["live_on_demo"] == 1
    assert (report["exclude_demo"], report["rests_on_demo_activity"], report["demo_share"]) == (False, True, 33.3)

    without = audits.coverage(country="JP", as_of=world.as_of, exclude_demo=True)
    assert (without["total"]["live"], without["total"]["live_rate"], without["total"]["live_on_demo"]) == (2, 50.0, 0)
    assert (without["exclude_demo"], without["rests_on_demo_activity"], without["demo_share"]) == (True, False, 0.0)
    # Nothing else moves: the relationships counted do not depend on activity.
    assert [row["with_relationship"] for row in without["tiers"]] == [
        row["with_relationship"] for row in report["tiers"]
    ]


def test_agreement_counts_without_demo_rows(world):
    from registry.models import Municipality

    def live(**parameters) -> dict[str, int]:
        rows = Municipality.objects.filter(pk__in=[world.nagasaki.pk, world.sasebo.pk]).with_agreement_counts(
            as_of=world.as_of, **parameters
        )
        return {m.name: m.live_agreement_count for m in rows}

    assert live() == {"Nagasaki": 2, "Sasebo": 1}
    assert live(exclude_demo=True) == {"Nagasaki": 1, "Sasebo": 0}


# --- last_real_activity_on, kept by the activity services ----------------------------------------


def test_last_real_activity_follows_logging_editing_and_deleting(nagasaki):
    agreement = AgreementFactory(municipality_a=nagasaki)
    demo = log_activity(
        agreement=agreement, occurred_on="2024-05-01", category="culture", title="[DEMO] x", is_demo=True
    )

    def columns() -> tuple:
        return TwinningAgreement.objects.values_list("last_activity_on", "last_real_activity_on").get(pk=agreement.pk)

    assert columns() == (dt.date(2024, 5, 1), None)
    real = log_activity(agreement=agreement, occurred_on="2023-01-10", category="education", title="Homestay")
    assert columns() == (dt.date(2024, 5, 1), dt.date(2023, 1, 10))
    update_activity(activity=real, occurred_on="2024-06-01")
    assert columns() == (dt.date(2024, 6, 1), dt.date(2024, 6, 1))
    delete_activity(activity=ActivityLog.objects.get(pk=real.pk))
    assert columns() == (dt.date(2024, 5, 1), None)
    delete_demo_activity()
    assert not ActivityLog.objects.filter(pk=demo.pk).exists()
    assert columns() == (None, None)


def test_migration_fills_last_real_activity_from_the_log(world):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("registry.migrations.0003_last_real_activity")
    TwinningAgreement.objects.update(last_real_activity_on=None)

    migration.fill_last_real_activity(apps, SimpleNamespace(connection=connection))

    filled = dict(TwinningAgreement.objects.values_list("pk", "last_real_activity_on"))
    assert filled[world.nagasaki_porto.pk] == world.as_of - dt.timedelta(days=100)
    assert filled[world.sasebo_busan.pk] == years_before(world.as_of, 5)
    assert filled[world.nagasaki_santos.pk] is None
    assert filled[world.kobe_bremen.pk] is None
