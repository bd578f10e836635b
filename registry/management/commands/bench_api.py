"""bench_api: list endpoints against a hand-written raw-SQL JsonResponse baseline (requests per second).

The target (issue 4): each list endpoint answers at no less than 0.7× the baseline's requests/s.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.test import Client
from django.test.utils import override_settings, setup_test_environment, teardown_test_environment
from django.urls import include, path

TARGET = 0.7
PAGE_SIZE = 50


def _iso(value: Any) -> str | None:
    """Dates as the API writes them: SQLite hands back text, PostgreSQL date objects."""
    if value is None:
        return None
    return value if isinstance(value, str) else value.isoformat()


def _partial(value: Any, precision: str) -> str | None:
    text = _iso(value)
    if text is None:
        return None
    return text[:4] if precision == "year" else text[:7] if precision == "month" else text


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _page(request: HttpRequest) -> tuple[int, int]:
    page = max(int(request.GET.get("page", 1)), 1)
    return PAGE_SIZE, (page - 1) * PAGE_SIZE


_SIDE = "{m}.id, {m}.name, {m}.name_en, {m}.country, {m}.tier, {m}.lg_code"
# Vitality as of today, by hand: activities and status changes are never in the future, so the
# row's own last_activity_on and status are those "as of today" (3-year window, 1-year grace).
_VITALITY = """CASE WHEN a.last_activity_on >= %(window)s THEN 'active'
                    WHEN a.last_activity_on IS NOT NULL THEN 'dormant'
                    WHEN a.signed_on IS NULL OR a.signed_on <= %(grace)s THEN 'never'
                    ELSE 'new' END"""
AGREEMENTS_SQL = f"""
    SELECT a.id, a.kind, a.signed_on, a.signed_on_precision, a.expires_on, a.status, a.status_changed_on,
           a.status_reason, a.heads_signed, a.fields_unrestricted, a.assembly_approved, a.clair_countable,
           a.exchange_fields, a.public_notes, a.source_url, a.source, a.last_activity_on, a.version,
           {_SIDE.format(m="ma")}, {_SIDE.format(m="mb")},
           {_VITALITY} AS vitality,
           (a.status = 'active' AND {_VITALITY} IN ('dormant', 'never')) AS in_name_only
    FROM registry_twinningagreement a
    JOIN registry_municipality ma ON ma.id = a.municipality_a_id
    JOIN registry_municipality mb ON mb.id = a.municipality_b_id
    ORDER BY a.signed_on DESC, a.id
    LIMIT %(limit)s OFFSET %(offset)s
"""


def _side(row: tuple, start: int) -> dict[str, Any]:
    return dict(zip(("id", "name", "name_en", "country", "tier", "lg_code"), row[start : start + 6], strict=True))


def baseline_agreements(request: HttpRequest) -> JsonResponse:
    """The same page of agreements as /api/agreements/ for the public, by hand."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM registry_twinningagreement")
        count = cursor.fetchone()[0]
        limit, offset = _page(request)
        today = dt.date.today()
        cursor.execute(
            AGREEMENTS_SQL,
            {
                "window": _years_before(today, 3),
                "grace": _years_before(today, 1),
                "limit": limit,
                "offset": offset,
            },
        )
        rows = cursor.fetchall()
    results = [
        {
            "id": row[0],
            "municipality_a": _side(row, 18),
            "municipality_b": _side(row, 24),
            "kind": row[1],
            "signed_on": _partial(row[2], row[3]),
            "signed_on_precision": row[3],
            "expires_on": _iso(row[4]),
            "status": row[5],
            "status_changed_on": _iso(row[6]),
            "status_reason": row[7],
            "heads_signed": bool(row[8]),
            "fields_unrestricted": bool(row[9]),
            "assembly_approved": bool(row[10]),
            "clair_countable": bool(row[11]),
            "exchange_fields": _json(row[12]),
            "public_notes": row[13],
            "source_url": row[14],
            "source": row[15],
            "last_activity_on": _iso(row[16]),
            "vitality": row[30],
            "in_name_only": bool(row[31]),
            "version": row[17],
        }
        for row in rows
    ]
    return JsonResponse({"count": count, "next": None, "previous": None, "results": results})


MUNICIPALITIES_SQL = """
    SELECT m.id, m.name, m.name_en, m.name_kana, m.country, m.tier, m.lg_code, m.population, m.latitude,
           m.longitude, m.successor_id, m.abolished_on,
           p.id, p.name, p.name_en, p.country, p.tier, p.lg_code
    FROM registry_municipality m
    LEFT JOIN registry_municipality p ON p.id = m.parent_id
    ORDER BY m.country, m.lg_code, m.name
    LIMIT %s OFFSET %s
"""


def baseline_municipalities(request: HttpRequest) -> JsonResponse:
    """The same page of municipalities as /api/municipalities/, by hand (without the audit counts)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM registry_municipality")
        count = cursor.fetchone()[0]
        cursor.execute(MUNICIPALITIES_SQL, _page(request))
        rows = cursor.fetchall()
    results = [
        {
            "id": row[0],
            "name": row[1],
            "name_en": row[2],
            "name_kana": row[3],
            "country": row[4],
            "tier": row[5],
            "parent": _side(row, 12) if row[12] is not None else None,
            "lg_code": row[6],
            "population": row[7],
            "latitude": row[8],
            "longitude": row[9],
            "successor": row[10],
            "abolished_on": _iso(row[11]),
        }
        for row in rows
    ]
    return JsonResponse({"count": count, "next": None, "previous": None, "results": results})


# A bench-only URLconf: the public API plus the two baselines (never in the public URLs).
urlpatterns = [
    path("api/", include("api.urls")),
    path("bench/agreements/", baseline_agreements),
    path("bench/municipalities/", baseline_municipalities),
]


def build_world(*, agreements: int) -> None:
    """A synthetic register: Japanese cities, foreign partners, agreements with activity (through the services)."""
    from registry.models import Municipality, Tier
    from registry.services.activity import log_activity
    from registry.services.agreements import sign_agreement

    prefecture = Municipality.objects.create(name="長崎県", name_en="Nagasaki", country="JP", tier=Tier.PREFECTURE)
    home = Municipality.objects.bulk_create(
        Municipality(
            name=f"市{i}", name_en=f"City {i}", name_kana="シ", country="JP", tier=Tier.CITY, parent=prefecture
        )
        for i in range(agreements // 2)
    )
    foreign = Municipality.objects.bulk_create(
        Municipality(name=f"Ville {i}", name_en=f"Town {i}", country="FR", tier=Tier.LOCALITY, population=10_000 + i)
        for i in range(agreements)
    )
    for index in range(agreements):
        agreement = sign_agreement(
            a=home[index % len(home)],
            b=foreign[index],
            kind="sister",
            signed_on=f"{1960 + index % 60}-04",
            heads_signed=True,
            fields_unrestricted=index % 2 == 0,
            assembly_approved=True,
            exchange_fields=["culture", "education"],
            public_notes=f"Agreement number {index}",
        )
        if index % 3 == 0:
            log_activity(agreement=agreement, occurred_on=dt.date(2023, 5, 1), category="culture", title="Visit")


class Command(BaseCommand):
    help = (
        "Measure the public list endpoints (/api/agreements/, /api/municipalities/) against a hand-written view "
        "that runs the same page of rows through raw SQL into a JsonResponse; print requests/s of both and the "
        f"ratio (target ≥ {TARGET}). Reads and writes only a throwaway test database filled with a synthetic "
        "register; your data is never touched. Anonymous requests, in process (django.test.Client); the "
        "anonymous rate limit is switched off for the run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agreements", type=int, default=600, help="Agreements in the synthetic register.")
        parser.add_argument("--requests", type=int, default=300, help="Requests per endpoint and round.")
        parser.add_argument("--rounds", type=int, default=3, help="Rounds; the best of each side is kept.")
        parser.add_argument(
            "--check", action="store_true", help=f"Exit with an error when a ratio is below {TARGET} (for CI)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["agreements"] < 2 or options["requests"] < 1 or options["rounds"] < 1:
            raise CommandError("--agreements must be at least 2, --requests and --rounds at least 1.")
        from api import views

        setup_test_environment()
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        # The anonymous rate limit would answer 429 after the first few hundred requests.
        saved_throttles = views.RegistryViewSet.throttle_classes
        views.RegistryViewSet.throttle_classes = []
        try:
            build_world(agreements=options["agreements"])
            with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"], DEBUG=False):
                failed = self.compare(options)
        finally:
            views.RegistryViewSet.throttle_classes = saved_throttles
            connection.creation.destroy_test_db(old_name, verbosity=0)
            teardown_test_environment()
        if failed:
            message = f"Below the target of {TARGET}× for: {', '.join(failed)}."
            if options["check"]:
                raise CommandError(message)
            self.stdout.write(message)

    def compare(self, options: dict[str, Any]) -> list[str]:
        client = Client()
        pairs = [
            ("agreements", "/api/agreements/", "/bench/agreements/"),
            ("municipalities", "/api/municipalities/", "/bench/municipalities/"),
        ]
        failed = []
        self.stdout.write(f"{'endpoint':<16} {'API req/s':>10} {'raw SQL req/s':>14} {'ratio':>6}")
        for name, api_url, baseline_url in pairs:
            api_rate = baseline_rate = 0.0
            self._check_same_rows(client, api_url, baseline_url, name)
            for _ in range(options["rounds"]):
                api_rate = max(api_rate, self._rate(lambda url=api_url: client.get(url), options["requests"]))
                baseline_rate = max(
                    baseline_rate, self._rate(lambda url=baseline_url: client.get(url), options["requests"])
                )
            ratio = api_rate / baseline_rate
            self.stdout.write(f"{name:<16} {api_rate:>10.0f} {baseline_rate:>14.0f} {ratio:>6.2f}")
            if ratio < TARGET:
                failed.append(name)
        return failed

    @staticmethod
    def _check_same_rows(client: Client, api_url: str, baseline_url: str, name: str) -> None:
        api_rows = client.get(api_url).json()["results"]
        baseline_rows = client.get(baseline_url).json()["results"]
        if [row["id"] for row in api_rows] != [row["id"] for row in baseline_rows]:
            raise CommandError(f"{api_url} and {baseline_url} do not answer the same rows; fix the baseline.")
        for api_row, baseline_row in zip(api_rows, baseline_rows, strict=True):
            missing = {key for key in api_row.keys() | baseline_row.keys() if api_row.get(key) != baseline_row.get(key)}
            if name == "municipalities":
                missing.discard("agreement_count")  # the API's audit count; the baseline leaves it out
            if missing:
                raise CommandError(f"{api_url} and {baseline_url} differ in {sorted(missing)}; fix the baseline.")

    @staticmethod
    def _rate(call: Callable[[], Any], requests: int) -> float:
        for _ in range(min(20, requests)):
            call()
        start = time.perf_counter()
        for _ in range(requests):
            response = call()
            if response.status_code != 200:
                raise CommandError(f"Benchmark request failed with {response.status_code}.")
        return requests / (time.perf_counter() - start)
