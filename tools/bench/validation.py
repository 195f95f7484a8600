"""The score validation measure of the benchmark (README, Benchmark).

``validation`` runs in processes of its own, on a copy of the template
filled with the benchmark book (``tools.bench.generate``, at the largest
size of ``--sizes``, with its past snapshots): the job of
``relationship.health.validation._cron_run_validation()`` as the scheduler
runs it (commits per batch): a run of the company, every account backtested
at the 24 monthly dates, the snapshots of the day preferred, the points
inserted, then the figures. Seconds, queries, points written and the peak
memory of the process; the batches, the backtest of the core and the figures
timed on their own.
"""

import time

VALIDATION = "relationship.health.validation"
FIGURE = "relationship.health.validation.figure"
LINE = "relationship.health.validation.line"
#: Target of the issue: the backtest of the book over 24 dates within this time.
TARGET_SECONDS = 300.0
#: The parts of the job timed on their own.
PHASES = {
    VALIDATION: ("_validate_batch", "_finish"),
    LINE: ("_insert",),
    FIGURE: ("_build",),
}
HEADING = "## Score validation"


def worker_validation(args, extra):
    from tools.bench.__main__ import PeakMemory, _odoo_env, _query_count
    from tools.bench.incident import timed_methods

    _odoo, registry, api, uid = _odoo_env(args, extra)
    phases = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, uid, {})
        from odoo.addons.relationship_health.models import (
            relationship_health_validation as module,
        )

        timed_methods(env, PHASES, phases)
        # The core's backtest, called by each batch.
        core = module.backtest_points

        def backtest_points(*a, **kw):
            started = time.perf_counter()
            try:
                return core(*a, **kw)
            finally:
                phase = phases.setdefault(
                    "backtest_points", {"seconds": 0.0, "queries": 0, "calls": 0}
                )
                phase["seconds"] += time.perf_counter() - started
                phase["calls"] += 1

        module.backtest_points = backtest_points
        figures_memory = {}
        _figures_sampled(env, figures_memory)
        batch_size = env["relationship.health.engine"]._batch_size()
        cr.commit()
        queries = _query_count()
        with PeakMemory() as memory:
            started = time.perf_counter()
            env[VALIDATION]._cron_run_validation()
            cr.commit()
            seconds = time.perf_counter() - started
        queries = _query_count() - queries
        run = env[VALIDATION].search([], order="id desc", limit=1)
        cr.execute(
            "SELECT count(*), count(*) FILTER (WHERE source = 'snapshot'),"
            " count(DISTINCT partner_id) FROM relationship_health_validation_line"
        )
        lines, snapshots, accounts = cr.fetchone()
        company = run.figure_ids.filtered(lambda f: f.kind == "company")
        result = {
            "accounts": run.account_count,
            "with_points": accounts,
            "dates": run.date_count,
            "lines": lines,
            "snapshots": snapshots,
            "skipped": run.accounts_skipped,
            "state": run.state,
            "figures": len(run.figure_ids),
            "auc": company.auc if company.has_auc else None,
            "lift": company.lift if company.has_lift else None,
            "seconds": seconds,
            "queries": queries,
            "batch_size": batch_size,
            "memory": memory.as_dict(),
            "phases": {name: dict(phase) for name, phase in phases.items()},
            "figures_memory": figures_memory,
        }
    return result


def _figures_sampled(env, memory):
    """Sample the RSS every 10 ms while the figures are built (the job's
    high-water mark stays the job's): ``memory`` gets the RSS before the
    figures and the highest seen during them, in MB."""
    import threading

    from tools.bench.__main__ import MB, _proc_status

    cls = type(env[FIGURE])
    build = cls._build

    def sampled(*args, **kwargs):
        before = peak = _proc_status()["VmRSS"]
        stop = threading.Event()

        def sample():
            nonlocal peak
            while not stop.wait(0.01):
                peak = max(peak, _proc_status()["VmRSS"])

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            return build(*args, **kwargs)
        finally:
            stop.set()
            thread.join()
            peak = max(peak, _proc_status()["VmRSS"])
            memory.update(before_mb=before / MB, peak_mb=peak / MB)

    cls._build = sampled


def measure(run_worker, pg, template, dbname, size):
    """Fill a copy of ``template`` with the book of ``size`` accounts, run the
    score validation on it; print and return the figures."""
    pg.copy(template, dbname)
    started = time.perf_counter()
    book = run_worker("generate", dbname, size)
    pg.vacuum(dbname)
    built = time.perf_counter() - started
    result = run_worker("validation", dbname, size)
    result["book"] = {"partners": book["partners"], "seconds": built}
    print(f"    {summary(result)}", flush=True)
    return result


def summary(r):
    memory = r["memory"]
    return (
        f"the score validation of {r['accounts']:,} accounts over {r['dates']} monthly "
        f"dates ({r['with_points']:,} with points: an order by a date): "
        f"{r['seconds']:.1f} s, {r['queries']:,} queries in batches of "
        f"{r['batch_size']:,} accounts; {r['lines']:,} points written "
        f"({r['snapshots']:,} from snapshots), {r['skipped']} accounts skipped, "
        f"{r['figures']} figures (run {r['state']}); RSS {memory['rss_before_mb']:.0f} MB "
        f"before, peak {memory['peak_mb']:.0f} MB (+{memory['delta_mb']:.0f} MB); "
        + ", ".join(
            f"{name.lstrip('_')} {p['seconds']:.1f} s / {p['calls']} calls"
            for name, p in r["phases"].items()
        )
        + " (finish: the figures, build included)"
        + (
            f"; the figures: RSS {figures['before_mb']:.0f} MB before, peak "
            f"{figures['peak_mb']:.0f} MB (sampled every 10 ms)"
            if (figures := r.get("figures_memory"))
            else ""
        )
        + f" (book of {r['book']['partners']:,} partners generated in "
        f"{r['book']['seconds']:.0f} s)"
    )


def verdict(r):
    """``(label, ok, value)`` of the validation target."""
    return (
        f"the score validation (backtest) of {r['accounts']:,} accounts over "
        f"{r['dates']} dates under {TARGET_SECONDS:.0f} s",
        r["seconds"] <= TARGET_SECONDS and r["state"] == "done",
        f"{r['seconds']:.1f} s, {r['lines']:,} points, peak RSS "
        f"{r['memory']['peak_mb']:.0f} MB",
    )


def report_lines(r, command):
    """The markdown section of the measure, for tools/bench/last_run.md."""
    from tools.bench.incident import section

    return section(
        HEADING,
        command,
        "on a copy of the template filled with the book: "
        "`_cron_run_validation()` and its commits",
        verdict(r),
        summary(r),
    )


WORKERS = {"validation": worker_validation}
