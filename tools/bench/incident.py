"""The service incident measure of the benchmark (README, Benchmark).

``incident`` runs in a process of its own, on a copy of the template
(``relationship_health`` installed, no demo data): it builds
:data:`ACCOUNTS` accounts of :data:`CONTACTS` contacts each, every contact
with an e-mail address (on one account in three, two contacts are flagged
for service notices, one of them reading Portuguese; one account in five is
a key account of one of :data:`SALESPEOPLE` salespeople), then an incident
manager declares an incident affecting all of them: ``action_declare()``
and its commit, that is every notice recorded and queued in the mail queue,
each account's restoration commitment, its chatter line, and the calls of
the key accounts' salespeople. Then a second incident, for the first
:data:`NOTICE_BATCH` accounts only (one batch of notices): the queries the
other batches add.
"""

import time
from contextlib import contextmanager

ACCOUNTS = 2000
CONTACTS = 3
SALESPEOPLE = 10
INCIDENT = "relationship.service.incident"
#: Target of the issue: every notice queued within this time.
TARGET_SECONDS = 30.0
#: The parts of the declaration timed on their own.
PHASES = {
    INCIDENT: ("_sync_commitments", "_give_calls"),
    "relationship.service.incident.update": ("_send_notices",),
}


def _book(env):
    """The affected accounts and the incident manager who declares."""
    from odoo import Command

    Partner = env["res.partner"].with_context(
        tracking_disable=True, mail_create_nolog=True
    )
    salespeople = [
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": f"Incident Rep {index}",
                "login": f"incident.rep{index}@example.com",
                "email": f"incident.rep{index}@example.com",
                "groups_id": [
                    Command.link(env.ref("sales_team.group_sale_salesman").id)
                ],
            }
        )
        for index in range(SALESPEOPLE)
    ]
    manager = (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": "Incident Manager",
                "login": "incident.manager@example.com",
                "email": "incident.manager@example.com",
                "groups_id": [
                    Command.link(
                        env.ref("relationship_health.group_incident_manager").id
                    )
                ],
            }
        )
    )
    key_tier = env.ref("relationship_health.visit_tier_strategic")
    env["res.lang"]._activate_lang("pt_BR")
    accounts = Partner.create(
        [
            {
                "name": f"Incident Account {index}",
                "is_company": True,
                "user_id": salespeople[index % SALESPEOPLE].id,
                "visit_tier_id": key_tier.id if index % 5 == 0 else False,
            }
            for index in range(ACCOUNTS)
        ]
    )
    Partner.create(
        [
            {
                "name": f"Contact {rank} of account {index}",
                "parent_id": account.id,
                "email": f"contact{rank}.account{index}@example.com",
                "incident_notices": index % 3 == 0 and rank < 2,
                "lang": "pt_BR" if rank == 1 else "en_US",
            }
            for index, account in enumerate(accounts)
            for rank in range(CONTACTS)
        ]
    )
    return accounts, manager


def timed_methods(env, table, phases):
    """Time the methods of ``table`` (``{model: method names}``), same
    behaviour: ``phases[name]`` gets their seconds, queries and calls."""
    from tools.bench.__main__ import _query_count

    def timed(name, func):
        def wrapper(*args, **kwargs):
            started, queries = time.perf_counter(), _query_count()
            try:
                return func(*args, **kwargs)
            finally:
                phase = phases.setdefault(
                    name, {"seconds": 0.0, "queries": 0, "calls": 0}
                )
                phase["seconds"] += time.perf_counter() - started
                phase["queries"] += _query_count() - queries
                phase["calls"] += 1

        return wrapper

    for model, names in table.items():
        cls = type(env[model])
        for name in names:
            setattr(cls, name, timed(name.lstrip("_"), getattr(cls, name)))


def _declare(env, manager, accounts, title):
    """Declare an incident of ``accounts`` as ``manager``, committed: the
    incident, its wall time and its queries."""
    from odoo import fields

    from tools.bench.__main__ import _query_count

    declared = (
        env[INCIDENT]
        .with_user(manager)
        .create(
            {
                "name": title,
                "description": "Our hosted e-mail service is unavailable.",
                "date_start": fields.Datetime.now(),
                "partner_ids": [(6, 0, accounts.ids)],
            }
        )
    )
    env.cr.commit()
    env.invalidate_all()
    queries = _query_count()
    started = time.perf_counter()
    declared.action_declare()
    env.cr.commit()
    return declared, time.perf_counter() - started, _query_count() - queries


def _outcome(cr, declared):
    """What the declaration left: notices, e-mails, commitments, calls."""
    cr.execute(
        """
        SELECT count(*), count(DISTINCT n.mail_id), count(DISTINCT n.account_id),
               count(*) FILTER (WHERE m.state = 'outgoing')
          FROM relationship_service_incident_notice n
          LEFT JOIN mail_mail m ON m.id = n.mail_id
         WHERE n.incident_id = %s
        """,
        [declared.id],
    )
    outcome = dict(zip(("notices", "mails", "told", "outgoing"), cr.fetchone()))
    cr.execute(
        "SELECT count(*) FROM relationship_sla_event WHERE res_model = %s AND res_id = %s",
        [INCIDENT, declared.id],
    )
    outcome["commitments"] = cr.fetchone()[0]
    cr.execute(
        "SELECT count(*) FROM mail_activity WHERE res_model = 'res.partner'"
        " AND summary LIKE %s",
        [f"%about {declared.name}"],
    )
    outcome["calls"] = cr.fetchone()[0]
    return outcome


@contextmanager
def built(args, extra, build, table):
    """A cursor on the worker's database where ``build(env)`` made its book,
    committed, and the methods of ``table`` are timed (:func:`timed_methods`):
    yields ``(env, book, seconds to build it, phases)``."""
    from tools.bench.__main__ import _odoo_env

    _odoo, registry, api, uid = _odoo_env(args, extra)
    phases = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, uid, {})
        started = time.perf_counter()
        book = build(env)
        cr.commit()
        seconds = time.perf_counter() - started
        timed_methods(env, table, phases)
        yield env, book, seconds, phases


def worker_incident(args, extra):
    with built(args, extra, _book, PHASES) as (env, book, seconds_built, phases):
        from odoo.addons.relationship_health.models.relationship_service_incident import (
            NOTICE_BATCH,
        )

        cr = env.cr
        accounts, manager = book
        declared, seconds, queries = _declare(
            env, manager, accounts, "Mail service down"
        )
        result = {
            "accounts": len(accounts),
            "contacts": env["res.partner"].search_count(
                [("parent_id", "in", accounts.ids)]
            ),
            "built": seconds_built,
            "seconds": seconds,
            "queries": queries,
            "phases": {name: dict(phase) for name, phase in phases.items()},
            "batch_size": NOTICE_BATCH,
            "batches": -(-len(accounts) // NOTICE_BATCH),
            **_outcome(cr, declared),
        }
        _declared, batch_seconds, batch_queries = _declare(
            env, manager, accounts[:NOTICE_BATCH], "Mail service down again"
        )
    result["one_batch"] = {"seconds": batch_seconds, "queries": batch_queries}
    return result


def measure(run_worker, pg, template, dbname):
    """Declare the incident on a copy of ``template``; print and return it."""
    pg.copy(template, dbname)
    result = run_worker("incident", dbname)
    print(f"    {summary(result)}", flush=True)
    return result


def summary(r):
    return (
        f"declaring an incident for {r['accounts']:,} accounts ({r['contacts']:,} "
        f"contacts): {r['seconds']:.2f} s, {r['queries']:,} queries in "
        f"{r['batches']} batches of {r['batch_size']} accounts (one batch alone: "
        f"{r['one_batch']['queries']} queries, {r['one_batch']['seconds']:.2f} s); "
        f"{r['notices']:,} notices to {r['told']:,} accounts in {r['mails']:,} e-mails "
        f"queued ({r['outgoing']:,} notices outgoing), {r['commitments']:,} commitments, "
        f"{r['calls']} calls; "
        + ", ".join(
            f"{name} {p['seconds']:.2f} s / {p['queries']} q"
            for name, p in r["phases"].items()
        )
        + f" (book built in {r['built']:.0f} s)"
    )


def verdict(r):
    """``(label, ok, value)`` of the incident target."""
    return (
        f"declaring an incident for {r['accounts']:,} accounts and {r['contacts']:,} "
        f"contacts queues every notice under {TARGET_SECONDS:.0f} s",
        r["seconds"] <= TARGET_SECONDS and r["notices"] == r["outgoing"],
        f"{r['seconds']:.1f} s, {r['queries']:,} queries, {r['mails']:,} e-mails queued",
    )


HEADING = "## Service incident"


def section(heading, command, where, verdict_of, summary_of):
    """The markdown section of a measure run once, for tools/bench/last_run.md:
    ``where`` it ran, its ``(label, ok, value)`` verdict and its summary."""
    label, ok, value = verdict_of
    return [
        heading,
        "",
        f"`{command}` on {time.strftime('%Y-%m-%d')}, {where}.",
        "",
        f"- {label}: {value} ({'met' if ok else 'MISSED'}).",
        f"- {summary_of}.",
        "",
    ]


def report_lines(r, command):
    """The markdown section of the measure, for tools/bench/last_run.md."""
    return section(
        HEADING,
        command,
        "on a copy of the template (no other book): `action_declare()` and its commit",
        verdict(r),
        summary(r),
    )


def write_section(path, lines):
    """Replace the section ``lines`` (a heading first) in ``path`` (or add it
    at the end), leaving the figures of the other parts as they are."""
    text = path.read_text() if path.exists() else "# Benchmark: last run\n"
    before, found, after = text.partition(lines[0])
    rest = ""
    if found:
        following = after.find("\n## ")
        rest = after[following + 1 :] if following >= 0 else ""
    path.write_text(
        before.rstrip("\n") + "\n\n" + "\n".join(lines) + ("\n" + rest if rest else "")
    )


WORKERS = {"incident": worker_incident}
