"""bench_reports: time the audit reports over a synthetic world in PostgreSQL, beside hand-written SQL.

Writes only to its own database (default postgres://postgres@127.0.0.1:5432/registry_bench, created
and migrated when missing; never the database in DATABASE_URL). Prints p50 / p95 per report for the
service (what the API runs: a report, or a count and a first page of 50 for the paginated ones) and
for the same question in hand-written SQL, with their ratio. Targets (issue 3): service p95 under
150 ms at full size, and within 2x of the hand-written SQL.

    python manage.py bench_reports                 # 100k municipalities, 200k agreements, 2M activities
    python manage.py bench_reports --scale 0.05    # a quick run
    python manage.py bench_reports --skip-fill     # time again over the world already there
"""

from __future__ import annotations

import csv
import datetime as dt
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dj_database_url
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections

from registry.db_admin import ensure_postgres_database
from registry.models import FOREIGN_TIERS, JAPAN_TIERS, Municipality
from registry.services import audits
from registry.services.dates import today, years_before
from registry.services.search import search_key_for, search_terms

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/registry_bench"
FULL = {"municipalities": 100_000, "agreements": 200_000, "activities": 2_000_000}
# Japan's authorities by tier (about CLAIR's 2019 figures): scaled with --scale, at least one each.
JP_TIERS = {"prefecture": 47, "city": 792, "special_ward": 23, "town": 743, "village": 183}
# Partner countries, most frequent first (the generator draws them with a skew towards the first).
COUNTRIES = [
    *("US", "CN", "KR", "AU", "FR", "DE", "GB", "CA", "IT", "BR", "NZ", "RU", "TW", "ES", "MX", "PH", "TH"),
    *("VN", "ID", "IN", "NL", "BE", "AT", "CH", "SE", "NO", "DK", "FI", "PL", "HU", "CZ", "PT", "IE", "TR"),
    *("EG", "ZA", "AR", "CL", "PE", "UA"),
]
PAGE = 50
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
#: Searches timed (Municipality.objects.search): a romaji name, a reading in kana, a name with a tier
#: word, a St. abbreviation, and two letters typed into a search-as-you-type box (many matches).
SEARCHES = ("Ōsaka", "ながさき", "Nagasaki City", "St. Paul", "sa")


class Command(BaseCommand):
    help = (
        "Fill a separate PostgreSQL database with a synthetic world (municipalities, agreements with "
        "status history, activities), then time every audit report through its service and as "
        "hand-written SQL, printing p50/p95 and their ratio."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--database-url", default=DEFAULT_URL, help=f"PostgreSQL database to use (default {DEFAULT_URL})."
        )
        parser.add_argument("--scale", type=float, default=1.0, help="Fraction of the full size (default 1.0).")
        parser.add_argument("--runs", type=int, default=20, help="Timed runs per report (default 20).")
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="Report date (default today).")
        parser.add_argument("--country", default="JP", help="Home country of the reports (default JP).")
        parser.add_argument("--skip-fill", action="store_true", help="Keep the data already in the database.")
        parser.add_argument("--seed", type=float, default=0.42, help="Seed of the generator (default 0.42).")

    def handle(self, *args: Any, **options: Any) -> None:
        config = dj_database_url.parse(options["database_url"])
        if config["ENGINE"] != "django.db.backends.postgresql":
            raise CommandError("bench_reports needs PostgreSQL: give --database-url postgres://… (SQLite is refused).")
        default = settings.DATABASES["default"]
        if default.get("ENGINE") == config["ENGINE"] and default.get("NAME") == config["NAME"]:
            raise CommandError(
                f"{config['NAME']} is the application's own database; the benchmark replaces its data. "
                "Give another --database-url."
            )
        if not 0 < options["scale"] <= 1:
            raise CommandError("--scale is a fraction in (0, 1].")
        if options["runs"] < 1:
            raise CommandError("--runs must be at least 1.")
        self._use_database(config)
        as_of = options["as_of"] or today()
        if not options["skip_fill"]:
            self._fill(options["scale"], options["seed"], as_of)
        self._run(country=options["country"].upper(), as_of=as_of, runs=options["runs"])

    # --- the database -------------------------------------------------------------------------

    def _use_database(self, config: dict[str, Any]) -> None:
        """Create the database when missing, point the default connection at it, migrate it."""
        if ensure_postgres_database(config):
            self.stdout.write(f"Created database {config['NAME']}")
        # The services read through the default connection: replace it, for this process only, by
        # one to the benchmark database (a new wrapper: the backend class may differ).
        connections["default"].close()
        # The application's PostgreSQL session settings (JIT off), so both sides run as the app does.
        config = {**config, "OPTIONS": {**config.get("OPTIONS", {}), **settings.POSTGRES_OPTIONS}}
        connections.settings["default"] = connections.configure_settings({"default": config})["default"]
        connections["default"] = connections.create_connection("default")
        if connection.vendor != "postgresql" or connection.settings_dict["NAME"] != config["NAME"]:
            raise CommandError("Could not switch to the benchmark database; nothing was written.")
        call_command("migrate", verbosity=0, interactive=False)

    def _fill(self, scale: float, seed: float, as_of: dt.date) -> None:
        n_municipalities = max(200, round(FULL["municipalities"] * scale))
        n_agreements = max(400, round(FULL["agreements"] * scale))
        n_activities = max(4000, round(FULL["activities"] * scale))
        jp_counts = {tier: max(1, round(count * scale)) for tier, count in JP_TIERS.items()}
        n_jp = sum(jp_counts.values())
        n_foreign = n_municipalities - n_jp
        n_prefectures = jp_counts["prefecture"]
        # A quarter of the agreements are Japanese–foreign (a heavy load for the JP reports), 1% are
        # Japanese domestic pairs, the rest are between foreign authorities.
        n_jp_foreign = n_agreements // 4
        n_jp_domestic = n_agreements // 100
        self.stdout.write(
            f"Filling: {n_municipalities:,} municipalities ({n_jp:,} JP), {n_agreements:,} agreements, "
            f"{n_activities:,} activities"
        )
        started = time.monotonic()
        tier_case = (
            "CASE "
            + " ".join(
                f"WHEN g <= {bound} THEN '{tier}'"
                for tier, bound in zip(jp_counts, _running_totals(jp_counts.values()), strict=True)
            )
            + " END"
        )
        countries = "ARRAY[" + ",".join(f"'{code}'" for code in COUNTRIES) + "]"
        steps: list[tuple[str, str]] = [
            (
                "truncate",
                "TRUNCATE registry_activitylog, registry_agreementstatuschange, registry_twinningagreement, "
                "registry_networkmembership, registry_staffassignment, registry_municipality RESTART IDENTITY CASCADE",
            ),
            ("seed", f"SELECT setseed({seed})"),
            (
                "municipalities (JP)",
                f"""
                INSERT INTO registry_municipality (id, name, name_en, name_kana, country, tier, parent_id,
                    population, abolished_on, created_at, updated_at)
                SELECT g, 'JP ' || g, 'JP ' || g, '', 'JP', {tier_case},
                    CASE WHEN g > {n_prefectures} THEN 1 + g % {n_prefectures} END,
                    (1000 + random() * 500000)::bigint,
                    CASE WHEN g > {n_prefectures} AND g % 50 = 0 THEN DATE '2005-03-31' END,
                    now(), now()
                FROM generate_series(1, {n_jp}) AS g
                """,
            ),
            (
                "municipalities (foreign)",
                f"""
                INSERT INTO registry_municipality (id, name, name_en, name_kana, country, tier, population,
                    created_at, updated_at)
                SELECT g, 'City ' || g, 'City ' || g, '',
                    ({countries})[1 + floor(power(random(), 2) * {len(COUNTRIES)})::int],
                    CASE WHEN g % 10 = 0 THEN 'region' ELSE 'locality' END,
                    CASE WHEN g % 20 <> 7 THEN exp(6 + random() * 10)::bigint END,
                    now(), now()
                FROM generate_series({n_jp + 1}, {n_municipalities}) AS g
                """,
            ),
            (
                "agreements",
                f"""
                INSERT INTO registry_twinningagreement (id, municipality_a_id, municipality_b_id, country_a, country_b,
                    kind, signed_on,
                    signed_on_precision, status, status_changed_on, status_reason, heads_signed, fields_unrestricted,
                    assembly_approved, exchange_fields, public_notes, internal_notes, internal_contact, source_url,
                    source, needs_review, review_note, version, created_at, updated_at)
                SELECT g, pair.a, pair.b,
                    (SELECT country FROM registry_municipality WHERE id = pair.a),
                    (SELECT country FROM registry_municipality WHERE id = pair.b),
                    'sister', signed.on_date, 'day', status.value,
                    CASE WHEN status.value = 'active' THEN signed.on_date
                         ELSE LEAST(DATE '{as_of.isoformat()}',
                                    COALESCE(signed.on_date, DATE '1990-01-01') + (random() * 8000)::int) END,
                    '', g % 5 <> 0, g % 5 <> 0, g % 5 <> 0, '[]'::jsonb, '', '', '', '', 'manual', false, '', 1,
                    now(), now()
                FROM generate_series(1, {n_agreements}) AS g
                CROSS JOIN LATERAL (
                    SELECT CASE
                        WHEN g <= {n_jp_foreign} THEN 1 + (g - 1) % {n_jp}
                        WHEN g <= {n_jp_foreign + n_jp_domestic} THEN 1 + (g - 1) % {n_jp}
                        ELSE {n_jp + 1} + (g - 1) % {n_foreign} END AS a,
                    CASE
                        WHEN g <= {n_jp_foreign}
                            THEN {n_jp + 1} + ((g - 1) / {n_jp} * 7919 + (g - 1) % {n_jp} * 104729) % {n_foreign}
                        WHEN g <= {n_jp_foreign + n_jp_domestic}
                            THEN 1 + ((g - 1) % {n_jp} + 1 + (g - 1) / {n_jp} * 5) % {n_jp}
                        ELSE {n_jp + 1} + ((g - 1) % {n_foreign} + 1 + (g - 1) / {n_foreign} * 31) % {n_foreign}
                    END AS b
                ) AS pair
                CROSS JOIN LATERAL (
                    SELECT CASE WHEN g % 33 = 0 THEN NULL
                        ELSE DATE '1955-01-01' + (power(random(), 0.6) * (DATE '{as_of.isoformat()}' - DATE '1955-01-01'))::int
                    END AS on_date
                ) AS signed
                CROSS JOIN LATERAL (
                    SELECT CASE WHEN g % 100 < 7 THEN 'suspended' WHEN g % 100 < 10 THEN 'terminated'
                        ELSE 'active' END AS value
                ) AS status
                """,
            ),
            (
                "status history",
                """
                INSERT INTO registry_agreementstatuschange (agreement_id, from_status, to_status, changed_on, reason,
                    recorded_at)
                SELECT id, '', 'active', signed_on, '', now() FROM registry_twinningagreement
                UNION ALL
                SELECT id, 'active', status, status_changed_on, 'benchmark', now()
                FROM registry_twinningagreement WHERE status <> 'active'
                """,
            ),
            (
                "activities",
                # 70% of the agreements have activity: those with id % 10 < 4 until today, those
                # with 4..6 only until 2015 (dormant by now); the rest have none.
                f"""
                INSERT INTO registry_activitylog (agreement_id, occurred_on, category, title, description, direction,
                    evidence_url, is_demo, version, created_at, updated_at)
                SELECT t.id,
                    LEAST(horizon.until, start.on_date + (random() * GREATEST(1, horizon.until - start.on_date))::int),
                    'education', 'Exchange ' || g, '', 'joint', '', false, 1, now(), now()
                FROM generate_series(0, {n_activities - 1}) AS g
                JOIN registry_twinningagreement AS t
                    ON t.id = 1 + ((g::bigint * 7919) % {n_agreements * 7 // 10}) / 7 * 10 + ((g::bigint * 7919) % {n_agreements * 7 // 10}) % 7
                CROSS JOIN LATERAL (SELECT COALESCE(t.signed_on, DATE '1990-01-01') AS on_date) AS start
                CROSS JOIN LATERAL (
                    SELECT CASE WHEN t.id % 10 < 4 OR start.on_date >= DATE '2015-01-01'
                        THEN DATE '{as_of.isoformat()}' ELSE DATE '2015-01-01' END AS until
                ) AS horizon
                """,
            ),
            (
                "last_activity_on",
                """
                UPDATE registry_twinningagreement AS t
                SET last_activity_on = latest.on_date, last_real_activity_on = latest.real_on_date
                FROM (SELECT agreement_id, max(occurred_on) AS on_date,
                             max(occurred_on) FILTER (WHERE NOT is_demo) AS real_on_date
                      FROM registry_activitylog GROUP BY agreement_id)
                    AS latest
                WHERE latest.agreement_id = t.id
                """,
            ),
            (
                "sequences",
                """
                SELECT setval(pg_get_serial_sequence('registry_municipality', 'id'), (SELECT max(id) FROM registry_municipality));
                SELECT setval(pg_get_serial_sequence('registry_twinningagreement', 'id'), (SELECT max(id) FROM registry_twinningagreement));
                """,
            ),
            ("vacuum analyze", "VACUUM ANALYZE"),
        ]
        with connection.cursor() as cursor:
            for label, sql in steps:
                step_started = time.monotonic()
                cursor.execute(sql)
                if label == "sequences":
                    self._real_names(cursor)
                    self.stdout.write(f"  real names and search keys: {time.monotonic() - step_started:.1f} s")
                    continue
                self.stdout.write(f"  {label}: {time.monotonic() - step_started:.1f} s")
        self.stdout.write(f"Filled in {time.monotonic() - started:.1f} s")

    def _real_names(self, cursor: Any) -> None:
        """Names for the search timings: the shipped fixtures' real names in turn (Japanese authorities
        with their readings, foreign cities from the world list), each row's search_key folded as
        the services fold it."""
        with (FIXTURES / "jp_local_governments.csv").open(encoding="utf-8") as handle:
            japanese = [(row["name_ja"], row["name_romaji"], row["name_kana"]) for row in csv.DictReader(handle)]
        with (FIXTURES / "world_twin_pairs.csv").open(encoding="utf-8") as handle:
            foreign = sorted({row[f"city{side}"] for row in csv.DictReader(handle) for side in "12"} - {""})
        cursor.execute("SELECT id, country FROM registry_municipality ORDER BY id")
        ids, names, names_en, readings, keys = [], [], [], [], []
        for index, (pk, country) in enumerate(cursor.fetchall()):
            name, name_en, reading = (
                japanese[index % len(japanese)] if country == "JP" else (foreign[index % len(foreign)],) * 2 + ("",)
            )
            ids.append(pk)
            names.append(name)
            names_en.append(name_en)
            readings.append(reading)
            keys.append(search_key_for(name=name, name_en=name_en, name_kana=reading))
        cursor.execute(
            """
            UPDATE registry_municipality AS m
            SET name = v.name, name_en = v.name_en, name_kana = v.name_kana, search_key = v.search_key
            FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[])
                AS v(id, name, name_en, name_kana, search_key)
            WHERE m.id = v.id
            """,
            [ids, names, names_en, readings, keys],
        )

    # --- the timings --------------------------------------------------------------------------

    def _run(self, *, country: str, as_of: dt.date, runs: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM registry_municipality), (SELECT count(*) FROM registry_twinningagreement), "
                "(SELECT count(*) FROM registry_activitylog)"
            )
            sizes = cursor.fetchone()
        self.stdout.write(
            f"World: {sizes[0]:,} municipalities, {sizes[1]:,} agreements, {sizes[2]:,} activities; "
            f"country {country}, as of {as_of}, {runs} runs each"
        )
        sql = HandWrittenSQL(country=country, as_of=as_of)
        cases: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
            ("coverage", lambda: audits.coverage(country=country, as_of=as_of), sql.coverage),
            (
                "in-name-only",
                lambda: _in_name_only_page(country=country, as_of=as_of),
                sql.in_name_only,
            ),
            (
                "gaps authorities",
                lambda: _page(audits.gaps_authorities(country=country, as_of=as_of)),
                sql.gaps_authorities,
            ),
            (
                "gaps foreign",
                lambda: _page(audits.gaps_foreign(country=country, as_of=as_of)),
                sql.gaps_foreign,
            ),
            (
                "gaps foreign US",
                lambda: _page(audits.gaps_foreign(country=country, as_of=as_of, partner_country="US")),
                lambda: sql.gaps_foreign(partner_country="US"),
            ),
            (
                "partner countries",
                lambda: audits.partner_countries(country=country, as_of=as_of),
                sql.partner_countries,
            ),
            ("growth", lambda: audits.growth(country=country, as_of=as_of), sql.growth),
            (
                "coverage (past date)",
                lambda: audits.coverage(country=country, as_of=years_before(as_of, 10)),
                lambda: HandWrittenSQL(country=country, as_of=years_before(as_of, 10)).coverage(),
            ),
            *(
                (
                    f"search {text}",
                    lambda text=text: _page(Municipality.objects.search(text, home=country)),
                    lambda text=text: sql.search(text),
                )
                for text in SEARCHES
            ),
        ]
        header = f"{'report':<22} {'p50 ms':>8} {'p95 ms':>8} {'SQL p50':>8} {'SQL p95':>8} {'ratio':>6}  target"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for name, service, hand in cases:
            service_times = _time(service, runs)
            sql_times = _time(hand, runs)
            p50, p95 = _percentiles(service_times)
            s50, s95 = _percentiles(sql_times)
            ratio = p95 / s95 if s95 else float("inf")
            ok = "ok" if p95 < 150 and ratio <= 2 else "MISSED"
            self.stdout.write(f"{name:<22} {p50:8.1f} {p95:8.1f} {s50:8.1f} {s95:8.1f} {ratio:6.2f}  {ok}")


def _running_totals(values: Any) -> list[int]:
    totals, running = [], 0
    for value in values:
        running += value
        totals.append(running)
    return totals


def _in_name_only_page(*, country: str, as_of: dt.date) -> tuple[dict[str, Any], list[Any]]:
    """What /api/reports/in-name-only/ runs: the summary (its count and demo figures), then the first page."""
    from api.reports import KeysFirstPaginator  # the API's paginator for reports

    summary = audits.in_name_only_summary(country=country, as_of=as_of)
    paginator = KeysFirstPaginator(audits.in_name_only(country=country, as_of=as_of), PAGE, count=summary["count"])
    return summary, list(paginator.page(1))


def _page(queryset: Any) -> tuple[int, list[Any]]:
    """What a paginated endpoint runs (its paginator): the count, then the first page."""
    from api.reports import KeysFirstPaginator  # the API's paginator for reports

    paginator = KeysFirstPaginator(queryset, PAGE)
    return paginator.count, list(paginator.page(1))


def _time(function: Callable[[], Any], runs: int) -> list[float]:
    function()  # warm-up: plans, caches
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _percentiles(times: list[float]) -> tuple[float, float]:
    if len(times) == 1:
        return times[0], times[0]
    cuts = statistics.quantiles(times, n=20, method="inclusive")
    return statistics.median(times), cuts[18]


class HandWrittenSQL:
    """The same questions as registry.services.audits, asked in plain SQL (the yardstick).

    Written as a competent engineer would by hand with the same schema, so that the ratio is
    honest: the agreements' own side countries (`country_a` / `country_b`, over their indexes)
    instead of joins to the municipalities, one branch per side instead of `a OR b` joins, EXISTS
    / NOT EXISTS where only existence matters (gaps foreign probes agreement_b_country_a /
    agreement_a_country_b in population order), and the fast path from the row itself (current
    status, `last_activity_on`) with the history and the activity log read only for rows that
    changed after `as_of`.
    """

    def __init__(self, *, country: str, as_of: dt.date, years: int = 3, grace_years: int = 1) -> None:
        self.params = {
            "country": country,
            "as_of": as_of,
            "window_start": years_before(as_of, years),
            "grace_start": years_before(as_of, grace_years),
            "tiers": list(JAPAN_TIERS),
        }

    # Status on as_of: the current one unless it changed later; then the history.
    ACTIVE_ON = """
        (t.signed_on IS NULL OR t.signed_on <= %(as_of)s)
        AND CASE WHEN t.status_changed_on IS NULL OR t.status_changed_on <= %(as_of)s THEN t.status = 'active'
            ELSE (SELECT h.to_status FROM registry_agreementstatuschange h
                  WHERE h.agreement_id = t.id AND (h.changed_on IS NULL OR h.changed_on <= %(as_of)s)
                  ORDER BY h.changed_on DESC NULLS LAST, h.id DESC LIMIT 1) = 'active' END
    """
    # One side of the country, the other not.
    FOREIGN_PAIR = """
        (t.country_a = %(country)s OR t.country_b = %(country)s)
        AND NOT (t.country_a = %(country)s AND t.country_b = %(country)s)
    """
    LAST_AS_OF = """
        CASE WHEN t.last_activity_on IS NULL OR t.last_activity_on <= %(as_of)s THEN t.last_activity_on
            ELSE (SELECT max(l.occurred_on) FROM registry_activitylog l
                  WHERE l.agreement_id = t.id AND l.occurred_on <= %(as_of)s) END
    """
    # The same without demo activity (the reports' demo figures compare the two).
    LAST_REAL_AS_OF = """
        CASE WHEN t.last_real_activity_on IS NULL OR t.last_real_activity_on <= %(as_of)s THEN t.last_real_activity_on
            ELSE (SELECT max(l.occurred_on) FROM registry_activitylog l
                  WHERE l.agreement_id = t.id AND l.occurred_on <= %(as_of)s AND NOT l.is_demo) END
    """
    # Vitality of `last` (the LATERAL LAST_AS_OF) and `t`; `last_real` for LAST_REAL_AS_OF.
    LIVE = """
        (last.on_date >= %(window_start)s OR (last.on_date IS NULL AND t.signed_on > %(grace_start)s))
    """
    SILENT = """
        (last.on_date < %(window_start)s
         OR (last.on_date IS NULL AND (t.signed_on IS NULL OR t.signed_on <= %(grace_start)s)))
    """
    LIVE_REAL = LIVE.replace("last.", "last_real.")
    SILENT_REAL = SILENT.replace("last.", "last_real.")
    LATERALS = f"""
        CROSS JOIN LATERAL (SELECT {LAST_AS_OF} AS on_date) AS last
        CROSS JOIN LATERAL (SELECT {LAST_REAL_AS_OF} AS on_date) AS last_real
    """

    def _fetch(self, sql: str, **extra: Any) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, {**self.params, **extra})
            return cursor.fetchall()

    def _side(self, home: str, partner: str, columns: str, *, last: bool = False) -> str:
        """Agreements active on as_of whose `home` side ("a" or "b") is of the country and `partner` is not."""
        lateral = self.LATERALS if last else ""
        return f"""
            SELECT {columns} FROM registry_twinningagreement t {lateral}
            WHERE t.country_{home} = %(country)s AND t.country_{partner} <> %(country)s AND {self.ACTIVE_ON}
        """

    def coverage(self) -> list[tuple]:
        live = f"{self.LIVE} AS live, {self.LIVE_REAL} AS live_real"
        return self._fetch(
            f"""
            WITH sides AS (
                {self._side("a", "b", f"t.municipality_a_id AS m, {live}", last=True)}
                UNION ALL
                {self._side("b", "a", f"t.municipality_b_id AS m, {live}", last=True)}
            ), per AS (
                SELECT m, count(*) AS n, bool_or(live) AS live, bool_or(live_real) AS live_real FROM sides GROUP BY m
            )
            SELECT m.tier, count(*), count(per.m), COALESCE(sum(per.n), 0),
                count(*) FILTER (WHERE per.n BETWEEN 4 AND 8), count(*) FILTER (WHERE per.live),
                count(*) FILTER (WHERE per.live <> per.live_real),
                count(*) FILTER (WHERE per.live OR per.live_real)
            FROM registry_municipality m LEFT JOIN per ON per.m = m.id
            WHERE m.country = %(country)s AND (m.abolished_on IS NULL OR m.abolished_on > %(as_of)s)
                AND m.tier = ANY(%(tiers)s)
            GROUP BY m.tier
            """
        )

    def in_name_only(self) -> tuple[list, list]:
        base = f"""
            FROM registry_twinningagreement t
            CROSS JOIN LATERAL (SELECT {self.LAST_AS_OF} AS on_date) AS last
            WHERE {self.FOREIGN_PAIR} AND {self.ACTIVE_ON} AND {self.SILENT}
        """
        # The count with the demo figures (as audits.in_name_only_summary): in name only with demo
        # rows, without them, and either way.
        count = self._fetch(
            f"""
            SELECT count(*) FILTER (WHERE {self.SILENT}), count(*) FILTER (WHERE {self.SILENT_REAL}), count(*)
            FROM registry_twinningagreement t {self.LATERALS}
            WHERE {self.FOREIGN_PAIR} AND {self.ACTIVE_ON} AND ({self.SILENT} OR {self.SILENT_REAL})
            """
        )
        page = self._fetch(
            f"""
            SELECT page.*, ma.*, mb.* FROM (
                SELECT t.*, last.on_date,
                    CASE WHEN last.on_date IS NOT NULL THEN 'dormant' ELSE 'never' END AS vitality {base}
                ORDER BY last.on_date ASC NULLS FIRST, t.signed_on ASC NULLS FIRST, t.id LIMIT {PAGE}
            ) AS page
            JOIN registry_municipality ma ON ma.id = page.municipality_a_id
            JOIN registry_municipality mb ON mb.id = page.municipality_b_id
            ORDER BY page.on_date ASC NULLS FIRST, page.signed_on ASC NULLS FIRST, page.id
            """
        )
        return count, page

    def _counted_exists(self, side: str) -> str:
        return f"""
            EXISTS (SELECT 1 FROM registry_twinningagreement t
                    WHERE t.{side} = m.id AND t.country_a <> t.country_b AND {self.ACTIVE_ON})
        """

    def gaps_authorities(self) -> tuple[list, list]:
        base = f"""
            FROM registry_municipality m LEFT JOIN registry_municipality p ON p.id = m.parent_id
            WHERE m.country = %(country)s AND (m.abolished_on IS NULL OR m.abolished_on > %(as_of)s)
                AND m.tier = ANY(%(tiers)s)
                AND NOT {self._counted_exists("municipality_a_id")}
                AND NOT {self._counted_exists("municipality_b_id")}
        """
        count = self._fetch("SELECT count(*) " + base)
        page = self._fetch(
            "SELECT m.*, p.* "
            + base
            + f" ORDER BY array_position(%(tiers)s, m.tier::text), m.lg_code, m.name, m.id LIMIT {PAGE}"
        )
        return count, page

    def gaps_foreign(self, partner_country: str | None = None) -> tuple[list, list]:
        partner = "AND m.country = %(partner)s" if partner_country else ""

        def linked(side: str, home: str, other: str) -> str:
            pair = f"AND t.country_{other} = %(partner)s" if partner_country else ""
            return f"""
                EXISTS (SELECT 1 FROM registry_twinningagreement t
                        WHERE t.{side} = m.id AND t.country_{home} = %(country)s {pair} AND {self.ACTIVE_ON})
            """

        base = f"""
            FROM registry_municipality m
            WHERE m.country <> %(country)s {partner} AND (m.abolished_on IS NULL OR m.abolished_on > %(as_of)s)
                AND NOT {linked("municipality_b_id", "a", "b")} AND NOT {linked("municipality_a_id", "b", "a")}
        """
        count = self._fetch("SELECT count(*) " + base, partner=partner_country)
        page = self._fetch(
            "SELECT m.* " + base + f" ORDER BY m.population DESC NULLS LAST, m.name, m.id LIMIT {PAGE}",
            partner=partner_country,
        )
        return count, page

    def partner_countries(self) -> list[tuple]:
        return self._fetch(
            f"""
            SELECT partner_country, count(*), count(DISTINCT home), count(DISTINCT partner) FROM (
                {self._side("a", "b", "t.country_b AS partner_country, t.municipality_a_id AS home, t.municipality_b_id AS partner")}
                UNION ALL
                {self._side("b", "a", "t.country_a, t.municipality_b_id, t.municipality_a_id")}
            ) AS pairs
            GROUP BY partner_country ORDER BY 2 DESC, 1
            """
        )

    def search(self, text: str) -> tuple[list, list]:
        """Municipality.objects.search by hand: the folded text (and its core in its tiers) in
        search_key, then whole name, name without its tier word, start, anywhere; home country,
        tier, population, name, id."""
        terms = search_terms(text)
        params = {
            "contains": f"%|{terms.full}%" if len(terms.full) < 3 else f"%{terms.full}%",
            "exact": f"%|{terms.full}|%",
            "prefix": f"%|{terms.full}%",
            "core": f"%|{terms.core}|%",
            "hinted": sorted(terms.tiers or ()),
            "order": [*JAPAN_TIERS, *FOREIGN_TIERS],
        }
        core = "m.search_key LIKE %(core)s AND m.tier = ANY(%(hinted)s)" if terms.tiers else "false"
        base = f"FROM registry_municipality m WHERE m.search_key LIKE %(contains)s OR ({core})"
        count = self._fetch("SELECT count(*) " + base, **params)
        page = self._fetch(
            f"""
            SELECT m.* {base}
            ORDER BY CASE WHEN m.search_key LIKE %(exact)s THEN 0 WHEN {core} THEN 1
                          WHEN m.search_key LIKE %(prefix)s THEN 2 ELSE 3 END,
                m.country <> %(country)s, array_position(%(order)s, m.tier::text),
                m.population DESC NULLS LAST, m.name, m.id
            LIMIT {PAGE}
            """,
            **params,
        )
        return count, page

    def growth(self) -> list[tuple]:
        return self._fetch(
            f"""
            SELECT extract(year FROM t.signed_on) AS year, count(*)
            FROM registry_twinningagreement t
            WHERE {self.FOREIGN_PAIR} AND (t.signed_on IS NULL OR t.signed_on <= %(as_of)s)
            GROUP BY 1 ORDER BY 1
            """
        )
