"""The raw-SQL floor of the nightly job.

The same reads and the same writes as the job, done directly, without the
addon's logic: the accounts (with the visit plan and the trend reference),
then one aggregate query per signal (orders, survey answers, visit-report
moods, SERVQUAL answers, visits, service-level events, 12-month revenue)
fetched into the process, and one bulk UPDATE of the
partners' health columns plus one bulk upsert of today's snapshots, all
accounts at once. The "scores" written are the aggregates themselves (a
stand-in of the same types and sizes, not the product's formulas): what is
measured is the cost of moving the data in and out of PostgreSQL.
"""

from datetime import datetime, time as dtime, timedelta

import pandas as pd

from odoo import fields
from odoo.tools import SQL

# The same accounts as the job (README, "Accounts").
ACCOUNTS = SQL("""
    SELECT p.id FROM res_partner p
     WHERE p.active AND p.id = p.commercial_partner_id
       AND (p.customer_rank > 0 OR EXISTS (
             SELECT 1 FROM sale_order so JOIN res_partner c ON c.id = so.partner_id
              WHERE c.commercial_partner_id = p.id AND so.state = 'sale'))
     ORDER BY p.id
""")


def run_floor(env):
    """Score every account the floor way; return the number of accounts."""
    cr = env.cr
    today = fields.Date.context_today(env["res.partner"])
    now = min(fields.Datetime.now(), datetime.combine(today, dtime.max))
    visit_type = env.ref("relationship_health.calendar_event_type_customer_visit").id
    cr.execute(ACCOUNTS)
    ids = [row[0] for row in cr.fetchall()]

    # the answer lines of the last two years given by the accounts' people
    answer_lines = SQL(
        """
          FROM survey_user_input_line l
          JOIN survey_user_input ui ON ui.id = l.user_input_id
          JOIN survey_question q ON q.id = l.question_id
          JOIN res_partner c ON c.id = ui.partner_id
         WHERE ui.state = 'done'
           AND l.answer_type IN ('scale', 'numerical_box') AND NOT COALESCE(l.skipped, FALSE)
           AND COALESCE(ui.end_datetime, ui.create_date) BETWEEN %(since)s AND %(now)s
           AND c.commercial_partner_id = ANY(%(ids)s)
            """,
        since=today - timedelta(days=731),
        now=now,
        ids=ids,
    )

    def fetch(query, **params):
        """The rows of ``query`` by their first column (an account id); the
        query may use ``now`` and the accounts' ``ids`` besides ``params``."""
        cr.execute(SQL(query, now=now, ids=ids, **params))
        return {row[0]: row[1:] for row in cr.fetchall()}

    accounts = fetch(
        """
        SELECT p.id, COALESCE(p.company_id, %(company)s), p.user_id, p.visit_interval_days,
               COALESCE(p.visit_plan_date, p.create_date::date), prev.score
          FROM res_partner p
     LEFT JOIN LATERAL (
                SELECT s.score FROM relationship_health_snapshot s
                 WHERE s.partner_id = p.id AND s.snapshot_date <= %(ref)s
              ORDER BY s.snapshot_date DESC LIMIT 1) prev ON TRUE
         WHERE p.id = ANY(%(ids)s)
        """,
        company=env.company.id,
        ref=today - timedelta(days=28),
    )
    orders = fetch(
        """
        SELECT c.commercial_partner_id, MAX(so.date_order)::date,
               COUNT(DISTINCT so.date_order::date),
               LEAST(100, GREATEST(0, 100 - (%(today)s::date - MAX(so.date_order)::date)))::float8
          FROM sale_order so JOIN res_partner c ON c.id = so.partner_id
         WHERE so.state = 'sale' AND so.date_order <= %(now)s
           AND c.commercial_partner_id = ANY(%(ids)s)
      GROUP BY 1
        """,
        today=today,
    )
    answers = fetch(
        """
        SELECT c.commercial_partner_id,
               AVG(100.0 * (l.value_scale - q.scale_min) / NULLIF(q.scale_max - q.scale_min, 0))::float8,
               COUNT(*),
               (100.0 * (COUNT(*) FILTER (WHERE q.health_metric = 'nps' AND l.value_scale >= 9)
                         - COUNT(*) FILTER (WHERE q.health_metric = 'nps' AND l.value_scale <= 6))
                / NULLIF(COUNT(*) FILTER (WHERE q.health_metric = 'nps'), 0))::float8
          %(answers)s AND q.health_metric IS NOT NULL
      GROUP BY 1
        """,
        answers=answer_lines,
    )
    moods = (
        fetch(
            """
        SELECT c.commercial_partner_id, AVG(e.visit_mood::int)::float8
          FROM calendar_event e
          JOIN calendar_attendee a ON a.event_id = e.id
          JOIN res_partner c ON c.id = a.partner_id
         WHERE e.active AND e.visit_mood IS NOT NULL AND e.start BETWEEN %(since)s AND %(now)s
           AND c.commercial_partner_id = ANY(%(ids)s)
      GROUP BY 1
        """,
            since=today - timedelta(days=731),
        )
        if "visit_mood" in env["calendar.event"]._fields
        else {}
    )
    servqual = (
        fetch(
            """
        SELECT c.commercial_partner_id,
               AVG(CASE WHEN q.servqual_side = 'perception' THEN l.value_scale END
                   - CASE WHEN q.servqual_side = 'expectation' THEN l.value_scale END)::float8
          %(answers)s AND q.servqual_dimension IS NOT NULL AND q.servqual_side IS NOT NULL
      GROUP BY 1
        """,
            answers=answer_lines,
        )
        if "servqual_dimension" in env["survey.question"]._fields
        else {}
    )
    money = fetch(
        """
        SELECT c.commercial_partner_id, SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1))::float8
          FROM sale_order so JOIN res_partner c ON c.id = so.partner_id
         WHERE so.state = 'sale' AND so.date_order > %(since)s AND so.date_order <= %(now)s
           AND c.commercial_partner_id = ANY(%(ids)s)
      GROUP BY 1
        """,
        since=today - timedelta(days=365),
    )
    visits = fetch(
        """
        SELECT c.commercial_partner_id, (MAX(e.start) FILTER (WHERE e.start <= %(now)s))::date,
               COUNT(DISTINCT e.start::date), (MIN(e.start) FILTER (WHERE e.start > %(now)s))::date
          FROM calendar_event e
          JOIN meeting_category_rel r ON r.event_id = e.id AND r.type_id = %(type)s
          JOIN calendar_attendee a ON a.event_id = e.id
          JOIN res_partner c ON c.id = a.partner_id
         WHERE e.active AND a.state != 'declined'
           AND c.commercial_partner_id = ANY(%(ids)s)
      GROUP BY 1
        """,
        type=visit_type,
    )
    sla = fetch(
        """
        SELECT e.partner_id, COUNT(*),
               COUNT(*) FILTER (WHERE e.date_done <= e.date_deadline),
               (100.0 * COUNT(*) FILTER (WHERE e.date_done <= e.date_deadline) / COUNT(*))::float8
          FROM relationship_sla_event e
         WHERE e.active AND e.date_deadline BETWEEN %(since)s AND %(now)s
           AND e.partner_id = ANY(%(ids)s)
      GROUP BY 1
        """,
        since=today - timedelta(days=366),
    )

    none3 = (None, None, None)
    none4 = (None, None, None, None)
    o = [orders.get(i, none3) for i in ids]
    a = [answers.get(i, none3) for i in ids]
    v = [visits.get(i, none3) for i in ids]
    s = [sla.get(i, none3) for i in ids]
    acc = [accounts.get(i, none4 + (None, None)) for i in ids]
    recency = [row[2] for row in o]
    satisfaction = [row[0] for row in a]
    sla_score = [row[2] for row in s]
    visit_score = [None if row[0] is None else 100.0 for row in v]
    score = [
        None if x is None and y is None else round(((x or 0) + (y or 0)) / 2, 1)
        for x, y in zip(recency, satisfaction)
    ]
    band = [
        "unknown"
        if x is None
        else "healthy"
        if x >= 70
        else "watch"
        if x >= 50
        else "at_risk"
        if x >= 30
        else "critical"
        for x in score
    ]
    prev = [row[4] for row in acc]
    trend = [
        None if x is None or p is None else x - float(p) for x, p in zip(score, prev)
    ]
    confidence = [50.0 if x is not None else 0.0 for x in score]
    columns = {
        "health_score": ("float8", score),
        "health_band": ("varchar", band),
        "health_trend": ("float8", trend),
        "health_confidence": ("float8", confidence),
        "health_satisfaction": ("float8", satisfaction),
        "health_visits": ("float8", visit_score),
        "health_sla": ("float8", sla_score),
        "health_recency": ("float8", recency),
        "health_nps": ("float8", [row[2] for row in a]),
        "health_last_order_date": ("date", [row[0] for row in o]),
        "health_order_interval": ("int4", [row[1] for row in o]),
        "health_last_visit_date": ("date", [row[0] for row in v]),
        "visit_next_date": ("date", [row[2] for row in v]),
        "health_revenue_12m": ("float8", [money.get(i, (None,))[0] for i in ids]),
        "health_servqual_gap": ("float8", [servqual.get(i, (None,))[0] for i in ids]),
        "health_satisfaction_mood": ("float8", [moods.get(i, (None,))[0] for i in ids]),
    }
    # Any other column the job writes (the engine's list) is written too, with
    # a value of the same type, so that the floor moves the same data.
    from odoo.addons.relationship_health.models.health_writers import (
        PARTNER_COLUMNS,
        SNAPSHOT_COLUMNS,
        upsert_snapshots,
    )

    for name, sqltype in PARTNER_COLUMNS.items():
        if name not in columns and name != "health_details":
            columns[name] = (
                sqltype,
                band if sqltype == "varchar" else [None] * len(ids),
            )
    columns = {
        name: value for name, value in columns.items() if name in PARTNER_COLUMNS
    }
    names = list(columns)
    # the details JSON is built by PostgreSQL from the same arrays (same size on disk)
    cr.execute(
        SQL(
            """
        UPDATE res_partner p
           SET %(assignments)s,
               health_details = jsonb_build_object(
                   'reasons', '[]'::jsonb,
                   'components', jsonb_build_object(
                       'satisfaction', v.health_satisfaction, 'sla', v.health_sla,
                       'visits', v.health_visits, 'recency', v.health_recency),
                   'facts', jsonb_build_object(
                       'days_since_order', %(today)s::date - v.health_last_order_date,
                       'order_interval_days', v.health_order_interval,
                       'order_interval_is_default', FALSE,
                       'order_count', v.health_order_interval,
                       'answer_count', v.answer_count,
                       'days_since_visit', %(today)s::date - v.health_last_visit_date,
                       'visit_count_365', v.visit_count,
                       'sla_event_count', v.sla_count,
                       'sla_met_count', v.sla_met,
                       'sla_breached_count', v.sla_count - v.sla_met)),
               health_computed_at = %(now)s
          FROM unnest(%(ids)s::int4[], %(arrays)s, %(extra)s)
               AS v(id, %(names)s, answer_count, visit_count, sla_count, sla_met)
         WHERE p.id = v.id
        """,
            assignments=SQL(", ").join(
                SQL("%s = v.%s", SQL.identifier(n), SQL.identifier(n)) for n in names
            ),
            today=today,
            now=now,
            ids=ids,
            arrays=SQL(", ").join(
                SQL("%s::%s[]", columns[n][1], SQL(columns[n][0])) for n in names
            ),
            extra=SQL(", ").join(
                SQL("%s::int4[]", values)
                for values in (
                    [row[1] for row in a],
                    [row[1] for row in v],
                    [row[0] for row in s],
                    [row[1] for row in s],
                )
            ),
            names=SQL(", ").join(SQL.identifier(n) for n in names),
        )
    )
    # today's snapshots: the job's own writer (one upsert)
    upsert_snapshots(
        cr,
        env.uid,
        pd.DataFrame(
            {"company_id": [row[0] for row in acc], "user_id": [row[1] for row in acc]}
        ),
        ids,
        {f"health_{n}": columns[f"health_{n}"][1] for n in SNAPSHOT_COLUMNS},
        today,
        now,
    )
    env.invalidate_all()
    return len(ids)
