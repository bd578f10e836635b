"""A demonstration activity history, generated and labelled as such (never real data).

So that the vitality and in-name-only audits have something to show on a fresh install,
seed_demo_activity gives a deterministic share of the agreements a made-up activity history. Every
generated row has `is_demo=True`, a title starting "[DEMO]" with "【デモ】" in it, and says so in its
description. Agreements with any real activity are left alone; no real row is ever changed.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from registry.models import ActivityLog, AgreementStatus, Direction, ExchangeCategory, TwinningAgreement

from .activity import refresh_last_activity_bulk
from .dates import today, years_before

DEFAULT_SEED = 2019
#: Shares of the eligible agreements: activity in recent years / only older activity / none at all.
LIVELY_SHARE = 0.60
DORMANT_SHARE = 0.25

TITLE_PREFIX = "[DEMO]"
TITLE_MARK_JA = "【デモ】"

#: CLAIR's observation: education and administrative exchange make up roughly 60% of activities.
_CATEGORY_WEIGHTS: dict[str, int] = {
    ExchangeCategory.EDUCATION: 32,
    ExchangeCategory.ADMINISTRATIVE: 28,
    ExchangeCategory.CULTURE: 14,
    ExchangeCategory.SPORTS: 8,
    ExchangeCategory.ECONOMY: 7,
    ExchangeCategory.TOURISM: 5,
    ExchangeCategory.COOPERATION: 3,
    ExchangeCategory.DISASTER_SUPPORT: 1,
    ExchangeCategory.OTHER: 2,
}
_TITLES: dict[str, list[tuple[str, str]]] = {
    ExchangeCategory.EDUCATION: [("Student exchange", "学生交流"), ("Homestay programme", "ホームステイ事業")],
    ExchangeCategory.ADMINISTRATIVE: [
        ("Mayor's delegation", "市長訪問団"),
        ("Anniversary ceremony", "提携周年記念式典"),
    ],
    ExchangeCategory.CULTURE: [("Cultural festival", "文化交流フェスティバル"), ("Art exhibition", "美術展")],
    ExchangeCategory.SPORTS: [("Youth sports exchange", "青少年スポーツ交流")],
    ExchangeCategory.ECONOMY: [("Trade mission", "経済交流ミッション")],
    ExchangeCategory.TOURISM: [("Tourism promotion", "観光プロモーション")],
    ExchangeCategory.COOPERATION: [("Technical cooperation seminar", "技術協力研修")],
    ExchangeCategory.DISASTER_SUPPORT: [("Disaster relief support", "災害支援")],
    ExchangeCategory.OTHER: [("Friendship event", "友好交流イベント")],
}
_DIRECTIONS = [Direction.OUTBOUND, Direction.INBOUND, Direction.JOINT, Direction.ONLINE]


@dataclass
class DemoResult:
    created: int = 0
    deleted: int = 0
    lively: int = 0
    dormant: int = 0
    never: int = 0
    #: Demo rows that were already there when nothing was done (no --reset).
    already_present: int = 0
    seed: int = DEFAULT_SEED

    @property
    def agreements(self) -> int:
        return self.lively + self.dormant


def _between(rng: random.Random, low: dt.date, high: dt.date) -> dt.date:
    return dt.date.fromordinal(rng.randint(low.toordinal(), high.toordinal()))


def _activity(rng: random.Random, agreement_id: int, when: dt.date, seed: int) -> ActivityLog:
    category = rng.choices(list(_CATEGORY_WEIGHTS), weights=list(_CATEGORY_WEIGHTS.values()))[0]
    english, japanese = rng.choice(_TITLES[category])
    return ActivityLog(
        agreement_id=agreement_id,
        occurred_on=when,
        category=category,
        title=f"{TITLE_PREFIX} {english} {TITLE_MARK_JA}{japanese}",
        description=f"Generated demonstration activity (seed_demo_activity, seed {seed}); not a real exchange. "
        f"{TITLE_MARK_JA}デモ用に生成した架空の交流記録です。",
        direction=rng.choice(_DIRECTIONS),
        participants=rng.randint(3, 80),
        is_demo=True,
    )


def _plan(
    *, pk: int, signed_on: dt.date | None, status: str, status_changed_on: dt.date | None, as_of: dt.date, seed: int
) -> tuple[str, list[ActivityLog]]:
    """The bucket and activities of one agreement; its own generator keeps it independent of the others."""
    rng = random.Random(f"{seed}:{pk}")
    low = signed_on or years_before(as_of, 40)
    high = as_of
    if status != AgreementStatus.ACTIVE and status_changed_on is not None:
        # Nothing after a suspension or termination.
        high = min(high, status_changed_on)
    draw = rng.random()
    if draw < LIVELY_SHARE and high >= max(low, years_before(as_of, 2)):
        count = rng.randint(2, 8)
        recent = _between(rng, max(low, years_before(high, 2)), high)
        others = [_between(rng, max(low, years_before(high, 10)), high) for _ in range(count - 1)]
        return "lively", [_activity(rng, pk, when, seed) for when in [recent, *others]]
    if draw < LIVELY_SHARE + DORMANT_SHARE:
        dormant_high = min(high, years_before(as_of, 4))
        if dormant_high >= low:
            count = rng.randint(1, 4)
            dates = [_between(rng, max(low, years_before(dormant_high, 10)), dormant_high) for _ in range(count)]
            return "dormant", [_activity(rng, pk, when, seed) for when in dates]
    return "never", []


@transaction.atomic
def delete_demo_activity() -> int:
    """Remove every demo row (and nothing else); `last_activity_on` of their agreements follows."""
    touched = list(ActivityLog.objects.filter(is_demo=True).values_list("agreement_id", flat=True).distinct())
    deleted, _ = ActivityLog.objects.filter(is_demo=True).delete()
    refresh_last_activity_bulk(TwinningAgreement.objects.filter(pk__in=touched))
    return deleted


@transaction.atomic
def seed_demo_activity(
    *, seed: int = DEFAULT_SEED, as_of: dt.date | None = None, reset: bool = False, country: str | None = "JP"
) -> DemoResult:
    """Generate the demo history for agreements without real activity; once (or again with `reset`).

    Only agreements with a side in `country` (the home country the audits look at; None for all).

    Deterministic: the same seed, date and agreements give the same rows. About 60% of the
    eligible agreements get activities in recent years (at least one in the last two), about 25%
    only activities four or more years old (dormant), the rest none. No activity falls before the
    signing, after `as_of`, or after a suspension or termination.
    """
    as_of = as_of or today()
    result = DemoResult(seed=seed)
    if reset:
        result.deleted = delete_demo_activity()
    else:
        result.already_present = ActivityLog.objects.filter(is_demo=True).count()
        if result.already_present:
            return result

    real_activity = ActivityLog.objects.filter(agreement=OuterRef("pk"), is_demo=False)
    agreements = TwinningAgreement.objects.all()
    if country:
        agreements = agreements.filter(Q(municipality_a__country=country) | Q(municipality_b__country=country))
    eligible = (
        agreements.exclude(Exists(real_activity))
        .order_by("pk")
        .values_list("pk", "signed_on", "status", "status_changed_on")
    )
    rows: list[ActivityLog] = []
    for pk, signed_on, status, status_changed_on in eligible.iterator(chunk_size=2000):
        bucket, activities = _plan(
            pk=pk, signed_on=signed_on, status=status, status_changed_on=status_changed_on, as_of=as_of, seed=seed
        )
        setattr(result, bucket, getattr(result, bucket) + 1)
        rows += activities
    ActivityLog.objects.bulk_create(rows, batch_size=1000)
    result.created = len(rows)
    refresh_last_activity_bulk(
        TwinningAgreement.objects.filter(pk__in=ActivityLog.objects.filter(is_demo=True).values("agreement_id"))
    )
    return result
