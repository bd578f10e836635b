"""bench_load: the site under rising load, served as `make serve` serves it, measured with wrk.

The bench world of bench_reports / bench_pages (PostgreSQL, default
postgres://postgres@127.0.0.1:5432/registry_bench: 100,000 municipalities, 200,000 agreements,
2,000,000 activities; filled unless --skip-fill, Japan's authorities given their real codes) is
served by `make serve` (gunicorn, production settings, Redis as the shared cache, database db 15
emptied first) on a free loopback port. wrk (Debian's; `make bench-load` installs it) then sends a
mix of public pages, search suggestions, API lists and reports, each client a keep-alive connection
asking again as soon as it has its answer (no think time: the hardest case), for --duration
seconds per step at each --steps concurrency.

Printed per step: requests/s, p50 / p95 / p99 latency, errors (a 5xx other than 503, a timeout of
--timeout seconds, a refused or broken connection), and the overload answers counted apart (429,
503). Targets (issue 13): no error at any step; p95 ≤ 250 ms at 50 clients.

All the load comes from one address, 127.0.0.1: the anonymous rate limit (REGISTRY_ANON_RATE,
120 a minute per address, and REGISTRY_USER_RATE, 600, which counts the public by address too) would
answer almost everything with 429, so both are lifted for the run: to a million a second, not a
million a minute, because DRF keeps each address's request times for the whole period in the cache
and a minute of this load would make that list (read and written on every API request) tens of
thousands long, a cost no real client causes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import dj_database_url
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.management.commands.bench_pages import DEFAULT_CACHE_URL, _free_port
from registry.management.commands.bench_pages import Command as BenchPages
from registry.management.commands.bench_reports import DEFAULT_URL
from registry.management.commands.bench_reports import Command as BenchReports
from registry.services.dates import today

ROOT = Path(settings.BASE_DIR)
#: p95 target at 50 clients (issue 13).
TARGET_P95_MS = 250.0
TARGET_CLIENTS = 50

_SCRIPT = """
local paths = {%(paths)s}
local threads = {}
local counter = 0

function setup(thread)
  thread:set("offset", #threads * 97)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  counter = offset
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses")) do
      merged[tostring(code)] = (merged[tostring(code)] or 0) + count
    end
  end
  local parts = {}
  for code, count in pairs(merged) do
    table.insert(parts, string.format('"%%s": %%d', code, count))
  end
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "p50": %%d, "p95": %%d, "p99": %%d, "max": %%d, '
    .. '"connect": %%d, "read": %%d, "write": %%d, "timeout": %%d, "statuses": {%%s}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, errors.connect, errors.read, errors.write, errors.timeout,
    table.concat(parts, ", ")))
end
"""


class Command(BaseCommand):
    help = (
        "Serve the bench world with `make serve` (gunicorn, production settings, Redis) and load it with wrk at "
        "rising concurrency: requests/s, p50/p95/p99, errors and 429/503 answers per step."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database-url", default=DEFAULT_URL, help=f"Bench database (default {DEFAULT_URL}).")
        parser.add_argument("--skip-fill", action="store_true", help="Keep the data already in the database.")
        parser.add_argument("--scale", type=float, default=1.0, help="Fraction of the full size (default 1.0).")
        parser.add_argument("--steps", default="10,50,200", help="Concurrent clients per step (default 10,50,200).")
        parser.add_argument("--duration", type=int, default=20, help="Seconds per step (default 20).")
        parser.add_argument("--timeout", type=int, default=10, help="Seconds before a request counts as hung.")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2).")
        parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (default 4).")
        parser.add_argument("--cache-url", default=DEFAULT_CACHE_URL, help=f"Redis (default {DEFAULT_CACHE_URL}).")

    def handle(self, *args: Any, **options: Any) -> None:
        wrk = shutil.which("wrk")
        if wrk is None:
            raise CommandError("wrk is not installed: `apt-get install wrk` (make bench-load does it).")
        try:
            steps = [int(step) for step in options["steps"].split(",")]
        except ValueError:
            raise CommandError("--steps: give numbers of clients separated by commas, e.g. 10,50,200.") from None
        if not steps or min(steps) < 1 or options["duration"] < 1 or options["timeout"] < 1:
            raise CommandError("--steps, --duration and --timeout must be at least 1.")
        config = dj_database_url.parse(options["database_url"])
        if config["ENGINE"] != "django.db.backends.postgresql":
            raise CommandError("bench_load needs PostgreSQL: give --database-url postgres://…")
        default = settings.DATABASES["default"]
        if default.get("ENGINE") == config["ENGINE"] and default.get("NAME") == config["NAME"]:
            raise CommandError(f"{config['NAME']} is the application's own database; give another --database-url.")
        BenchReports(stdout=self.stdout, stderr=self.stderr)._use_database(config)
        if not options["skip_fill"]:
            BenchReports(stdout=self.stdout, stderr=self.stderr)._fill(options["scale"], 0.42, today())
        pages = BenchPages(stdout=self.stdout, stderr=self.stderr)
        pages._real_codes()
        paths = self._mix(pages._paths())
        cache_url = pages._cache(options["cache_url"])
        if not cache_url:
            raise CommandError("bench_load serves as production does, with Redis: start Redis or give --cache-url.")
        port = _free_port()
        log = tempfile.NamedTemporaryFile(prefix="registry-serve-", suffix=".log", delete=False)  # noqa: SIM115
        server = self._serve(options, port, cache_url, log)
        try:
            self._wait_ready(port, server, log.name)
            self._run(wrk, port, paths, steps, options)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
            log.close()
        self.stdout.write(f"\nServer log (one JSON line per request): {log.name}")

    def _mix(self, page_paths: dict[str, list[str]]) -> list[str]:
        """The requests a step sends, in turn: every public page's addresses, search suggestions, API
        lists and reports (the API's at a page of 50, its default)."""
        mix = [path for name, addresses in page_paths.items() if name != "map JSON" for path in addresses]
        mix += page_paths["map JSON"]
        mix += [
            "/api/agreements/",
            "/api/agreements/?country=JP&status=active",
            "/api/municipalities/?country=JP",
            "/api/municipalities/?search=City%201",
            "/api/activities/",
            "/api/networks/",
            "/api/reports/coverage/",
            "/api/reports/in-name-only/",
            "/api/reports/gaps/",
            "/api/reports/gaps/?kind=foreign",
            "/api/reports/partner-countries/",
            "/api/reports/growth/",
        ]
        return mix

    def _serve(self, options: dict[str, Any], port: int, cache_url: str, log: Any) -> subprocess.Popen:
        env = {
            **os.environ,
            "SERVE_DATABASE_URL": options["database_url"],
            "SERVE_REDIS_URL": cache_url,
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "WEB_CONCURRENCY": str(options["workers"]),
            "GUNICORN_THREADS": str(options["threads"]),
            "REGISTRY_ALLOWED_HOSTS": "127.0.0.1",
            # One address sends everything (see the module's docstring).
            "REGISTRY_ANON_RATE": "1000000/second",
            "REGISTRY_USER_RATE": "1000000/second",
            "SECRET_KEY_FILE": str(Path(tempfile.gettempdir()) / "registry-bench-secret-key"),
        }
        self.stdout.write(
            f"make serve on 127.0.0.1:{port}: {options['workers']} workers × {options['threads']} threads, "
            f"Redis cache {cache_url}, anonymous rate limit lifted"
        )
        return subprocess.Popen(
            ["make", "--no-print-directory", "serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: gunicorn and its workers stop together
        )

    def _wait_ready(self, port: int, server: subprocess.Popen, log_name: str) -> None:
        import http.client

        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"make serve stopped (exit {server.returncode}); see {log_name}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise CommandError(f"make serve did not become ready in 5 minutes; see {log_name}")

    def _run(self, wrk: str, port: int, paths: list[str], steps: list[int], options: dict[str, Any]) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(_SCRIPT % {"paths": ", ".join(json.dumps(path) for path in paths)})
        # One pass over the mix first: the figures the pages and reports cache are computed once.
        subprocess.run(
            [wrk, "-t1", "-c1", f"-d{max(10, len(paths) // 5)}s", "-s", script.name, f"http://127.0.0.1:{port}"],
            capture_output=True,
            check=False,
        )
        self.stdout.write(
            f"\n{len(paths)} addresses in turn (public pages, search suggestions, API lists, reports); "
            f"{options['duration']} s per step; wrk, keep-alive, no think time\n"
        )
        self.stdout.write(
            f"{'clients':>8}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
            f"{'errors':>8}{'429':>6}{'503':>6}  verdict"
        )
        for clients in steps:
            threads = min(2, clients)
            result = subprocess.run(
                [
                    wrk,
                    f"-t{threads}",
                    f"-c{clients}",
                    f"-d{options['duration']}s",
                    f"--timeout={options['timeout']}s",
                    "-s",
                    script.name,
                    f"http://127.0.0.1:{port}",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            line = next((row for row in result.stdout.splitlines() if row.startswith("RESULT ")), None)
            if line is None:
                raise CommandError(f"wrk gave no result: {result.stdout}{result.stderr}")
            figures = json.loads(line.removeprefix("RESULT "))
            statuses = {int(code): count for code, count in figures["statuses"].items()}
            broken = figures["connect"] + figures["read"] + figures["write"] + figures["timeout"]
            errors = broken + sum(count for code, count in statuses.items() if code >= 500 and code != 503)
            odd = sum(count for code, count in statuses.items() if code >= 400 and code not in {429, 503})
            p95 = figures["p95"] / 1000
            verdict = "ok" if errors == 0 and odd == 0 else "ERRORS"
            if clients == TARGET_CLIENTS:
                verdict += f", p95 ≤ {TARGET_P95_MS:.0f}: {'ok' if p95 <= TARGET_P95_MS else 'OVER'}"
            if odd:
                verdict += f" ({odd} other 4xx)"
            self.stdout.write(
                f"{clients:>8}{figures['requests']:>10}{figures['requests'] / (figures['duration_us'] / 1e6):>9.1f}"
                f"{figures['p50'] / 1000:>9.1f}{p95:>9.1f}{figures['p99'] / 1000:>9.1f}{figures['max'] / 1000:>9.1f}"
                f"{errors:>8}{statuses.get(429, 0):>6}{statuses.get(503, 0):>6}  {verdict}"
            )
        os.unlink(script.name)
