"""The cross-sell measure of the benchmark (README, Benchmark).

``crosssell`` runs in a process of its own, on a copy of the template: the
book of ``tools.bench.generate`` at :data:`ACCOUNTS` accounts, then, in
set-based SQL, :data:`PRODUCTS` products in :data:`CATEGORIES` categories,
one order line per order (about a million), each account an industry and a
quadrant (as if scored; the accounts of the nightly job), the product of a line drawn by the account's
industry (so that peers buy alike). Then, timed, committed: the suggestions'
refresh of the company (``relationship.crosssell.suggestion._refresh``) and
the playbooks' run (``relationship.playbook._run_company``): seconds,
queries, rows written and the peak memory of the process.
"""

import time
from datetime import timedelta

ACCOUNTS = 100_000
PRODUCTS = 120
CATEGORIES = 12
#: The next day, one account in MOVED changes quadrant (enters a playbook).
MOVED = 50
#: Target of the issue: the suggestions of the book within this time.
TARGET_SECONDS = 30.0
HEADING = "## Cross-sell suggestions"

LINES = """
    INSERT INTO sale_order_line (
        order_id, sequence, name, product_id, product_uom_qty, price_unit,
        price_subtotal, price_total, customer_lead, company_id, currency_id,
        order_partner_id, salesman_id, state, create_uid, write_uid,
        create_date, write_date)
    SELECT o.id, 10, 'Bench line', x.product_id, 1, o.amount_untaxed,
           o.amount_untaxed, o.amount_total, 0, o.company_id, o.currency_id,
           o.partner_id, o.user_id, o.state, 1, 1, o.create_date, o.write_date
      FROM sale_order o
      JOIN res_partner p ON p.id = o.partner_id
      JOIN res_partner a ON a.id = p.commercial_partner_id
     CROSS JOIN LATERAL (
            SELECT (%(products)s::int4[])[1 + (
                       COALESCE(a.industry_id, 0) * 7
                       + floor(power((hashint8extended(o.id, 11) & 65535) / 65536.0, 2)
                               * %(spread)s)::int) %% %(count)s] AS product_id
     ) x
"""


def _book(env):
    """Products, order lines, industries and quadrants on the generated book."""
    from odoo.tools import SQL

    from odoo.addons.relationship_health.scoring.vocabulary import QUADRANTS

    cr = env.cr
    categories = env["product.category"].create(
        [{"name": f"Bench category {index}"} for index in range(CATEGORIES)]
    )
    products = env["product.product"].create(
        [
            {
                "name": f"Bench product {index}",
                "categ_id": categories[index % CATEGORIES].id,
                "list_price": 100.0,
                "type": "consu",
            }
            for index in range(PRODUCTS)
        ]
    )
    env.flush_all()
    industries = env["res.partner.industry"].search([]).ids
    cr.execute(
        SQL(
            """
            UPDATE res_partner p
               SET industry_id = (%(industries)s::int4[])[
                       1 + mod(hashint8extended(id, 12) & 1048575, %(count)s)],
                   health_quadrant = (%(quadrants)s::varchar[])[
                       1 + mod(hashint8extended(id, 13) & 1048575, 4)]
             WHERE %(accounts)s
            """,
            industries=industries,
            count=len(industries),
            quadrants=list(QUADRANTS),
            accounts=SQL(" AND ").join(
                env["relationship.health.engine"]._account_conditions()
            ),
        )
    )
    cr.execute(
        LINES,
        {"products": products.ids, "spread": PRODUCTS // 3, "count": PRODUCTS},
    )
    cr.execute("ANALYZE res_partner, sale_order, sale_order_line")
    cr.commit()


def _timed(env, run):
    """Run ``run()`` committed: its result, seconds, queries and the peak
    resident memory of the process meanwhile."""
    from tools.bench.__main__ import PeakMemory, _query_count

    env.invalidate_all()
    queries = _query_count()
    with PeakMemory() as memory:
        started = time.perf_counter()
        result = run()
        env.cr.commit()
        seconds = time.perf_counter() - started
    return result, {
        "seconds": seconds,
        "queries": _query_count() - queries,
        **memory.as_dict(),
    }


def worker_crosssell(args, extra):
    from tools.bench.__main__ import _odoo_env
    from tools.bench.generate import generate

    _odoo, registry, api, uid = _odoo_env(args, extra)
    from odoo.addons.relationship_health.models.health_clock import health_today
    from odoo.addons.relationship_health.models.relationship_crosssell_suggestion import (
        BATCH,
    )
    from odoo.addons.relationship_health.scoring.vocabulary import QUADRANTS

    with registry.cursor() as cr:
        env = api.Environment(cr, uid, {})
        started = time.perf_counter()
        generate(env, args.size or ACCOUNTS, args.seed)
        cr.commit()
        _book(env)
        built = time.perf_counter() - started
        company = env.company
        today = health_today()
        cr.execute("SELECT count(*) FROM sale_order_line")
        lines = cr.fetchone()[0]
        accounts = len(env["relationship.crosssell.suggestion"]._read_accounts(company))
        written, refresh = _timed(
            env,
            lambda: env["relationship.crosssell.suggestion"]._refresh(company, today),
        )
        Playbook = env["relationship.playbook"]
        _baseline, first = _timed(env, lambda: Playbook._run_company(company, today))
        # The next day, one account in MOVED enters another quadrant.
        cr.execute(
            """
            UPDATE res_partner
               SET health_quadrant = (%(quadrants)s::varchar[])[
                       1 + ((hashint8extended(id, 13) & 1048575) + 1) %% 4]
             WHERE health_quadrant IS NOT NULL AND id %% %(moved)s = 0
            """,
            {"quadrants": list(QUADRANTS), "moved": MOVED},
        )
        cr.execute(
            "SELECT count(*) FROM res_partner WHERE health_quadrant IS NOT NULL"
            " AND id %% %s = 0",
            [MOVED],
        )
        moved = cr.fetchone()[0]
        planned, playbooks = _timed(
            env,
            lambda: Playbook._run_company(company, today + timedelta(days=1)),
        )
        playbooks["first"] = first
        cr.execute(
            "SELECT kind, count(*) FROM relationship_crosssell_suggestion GROUP BY 1"
        )
        kinds = dict(cr.fetchall())
    return {
        "accounts": accounts,
        "lines": lines,
        "products": PRODUCTS,
        "built": built,
        "batch_size": BATCH,
        "batches": -(-accounts // BATCH),
        "written": written,
        "kinds": kinds,
        "refresh": refresh,
        "runs": planned,
        "moved": moved,
        "playbooks": playbooks,
    }


def measure(run_worker, pg, template, dbname):
    """Build the book and time the refresh and the playbooks on a copy of
    ``template``; print and return the figures."""
    pg.copy(template, dbname)
    result = run_worker("crosssell", dbname)
    print(f"    {summary(result)}", flush=True)
    return result


def summary(r):
    refresh, playbooks = r["refresh"], r["playbooks"]
    return (
        f"suggestions for {r['accounts']:,} accounts ({r['lines']:,} order lines, "
        f"{r['products']} products): {refresh['seconds']:.2f} s, "
        f"{refresh['queries']:,} queries in {r['batches']} batches of "
        f"{r['batch_size']:,} accounts, {r['written']:,} suggestions written "
        f"({r['kinds'].get('crosssell', 0):,} cross-sell, "
        f"{r['kinds'].get('upsell', 0):,} up-sell), RSS "
        f"{refresh['rss_before_mb']:.0f} MB before, peak {refresh['peak_mb']:.0f} MB "
        f"(+{refresh['delta_mb']:.0f} MB); playbooks, first run "
        f"(every account recorded as there before): "
        f"{playbooks['first']['seconds']:.2f} s, {playbooks['first']['queries']:,} "
        f"queries; the next day, {r['moved']:,} accounts in another quadrant: "
        f"{playbooks['seconds']:.2f} s, {playbooks['queries']:,} queries, "
        f"{r['runs']:,} runs with work, RSS peak {playbooks['peak_mb']:.0f} MB "
        f"(+{playbooks['delta_mb']:.0f} MB) (book built in {r['built']:.0f} s)"
    )


def verdict(r):
    """``(label, ok, value)`` of the cross-sell target."""
    refresh = r["refresh"]
    return (
        f"the cross-sell suggestions of {r['accounts']:,} accounts and "
        f"{r['lines']:,} order lines under {TARGET_SECONDS:.0f} s",
        refresh["seconds"] <= TARGET_SECONDS,
        f"{refresh['seconds']:.1f} s, {refresh['queries']:,} queries, "
        f"{r['written']:,} suggestions",
    )


def report_lines(r, command):
    """The markdown section of the measure, for tools/bench/last_run.md."""
    label, ok, value = verdict(r)
    return [
        HEADING,
        "",
        f"`{command}` on {time.strftime('%Y-%m-%d')}, on the generated book with "
        "products, order lines, industries and quadrants added: `_refresh()` of the "
        "suggestions, then `_run_company()` of the playbooks, each with its commit.",
        "",
        f"- {label}: {value} ({'met' if ok else 'MISSED'}).",
        f"- {summary(r)}.",
        "",
    ]


WORKERS = {"crosssell": worker_crosssell}
