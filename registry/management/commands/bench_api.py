"""bench_api: list endpoints against a hand-written raw-SQL JsonResponse baseline (requests per second).

The target (issue 4): each list endpoint answers at no less than 0.7× the baseline's requests/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.http import Http404, HttpRequest, JsonResponse
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


def _page(request: HttpRequest) -> tuple[int, int, int]:
    page = int(request.GET.get("page", 1))
    if page < 1:
        raise Http404("Invalid page.")
    return page, PAGE_SIZE, (page - 1) * PAGE_SIZE


def _link(request: HttpRequest, page: int | None) -> str | None:
    """next / previous as DRF's PageNumberPagination writes them (page 1 without `page=`)."""
    if page is None:
        return None
    params = parse_qs(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
    if page == 1:
        params.pop("page", None)
    else:
        params["page"] = [str(page)]
    query = urlencode(sorted(params.items()), doseq=True)
    return request.build_absolute_uri(request.path) + (f"?{query}" if query else "")


def _envelope(request: HttpRequest, count: int, page: int, results: list[dict[str, Any]]) -> JsonResponse:
    if (page - 1) * PAGE_SIZE >= max(count, 1):
        raise Http404("Invalid page.")
    following = page + 1 if page * PAGE_SIZE < count else None
    return JsonResponse(
        {
            "count": count,
            "next": _link(request, following),
            "previous": _link(request, page - 1 if page > 1 else None),
            "results": results,
        },
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},  # as DRF writes it
    )


_SIDE = "{m}.id, {m}.name, {m}.name_en, {m}.country, {m}.tier, {m}.lg_code"
# Vitality as of today, by hand: the services refuse activities and status changes in the future,
# so the row's own last_activity_on and status are those "as of today" (3-year window, 1-year grace).
# Only agreements with a side in the home country have a vitality; in name only is judged for those
# with the other side abroad (the audit, see TwinningAgreementQuerySet.with_vitality).
_HOME_SIDE = "(a.country_a = %(home)s OR a.country_b = %(home)s)"
_AUDITED = f"({_HOME_SIDE} AND NOT (a.country_a = %(home)s AND a.country_b = %(home)s))"
_VITALITY_OF = """CASE WHEN a.{last} >= %(window)s THEN 'active'
                    WHEN a.{last} IS NOT NULL THEN 'dormant'
                    WHEN a.signed_on IS NULL OR a.signed_on <= %(grace)s THEN 'never'
                    ELSE 'new' END"""
_VITALITY = _VITALITY_OF.format(last="last_activity_on")
_VITALITY_WITHOUT_DEMO = _VITALITY_OF.format(last="last_real_activity_on")
_IN_NAME_ONLY = f"""CASE WHEN {_AUDITED} THEN (a.status = 'active' AND {_VITALITY} IN ('dormant', 'never')) END"""
AGREEMENTS_SQL = f"""
    SELECT a.id, a.kind, a.signed_on, a.signed_on_precision, a.expires_on, a.status, a.status_changed_on,
           a.status_reason, a.heads_signed, a.fields_unrestricted, a.assembly_approved, a.clair_countable,
           a.exchange_fields, a.public_notes, a.source_url, a.source, a.last_activity_on, a.version,
           {_SIDE.format(m="ma")}, {_SIDE.format(m="mb")},
           CASE WHEN {_HOME_SIDE} THEN {_VITALITY} END AS vitality,
           {_IN_NAME_ONLY} AS in_name_only,
           CASE WHEN {_HOME_SIDE} THEN {_VITALITY} <> {_VITALITY_WITHOUT_DEMO} END AS vitality_rests_on_demo
    FROM registry_twinningagreement a
    JOIN registry_municipality ma ON ma.id = a.municipality_a_id
    JOIN registry_municipality mb ON mb.id = a.municipality_b_id
    {{where}}
    ORDER BY a.signed_on DESC, a.id
    LIMIT %(limit)s OFFSET %(offset)s
"""
AGREEMENTS_COUNT_SQL = """
    SELECT COUNT(*) FROM registry_twinningagreement a
    JOIN registry_municipality ma ON ma.id = a.municipality_a_id
    JOIN registry_municipality mb ON mb.id = a.municipality_b_id
    {where}
"""
#: The filters the benchmark asks (as the AgreementFilter answers them), by hand.
_FILTERS = {
    "country": "(ma.country = %(country)s OR mb.country = %(country)s)",
    "status": "a.status = %(status)s",
    "kind": "a.kind = %(kind)s",
    "in_name_only": f"{_IN_NAME_ONLY} = %(in_name_only)s",
}


def _where(request: HttpRequest, params: dict[str, Any]) -> str:
    """The WHERE clause of the filters in the request (one value each), their values put in `params`."""
    clauses = []
    for name, clause in _FILTERS.items():
        if name in request.GET:
            value = request.GET[name].strip()
            params[name] = value.upper() if name == "country" else value == "true" if name == "in_name_only" else value
            clauses.append(clause)
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


def _side(row: tuple, start: int) -> dict[str, Any]:
    return dict(zip(("id", "name", "name_en", "country", "tier", "lg_code"), row[start : start + 6], strict=True))


def baseline_agreements(request: HttpRequest) -> JsonResponse:
    """The same page of agreements as /api/agreements/ for the public (also filtered, see _FILTERS), by hand."""
    page, limit, offset = _page(request)
    today = dt.date.today()
    params = {
        "window": _years_before(today, 3),
        "grace": _years_before(today, 1),
        "limit": limit,
        "offset": offset,
    }
    where = _where(request, params)
    # The home country of the vitality columns: the `country` asked, else the registry's.
    params["home"] = params.get("country") or settings.REGISTRY_HOME_COUNTRY
    with connection.cursor() as cursor:
        cursor.execute(AGREEMENTS_COUNT_SQL.format(where=where), params)
        count = cursor.fetchone()[0]
        cursor.execute(AGREEMENTS_SQL.format(where=where), params)
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
            "in_name_only": None if row[31] is None else bool(row[31]),
            "vitality_rests_on_demo": None if row[32] is None else bool(row[32]),
            "version": row[17],
        }
        for row in rows
    ]
    return _envelope(request, count, page, results)


# agreement_count, by hand: the audits' rule (relationships active today with a partner in another
# country, either side), counted for the page's rows only.
_COUNT_SIDE = """(SELECT COUNT(*) FROM registry_twinningagreement a
                  JOIN registry_municipality o ON o.id = a.municipality_{other}_id
                  WHERE a.municipality_{own}_id = m.id AND a.status = 'active'
                    AND (a.signed_on IS NULL OR a.signed_on <= %(today)s) AND o.country <> m.country)"""
MUNICIPALITIES_SQL = f"""
    WITH page AS (
        SELECT id FROM registry_municipality ORDER BY country, lg_code, name, id LIMIT %(limit)s OFFSET %(offset)s
    )
    SELECT m.id, m.name, m.name_en, m.name_kana, m.country, m.tier, m.lg_code, m.population, m.latitude,
           m.longitude, m.successor_id, m.abolished_on,
           p.id, p.name, p.name_en, p.country, p.tier, p.lg_code,
           {_COUNT_SIDE.format(own="a", other="b")} + {_COUNT_SIDE.format(own="b", other="a")}
    FROM page
    JOIN registry_municipality m ON m.id = page.id
    LEFT JOIN registry_municipality p ON p.id = m.parent_id
    ORDER BY m.country, m.lg_code, m.name, m.id
"""


def baseline_municipalities(request: HttpRequest) -> JsonResponse:
    """The same page of municipalities as /api/municipalities/ (with agreement_count), by hand."""
    page, limit, offset = _page(request)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM registry_municipality")
        count = cursor.fetchone()[0]
        cursor.execute(MUNICIPALITIES_SQL, {"limit": limit, "offset": offset, "today": dt.date.today()})
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
            "agreement_count": row[18],
        }
        for row in rows
    ]
    return _envelope(request, count, page, results)


# A bench-only URLconf: the public API plus the baselines (never in the public URLs).
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


#: (name, API path, baseline path): the lists compared, page 1 as most clients read them.
PAIRS = [
    ("agreements", "/api/agreements/", "/bench/agreements/"),
    ("municipalities", "/api/municipalities/", "/bench/municipalities/"),
    # Filtered lists: the FilterSet validates the parameters once, then the filtered SQL is reused.
    ("agreements?country", "/api/agreements/?country=FR", "/bench/agreements/?country=FR"),
    (
        "agreements?status&kind",
        "/api/agreements/?status=active&kind=sister",
        "/bench/agreements/?status=active&kind=sister",
    ),
    ("agreements?in_name_only", "/api/agreements/?in_name_only=true", "/bench/agreements/?in_name_only=true"),
]
#: Every list above is held to the target.
TARGETS = {name for name, _api, _baseline in PAIRS}


class InProcess:
    """Requests through django.test.Client: the full middleware stack and the view, no network."""

    label = "in-process"

    def __init__(self) -> None:
        self.client = Client()

    def get(self, url: str) -> tuple[int, bytes]:
        response = self.client.get(url)
        return response.status_code, response.content

    def close(self) -> None:
        pass


class OverHttp:
    """Requests to `manage.py bench_api --serve` (Django's threaded development server) on 127.0.0.1.

    One keep-alive connection (http.client); the server runs in a subprocess on the same throwaway
    database, with the same settings, the bench URLconf and the anonymous rate limit off.
    """

    label = "http"

    def __init__(self, database_name: str) -> None:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.server = subprocess.Popen(
            [sys.executable, "-m", "django", "bench_api", "--serve", database_name],
            cwd=settings.BASE_DIR,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "registry.settings")},
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        line = self.server.stdout.readline() if self.server.stdout else ""
        if not line.startswith("PORT "):
            self.close()
            raise CommandError(f"The benchmark server did not start: {line!r}{self._log_tail()}")
        self.connection = http.client.HTTPConnection("127.0.0.1", int(line.split()[1]), timeout=60)

    def get(self, url: str) -> tuple[int, bytes]:
        self.connection.request("GET", url)
        response = self.connection.getresponse()
        return response.status, response.read()

    def _log_tail(self) -> str:
        self.log.seek(0)
        return "\n" + self.log.read()[-2000:].decode(errors="replace")

    def close(self) -> None:
        if getattr(self, "connection", None) is not None:
            self.connection.close()
        self.server.terminate()
        try:
            self.server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()
        self.log.close()


class Command(BaseCommand):
    help = (
        "Measure the public list endpoints (/api/agreements/, /api/municipalities/, and /api/agreements/ "
        "filtered by country, by status and kind, and in name only) against hand-written views that run the same page (same rows, fields and "
        "count/next/previous) through raw SQL into a JsonResponse; print requests/s of both and the ratio "
        f"(target ≥ {TARGET} for every one). Two modes: in process (django.test.Client, the whole "
        "middleware stack) and over HTTP (Django's threaded server in a subprocess on 127.0.0.1, one keep-alive "
        "connection). Reads and writes only a throwaway test database filled with a synthetic register; your "
        "data is never touched. Anonymous requests; the anonymous rate limit is off for the run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agreements", type=int, default=600, help="Agreements in the synthetic register.")
        parser.add_argument("--requests", type=int, default=300, help="Requests per endpoint and round.")
        parser.add_argument(
            "--rounds", type=int, default=5, help="Rounds (sides alternate going first); the best of each side is kept."
        )
        parser.add_argument(
            "--mode", choices=["both", "in-process", "http"], default="both", help="Which measurement(s) to run."
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help=f"Exit with an error when any list is below {TARGET} in process (for CI); all figures are printed.",
        )
        parser.add_argument("--serve", metavar="DATABASE", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["serve"]:
            self.serve(options["serve"])
            return
        if options["agreements"] < 2 or options["requests"] < 1 or options["rounds"] < 1:
            raise CommandError("--agreements must be at least 2, --requests and --rounds at least 1.")
        if options["requests"] > 100_000:
            raise CommandError("--requests is at most 100000.")
        from api import views

        setup_test_environment()
        directory = None
        if connection.vendor == "sqlite":
            # A file, not the in-memory default: the HTTP mode's server process opens it too.
            directory = tempfile.mkdtemp(prefix="bench_api_")
            connection.settings_dict.setdefault("TEST", {})["NAME"] = os.path.join(directory, "bench.sqlite3")
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        # The anonymous rate limit would answer 429 after the first few hundred requests.
        saved_throttles = views.RegistryViewSet.throttle_classes
        views.RegistryViewSet.throttle_classes = []
        failed: list[str] = []
        try:
            build_world(agreements=options["agreements"])
            with connection.cursor() as cursor:
                # Planner statistics, as autovacuum (PostgreSQL) or a maintained database has them:
                # fresh tables without them get nested-loop plans 20× slower, on both sides.
                cursor.execute("ANALYZE")
            connection.close()  # committed; the server process reads the same database
            self.stdout.write(
                f"{options['agreements']} agreements, {connection.vendor}; best of {options['rounds']} rounds of "
                f"{options['requests']} requests, page 1 ({PAGE_SIZE} rows)"
            )
            self.stdout.write(f"{'mode':<11} {'endpoint':<24} {'API req/s':>10} {'raw SQL req/s':>14} {'ratio':>6}")
            with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver", "127.0.0.1"], DEBUG=False):
                if options["mode"] in ("both", "in-process"):
                    failed = self.compare(InProcess(), options)
                if options["mode"] in ("both", "http"):
                    failures = self.compare(OverHttp(connection.settings_dict["NAME"]), options)
                    failed = failed if options["mode"] == "both" else failures
        finally:
            views.RegistryViewSet.throttle_classes = saved_throttles
            connection.creation.destroy_test_db(old_name, verbosity=0)
            teardown_test_environment()
            if directory is not None:
                shutil.rmtree(directory, ignore_errors=True)
        if failed:
            message = f"Below the target of {TARGET}× in process for: {', '.join(failed)}."
            if options["check"]:
                raise CommandError(message)
            self.stdout.write(message)

    def serve(self, database_name: str) -> None:
        """The HTTP mode's server (a subprocess): prints `PORT <n>` once listening on 127.0.0.1."""
        from django.core.handlers.wsgi import WSGIHandler
        from django.core.servers.basehttp import WSGIServer, run

        from api import views

        logging.getLogger("django.server").setLevel(logging.WARNING)  # no line per request
        connection.close()
        connection.settings_dict["NAME"] = database_name
        views.RegistryViewSet.throttle_classes = []

        def announce(port: int) -> None:
            self.stdout.write(f"PORT {port}")
            self.stdout.flush()

        class NoDelayServer(WSGIServer):
            """Responses go out at once: Django writes the headers and the body in two sends, and
            Nagle's algorithm would hold the body until the client's delayed ACK (~40 ms a request)."""

            def get_request(self) -> tuple[socket.socket, Any]:
                sock, address = super().get_request()
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return sock, address

        with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["127.0.0.1"], DEBUG=False):
            run("127.0.0.1", 0, WSGIHandler(), threading=True, on_bind=announce, server_cls=NoDelayServer)

    def compare(self, transport: InProcess | OverHttp, options: dict[str, Any]) -> list[str]:
        failed = []
        try:
            for name, api_url, baseline_url in PAIRS:
                self._check_same_answer(transport, api_url, baseline_url)
                rates = {api_url: 0.0, baseline_url: 0.0}
                for round_ in range(options["rounds"]):
                    # Each side first in every other round: a burst of load on this shared machine
                    # then falls as often on either side; the best round of each side is kept.
                    for url in (api_url, baseline_url) if round_ % 2 == 0 else (baseline_url, api_url):
                        rates[url] = max(rates[url], self._rate(transport, url, options["requests"]))
                api_rate, baseline_rate = rates[api_url], rates[baseline_url]
                ratio = api_rate / baseline_rate
                self.stdout.write(
                    f"{transport.label:<11} {name:<24} {api_rate:>10.0f} {baseline_rate:>14.0f} {ratio:>6.2f}"
                )
                if name in TARGETS and ratio < TARGET:
                    failed.append(name)
        finally:
            transport.close()
        return failed

    @staticmethod
    def _check_same_answer(transport: InProcess | OverHttp, api_url: str, baseline_url: str) -> None:
        """Both answer the same JSON: the same rows and fields in the same order, count, next and previous."""
        answers = []
        for url in (api_url, baseline_url):
            status, body = transport.get(url)
            if status != 200:
                raise CommandError(f"{url} answered {status}.")
            answers.append(json.loads(body))
        api, baseline = answers
        if [row["id"] for row in api["results"]] != [row["id"] for row in baseline["results"]]:
            raise CommandError(f"{api_url} and {baseline_url} do not answer the same rows; fix the baseline.")
        baseline = {**baseline, "next": _same_path(baseline["next"], api_url), "previous": baseline["previous"]}
        differ = sorted(
            {key for key in api.keys() | baseline.keys() if key != "results" and api.get(key) != baseline.get(key)}
            | {
                key
                for api_row, baseline_row in zip(api["results"], baseline["results"], strict=True)
                for key in api_row.keys() | baseline_row.keys()
                if api_row.get(key) != baseline_row.get(key)
            }
        )
        if differ:
            raise CommandError(f"{api_url} and {baseline_url} differ in {differ}; fix the baseline.")

    @staticmethod
    def _rate(transport: InProcess | OverHttp, url: str, requests: int) -> float:
        for _ in range(min(20, requests)):
            transport.get(url)
        start = time.perf_counter()
        for _ in range(requests):
            status, _body = transport.get(url)
            if status != 200:
                raise CommandError(f"Benchmark request {url} failed with {status}.")
        return requests / (time.perf_counter() - start)


def _same_path(link: str | None, api_url: str) -> str | None:
    """The baseline's next link with the API's path, to compare the rest of it (host, query)."""
    if link is None:
        return None
    baseline_path = urlsplit(link).path
    return link.replace(baseline_path, urlsplit(api_url).path, 1)
