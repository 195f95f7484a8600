"""The readers of the health engine: one set-based query per batch and signal.

Plain functions (no model): each takes the cursor, the ids of a batch of
accounts (commercial partners) and the instants it needs, and returns a
pandas frame in the shape the scoring core (``..scoring``) expects. The
engine (``relationship.health.engine``) passes in what depends on the
registry (the company of an account, the visit type, the visits of other
addons).

Readers filter their driving table (orders, survey answers, attendees) on the
contacts of the batch's accounts, so that PostgreSQL walks the partner_id
indexes instead of scanning the whole table for every batch.
"""

from datetime import timedelta

import pandas as pd

from odoo.tools import SQL

from .health_sql import INCIDENT_MODEL, contact_ids_sql

#: The trend compares the score with the newest snapshot at least this old.
TREND_MIN_AGE_DAYS = 28


def account_company_sql(partner, default_company_id):
    """SQL: the company an account is scored for. Its own company; for an
    account shared between companies (no company), the company of its latest
    confirmed order (of the account or one of its contacts); without any
    order, ``default_company_id`` (the main company). ``partner`` is the
    alias of the account's ``res_partner`` row."""
    alias = SQL.identifier(partner)
    return SQL(
        """COALESCE(%(p)s.company_id, (
                SELECT so.company_id
                  FROM sale_order so
                  JOIN res_partner oc ON oc.id = so.partner_id
                 WHERE oc.commercial_partner_id = %(p)s.id AND so.state = 'sale'
              ORDER BY so.date_order DESC, so.id DESC
                 LIMIT 1), %(default)s)""",
        p=alias,
        default=default_company_id,
    )


#: SQL: the rate of an order (alias ``so``) that turns its amounts into the
#: currency of its company (1 when unknown).
ORDER_RATE = SQL("COALESCE(NULLIF(so.currency_rate, 0), 1)")


def account_money_sql(accounts, since, until, use_margin, account_ids=None):
    """SQL: the money of accounts over a period, the one definition used by
    the score, the retention automation and the weekly digest.

    ``accounts`` is a query of rows (account id, company id): the company the
    account is scored for. Rows (account id, revenue, margin): the untaxed
    amount and margin of the confirmed orders of the account and its contacts
    placed in that company between ``since`` (excluded) and ``until``
    (included), converted into that company's currency at each order's rate
    (margin NULL when ``sale_margin`` does not track it). Accounts without
    such an order have no row. ``account_ids``, the ids of the accounts of
    ``accounts`` when they are a batch: their orders are looked up by contact
    (the same rows, without a scan of every partner)."""
    rate = ORDER_RATE
    margin = SQL("SUM(so.margin / %s)", rate) if use_margin else SQL("NULL::float8")
    return SQL(
        """
        SELECT a.id, SUM(so.amount_untaxed / %(rate)s), %(margin)s
          FROM (%(accounts)s) AS a(id, company_id)
          JOIN res_partner c ON c.commercial_partner_id = a.id
          JOIN sale_order so ON so.partner_id = c.id AND so.company_id = a.company_id
         WHERE so.state = 'sale'
           AND so.date_order > %(since)s
           AND so.date_order <= %(until)s
           AND %(contacts)s
      GROUP BY a.id
        """,
        rate=rate,
        margin=margin,
        accounts=accounts,
        contacts=SQL("TRUE")
        if account_ids is None
        else SQL("so.partner_id = ANY(%s)", contact_ids_sql(account_ids)),
        since=since,
        until=until,
    )


def accounts_values_sql(account_ids, company_ids):
    """SQL: the rows (account id, company id) of two parallel lists."""
    return SQL(
        "SELECT * FROM unnest(%s::int4[], %s::int4[])",
        [int(i) for i in account_ids],
        [int(c) for c in company_ids],
    )


def fetch_frame(cr, query, columns):
    """The rows of ``query`` as a frame with ``columns``."""
    cr.execute(query)
    return pd.DataFrame(cr.fetchall(), columns=columns)


def read_accounts(cr, account_ids, as_of, company_sql):
    """Accounts with their visit plan, owner, company (``company_sql``: the
    company an account is scored for, on alias ``p``), override and trend
    reference, indexed by partner_id."""
    frame = fetch_frame(
        cr,
        SQL(
            """
            SELECT p.id, %(company)s, p.user_id, u.sale_team_id,
                   p.health_band, p.health_score,
                   p.health_override_band, p.health_override_until,
                   p.visit_interval_days,
                   COALESCE(p.visit_plan_date, p.create_date::date),
                   prev.score, p.health_computed_at
              FROM res_partner p
         LEFT JOIN res_users u ON u.id = p.user_id
         LEFT JOIN LATERAL (
                    SELECT s.score
                      FROM relationship_health_snapshot s
                     WHERE s.partner_id = p.id AND s.snapshot_date <= %(ref_date)s
                  ORDER BY s.snapshot_date DESC
                     LIMIT 1) prev ON TRUE
             WHERE p.id = ANY(%(ids)s)
            """,
            company=company_sql,
            ref_date=as_of - timedelta(days=TREND_MIN_AGE_DAYS),
            ids=list(account_ids),
        ),
        [
            "partner_id",
            "company_id",
            "user_id",
            "team_id",
            "band_before",
            "score_before",
            "override_band",
            "override_until",
            "visit_interval_days",
            "visit_plan_start",
            "previous_score",
            "computed_before",
        ],
    )
    frame["visit_interval_days"] = (
        frame["visit_interval_days"].fillna(0).astype("int64")
    )
    frame["visit_plan_start"] = pd.to_datetime(frame["visit_plan_start"])
    frame["previous_score"] = frame["previous_score"].astype("float64")
    frame["score_before"] = frame["score_before"].astype("float64")
    frame["computed_before"] = pd.to_datetime(frame["computed_before"])
    return frame.set_index("partner_id")


def read_orders(cr, account_ids, now):
    """Distinct order days of confirmed orders, per account."""
    return fetch_frame(
        cr,
        SQL(
            """
            SELECT c.commercial_partner_id, so.date_order::date
              FROM sale_order so
              JOIN res_partner c ON c.id = so.partner_id
             WHERE so.state = 'sale'
               AND so.date_order <= %(now)s
               AND so.partner_id = ANY(%(contacts)s)
          GROUP BY 1, 2
            """,
            now=now,
            contacts=contact_ids_sql(account_ids),
        ),
        ["partner_id", "order_date"],
    )


def answer_lines_sql(columns, condition, account_ids, as_of, now):
    """Completed survey answer lines (scale or numerical) of the batch's
    contacts over the last two years, to the questions matching
    ``condition``: account, date, value, then ``columns``."""
    return SQL(
        """
        SELECT c.commercial_partner_id,
               COALESCE(ui.end_datetime, ui.create_date),
               CASE WHEN l.answer_type = 'scale' THEN l.value_scale
                    ELSE l.value_numerical_box END,
               %(columns)s
          FROM survey_user_input_line l
          JOIN survey_user_input ui ON ui.id = l.user_input_id
          JOIN survey_question q ON q.id = l.question_id
          JOIN res_partner c ON c.id = ui.partner_id
         WHERE ui.state = 'done'
           AND %(condition)s
           AND l.answer_type IN ('scale', 'numerical_box')
           AND NOT COALESCE(l.skipped, FALSE)
           AND COALESCE(ui.end_datetime, ui.create_date) <= %(now)s
           AND COALESCE(ui.end_datetime, ui.create_date) >= %(since)s
           AND ui.partner_id = ANY(%(contacts)s)
        """,
        columns=columns,
        condition=condition,
        now=now,
        since=as_of - timedelta(days=731),
        contacts=contact_ids_sql(account_ids),
    )


def customer_visits_sql(visit_type_id, account_ids):
    """SQL: the rows (e, a, c) of the Customer Visits (events of type
    ``visit_type_id``) that a contact of ``account_ids`` attends without
    having declined: the one definition of "the account was visited", read by
    the visit signal and by the moods of the visit reports."""
    return SQL(
        """
              FROM calendar_event e
              JOIN meeting_category_rel r ON r.event_id = e.id AND r.type_id = %(type)s
              JOIN calendar_attendee a ON a.event_id = e.id
              JOIN res_partner c ON c.id = a.partner_id
             WHERE e.active
               AND a.state != 'declined'
               AND a.partner_id = ANY(%(contacts)s)
        """,
        type=visit_type_id,
        contacts=contact_ids_sql(account_ids),
    )


def read_answers(cr, account_ids, as_of, now, visit_type_id):
    """Completed answers to questions flagged with a health metric, and
    the customer moods noted by sales reps in their visit reports
    (``visit_type_id``: the Customer Visit event type, or None)."""
    answers = answer_lines_sql(
        SQL("q.health_metric, q.scale_min, q.scale_max"),
        SQL("q.health_metric IS NOT NULL"),
        account_ids,
        as_of,
        now,
    )
    return fetch_frame(
        cr,
        SQL(
            """
            %(answers)s
         UNION ALL
            SELECT DISTINCT ON (e.id, c.commercial_partner_id)
                   c.commercial_partner_id, e.start, e.visit_mood::int, 'mood', 1, 5
            %(visits)s
               AND e.visit_mood IS NOT NULL
               AND e.start <= %(now)s
               AND e.start >= %(since)s
            """,
            answers=answers,
            visits=customer_visits_sql(visit_type_id, account_ids),
            now=now,
            since=as_of - timedelta(days=731),
        ),
        ["partner_id", "answer_date", "value", "metric", "scale_min", "scale_max"],
    )


def read_visits(cr, account_ids, visit_type_id, extra_queries):
    """Days of Customer Visits with the account among their attendees (the
    account itself or a contact) who did not decline, plus the visits of
    ``extra_queries`` (the engine's ``_extra_visits_sql``). Visits still to
    come are read too: the core counts only those started, the engine takes
    the next planned one from the others. ``visit_type_id``: the Customer
    Visit event type, or None."""
    queries = []
    if visit_type_id:
        queries.append(
            SQL(
                """
            SELECT c.commercial_partner_id, e.start
            %(visits)s
            """,
                visits=customer_visits_sql(visit_type_id, account_ids),
            )
        )
    queries += extra_queries
    if not queries:
        return pd.DataFrame(columns=["partner_id", "visit_date"])
    return fetch_frame(
        cr,
        SQL(
            "SELECT partner_id, visit_date FROM (%s) AS visits(partner_id, visit_date)"
            " GROUP BY 1, 2",
            SQL(" UNION ALL ").join(queries),
        ),
        ["partner_id", "visit_date"],
    )


def read_servqual(cr, account_ids, as_of, now):
    """Completed answers to SERVQUAL items (expectation and perception)."""
    return fetch_frame(
        cr,
        answer_lines_sql(
            SQL("q.servqual_dimension, q.servqual_side"),
            SQL("q.servqual_dimension IS NOT NULL AND q.servqual_side IS NOT NULL"),
            account_ids,
            as_of,
            now,
        ),
        ["partner_id", "answer_date", "value", "dimension", "side"],
    )


def read_sla_events(cr, account_ids, as_of, now):
    """Service-level commitments due in the last year."""
    return fetch_frame(
        cr,
        SQL(
            """
            SELECT e.partner_id, e.date_deadline, e.date_done, e.policy_id,
                   CASE WHEN e.res_model = %(incident)s THEN e.res_id END
              FROM relationship_sla_event e
             WHERE e.active
               AND e.date_deadline <= %(now)s
               AND e.date_deadline >= %(since)s
               AND e.partner_id = ANY(%(ids)s)
            """,
            now=now,
            since=as_of - timedelta(days=366),
            ids=list(account_ids),
            incident=INCIDENT_MODEL,
        ),
        ["partner_id", "deadline", "done", "policy_id", "incident_id"],
    )


def read_money(cr, accounts, since, until, use_margin):
    """Revenue and margin per account (the accounts frame: index partner_id,
    column company_id) between ``since`` and ``until``, in the currency of
    the company each account is scored for (see :func:`account_money_sql`)."""
    return fetch_frame(
        cr,
        account_money_sql(
            accounts_values_sql(accounts.index, accounts["company_id"]),
            since,
            until,
            use_margin,
            accounts.index,
        ),
        ["partner_id", "revenue", "margin"],
    )


def read_order_amounts(cr, accounts, until):
    """Rows (partner_id, order_date, amount) per account and day of its
    confirmed orders up to ``until`` (the accounts frame: index partner_id,
    column company_id): the untaxed amount of the orders of the account and
    its contacts placed in the company it is scored for, in that company's
    currency (the revenue of :func:`account_money_sql`, per day)."""
    return fetch_frame(
        cr,
        SQL(
            """
            SELECT a.id, so.date_order::date, SUM(so.amount_untaxed / %(rate)s)
              FROM (%(accounts)s) AS a(id, company_id)
              JOIN res_partner c ON c.commercial_partner_id = a.id
              JOIN sale_order so ON so.partner_id = c.id AND so.company_id = a.company_id
             WHERE so.state = 'sale' AND so.date_order <= %(until)s
          GROUP BY 1, 2
            """,
            rate=ORDER_RATE,
            accounts=accounts_values_sql(accounts.index, accounts["company_id"]),
            until=until,
        ),
        ["partner_id", "order_date", "amount"],
    )


def read_book_profits(cr, company_sql, account_conditions, since, until, use_margin):
    """Rows (company id, profit) of every account of the book: the company it
    is scored for (``company_sql`` on alias ``p``) and its margin (revenue
    when margins are not tracked) between ``since`` and ``until``, 0 without
    an order; ``account_conditions``: the SQL conditions of an account."""
    return fetch_frame(
        cr,
        SQL(
            """
            WITH book AS (
                SELECT p.id, %(company)s AS company_id
                  FROM res_partner p
                 WHERE %(accounts)s
            ),
            money AS (%(money)s)
            SELECT book.company_id, COALESCE(m.%(profit)s, 0)
              FROM book
         LEFT JOIN money AS m(id, revenue, margin) ON m.id = book.id
            """,
            profit=SQL.identifier("margin" if use_margin else "revenue"),
            company=company_sql,
            accounts=SQL(" AND ").join(account_conditions),
            money=account_money_sql(
                SQL("SELECT id, company_id FROM book"), since, until, use_margin
            ),
        ),
        ["company_id", "profit"],
    )


# ----------------------------------------------------------------------------
# Retention automation
# ----------------------------------------------------------------------------
#: The keys of :func:`read_retention_state`'s answer, in its columns' order.
RETENTION_STATE_KEYS = (
    "case_id",
    "waiting",
    "activity_id",
    "lead_id",
    "user_id",
    "band",
    "score_reference",
    "last_band",
    "last_score",
    "cooldown_until",
    "any_activity_id",
    "any_lead_id",
    "reference_score",
    "critical_since",
)


def read_retention_state(cr, account_ids, critical_ids, type_ids, as_of, window):
    """``{partner_id: state}``: what the retention rules need to know about
    each account, in one query: its current case (waiting or open, with
    which of its activity and opportunity are still open), the end of its
    cooldown, any open retention activity (of ``type_ids``) or opportunity,
    its reference score (the newest snapshot in ``window``, the dates
    ``(oldest, newest)`` of ``scoring.retention.reference_window``) and, for
    the ``critical_ids``, the first day of their current critical streak.
    Accounts with none of these are left out."""
    oldest, newest = window
    cr.execute(
        SQL(
            """
        WITH ids AS (SELECT unnest(%(ids)s::int4[]) AS id),
        current_case AS (
            SELECT c.partner_id, c.id AS case_id, c.state = 'waiting' AS waiting,
                   a.id AS activity_id, l.id AS lead_id,
                   c.user_id, c.band, c.score_reference, c.last_band, c.last_score
              FROM relationship_retention_case c
         LEFT JOIN mail_activity a ON a.id = c.activity_id AND a.active
         LEFT JOIN (crm_lead l LEFT JOIN crm_stage st ON st.id = l.stage_id)
                ON l.id = c.lead_id AND l.active AND NOT COALESCE(st.is_won, FALSE)
             WHERE c.state IN ('waiting', 'open') AND c.partner_id = ANY(%(ids)s)
        ),
        cooldown AS (
            SELECT c.partner_id, MAX(c.cooldown_until) AS cooldown_until
              FROM relationship_retention_case c
             WHERE c.state = 'closed' AND c.partner_id = ANY(%(ids)s)
          GROUP BY c.partner_id
        ),
        activity AS (
            SELECT a.res_id AS partner_id, MIN(a.id) AS activity_id
              FROM mail_activity a
             WHERE a.res_model = 'res.partner' AND a.res_id = ANY(%(ids)s)
               AND a.active AND a.activity_type_id = ANY(%(types)s)
          GROUP BY a.res_id
        ),
        lead AS (
            SELECT l.partner_id, MIN(l.id) AS lead_id
              FROM crm_lead l
         LEFT JOIN crm_stage st ON st.id = l.stage_id
             WHERE l.is_retention AND l.active AND NOT COALESCE(st.is_won, FALSE)
               AND l.partner_id = ANY(%(ids)s)
          GROUP BY l.partner_id
        )
        SELECT ids.id, cc.case_id, cc.waiting, cc.activity_id, cc.lead_id, cc.user_id,
               cc.band, cc.score_reference, cc.last_band, cc.last_score,
               cd.cooldown_until, activity.activity_id, lead.lead_id, ref.score, crit.since
          FROM ids
     LEFT JOIN current_case cc ON cc.partner_id = ids.id
     LEFT JOIN cooldown cd ON cd.partner_id = ids.id
     LEFT JOIN activity ON activity.partner_id = ids.id
     LEFT JOIN lead ON lead.partner_id = ids.id
     LEFT JOIN LATERAL (
                SELECT s.score
                  FROM relationship_health_snapshot s
                 WHERE s.partner_id = ids.id
                   AND s.snapshot_date <= %(newest)s
                   AND s.snapshot_date >= %(oldest)s
                   AND s.score IS NOT NULL
              ORDER BY s.snapshot_date DESC
                 LIMIT 1) ref ON TRUE
     LEFT JOIN LATERAL (
                SELECT MIN(s.snapshot_date) AS since
                  FROM relationship_health_snapshot s
                 WHERE ids.id = ANY(%(critical)s)
                   AND s.partner_id = ids.id
                   AND s.band = 'critical'
                   AND s.snapshot_date <= %(as_of)s
                   AND s.snapshot_date > COALESCE(
                       (SELECT MAX(n.snapshot_date)
                          FROM relationship_health_snapshot n
                         WHERE n.partner_id = ids.id AND n.band != 'critical'
                           AND n.snapshot_date <= %(as_of)s),
                       '-infinity'::date)) crit ON TRUE
         WHERE cc.case_id IS NOT NULL OR cd.cooldown_until IS NOT NULL
            OR activity.activity_id IS NOT NULL OR lead.lead_id IS NOT NULL
            OR ref.score IS NOT NULL OR crit.since IS NOT NULL
        """,
            ids=list(account_ids),
            critical=list(critical_ids),
            types=list(type_ids),
            as_of=as_of,
            newest=newest,
            oldest=oldest,
        )
    )
    return {row[0]: dict(zip(RETENTION_STATE_KEYS, row[1:])) for row in cr.fetchall()}


def read_retention_queue(cr, company_ids, as_of, owners=None):
    """The waiting retention cases of ``company_ids`` (of the ``owners``
    ``(user_id, company_id)`` only, when given) and the new cases each owner
    got on ``as_of``: ``(items, given_today)``, the shapes of
    ``scoring.retention.choose_today`` (an owner is ``(user_id, company_id)``;
    an item also has its current ``rank``)."""
    owner_filter = SQL("TRUE")
    if owners is not None:
        owner_filter = SQL(
            "(c.user_id, c.company_id) IN (SELECT * FROM unnest(%s::int4[], %s::int4[]))",
            [user_id for user_id, _company in owners],
            [company_id for _user, company_id in owners],
        )
    cr.execute(
        SQL(
            """
        SELECT c.id, c.user_id, c.company_id, c.revenue_12m, c.score_fall,
               c.date_queued, c.queue_rank
          FROM relationship_retention_case c
         WHERE c.state = 'waiting' AND c.company_id = ANY(%s) AND %s
        """,
            list(company_ids),
            owner_filter,
        )
    )
    items = [
        {
            "id": case_id,
            "owner": (user_id, company_id),
            "revenue": revenue,
            "fall": fall,
            "queued_on": queued_on or as_of,
            "rank": rank,
        }
        for case_id, user_id, company_id, revenue, fall, queued_on, rank in cr.fetchall()
    ]
    cr.execute(
        SQL(
            """
        SELECT c.user_id, c.company_id, count(*)
          FROM relationship_retention_case c
         WHERE c.date_opened = %s AND c.company_id = ANY(%s)
           AND c.user_id IS NOT NULL AND %s
      GROUP BY c.user_id, c.company_id
        """,
            as_of,
            list(company_ids),
            owner_filter,
        )
    )
    given = {
        (user_id, company_id): count for user_id, company_id, count in cr.fetchall()
    }
    return items, given


def read_quadrant_accounts(cr, company_id):
    """Rows (account, quadrant, band, salesperson, 12-month revenue, industry)
    of the accounts of ``company_id`` placed in a quadrant by the night (the
    accounts the playbooks and the cross-sell suggestions work on), by id."""
    cr.execute(
        SQL(
            """
            SELECT id, health_quadrant, health_band, user_id,
                   COALESCE(health_revenue_12m, 0), industry_id
              FROM res_partner
             WHERE health_quadrant IS NOT NULL
               AND id = commercial_partner_id
               AND (company_id IS NULL OR company_id = %(company)s)
             ORDER BY id
            """,
            company=company_id,
        )
    )
    return cr.fetchall()
