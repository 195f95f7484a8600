"""Server time of the screens, as the web client asks them (README, Benchmark).

Each screen is opened the way the web client opens it: its window action, the
views ``get_views`` gives the user (fields read = the fields of the processed
arch, x2many sub-views included), the domain of the action and of its default
filters, then the requests the client sends for that view type — the same
methods, arguments and context. Every request runs in a fresh transaction, as
the server runs one per RPC, as a sales manager (not the superuser: the
record rules count). A screen's time is the sum of its requests' server
times (JSON encoding and the network excluded); one warm-up, then the median
of five.

    python3 -m tools.bench.screens --addons-path=PATHS --db DB [odoo options]

measures the screens on a database already filled (``--keep`` of
``python3 -m tools.bench``); ``python3 -m tools.bench --screens`` measures them
at the largest size of its run.
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date

from dateutil.relativedelta import relativedelta

MODULE = "relationship_health"
RUNS = 6  # a warm-up, then five measured
MANAGER_LOGIN = "bench.manager@example.com"
DEFAULT_COUNT_LIMIT = 10000  # the web client's
LIST_LIMIT = 80
KANBAN_LIMIT = 40
X2MANY_LIMIT = 40
MAX_OPEN_GROUPS = 10
HISTORY_MONTHS = 12
# Vacuumed before the screens, as autovacuum does after the night rewrote them.
VACUUMED = (
    "res_partner",
    "relationship_health_snapshot",
    "relationship_retention_case",
)

# screen -> (label, target in ms)
SCREENS = {
    "partner_form": ("Partner form with its Relationship Health tab", 150),
    "accounts_list_by_band": ("Accounts list grouped by band", 300),
    "accounts_kanban": ("Accounts kanban (grouped by band)", 300),
    "sla_pivot": ("Service-Level Adherence pivot, month × service level", 500),
    "band_history": ("Health History band distribution, 12 months", 500),
    "quadrant_pivot": ("Loyalty × Profitability pivot", 300),
    "retention_cases": ("Retention Cases list", 200),
    "weekly_digest": ("Weekly digest", 30000),
}


# ----------------------------------------------------------------------------
# What the web client asks
# ----------------------------------------------------------------------------
def _field_nodes(node):
    """The ``<field>`` nodes of an arch, not those of x2many sub-views."""
    for child in node:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "field":
            yield child
        else:
            yield from _field_nodes(child)


def specification(env, model, arch):
    """The fields specification the web client builds from a processed arch:
    a many2one with its display name, an x2many with the fields of its
    sub-view (the one its ``mode`` names, else the list) and its first page."""
    fields = env[model].fields_get(attributes=["type", "relation"])
    spec = {}
    for node in _field_nodes(arch):
        name = node.get("name")
        field = fields.get(name)
        if not field:
            continue
        if field["type"] == "many2one":
            spec[name] = {"fields": {"display_name": {}}}
        elif field["type"] in ("one2many", "many2many"):
            mode = (node.get("mode") or "list").split(",")[0]
            sub = next((c for c in node if c.tag == mode), None)
            if sub is None:
                spec[name] = {"fields": {"display_name": {}}}
            else:
                spec[name] = {
                    "fields": specification(env, field["relation"], sub),
                    "limit": int(sub.get("limit") or X2MANY_LIMIT),
                }
        else:
            spec.setdefault(name, {})
    return spec


def aggregates(fields, spec, groupby):
    """``field:aggregator`` of the view's fields that aggregate, as the client
    sends them to ``web_read_group``."""
    return [
        f"{name}:{fields[name]['aggregator']}"
        for name in spec
        if fields.get(name, {}).get("aggregator") and name != groupby
    ]


class Action:
    """A window action as the web client opens it for the user of ``env``."""

    def __init__(self, env, xmlid):
        from lxml import etree

        from odoo.tools.safe_eval import safe_eval

        action = env.ref(xmlid).sudo()
        self.model = action.res_model
        today = date.today()
        self.eval_context = {
            "uid": env.uid,
            "context_today": lambda: today,
            "relativedelta": relativedelta,
        }
        self.context = safe_eval(action.context or "{}", self.eval_context)
        views = [(v.view_id.id, v.view_mode) for v in action.view_ids]
        modes = {mode for _id, mode in views}
        for mode in action.view_mode.split(","):
            if mode not in modes:
                views.append((False, mode))
        views.append((action.search_view_id.id, "search"))
        result = env[self.model].get_views(views)
        self.arch = {
            mode: etree.fromstring(view["arch"])
            for mode, view in result["views"].items()
        }
        self.fields = env[self.model].fields_get(
            attributes=["type", "relation", "aggregator"]
        )
        # the action's domain and those of the filters selected by default
        domain = safe_eval(action.domain or "[]", self.eval_context)
        for key, value in self.context.items():
            if key.startswith("search_default_") and value:
                name = key[len("search_default_") :]
                node = self.arch["search"].find(f".//filter[@name='{name}']")
                if node is not None and node.get("domain"):
                    domain += safe_eval(node.get("domain"), self.eval_context)
        self.domain = domain
        self.specs = {
            mode: specification(env, self.model, arch)
            for mode, arch in self.arch.items()
            if mode != "search"
        }

    def spec(self, mode):
        return self.specs[mode]

    def order(self, mode):
        return self.arch[mode].get("default_order") or None


# ----------------------------------------------------------------------------
# Requests, each in its own transaction
# ----------------------------------------------------------------------------
class Client:
    """Calls a model's method as an RPC does: a fresh transaction, the
    user's context; records the server time and queries of each call."""

    def __init__(self, registry, uid, context):
        self.registry = registry
        self.uid = uid
        self.context = context
        self.requests = []

    def call(self, model, method, *args, ids=(), context=None, **kwargs):
        import odoo.sql_db
        from odoo import api

        with self.registry.cursor() as cr:
            env = api.Environment(cr, self.uid, {**self.context, **(context or {})})
            records = env[model].browse(ids)
            queries = odoo.sql_db.sql_counter
            started = time.perf_counter()
            result = getattr(records, method)(*args, **kwargs)
            seconds = time.perf_counter() - started
            queries = odoo.sql_db.sql_counter - queries
            cr.rollback()  # the screens only read; the digest's mails are not kept
        self.requests.append((f"{model} {method}", seconds, queries))
        return result


def _read_group_prefixes(rows, cols):
    """The groupbys of a pivot's first load: every prefix of the rows with
    every prefix of the columns."""
    return [
        rows[:i] + cols[:j] for i in range(len(rows) + 1) for j in range(len(cols) + 1)
    ]


def _group_order(action, spec, order, groupby):
    """The client keeps of the view's order only the group field and the
    aggregated fields."""
    kept = []
    for part in order.split(","):
        name = part.strip().split(" ")[0]
        if name == groupby or (
            name in spec and action.fields.get(name, {}).get("aggregator")
        ):
            kept.append(part.strip())
    return ", ".join(kept)


def read_groups(client, action, mode, groupby):
    """The groups of a grouped list or kanban view (``web_read_group``)."""
    spec = action.spec(mode)
    return client.call(
        action.model,
        "web_read_group",
        action.domain,
        aggregates(action.fields, spec, groupby),
        [groupby],
        limit=LIST_LIMIT,
        offset=0,
        orderby=_group_order(action, spec, action.order(mode) or "", groupby),
        lazy=True,
        context=action.context,
    )


def open_kanban(client, action):
    """The groups, the first records of each open column, the progress bars."""
    arch = action.arch["kanban"]
    groupby = arch.get("default_group_by")
    result = read_groups(client, action, "kanban", groupby)
    opened = [g for g in result["groups"] if g[f"{groupby}_count"]][:MAX_OPEN_GROUPS]
    for group in opened:
        client.call(
            action.model,
            "web_search_read",
            domain=group["__domain"],
            specification=action.spec("kanban"),
            offset=0,
            limit=int(arch.get("limit") or KANBAN_LIMIT),
            order=action.order("kanban"),
            count_limit=DEFAULT_COUNT_LIMIT + 1,
            context={
                **action.context,
                f"default_{groupby}": group[groupby],
                "bin_size": True,
            },
        )
    bar = arch.find("progressbar")
    if bar is not None:
        client.call(
            action.model,
            "read_progress_bar",
            domain=action.domain,
            group_by=groupby,
            progress_bar={
                "colors": json.loads(bar.get("colors")),
                "field": bar.get("field"),
                "help": bar.get("help") or "",
            },
            context=action.context,
        )


def open_list(client, action):
    client.call(
        action.model,
        "web_search_read",
        domain=action.domain,
        specification=action.spec("list"),
        offset=0,
        limit=LIST_LIMIT,
        order=action.order("list"),
        count_limit=DEFAULT_COUNT_LIMIT + 1,
        context={**action.context, "bin_size": True},
    )


def open_pivot(client, action, extra_domain=()):
    arch = action.arch["pivot"]
    rows, cols, measures = [], [], []
    for node in arch.iter("field"):
        name = node.get("name")
        spec = name + (f":{node.get('interval')}" if node.get("interval") else "")
        if node.get("type") == "row":
            rows.append(spec)
        elif node.get("type") == "col":
            cols.append(spec)
        elif node.get("type") == "measure":
            measures.append(f"{name}:{action.fields[name]['aggregator']}")
    measures.append("__count")
    for groupby in _read_group_prefixes(rows, cols):
        client.call(
            action.model,
            "read_group",
            action.domain + list(extra_domain),
            measures,
            groupby,
            lazy=False,
            context=action.context,
        )


def open_graph(client, action, extra_domain=()):
    arch = action.arch["graph"]
    groupby = [
        node.get("name") + (f":{node.get('interval')}" if node.get("interval") else "")
        for node in arch.iter("field")
        if node.get("type") != "measure"
    ]
    measures = [
        f"{n.get('name')}:{action.fields[n.get('name')]['aggregator']}"
        for n in arch.iter("field")
        if n.get("type") == "measure"
    ] or ["__count"]
    client.call(
        action.model,
        "web_read_group",
        action.domain + list(extra_domain),
        measures,
        groupby,
        lazy=False,
        context={"fill_temporal": True, **action.context},
    )


# ----------------------------------------------------------------------------
# The measurement
# ----------------------------------------------------------------------------
def _manager(env):
    """A sales manager of the main company (created once per database)."""
    from odoo import Command

    user = env["res.users"].search([("login", "=", MANAGER_LOGIN)])
    if not user:
        user = (
            env["res.users"]
            .with_context(no_reset_password=True, tracking_disable=True)
            .create(
                {
                    "name": "Sales Manager",
                    "login": MANAGER_LOGIN,
                    "email": MANAGER_LOGIN,
                    "groups_id": [
                        Command.set([env.ref("sales_team.group_sale_manager").id])
                    ],
                }
            )
        )
    return user


def _busiest_account(env):
    """The account whose form reads the most: the most service commitments,
    then visits planned, then orders."""
    env.cr.execute("""
        SELECT p.id FROM res_partner p
          JOIN relationship_sla_event e ON e.partner_id = p.id
         WHERE p.health_band IS NOT NULL AND p.visit_interval_days > 0
      GROUP BY p.id ORDER BY count(*) DESC, p.id LIMIT 1
    """)
    row = env.cr.fetchone()
    if not row:
        env.cr.execute(
            "SELECT id FROM res_partner WHERE health_band IS NOT NULL ORDER BY id LIMIT 1"
        )
        row = env.cr.fetchone()
    return row[0]


def measure(registry, only=None):
    """Measure every screen; return {screen: figures}."""
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        manager = _manager(env)
        record_id = _busiest_account(env)
        cr.commit()
        context = {
            "lang": "en_US",
            "tz": manager.tz or "Europe/Brussels",
            "uid": manager.id,
            "allowed_company_ids": [manager.company_id.id],
        }
        menv = api.Environment(cr, manager.id, context)
        accounts = Action(menv, f"{MODULE}.res_partner_action_relationship_health")
        form_spec = dict(accounts.spec("form"), display_name={})
        sla = Action(menv, f"{MODULE}.relationship_sla_report_action")
        bands = Action(menv, f"{MODULE}.relationship_health_snapshot_action_bands")
        quadrant = Action(menv, f"{MODULE}.res_partner_action_quadrant")
        cases = Action(menv, f"{MODULE}.relationship_retention_case_action")
        since = date.today() - relativedelta(months=HISTORY_MONTHS)
        history_domain = [("snapshot_date", ">=", since.isoformat())]
        cr.rollback()

    screens = {
        "partner_form": lambda c: c.call(
            "res.partner",
            "web_read",
            form_spec,
            ids=[record_id],
            context={**accounts.context, "bin_size": True},
        ),
        "accounts_list_by_band": lambda c: read_groups(
            c, accounts, "list", "health_band"
        ),
        "accounts_kanban": lambda c: open_kanban(c, accounts),
        "sla_pivot": lambda c: open_pivot(c, sla),
        "band_history": lambda c: open_graph(c, bands, history_domain),
        "quadrant_pivot": lambda c: open_pivot(c, quadrant),
        "retention_cases": lambda c: open_list(c, cases),
        "weekly_digest": lambda c: c.call(
            "relationship.health.digest", "_cron_weekly_digest"
        ),
    }
    results = {}
    load = os.getloadavg()[0]
    for key, open_screen in screens.items():
        if only and key not in only:
            continue
        uid = SUPERUSER_ID if key == "weekly_digest" else manager.id
        runs = []
        for _run in range(RUNS):
            client = Client(registry, uid, context)
            open_screen(client)
            runs.append(client.requests)
        measured = runs[1:]
        totals = [sum(seconds for _l, seconds, _q in r) * 1000 for r in measured]
        label, target = SCREENS[key]
        results[key] = {
            "label": label,
            "target_ms": target,
            "ms": statistics.median(totals),
            "all_ms": [round(sum(s for _l, s, _q in r) * 1000, 1) for r in runs],
            "requests": [
                [
                    label_,
                    round(statistics.median(r[i][1] for r in measured) * 1000, 1),
                    queries,
                ]
                for i, (label_, _s, queries) in enumerate(runs[-1])
            ],
            "queries": sum(q for _l, _s, q in runs[-1]),
        }
    results["_context"] = {
        "user": MANAGER_LOGIN,
        "form_record": record_id,
        "form_fields": len(form_spec),
        "history_since": since.isoformat(),
        "load_before": round(load, 1),
        "load_after": round(os.getloadavg()[0], 1),
    }
    return results


def _measured(results):
    """The screens measured, in the order of the list."""
    return [results[key] for key in SCREENS if key in results]


def describe(results):
    """Lines of text for the console."""
    lines = []
    for r in _measured(results):
        verdict = "met" if r["ms"] <= r["target_ms"] else "MISSED"
        lines.append(
            f"    {r['label']}: {r['ms']:.0f} ms (target {r['target_ms']:,} ms, {verdict}; "
            f"{len(r['requests'])} request(s), {r['queries']} queries)"
        )
    return lines


def verdicts(results, accounts):
    """(label, ok, value) rows for the targets table."""
    rows = []
    for r in _measured(results):
        target = r["target_ms"]
        target_text = f"{target / 1000:.0f} s" if target >= 1000 else f"{target} ms"
        value = f"{r['ms'] / 1000:.1f} s" if target >= 1000 else f"{r['ms']:.0f} ms"
        rows.append(
            (
                f"{r['label']} under {target_text} at {accounts:,}",
                r["ms"] <= target,
                f"{value} ({len(r['requests'])} request(s), {r['queries']} queries)",
            )
        )
    return rows


def details(results):
    """One line of markdown per screen: the requests and the runs."""
    c = results["_context"]
    lines = [
        f"  - as `{c['user']}` (Sales: Administrator); the form of account "
        f"{c['form_record']} (the most service commitments; {c['form_fields']} fields "
        f"read); history since {c['history_since']}; load average "
        f"{c['load_before']} before, {c['load_after']} after."
    ]
    for r in _measured(results):
        requests = "; ".join(
            f"{label} {ms} ms / {q} q" for label, ms, q in r["requests"]
        )
        lines.append(
            f"  - {r['label']}: runs {r['all_ms']} ms (first a warm-up); {requests}."
        )
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python3 -m tools.bench.screens", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--only", help="comma-separated screens: " + ", ".join(SCREENS))
    parser.add_argument("--json", help="also write the figures to this file")
    args, extra = parser.parse_known_args(argv)
    import odoo

    odoo.tools.config.parse_config(
        [f"--addons-path={args.addons_path}", "--log-level=warn", *extra]
    )
    registry = odoo.modules.registry.Registry(args.db)
    results = measure(registry, set(args.only.split(",")) if args.only else None)
    print("\n".join(describe(results)))
    for line in details(results):
        print(line)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, default=str, indent=1)


if __name__ == "__main__":
    sys.exit(main())
