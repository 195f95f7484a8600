"""The survey campaign measure of the benchmark (README, Benchmark).

``campaign`` runs in processes of its own, on a copy of the template filled
with the benchmark book (``tools.bench.generate``, at the largest size of
``--sizes``): every contact of the book is made a survey recipient (one in
three reads Portuguese), a campaign asks every account every
:data:`CADENCE_DAYS` days, two contacts each, and three accounts in four
were asked by it within the cadence (invitations written with SQL, already
reminded), so that a quarter are due. Then the day's job,
``relationship.survey.campaign._cron_send_invitations(today)`` and its
commits: planning, the answers and invitations created, every invitation
e-mail queued in the mail queue, then the states, reminders and silence
flags.
"""

import time

CAMPAIGN = "relationship.survey.campaign"
INVITATION = "relationship.survey.invitation"
CADENCE_DAYS = 90
CONTACTS_PER_ACCOUNT = 2
#: Target of the issue: the day's invitations planned and queued within this time.
TARGET_SECONDS = 60.0
#: The parts of the job timed on their own.
PHASES = {
    CAMPAIGN: ("_invite_due",),
    INVITATION: ("_send", "_sync_states", "_send_reminders", "_flag_silence"),
}
HEADING = "## Survey campaign"


def _setup(env, today):
    """The campaign over the whole book, three quarters of it asked already."""
    from datetime import timedelta

    from odoo.tools import SQL

    env["res.lang"]._activate_lang("pt_BR")
    survey = env["survey.survey"].search(
        [("question_and_page_ids.health_metric", "!=", False)], limit=1
    )
    campaign = env[CAMPAIGN].create(
        {
            "name": "Quarterly NPS",
            "survey_id": survey.id,
            "account_domain": "[]",
            "cadence_days": CADENCE_DAYS,
            "contacts_per_account": CONTACTS_PER_ACCOUNT,
            "date_start": today - timedelta(days=365),
        }
    )
    accounts = list(campaign._account_ids())
    env.flush_all()
    env.cr.execute(
        SQL(
            """
            UPDATE res_partner
               SET survey_recipient = TRUE,
                   lang = CASE WHEN mod(id, 3) = 0 THEN 'pt_BR' ELSE lang END
             WHERE parent_id = ANY(%(ids)s)
            """,
            ids=accounts,
        )
    )
    env.cr.execute(
        SQL(
            """
            INSERT INTO relationship_survey_invitation
                   (campaign_id, company_id, account_id, partner_id, date_sent,
                    date_reminded, state, answered, response_rate,
                    create_uid, create_date, write_uid, write_date)
            SELECT %(campaign)s, %(company)s, a.id, a.id, d.day, d.day, 'sent', 0, 0,
                   %(uid)s, now(), %(uid)s, now()
              FROM unnest(%(ids)s::int[]) AS a(id)
             CROSS JOIN LATERAL (SELECT %(today)s::date - 1 - mod(a.id, %(within)s) AS day) d
             WHERE mod(a.id, 4) <> 0
            """,
            campaign=campaign.id,
            company=campaign.company_id.id,
            uid=env.uid,
            ids=accounts,
            today=today,
            within=CADENCE_DAYS - 1,
        )
    )
    env.invalidate_all()
    env.cr.execute("ANALYZE res_partner, relationship_survey_invitation")
    return campaign, len(accounts), sum(1 for account in accounts if account % 4 == 0)


def _outcome(cr, campaign, today):
    """What the day left: invitations, their answers, e-mails queued."""
    cr.execute("ANALYZE relationship_survey_invitation, mail_message, mail_mail")
    cr.execute(
        """
        SELECT count(DISTINCT i.id), count(DISTINCT i.account_id), count(DISTINCT m.id),
               count(DISTINCT m.id) FILTER (WHERE m.state = 'outgoing')
          FROM relationship_survey_invitation i
          LEFT JOIN mail_message msg ON msg.model = 'survey.user_input'
                                    AND msg.res_id = i.user_input_id
          LEFT JOIN mail_mail m ON m.mail_message_id = msg.id
         WHERE i.campaign_id = %s AND i.date_sent = %s
        """,
        [campaign.id, today],
    )
    return dict(zip(("invitations", "asked", "mails", "outgoing"), cr.fetchone()))


def worker_campaign(args, extra):
    from tools.bench.__main__ import _query_count
    from tools.bench.incident import built

    def build(env):
        from odoo.addons.relationship_health.models.health_clock import health_today

        today = health_today()
        return (today, *_setup(env, today))

    with built(args, extra, build, PHASES) as (env, book, seconds_built, phases):
        from odoo.addons.relationship_health.models.relationship_survey_campaign import (
            INVITATION_BATCH,
        )

        cr = env.cr
        today, campaign, accounts, due = book
        queries = _query_count()
        started = time.perf_counter()
        invited = env[CAMPAIGN]._cron_send_invitations(today)
        cr.commit()
        seconds = time.perf_counter() - started
        queries = _query_count() - queries
        print(f"    the day's job: {seconds:.2f} s, {queries:,} queries", flush=True)
        result = {
            "accounts": accounts,
            "due": due,
            "built": seconds_built,
            "seconds": seconds,
            "queries": queries,
            "invited": invited,
            "batch_size": INVITATION_BATCH,
            "batches": phases.get("send", {}).get("calls", 0),
            "phases": {name: dict(phase) for name, phase in phases.items()},
            **_outcome(cr, campaign, today),
        }
    return result


def measure(run_worker, pg, template, dbname, size):
    """Fill a copy of ``template`` with the book of ``size`` accounts, run the
    day's job on it; print and return the figures."""
    pg.copy(template, dbname)
    started = time.perf_counter()
    book = run_worker("generate", dbname, size)
    pg.vacuum(dbname)
    result = run_worker("campaign", dbname, size)
    result["book"] = {
        "partners": book["partners"],
        "seconds": time.perf_counter() - started - result["built"] - result["seconds"],
    }
    print(f"    {summary(result)}", flush=True)
    return result


def summary(r):
    return (
        f"the day's survey invitations of a campaign over {r['accounts']:,} accounts "
        f"({r['due']:,} due, {r['asked']:,} asked: the others have no e-mail "
        f"address): {r['seconds']:.2f} s, {r['queries']:,} queries "
        f"in {r['batches']} batches of at most {r['batch_size']:,} due accounts; "
        f"{r['invitations']:,} invitations, {r['mails']:,} e-mails queued "
        f"({r['outgoing']:,} outgoing); "
        + ", ".join(
            f"{name} {r['phases'][name]['seconds']:.2f} s / {r['phases'][name]['queries']} q"
            for names in PHASES.values()
            for name in (n.lstrip("_") for n in names)
            if name in r["phases"]
        )
        + f" (book of {r['book']['partners']:,} partners generated in "
        f"{r['book']['seconds']:.0f} s, campaign set up in {r['built']:.0f} s)"
    )


def verdict(r):
    """``(label, ok, value)`` of the campaign target."""
    return (
        f"planning and queuing the day's survey invitations for {r['accounts']:,} "
        f"accounts ({r['due']:,} due) under {TARGET_SECONDS:.0f} s",
        r["seconds"] <= TARGET_SECONDS and r["mails"] == r["invitations"],
        f"{r['seconds']:.1f} s, {r['queries']:,} queries, {r['invitations']:,} "
        f"invitations, {r['mails']:,} e-mails queued",
    )


def report_lines(r, command):
    """The markdown section of the measure, for tools/bench/last_run.md."""
    from tools.bench.incident import section

    return section(
        HEADING,
        command,
        "on a copy of the template filled with the book: "
        "`_cron_send_invitations(today)` and its commits",
        verdict(r),
        summary(r),
    )


WORKERS = {"campaign": worker_campaign}
