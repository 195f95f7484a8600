"""Benchmark of the nightly job at scale (README, Benchmark).

    python3 -m tools.bench --addons-path=PATHS [--sizes 1000,10000,100000]
                           [--seed 7] [--repeat 1] [--naive-size 1000] [--phases]
                           [--no-screens]
                           [--parts nightly,incident,campaign,crosssell,validation]
                           [--keep] [--reuse-template] [--output FILE] [odoo options]

For each size: a throwaway database (a copy of a template where
``relationship_health`` is installed without demo data) is filled by
``tools.bench.generate``, vacuumed and analysed; then each measurement runs
in a fresh Python process (so that the peak memory of one does not hide in
another's):

1. the nightly job, ``relationship.health.engine._run_nightly()`` — batches,
   commits between batches as in production (the testing flag is not set):
   once on the fresh book ("first night"), then ``--repeat`` times as on the
   following nights (today's snapshots removed before each run);
2. the at-risk list's first page (``web_search_read`` as the web client asks);
   at the largest size: the screens (the partner form, the Accounts views,
   the reports, the Retention Cases list, the weekly digest) as the web client
   opens them, as a sales manager (``tools.bench.screens``; ``--no-screens``
   to skip);
3. the raw-SQL floor (``tools.bench.floor``), ``--repeat`` times;
4. at ``--naive-size`` only: the naive per-partner ORM reference
   (``tools.bench.naive``), whose results are also compared with the job's.

Then, once, on a copy of the template: declaring a service incident for
2,000 accounts and 6,000 contacts (``tools.bench.incident``); on another
copy filled with the book of the largest size, the day's invitations of a
survey campaign over every account, a quarter of them due
(``tools.bench.campaign``); on a third, the score validation of that book,
every account at 24 monthly dates (``tools.bench.validation``). ``--parts``
chooses what runs: ``nightly`` (the measures per size above), ``incident``,
``campaign``, ``crosssell`` and ``validation``; without ``nightly``, only their
sections of the output file are rewritten.

The table is printed and written to ``tools/bench/last_run.md`` (``--output``). Any other
option (``--db_host=…``, ``--db_user=…``) is passed to Odoo; without them the
libpq environment (PGHOST, PGUSER, PGPASSWORD…) is used.
"""

import argparse
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tools.bench import campaign, crosssell, freshness, incident, screens, validation

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MODULE = "relationship_health"
MB = 1024 * 1024

# Targets of the issue (2 cores, 24 GiB).
TARGET_SECONDS_100K = 30.0
TARGET_FLOOR_RATIO = 2.0
TARGET_PEAK_MB = 1536
TARGET_GROWTH = 12.0
TARGET_NAIVE_SPEEDUP = 20.0
TARGET_AT_RISK_MS = 300.0
TARGET_FIRST_NIGHT = 60.0
AT_RISK_DOMAIN = [
    ("health_band", "!=", False),
    ("health_band", "in", ("at_risk", "critical")),
]
AT_RISK_ORDER = "health_score asc, id"
#: What ``--parts`` chooses from.
PARTS = ("nightly", "incident", "campaign", "crosssell", "validation")
#: The parts measured once, after the sizes: their modules.
ONCE = {
    "incident": incident,
    "campaign": campaign,
    "crosssell": crosssell,
    "validation": validation,
}


# ----------------------------------------------------------------------------
# Memory of this process
# ----------------------------------------------------------------------------
def _proc_status():
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _sep, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) * 1024
    return values


class PeakMemory:
    """Peak resident memory of this process while the block runs.

    Resets the kernel's high-water mark (``/proc/self/clear_refs`` ← 5) and
    reads ``VmHWM`` after the block; where that is not allowed, samples the
    RSS every 10 ms in a thread. ``before`` is the RSS when the block starts,
    ``peak`` the highest RSS during it, ``delta`` the difference.
    """

    def __enter__(self):
        gc.collect()
        self.method = "VmHWM"
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")
        except OSError:
            self.method = "sampled"
        status = _proc_status()
        self.before = status["VmRSS"]
        if self.method == "VmHWM" and status["VmHWM"] > self.before * 1.05 + MB:
            self.method = "sampled"  # the reset did not take
        self._peak = self.before
        self._stop = threading.Event()
        if self.method == "sampled":
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.01):
            self._peak = max(self._peak, _proc_status()["VmRSS"])

    def __exit__(self, *exc):
        self._stop.set()
        status = _proc_status()
        if self.method == "sampled":
            self._thread.join()
            self.peak = max(self._peak, status["VmRSS"])
        else:
            self.peak = status["VmHWM"]
        self.delta = self.peak - self.before
        return False

    def as_dict(self):
        return {
            "rss_before_mb": self.before / MB,
            "peak_mb": self.peak / MB,
            "delta_mb": self.delta / MB,
            "method": self.method,
        }


# ----------------------------------------------------------------------------
# Workers: each runs in its own process, inside Odoo
# ----------------------------------------------------------------------------
def _odoo_env(args, extra):
    import odoo
    from odoo import SUPERUSER_ID, api

    odoo.tools.config.parse_config(
        [
            f"--addons-path={args.addons_path}",
            "--log-level=warn",
            "--max-cron-threads=0",
            *extra,
        ]
    )
    registry = odoo.modules.registry.Registry(args.db)
    return odoo, registry, api, SUPERUSER_ID


def _query_count():
    import odoo.sql_db

    return odoo.sql_db.sql_counter


def worker_generate(args, extra):
    from tools.bench.generate import generate

    _odoo, registry, api, uid = _odoo_env(args, extra)
    with registry.cursor() as cr:
        env = api.Environment(cr, uid, {})
        return generate(env, args.size, args.seed)


ENGINE_PHASES = ("_account_ids", "_profit_thresholds", "_after_batch")
MODULE_PHASES = (
    "compute_health",
    "compute_value",
    "write_partners",
    "upsert_snapshots",
)
# The signal readers the engine calls through models/health_readers.py (the
# accounts and the money are timed by the engine's own _read_* methods).
READER_PHASES = (
    "read_orders",
    "read_answers",
    "read_visits",
    "read_sla_events",
    "read_servqual",
)
# The visit reminders and the retention automation run in _after_batch.
OTHER_PHASES = (("res.partner", "_health_expire_overrides"),)


def _phase_timers(env, phases):
    """Time the job's phases: wrappers around the engine's readers
    (``_read_*``), the scoring functions and the writers (same behaviour);
    whatever is left is reported as ``other``."""
    from odoo.addons.relationship_health.models import health_readers, health_writers
    from odoo.addons.relationship_health.models import (
        relationship_health_engine as module,
    )

    def timed(label, func):
        def wrapper(*a, **kw):
            started = time.perf_counter()
            try:
                return func(*a, **kw)
            finally:
                phases[label] = phases.get(label, 0.0) + time.perf_counter() - started

        return wrapper

    cls = type(env["relationship.health.engine"])
    names = [n for n in dir(cls) if n.startswith("_read_") and n != "_read_inputs"]
    names += list(ENGINE_PHASES)
    for name in names:
        if callable(getattr(cls, name, None)):
            setattr(cls, name, timed(name.lstrip("_"), getattr(cls, name)))
    for name in MODULE_PHASES:
        if callable(getattr(module, name, None)):
            setattr(module, name, timed(name, getattr(module, name)))
    for name in READER_PHASES:
        setattr(health_readers, name, timed(name, getattr(health_readers, name)))
    health_writers.details_json = timed("details", health_writers.details_json)
    for model, name in OTHER_PHASES:
        if model in env and callable(getattr(type(env[model]), name, None)):
            model_cls = type(env[model])
            setattr(
                model_cls,
                name,
                timed(f"{model} {name.lstrip('_')}", getattr(model_cls, name)),
            )


def worker_engine(args, extra):
    _odoo, registry, api, uid = _odoo_env(args, extra)
    phases = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, uid, {})
        engine = env["relationship.health.engine"]
        batch_size = engine._batch_size()
        if args.phases:
            _phase_timers(env, phases)
        cr.commit()
        queries = _query_count()
        with PeakMemory() as memory:
            started = time.perf_counter()
            done = engine._run_nightly()
            seconds = time.perf_counter() - started
        queries = _query_count() - queries
        cr.commit()
        if phases:
            phases["other"] = max(seconds - sum(phases.values()), 0.0)
        cr.execute("DROP TABLE IF EXISTS bench_engine_scores")
        cr.execute("""
            CREATE TABLE bench_engine_scores AS
            SELECT id, health_score, health_band, health_trend, health_confidence,
                   health_satisfaction, health_sla, health_visits, health_recency, health_nps,
                   health_order_interval
              FROM res_partner WHERE health_computed_at IS NOT NULL
        """)
        cr.execute(
            "SELECT health_band, count(*) FROM res_partner WHERE health_band IS NOT NULL"
            " GROUP BY 1 ORDER BY 1"
        )
        bands = dict(cr.fetchall())
    return {
        "accounts": done,
        "seconds": seconds,
        "queries": queries,
        "batch_size": batch_size,
        "batches": math.ceil(done / batch_size) if done else 0,
        "memory": memory.as_dict(),
        "phases": phases,
        "bands": bands,
    }


def _measured(cr, run):
    """Commit, then time ``run()`` and its commit: wall time, queries and peak
    memory; ``run`` returns the number of accounts done."""
    cr.commit()
    queries = _query_count()
    with PeakMemory() as memory:
        started = time.perf_counter()
        done = run()
        cr.commit()
        seconds = time.perf_counter() - started
    return {
        "accounts": done,
        "seconds": seconds,
        "queries": _query_count() - queries,
        "memory": memory.as_dict(),
    }


def worker_floor(args, extra):
    from tools.bench.floor import run_floor

    _odoo, registry, api, uid = _odoo_env(args, extra)
    with registry.cursor() as cr:
        env = api.Environment(cr, uid, {})
        env["res.partner"].browse()  # registry warm
        return _measured(cr, lambda: run_floor(env))


def worker_naive(args, extra):
    from tools.bench.naive import run_naive

    _odoo, registry, api, uid = _odoo_env(args, extra)
    with registry.cursor() as cr:
        env = api.Environment(cr, uid, {"tracking_disable": True})
        result = _measured(cr, lambda: run_naive(env))
        # the same score? (the ORM stores 0.0 for an empty float: compare bands,
        # and scores where the band is known)
        cr.execute("""
            SELECT count(*),
                   count(*) FILTER (WHERE e.health_band IS DISTINCT FROM p.health_band),
                   count(*) FILTER (WHERE e.health_band <> 'unknown'
                                      AND abs(e.health_score - p.health_score) > 0.051),
                   count(*) FILTER (WHERE e.health_recency IS NOT NULL
                                      AND abs(e.health_recency - p.health_recency) > 0.051),
                   count(*) FILTER (WHERE e.health_satisfaction IS NOT NULL
                                      AND abs(e.health_satisfaction - p.health_satisfaction) > 0.051),
                   count(*) FILTER (WHERE e.health_visits IS NOT NULL
                                      AND abs(e.health_visits - p.health_visits) > 0.051),
                   count(*) FILTER (WHERE e.health_sla IS NOT NULL
                                      AND abs(e.health_sla - p.health_sla) > 0.051),
                   count(*) FILTER (WHERE e.health_nps IS NOT NULL
                                      AND abs(e.health_nps - p.health_nps) > 0.051)
              FROM bench_engine_scores e JOIN res_partner p ON p.id = e.id
        """)
        row = cr.fetchone()
        comparison = dict(
            zip(
                (
                    "compared",
                    "band",
                    "score",
                    "recency",
                    "satisfaction",
                    "visits",
                    "sla",
                    "nps",
                ),
                row,
            )
        )
        cr.execute("""
            SELECT e.id, e.health_score, p.health_score, e.health_recency, p.health_recency,
                   e.health_satisfaction, p.health_satisfaction, e.health_visits, p.health_visits,
                   e.health_sla, p.health_sla
              FROM bench_engine_scores e JOIN res_partner p ON p.id = e.id
             WHERE e.health_band IS DISTINCT FROM p.health_band
                OR (e.health_band <> 'unknown' AND abs(e.health_score - p.health_score) > 0.051)
             ORDER BY e.id LIMIT 5
        """)
        comparison["examples"] = [
            [None if v is None else round(float(v), 2) for v in r]
            for r in cr.fetchall()
        ]
    result["comparison"] = comparison
    return result


def _list_specification(env):
    """The fields the list view asks for, as the web client builds them."""
    from lxml import etree

    view = env.ref(f"{MODULE}.res_partner_view_list_health")
    arch = etree.fromstring(view.arch)
    fields = env["res.partner"]._fields
    spec = {}
    for node in arch.iter("field"):
        name = node.get("name")
        if name not in fields:
            continue
        if fields[name].type == "many2one":
            spec[name] = {"fields": {"display_name": {}}}
        else:
            spec[name] = {}
    return spec


def worker_at_risk(args, extra):
    _odoo, registry, api, uid = _odoo_env(args, extra)
    with registry.cursor() as cr:
        env = api.Environment(cr, uid, {})
        admin = env.ref("base.user_admin")
        context = {
            "lang": "en_US",
            "tz": admin.tz or "Europe/Brussels",
            "uid": admin.id,
            "allowed_company_ids": [admin.company_id.id],
            "bin_size": True,
        }
        spec = _list_specification(env)
        admin_id = admin.id
    timings, queries, result = [], [], None
    for _run in range(6):  # a warm-up, then five measured requests
        with (
            registry.cursor() as cr
        ):  # a fresh transaction per request, as in the server
            env = api.Environment(cr, admin_id, context)
            count = _query_count()
            started = time.perf_counter()
            result = env["res.partner"].web_search_read(
                domain=AT_RISK_DOMAIN,
                specification=spec,
                offset=0,
                limit=80,
                order=AT_RISK_ORDER,
                count_limit=10001,
            )
            timings.append(time.perf_counter() - started)
            queries.append(_query_count() - count)
    return {
        "ms": statistics.median(timings[1:]) * 1000,
        "all_ms": [round(t * 1000, 1) for t in timings],
        "queries": queries[-1],
        "records": len(result["records"]),
        "length": result["length"],
        "fields": sorted(spec),
    }


def worker_screens(args, extra):
    _odoo, registry, _api, _uid = _odoo_env(args, extra)
    return screens.measure(registry)


WORKERS = {
    "generate": worker_generate,
    "engine": worker_engine,
    "floor": worker_floor,
    "naive": worker_naive,
    "at_risk": worker_at_risk,
    "screens": worker_screens,
    **freshness.WORKERS,
    **incident.WORKERS,
    **campaign.WORKERS,
    **crosssell.WORKERS,
    **validation.WORKERS,
}


# ----------------------------------------------------------------------------
# The orchestrator (no Odoo registry in this process)
# ----------------------------------------------------------------------------
def _connect_kwargs(extra):
    """psycopg2 parameters from the Odoo options given, else the libpq environment."""
    kwargs = {}
    for option in extra:
        for name in ("db_host", "db_port", "db_user", "db_password"):
            if option.startswith(f"--{name}="):
                kwargs[name[3:]] = option.split("=", 1)[1]
    return kwargs


class Postgres:
    def __init__(self, extra):
        import psycopg2

        self.psycopg2 = psycopg2
        self.kwargs = _connect_kwargs(extra)

    def execute(self, dbname, *statements, fetch=False):
        conn = self.psycopg2.connect(dbname=dbname, **self.kwargs)
        conn.autocommit = True
        try:
            with conn.cursor() as cr:
                result = None
                for statement, params in statements:
                    cr.execute(statement, params)
                    if fetch:
                        result = cr.fetchall()
                return result
        finally:
            conn.close()

    def exists(self, dbname):
        return bool(
            self.execute(
                "postgres",
                ("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)),
                fetch=True,
            )
        )

    def drop(self, dbname):
        from psycopg2 import sql

        self.execute(
            "postgres",
            (
                sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(dbname)),
                None,
            ),
        )

    def copy(self, template, dbname):
        from psycopg2 import sql

        self.drop(dbname)
        self.execute(
            "postgres",
            (
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(dbname), sql.Identifier(template)
                ),
                None,
            ),
        )

    def vacuum(self, dbname, tables=()):
        from psycopg2 import sql

        if tables:
            statements = [
                (sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(t)), None)
                for t in tables
            ]
        else:
            statements = [("VACUUM (ANALYZE)", None)]
        self.execute(dbname, *statements)

    def next_night(self, dbname):
        """As if a day had passed since the last run: no snapshot of today and
        no run in progress; the partners keep the scores of the last run and
        everything the job created (follow-ups…) stays, as in production."""
        self.execute(
            dbname,
            (
                "DELETE FROM relationship_health_snapshot WHERE snapshot_date > CURRENT_DATE - 20",
                None,
            ),
            (
                "DELETE FROM ir_config_parameter WHERE key = 'relationship_health.run_started_at'",
                None,
            ),
        )
        self.vacuum(dbname, ("res_partner", "relationship_health_snapshot"))

    def version(self):
        return self.execute("postgres", ("SHOW server_version", None), fetch=True)[0][0]


def _run_worker(args, extra, worker, dbname, size=0):
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        command = [
            sys.executable,
            "-m",
            "tools.bench",
            f"--addons-path={args.addons_path}",
            "--worker",
            worker,
            "--db",
            dbname,
            "--out",
            out.name,
            "--size",
            str(size),
            "--seed",
            str(args.seed),
            *extra,
        ]
        if args.phases:
            command.append("--phases")
        subprocess.run(command, cwd=ROOT, check=True)
        return json.load(out)


def _repeated(args, extra, pg, worker, dbname, size):
    """Run a measurement ``--repeat`` times (scores reset in between); keep the
    run of median wall time, the highest peak memory, every time and the load."""
    runs = []
    for _attempt in range(args.repeat):
        pg.next_night(dbname)
        load = os.getloadavg()[0]
        result = _run_worker(args, extra, worker, dbname, size)
        result["load_before"] = load
        runs.append(result)
    chosen = dict(sorted(runs, key=lambda r: r["seconds"])[(len(runs) - 1) // 2])
    chosen["all_seconds"] = [round(r["seconds"], 2) for r in runs]
    chosen["load_before"] = [round(r["load_before"], 1) for r in runs]
    chosen["memory"] = dict(
        max((r["memory"] for r in runs), key=lambda m: m["peak_mb"])
    )
    return chosen


def _build_template(args, extra, pg, template):
    say(f"Installing {MODULE} without demo data into {template}")
    pg.drop(template)
    log = Path(tempfile.gettempdir()) / f"{template}-install.log"
    started = time.perf_counter()
    with open(log, "w") as out:
        status = subprocess.run(
            [
                sys.executable,
                "-m",
                "odoo",
                f"--addons-path={args.addons_path}",
                *extra,
                "-d",
                template,
                "-i",
                MODULE,
                "--without-demo=all",
                "--stop-after-init",
                "--no-http",
                "--max-cron-threads=0",
                "--log-level=warn",
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        ).returncode
    state = (
        pg.execute(
            template,
            ("SELECT state FROM ir_module_module WHERE name = %s", (MODULE,)),
            fetch=True,
        )
        if status == 0
        else None
    )
    if status or not state or state[0][0] != "installed":
        sys.stderr.write(log.read_text()[-4000:])
        raise SystemExit(f"installing {MODULE} failed (log: {log})")
    say(f"Installed in {time.perf_counter() - started:.0f} s")


def say(message):
    print(f"\n==> {message}", flush=True)


def _machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = 0
    try:
        with open("/proc/meminfo") as info:
            memory = int(info.readline().split()[1]) * 1024
    except OSError:
        pass
    import pandas

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory / 1024**3),
        "python": platform.python_version(),
        "pandas": pandas.__version__,
        "os": platform.platform(terse=True),
    }


def _print_phases(result):
    if result["phases"]:
        print(
            "    phases: "
            + ", ".join(f"{k} {v:.2f} s" for k, v in result["phases"].items())
        )


def measure_size(args, extra, pg, template, size):
    dbname = f"{args.db_prefix}_{size}"
    row = {"size": size, "db": dbname}
    say(f"{size:,} accounts: database {dbname}")
    pg.copy(template, dbname)
    started = time.perf_counter()
    row["data"] = _run_worker(args, extra, "generate", dbname, size)
    pg.vacuum(dbname)
    row["data"]["load_seconds"] = time.perf_counter() - started
    data = row["data"]
    print(
        f"    generated in {data['load_seconds']:.0f} s (with VACUUM ANALYZE): "
        f"{data['partners']:,} partners, {data['orders']:,} confirmed orders, "
        f"{data['survey_answers']:,} answer lines, {data['visits']:,} visit events, "
        f"{data['sla_events']:,} SLA events, {data['snapshots']:,} past snapshots "
        f"(fingerprint {data['fingerprint'][:12]})",
        flush=True,
    )
    # The first night after the install: every account is new to the job
    # (follow-ups and the like are created for the whole book).
    load = os.getloadavg()[0]
    row["first_night"] = first = _run_worker(args, extra, "engine", dbname, size)
    first["load_before"] = load
    print(
        f"    first night: {first['seconds']:.2f} s, {first['queries']} queries, "
        f"peak RSS {first['memory']['peak_mb']:.0f} MB",
        flush=True,
    )
    _print_phases(first)
    # The following nights: the table's figures.
    row["engine"] = engine = _repeated(args, extra, pg, "engine", dbname, size)
    print(
        f"    nightly job: {engine['seconds']:.2f} s (runs {engine['all_seconds']}), "
        f"{engine['queries']} queries, "
        f"{engine['batches']} batches, peak RSS {engine['memory']['peak_mb']:.0f} MB "
        f"(+{engine['memory']['delta_mb']:.0f} MB)",
        flush=True,
    )
    _print_phases(engine)
    row["at_risk"] = _run_worker(args, extra, "at_risk", dbname, size)
    print(
        f"    at-risk first page: {row['at_risk']['ms']:.0f} ms "
        f"(length {row['at_risk']['length']:,}, counted up to 10,001)",
        flush=True,
    )
    if args.screens and size == args.largest:
        # The screens are read in the day, after autovacuum has gone through
        # the rows the night rewrote (their pages all-visible again).
        pg.vacuum(dbname, screens.VACUUMED)
        row["screens"] = _run_worker(args, extra, "screens", dbname, size)
        print("\n".join(screens.describe(row["screens"])), flush=True)
    row["freshness"] = freshness.measure(
        lambda worker, db, n: _run_worker(args, extra, worker, db, n), pg, dbname, size
    )
    row["floor"] = _repeated(args, extra, pg, "floor", dbname, size)
    print(
        f"    raw-SQL floor: {row['floor']['seconds']:.2f} s (runs {row['floor']['all_seconds']})",
        flush=True,
    )
    if size == args.naive_size:
        pg.next_night(dbname)
        row["naive"] = naive = _run_worker(args, extra, "naive", dbname, size)
        print(
            f"    naive ORM reference: {naive['seconds']:.1f} s, {naive['queries']:,} queries; "
            f"differences with the job: {naive['comparison']}",
            flush=True,
        )
    if not args.keep:
        pg.drop(dbname)
    return row


def _fmt_seconds(seconds):
    return f"{seconds:.1f}" if seconds >= 10 else f"{seconds:.2f}"


def report(rows, machine, args, pg_version, once=None):
    naive_row = next((r for r in rows if "naive" in r), None)
    naive_per_account = (
        naive_row["naive"]["seconds"] / naive_row["naive"]["accounts"]
        if naive_row and naive_row["naive"]["accounts"]
        else None
    )
    header = [
        "accounts",
        "orders",
        "batches",
        "job wall (s)",
        "SQL queries",
        "peak RSS (MB)",
        "Δ RSS (MB)",
        "floor (s)",
        "job ÷ floor",
        "naive ORM (s)",
        "naive ÷ job",
        "at-risk page (ms)",
        "first night (s)",
        "first-night queries",
    ]
    table = []
    for r in rows:
        engine = r["engine"]
        if "naive" in r:
            naive_s, naive_note = r["naive"]["seconds"], ""
        elif naive_per_account:
            naive_s, naive_note = naive_per_account * engine["accounts"], "~"
        else:
            naive_s, naive_note = None, ""
        table.append(
            [
                f"{engine['accounts']:,}",
                f"{r['data']['orders']:,}",
                str(engine["batches"]),
                _fmt_seconds(engine["seconds"]),
                str(engine["queries"]),
                f"{engine['memory']['peak_mb']:.0f}",
                f"{engine['memory']['delta_mb']:+.0f}",
                _fmt_seconds(r["floor"]["seconds"]),
                f"{engine['seconds'] / r['floor']['seconds']:.2f}×",
                f"{naive_note}{naive_s:,.0f}" if naive_s else "–",
                f"{naive_note}{naive_s / engine['seconds']:,.0f}×" if naive_s else "–",
                f"{r['at_risk']['ms']:.0f}",
                _fmt_seconds(r["first_night"]["seconds"]),
                str(r["first_night"]["queries"]),
            ]
        )
    widths = [
        max(len(h), *(len(line[i]) for line in table)) for i, h in enumerate(header)
    ]
    text_lines = [
        "  ".join(h.rjust(w) for h, w in zip(header, widths)),
        "  ".join("-" * w for w in widths),
    ]
    text_lines += [
        "  ".join(c.rjust(w) for c, w in zip(line, widths)) for line in table
    ]
    md_lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" for _ in header) + "|",
    ]
    md_lines += ["| " + " | ".join(line) + " |" for line in table]

    # targets
    verdicts = []
    by_size = {r["engine"]["accounts"]: r for r in rows}
    biggest = rows[-1]
    e = biggest["engine"]
    n = e["accounts"]
    verdicts.append(
        (
            f"full job at {n:,} accounts under {TARGET_SECONDS_100K:.0f} s",
            e["seconds"] < TARGET_SECONDS_100K,
            f"{e['seconds']:.1f} s",
        )
    )
    verdicts.append(
        (
            f"at most {TARGET_FLOOR_RATIO:.0f}× the raw-SQL floor at {n:,}",
            e["seconds"] <= TARGET_FLOOR_RATIO * biggest["floor"]["seconds"],
            f"{e['seconds'] / biggest['floor']['seconds']:.2f}×",
        )
    )
    verdicts.append(
        (
            f"peak memory under {TARGET_PEAK_MB / 1024:.1f} GB at {n:,}",
            e["memory"]["peak_mb"] < TARGET_PEAK_MB,
            f"peak RSS {e['memory']['peak_mb']:.0f} MB",
        )
    )
    for small, large in zip(rows, rows[1:]):
        factor = large["engine"]["accounts"] / small["engine"]["accounts"]
        growth = large["engine"]["seconds"] / small["engine"]["seconds"]
        verdicts.append(
            (
                f"{factor:.0f}× the accounts ({small['engine']['accounts']:,} → "
                f"{large['engine']['accounts']:,}) costs at most {TARGET_GROWTH * factor / 10:.0f}× the time",
                growth <= TARGET_GROWTH * factor / 10,
                f"{growth:.1f}×",
            )
        )
        per_batch_small = small["engine"]["queries"] / max(
            small["engine"]["batches"], 1
        )
        per_batch_large = large["engine"]["queries"] / max(
            large["engine"]["batches"], 1
        )
        verdicts.append(
            (
                f"queries grow with batches, not accounts ({small['engine']['accounts']:,} → "
                f"{large['engine']['accounts']:,})",
                per_batch_large <= per_batch_small * 1.1 + 1,
                f"{small['engine']['queries']} → {large['engine']['queries']} queries for "
                f"{small['engine']['batches']} → {large['engine']['batches']} batches",
            )
        )
    if naive_per_account:
        for r in rows:
            naive_s = (
                r["naive"]["seconds"]
                if "naive" in r
                else naive_per_account * r["engine"]["accounts"]
            )
            speedup = naive_s / r["engine"]["seconds"]
            verdicts.append(
                (
                    f"at least {TARGET_NAIVE_SPEEDUP:.0f}× faster than the naive ORM reference at "
                    f"{r['engine']['accounts']:,}"
                    + ("" if "naive" in r else " (extrapolated)"),
                    speedup >= TARGET_NAIVE_SPEEDUP,
                    f"{speedup:,.0f}×",
                )
            )
    at_risk = by_size.get(100000, biggest)["at_risk"]
    verdicts.append(
        (
            f"at-risk list first page under {TARGET_AT_RISK_MS:.0f} ms at "
            f"{by_size.get(100000, biggest)['engine']['accounts']:,}",
            at_risk["ms"] < TARGET_AT_RISK_MS,
            f"{at_risk['ms']:.0f} ms",
        )
    )
    if "screens" in biggest:
        verdicts += screens.verdicts(biggest["screens"], n)
    first = biggest["first_night"]
    verdicts.append(
        (
            f"the first night after the install at {n:,} accounts (the whole book new "
            f"to the follow-up rules, retention work within each owner's daily limit) "
            f"under {TARGET_FIRST_NIGHT:.0f} s",
            first["seconds"] < TARGET_FIRST_NIGHT,
            f"{first['seconds']:.1f} s, {first['queries']:,} queries",
        )
    )
    for name, result in (once or {}).items():
        verdicts.append(ONCE[name].verdict(result))

    def mark(ok):
        return "n/a" if ok is None else ("met" if ok else "MISSED")

    machine_line = (
        f"{machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB RAM; "
        f"PostgreSQL {pg_version} on the same machine; Python {machine['python']}, "
        f"pandas {machine['pandas']}; {machine['os']}"
    )
    print("\n" + "\n".join(text_lines))
    print(f"\nMachine: {machine_line}")
    print("\nTargets:")
    for label, ok, value in verdicts:
        print(f"  [{mark(ok):>6}] {label}: {value}")

    details = []
    for r in rows:
        e = r["engine"]
        d = r["data"]
        details.append(
            f"- **{e['accounts']:,} accounts** — book: {d['partners']:,} partners, "
            f"{d['orders']:,} confirmed orders ({d['all_orders']:,} with quotations and "
            f"cancelled ones), {d['survey_answers']:,} survey answer lines, {d['visits']:,} visit "
            f"events ({d['attendees']:,} attendees), {d['sla_events']:,} SLA events, "
            f"{d['snapshots']:,} past snapshots, {d['salespeople']} salespeople; generated and "
            f"analysed in {d['load_seconds']:.0f} s (fingerprint {d['fingerprint'][:12]}). "
            f"Job: runs {e['all_seconds']} s (load average before: {e['load_before']}), "
            f"batch size {e['batch_size']}, "
            f"RSS {e['memory']['rss_before_mb']:.0f} MB before the job, peak "
            f"{e['memory']['peak_mb']:.0f} MB ({e['memory']['method']}); bands "
            + ", ".join(f"{k} {v:,}" for k, v in e["bands"].items())
            + (
                ". Phases: "
                + ", ".join(f"{k} {v:.2f} s" for k, v in e["phases"].items())
                if e["phases"]
                else ""
            )
            + (
                ". First night phases: "
                + ", ".join(
                    f"{k} {v:.2f} s" for k, v in r["first_night"]["phases"].items()
                )
                if r["first_night"]["phases"]
                else ""
            )
            + f". Floor: runs {r['floor']['all_seconds']} s, {r['floor']['queries']} queries, peak RSS "
            f"{r['floor']['memory']['peak_mb']:.0f} MB. At-risk page: {r['at_risk']['queries']} "
            f"queries, length {r['at_risk']['length']:,} (the count stops at 10,001 as the web "
            f"client asks), runs "
            f"{r['at_risk']['all_ms']} ms (first one a warm-up)."
        )
        if "screens" in r:
            details.append(
                "- **screens** as a sales manager (server time per screen, the sum of its "
                "requests; median of 5 after a warm-up):"
            )
            details += screens.details(r["screens"])
        if "naive" in r:
            c = r["naive"]["comparison"]
            details.append(
                f"- **naive ORM reference at {r['naive']['accounts']:,} accounts**: "
                f"{r['naive']['seconds']:.1f} s, {r['naive']['queries']:,} queries, peak RSS "
                f"{r['naive']['memory']['peak_mb']:.0f} MB. Compared with the job on "
                f"{c['compared']:,} accounts: band differs on {c['band']}, score on {c['score']} "
                f"(components: recency {c['recency']}, satisfaction {c['satisfaction']}, visits "
                f"{c['visits']}, SLA {c['sla']}, NPS {c['nps']})."
            )
    md = [
        "# Benchmark: last run",
        "",
        f"`{_command(args)}` on {time.strftime('%Y-%m-%d')}.",
        "",
        f"Machine: {machine_line}.",
        "",
        *md_lines,
        "",
        "Job: a nightly run of `_run_nightly()` on a book scored the night before (median of "
        f"{args.repeat} run(s)); first night: the first run after the install, when every "
        "account is new to the job. `~` extrapolated linearly from the naive reference "
        f"measured at {args.naive_size:,} accounts. Peak RSS: the highest resident memory of "
        "the process during the job (registry and pandas loaded before); Δ: the growth "
        "during the job.",
        "",
        "| target | result | |",
        "|---|---|---|",
        *[f"| {label} | {value} | {mark(ok)} |" for label, ok, value in verdicts],
        "",
        "Details:",
        "",
        *details,
        *freshness.report_lines(rows),
        "",
        *(
            line
            for name, result in (once or {}).items()
            for line in ONCE[name].report_lines(result, _command(args))
        ),
    ]
    output = Path(args.output)
    output.write_text("\n".join(md))
    print(f"\nWritten to {output}")


def _command(args):
    if "nightly" not in args.parts:
        return f"python3 -m tools.bench --parts {args.parts}"
    return (
        f"python3 -m tools.bench --sizes {args.sizes} --seed {args.seed} "
        f"--repeat {args.repeat} --parts {args.parts}"
    )


def report_once(once, args):
    """The figures of the parts measured once, alone (``--parts incident``,
    ``--parts campaign``): printed, and written in their sections of the
    output file (the other sections stay)."""
    output = Path(args.output)
    print("\nTargets:")
    for name, result in once.items():
        label, ok, value = ONCE[name].verdict(result)
        print(f"  [{'met' if ok else 'MISSED':>6}] {label}: {value}")
        incident.write_section(output, ONCE[name].report_lines(result, _command(args)))
    print(f"\nWritten to {output}")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python3 -m tools.bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--addons-path", required=True)
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="numbers of accounts, comma-separated (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=7, help="seed of the data (default: %(default)s)"
    )
    parser.add_argument(
        "--naive-size",
        type=int,
        default=1000,
        help="size at which the naive ORM reference runs (default: %(default)s)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs of the job and of the floor per size; the median is shown "
        "(default: %(default)s)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--output",
        default=str(HERE / "last_run.md"),
        help="where to write the figures (default: tools/bench/last_run.md)",
    )
    parser.add_argument(
        "--db-prefix", default="rh_bench", help="database names (default: %(default)s)"
    )
    parser.add_argument(
        "--reuse-template",
        action="store_true",
        help="reuse the template database of a previous --keep run",
    )
    parser.add_argument(
        "--phases",
        action="store_true",
        help="also time the job's phases (reads, scoring core, writes)",
    )
    parser.add_argument(
        "--no-screens",
        dest="screens",
        action="store_false",
        help="do not time the screens at the largest size (tools/bench/screens.py)",
    )
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help="what to measure, comma-separated: nightly (the job, screens and "
        "freshness at each size), incident (declaring a service incident for "
        f"{incident.ACCOUNTS:,} accounts, once), campaign (the day's survey "
        "invitations of a campaign over the book of the largest size, once), "
        "crosssell (the suggestions and playbooks of "
        f"{crosssell.ACCOUNTS:,} accounts, once), validation (the score validation "
        "of the book of the largest size, 24 monthly dates, once) "
        "(default: %(default)s)",
    )
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    args, extra = parser.parse_known_args(argv)

    if args.worker:
        result = WORKERS[args.worker](args, extra)
        with open(args.out, "w") as out:
            json.dump(result, out, default=str)
        return

    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    if not parts or set(parts) - set(PARTS):
        parser.error(f"--parts: choose among {', '.join(PARTS)}")
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    book_size = sizes[-1]  # the book of the campaign
    sizes = sizes if "nightly" in parts else []
    args.largest = sizes[-1] if sizes else 0
    pg = Postgres(extra)
    template = f"{args.db_prefix}_template"
    machine = _machine()
    rows, once = [], {}
    try:
        if not (args.reuse_template and pg.exists(template)):
            _build_template(args, extra, pg, template)
        for size in sizes:
            rows.append(measure_size(args, extra, pg, template, size))
        if "incident" in parts:
            say(f"A service incident: database {args.db_prefix}_incident")
            once["incident"] = incident.measure(
                lambda worker, db: _run_worker(args, extra, worker, db),
                pg,
                template,
                f"{args.db_prefix}_incident",
            )
        if "campaign" in parts:
            say(
                f"A survey campaign over {book_size:,} accounts: "
                f"database {args.db_prefix}_campaign"
            )
            once["campaign"] = campaign.measure(
                lambda worker, db, size: _run_worker(args, extra, worker, db, size),
                pg,
                template,
                f"{args.db_prefix}_campaign",
                book_size,
            )
        if "crosssell" in parts:
            say(
                "Cross-sell suggestions and playbooks: "
                f"database {args.db_prefix}_crosssell"
            )
            once["crosssell"] = crosssell.measure(
                lambda worker, db: _run_worker(args, extra, worker, db),
                pg,
                template,
                f"{args.db_prefix}_crosssell",
            )
        if "validation" in parts:
            say(
                f"Score validation of {book_size:,} accounts: "
                f"database {args.db_prefix}_validation"
            )
            once["validation"] = validation.measure(
                lambda worker, db, size: _run_worker(args, extra, worker, db, size),
                pg,
                template,
                f"{args.db_prefix}_validation",
                book_size,
            )
    finally:
        if not args.keep:
            for size in sizes:
                pg.drop(f"{args.db_prefix}_{size}")
            for name in ONCE:
                pg.drop(f"{args.db_prefix}_{name}")
            pg.drop(template)
    if rows:
        report(rows, machine, args, pg.version(), once)
    else:
        report_once(once, args)


if __name__ == "__main__":
    main()
