"""bench_pages: time the public pages over the bench world, served by a real WSGI server.

Uses the benchmark database of bench_reports (default postgres://postgres@127.0.0.1:5432/registry_bench:
100,000 municipalities, 200,000 agreements, 2,000,000 activities; filled by this command unless
--skip-fill, never the application's database). Japan's authorities there get the real local
government codes and coordinates from fixtures/jp_local_governments.csv, so the map's JSON and the
map drawn in the browser have the real 1,741 shapes to colour. Then gunicorn serves the site on a
free loopback port (production settings, DEBUG off) and --clients concurrent clients (keep-alive)
request each page --runs times; printed: requests/s, p50 / p95 / p99 per page, errors. Last, headless
Chromium opens the home page and the time until the map has drawn every municipality is printed.

Targets (issue 9): p95 ≤ 150 ms for home, municipality, country, coverage and gaps; ≤ 50 ms for the
search suggestions.

    python manage.py bench_pages                   # fill (about a minute), then time
    python manage.py bench_pages --skip-fill       # time again over the world already there
"""

from __future__ import annotations

import csv
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import dj_database_url
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from registry.management.commands.bench_reports import DEFAULT_URL
from registry.management.commands.bench_reports import Command as BenchReports
from registry.services.dates import today

ROOT = Path(settings.BASE_DIR)
TARGET_MS = {"search suggestions": 50.0}
DEFAULT_TARGET_MS = 150.0
#: Addresses of the municipality page taken in turn (the cities with the most partners).
ROTATION = 10
#: The shared cache the served site uses unless --cache-url says otherwise (a database of its own,
#: emptied before the run).
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/15"


class Command(BaseCommand):
    help = (
        "Fill (or reuse) the PostgreSQL bench database, serve the site with gunicorn on loopback, and print "
        "p50/p95/p99 per public page under concurrent clients, then the home map's drawing time in Chromium."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database-url", default=DEFAULT_URL, help=f"Bench database (default {DEFAULT_URL}).")
        parser.add_argument("--scale", type=float, default=1.0, help="Fraction of the full size (default 1.0).")
        parser.add_argument("--skip-fill", action="store_true", help="Keep the data already in the database.")
        parser.add_argument("--clients", type=int, default=4, help="Concurrent clients (default 4).")
        parser.add_argument("--runs", type=int, default=60, help="Requests per page (default 60).")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2).")
        parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (default 4).")
        parser.add_argument("--no-browser", action="store_true", help="Skip the map drawing time.")
        parser.add_argument("--only", default="", help="Comma-separated page names to time (default: every page).")
        parser.add_argument(
            "--cache-url",
            default=os.environ.get("REDIS_URL", DEFAULT_CACHE_URL),
            help=f"Redis the served site caches in, as REDIS_URL in production (default $REDIS_URL or "
            f"{DEFAULT_CACHE_URL}; emptied first). `none`: each process its own memory cache.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["clients"] < 1 or options["runs"] < 1:
            raise CommandError("--clients and --runs must be at least 1.")
        bench = BenchReports(stdout=self.stdout, stderr=self.stderr)
        config = dj_database_url.parse(options["database_url"])
        if config["ENGINE"] != "django.db.backends.postgresql":
            raise CommandError("bench_pages needs PostgreSQL: give --database-url postgres://… (SQLite is refused).")
        default = settings.DATABASES["default"]
        if default.get("ENGINE") == config["ENGINE"] and default.get("NAME") == config["NAME"]:
            raise CommandError(f"{config['NAME']} is the application's own database; give another --database-url.")
        bench._use_database(config)
        if not options["skip_fill"]:
            bench._fill(options["scale"], 0.42, today())
        self._real_codes()
        paths = self._paths()
        if options["only"]:
            wanted = {name.strip() for name in options["only"].split(",")}
            if unknown := wanted - set(paths):
                raise CommandError(f"--only: no page named {', '.join(sorted(unknown))} (pages: {', '.join(paths)}).")
            paths = {name: addresses for name, addresses in paths.items() if name in wanted}
        port = _free_port()
        cache_url = self._cache(options["cache_url"])
        server = self._serve(options["database_url"], port, options["workers"], options["threads"], cache_url)
        try:
            self._wait_ready(port)
            self._time(port, paths, clients=options["clients"], runs=options["runs"])
            if not options["no_browser"]:
                self._map_time(port)
        finally:
            server.terminate()
            server.wait(timeout=20)

    # --- the world --------------------------------------------------------------------------

    def _real_codes(self) -> None:
        """Give the bench's Japanese authorities the real codes and coordinates (tier by tier, in id
        order), so that the map's shapes find them."""
        with (ROOT / "fixtures" / "jp_local_governments.csv").open(encoding="utf-8") as source:
            rows = list(csv.DictReader(source))
        by_tier: dict[str, list[dict[str, str]]] = {}
        for row in rows:
            name = row["name_ja"]
            tier = (
                "prefecture"
                if row["lg_code"][2:5] == "000"
                else {"市": "city", "区": "special_ward", "町": "town", "村": "village"}[name[-1]]
            )
            by_tier.setdefault(tier, []).append(row)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE registry_municipality SET lg_code = NULL WHERE country = 'JP'")
            for tier, tier_rows in by_tier.items():
                cursor.execute(
                    "SELECT id FROM registry_municipality WHERE country = 'JP' AND tier = %s ORDER BY id", [tier]
                )
                ids = [row[0] for row in cursor.fetchall()]
                values = [
                    (
                        pk,
                        row["lg_code"],
                        float(row["lat"]) if row["lat"] else None,
                        float(row["lng"]) if row["lng"] else None,
                    )
                    for pk, row in zip(ids, tier_rows, strict=False)
                ]
                cursor.executemany(
                    "UPDATE registry_municipality SET lg_code = %s, latitude = %s, longitude = %s, abolished_on = NULL "
                    "WHERE id = %s",
                    [(code, lat, lng, pk) for pk, code, lat, lng in values],
                )
            cursor.execute("ANALYZE registry_municipality")
        self.stdout.write("Japan's authorities carry the real codes and coordinates.")

    def _paths(self) -> dict[str, list[str]]:
        """The addresses of each page, taken in turn: the ten Japanese cities with the most partners,
        the five partner countries with the most links, ten of those cities' relationships."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT m.id FROM registry_municipality m JOIN registry_twinningagreement t "
                "ON t.municipality_a_id = m.id WHERE m.country = 'JP' AND m.tier = 'city' "
                "GROUP BY m.id ORDER BY count(*) DESC, m.id LIMIT %s",
                [ROTATION],
            )
            busiest = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                "SELECT country_b FROM registry_twinningagreement WHERE country_a = 'JP' AND country_b <> 'JP' "
                "GROUP BY country_b ORDER BY count(*) DESC LIMIT 5"
            )
            countries = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                "SELECT min(id) FROM registry_twinningagreement WHERE municipality_a_id = ANY(%s) "
                "GROUP BY municipality_a_id",
                [busiest],
            )
            agreements = [row[0] for row in cursor.fetchall()]
        return {
            "home": ["/en/", "/ja/"],
            "map JSON": ["/en/map/standing.json"],
            "search suggestions": [f"/ja/search/suggest/?q=JP%20{n}" for n in range(10, 20)],
            "search": [f"/en/search/?q=City%20{n}" for n in range(1, 11)],
            "directory": ["/en/municipalities/?country=JP", "/ja/municipalities/?country=JP&sort=-partners"],
            "municipality": [f"/{lang}/municipalities/{pk}/" for pk in busiest for lang in ("en", "ja")],
            "relationship": [f"/en/agreements/{pk}/" for pk in agreements],
            "country": [f"/{lang}/countries/{code}/" for code in countries for lang in ("en", "ja")],
            "coverage": ["/en/coverage/", "/ja/coverage/"],
            "gaps": ["/en/gaps/", "/ja/gaps/"],
            "gaps, one country": [f"/en/gaps/?partner_country={code}" for code in countries],
            "networks": ["/en/networks/", "/ja/networks/"],
        }

    # --- the server -------------------------------------------------------------------------

    def _cache(self, url: str) -> str:
        """The Redis database the served site caches in, emptied; "" (a memory cache per process) for
        `none` or when Redis does not answer, said so."""
        if url == "none":
            self.stdout.write("Cache: each gunicorn process its own memory (--cache-url none).")
            return ""
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
        except redis.RedisError as error:
            self.stdout.write(f"Cache: Redis at {url} does not answer ({error}); each process its own memory.")
            return ""
        self.stdout.write(f"Cache: Redis at {url}, emptied (shared by the gunicorn processes, as in production).")
        return url

    def _serve(self, database_url: str, port: int, workers: int, threads: int, cache_url: str) -> subprocess.Popen:
        """gunicorn with production settings: static files collected once, compressed and named by
        their hash (whitenoise's manifest storage), as a deployment serves them."""
        static_root = Path(tempfile.mkdtemp(prefix="registry-static-"))
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REGISTRY_SECRET_KEY": secrets.token_urlsafe(50),
            "REGISTRY_ALLOWED_HOSTS": "127.0.0.1",
            "REGISTRY_DEBUG": "0",
            "REGISTRY_STATIC_ROOT": str(static_root),
            "REGISTRY_MANIFEST_STATIC": "1",
            "REDIS_URL": cache_url,
            # The bench prints its own table; the JSON line per request would bury it.
            "REGISTRY_REQUEST_LOG": "0",
        }
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
        )
        command = [
            sys.executable, "-m", "gunicorn", "registry.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
            "--worker-class", "gthread", "--log-level", "warning",
        ]  # fmt: skip
        self.stdout.write(f"gunicorn on 127.0.0.1:{port}: {workers} workers × {threads} threads")
        return subprocess.Popen(command, cwd=ROOT, env=env)

    def _wait_ready(self, port: int) -> None:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/en/networks/")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise CommandError("The server did not answer.")

    # --- the timings ------------------------------------------------------------------------

    def _time(self, port: int, paths: dict[str, list[str]], *, clients: int, runs: int) -> None:
        self.stdout.write(
            f"\n{clients} concurrent clients, {runs} requests per page taking its addresses in turn, after one "
            "request of each address (its time is `first`: the figures a page caches computed, the cache empty)\n"
        )
        self.stdout.write(
            f"{'page':<20}{'addr':>5}{'first ms':>10}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
            f"{'errors':>8}  target p95"
        )
        for name, addresses in paths.items():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            first = max(_get(port, path, conn)[1] for path in addresses)
            times, errors, wall = _load(port, addresses, clients=clients, runs=runs)
            quantiles = statistics.quantiles(times, n=100, method="inclusive")
            target = TARGET_MS.get(name, DEFAULT_TARGET_MS if name in _TARGETED else None)
            verdict = "" if target is None else f"≤ {target:.0f}: {'ok' if quantiles[94] <= target else 'OVER'}"
            self.stdout.write(
                f"{name:<20}{len(addresses):>5}{first:>10.0f}{runs / wall:>8.1f}{statistics.median(times):>9.1f}"
                f"{quantiles[94]:>9.1f}{quantiles[98]:>9.1f}{len(errors):>8}  {verdict}"
            )

    def _map_time(self, port: int) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.support.ui import WebDriverWait

        if not Path("/usr/bin/chromium").exists():
            self.stdout.write("\nChromium is not installed: no map drawing time.")
            return
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        draws = []
        try:
            for _ in range(5):
                driver.get(f"http://127.0.0.1:{port}/en/")
                WebDriverWait(driver, 60).until(
                    lambda d: d.execute_script("return document.getElementById('japan-map').dataset.shapesDrawn")
                )
                drawn = driver.execute_script("return document.getElementById('japan-map').dataset.shapesDrawn")
                draws.append(
                    driver.execute_script(
                        "const t = performance.getEntriesByName('registry:map-drawn')[0];return t ? t.startTime : null;"
                    )
                )
        finally:
            driver.quit()
        self.stdout.write(
            f"\nHome map in headless Chromium: {drawn} municipalities drawn, "
            f"{statistics.median(draws):.0f} ms from navigation start (median of 5; "
            f"{min(draws):.0f}–{max(draws):.0f} ms), shapes and colours fetched from the site."
        )


_TARGETED = {"home", "municipality", "country", "coverage", "gaps", "gaps, one country"}


def _load(port: int, paths: list[str], *, clients: int, runs: int) -> tuple[list[float], list[int], float]:
    """`runs` requests of `paths` in turn, shared by `clients` keep-alive clients: latencies (ms), error
    statuses, wall time."""
    times: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    remaining = iter(range(runs))

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                index = next(remaining, None)
            if index is None:
                return
            status, elapsed = _get(port, paths[index % len(paths)], conn)
            with lock:
                times.append(elapsed)
                if status != 200:
                    errors.append(status)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, errors, time.perf_counter() - started


def _get(port: int, path: str, conn: http.client.HTTPConnection) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        conn.close()
        status = 0
    return status, (time.perf_counter() - started) * 1000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
