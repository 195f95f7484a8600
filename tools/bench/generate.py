"""A synthetic B2B book for the benchmark, written with set-based SQL.

``generate(env, accounts, seed)`` fills a throwaway database (with
``relationship_health`` installed, no demo data) with:

- salespeople (``res.users``, group Salesman) in sales teams, a survey with an
  NPS, a CSAT and a non-metric question: a handful of records, created with
  the ORM;
- the bulk, each table with one ``INSERT … SELECT`` over ``generate_series``:
  customer accounts (95 % companies with 1–3 contacts, 5 % individuals), plus
  vendors and archived customers that are not accounts; confirmed sale orders
  over three years, about 10 per account and skewed (1.5 % weekly buyers, 5 %
  monthly, 40 % quarterly, a long tail of 1–6 orders at random dates, 3 % with
  no order yet; 30 % of the regular buyers have lapsed), plus a few
  quotations and cancelled orders; survey answers (45 % of accounts);
  customer visits for the 50 % of accounts with a visit cadence (some
  declined, some upcoming) and other meetings; service-level commitments
  (35 % of accounts, some breached, some open); six monthly health snapshots
  per account so that the trend has a reference.

Every random draw is a hash of (seed, row key, purpose) — ``hashint8extended``
— so the same seed and size give the same rows whatever the query plans.
Dates are offsets from the day of generation (the job scores "today").

Non-unique indexes and foreign keys of the bulk tables are dropped for the
load and recreated after it (the classic bulk-load recipe: one index build
instead of a million insertions); the caller runs VACUUM ANALYZE afterwards.
"""

import logging
import time

from odoo import Command, fields
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

HORIZON_DAYS = 1095  # three years of orders
SNAPSHOT_MONTHS = 6

BULK_TABLES = (
    "res_partner",
    "sale_order",
    "survey_user_input",
    "survey_user_input_line",
    "calendar_event",
    "calendar_attendee",
    "calendar_event_res_partner_rel",
    "meeting_category_rel",
    "relationship_sla_event",
    "relationship_health_snapshot",
)

# The survey's question that feeds no signal (after the NPS and CSAT ones).
OTHER_QUESTION = {
    "title": "How easy was it to place your order?",
    "question_type": "scale",
    "scale_min": 1,
    "scale_max": 5,
}

# rnd(key, salt): a uniform draw in [0, 1) from (seed, key, salt); the seed is
# a session setting so that every statement stays free of repeated parameters.
RND_FUNCTION = SQL("""
    CREATE FUNCTION pg_temp.rnd(k int8, salt int8) RETURNS float8
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT (hashint8extended(k, current_setting('bench.seed')::int8 * 1000 + salt)
                & 4503599627370495)::float8 / 4503599627370496.0
    $$
""")

COMPANY_WORDS_1 = [
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Wingtip",
    "Adatum",
    "Litware",
    "Proseware",
    "Lucerne",
    "Alpine",
    "Coho",
    "Humongous",
    "Margie",
    "Trey",
    "Woodgrove",
    "Blue Yonder",
    "Fourth Coffee",
    "Wide World",
]
COMPANY_WORDS_2 = [
    "Metals",
    "Logistics",
    "Foods",
    "Plastics",
    "Textiles",
    "Chemicals",
    "Machinery",
    "Electronics",
    "Packaging",
    "Pharma",
    "Timber",
    "Glass",
    "Paper",
    "Automotive",
    "Energy",
    "Retail",
]
FIRST_NAMES = [
    "Anna",
    "Bruno",
    "Chloe",
    "David",
    "Emma",
    "Felix",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Karin",
    "Louis",
    "Maria",
    "Noah",
    "Olga",
    "Pablo",
    "Rita",
    "Sven",
]
LAST_NAMES = [
    "Peeters",
    "Janssens",
    "Martin",
    "Muller",
    "Rossi",
    "Garcia",
    "Smith",
    "Dubois",
    "Novak",
    "Berg",
    "Costa",
    "Weber",
    "Laurent",
    "Moreau",
    "Silva",
]
COUNTRY_CODES = ["be", "fr", "de", "nl", "lu", "es", "it", "us", "uk", "ch"]


def _next_id(cr, table):
    cr.execute(SQL("SELECT COALESCE(MAX(id), 0) + 1 FROM %s", SQL.identifier(table)))
    return cr.fetchone()[0]


def _sync_sequence(cr, table):
    cr.execute(
        SQL(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST((SELECT MAX(id) FROM %s), 1))",
            table,
            SQL.identifier(table),
        )
    )


class _BulkLoad:
    """Drop the non-unique indexes and the foreign keys of ``tables``; put them
    back (same names, same definitions, read from the catalog) on exit."""

    def __init__(self, cr, tables):
        self.cr = cr
        self.tables = tables
        self.indexes = []
        self.foreign_keys = []

    def __enter__(self):
        cr = self.cr
        cr.execute(
            SQL(
                """
            SELECT c.relname, i.relname, pg_get_indexdef(x.indexrelid)
              FROM pg_index x
              JOIN pg_class i ON i.oid = x.indexrelid
              JOIN pg_class c ON c.oid = x.indrelid
             WHERE c.relname = ANY(%s) AND NOT x.indisunique AND NOT x.indisprimary
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
             ORDER BY 1, 2
            """,
                list(self.tables),
            )
        )
        self.indexes = cr.fetchall()
        cr.execute(
            SQL(
                """
            SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
              FROM pg_constraint k
              JOIN pg_class c ON c.oid = k.conrelid
             WHERE c.relname = ANY(%s) AND k.contype = 'f'
             ORDER BY 1, 2
            """,
                list(self.tables),
            )
        )
        self.foreign_keys = cr.fetchall()
        for table, name, _definition in self.foreign_keys:
            cr.execute(
                SQL(
                    "ALTER TABLE %s DROP CONSTRAINT %s",
                    SQL.identifier(table),
                    SQL.identifier(name),
                )
            )
        for _table, name, _definition in self.indexes:
            cr.execute(SQL("DROP INDEX %s", SQL.identifier(name)))
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type:
            return False
        cr = self.cr
        # definitions come from pg_get_indexdef / pg_get_constraintdef
        for _table, _name, definition in self.indexes:
            cr.execute(SQL(definition))
        for table, name, definition in self.foreign_keys:
            cr.execute(
                SQL(
                    "ALTER TABLE %s ADD CONSTRAINT %s %s",
                    SQL.identifier(table),
                    SQL.identifier(name),
                    SQL(definition),
                )
            )
        return False


def _setup_records(env, accounts, seed):
    """The few configuration records, through the ORM; returns their ids by
    the names the bulk statements give them."""
    env = env(
        context=dict(
            env.context,
            tracking_disable=True,
            mail_create_nolog=True,
            mail_notrack=True,
            no_reset_password=True,
            mail_create_nosubscribe=True,
        )
    )
    n_users = max(5, accounts // 1000)
    n_teams = max(2, -(-n_users // 10))
    salesman_group = env.ref("sales_team.group_sale_salesman")
    users = env["res.users"].create(
        [
            {
                "name": f"Salesperson {seed}-{i:03d}",
                "login": f"bench.sales.{seed}.{i:03d}@example.com",
                "email": f"bench.sales.{seed}.{i:03d}@example.com",
                "groups_id": [Command.set([salesman_group.id])],
            }
            for i in range(n_users)
        ]
    )
    teams = env["crm.team"].create(
        [
            {
                "name": f"Team {t + 1}",
                "crm_team_member_ids": [
                    Command.create({"user_id": user.id}) for user in users[t::n_teams]
                ],
            }
            for t in range(n_teams)
        ]
    )
    team_of_user = {}
    for t, team in enumerate(teams):
        for user in users[t::n_teams]:
            team_of_user[user.id] = team.id
    # the demo book's NPS and CSAT questions, then one that feeds no signal
    from odoo.addons.relationship_health.demo.book import SURVEY_QUESTIONS

    survey = env["survey.survey"].create(
        {
            "title": "Customer satisfaction",
            "question_and_page_ids": [
                Command.create(dict(question, sequence=sequence))
                for sequence, question in enumerate(
                    [*SURVEY_QUESTIONS, OTHER_QUESTION], 1
                )
            ],
        }
    )
    q_nps, q_csat, q_other = survey.question_ids.sorted("sequence")
    countries = [env.ref(f"base.{code}").id for code in COUNTRY_CODES]
    env.flush_all()
    return {
        "users": users.ids,
        "user_partners": users.partner_id.ids,
        "teams": [team_of_user[uid] for uid in users.ids],
        "survey": survey.id,
        "q_nps": q_nps.id,
        "q_csat": q_csat.id,
        "q_other": q_other.id,
        "countries": countries,
        "visit_type": env.ref(
            "relationship_health.calendar_event_type_customer_visit"
        ).id,
        "company": env.company.id,
        "currency": env.company.currency_id.id,
    }


def generate(env, accounts, seed):
    """Fill the database of ``env`` with ``accounts`` accounts; return the counts."""
    cr = env.cr
    started = time.perf_counter()
    setup = _setup_records(env, accounts, seed)
    today = fields.Date.context_today(env["res.partner"])
    cr.execute(SQL("SELECT set_config('bench.seed', %s, false)", str(int(seed))))
    cr.execute(SQL("SET LOCAL maintenance_work_mem = '256MB'"))
    cr.execute(SQL("SET LOCAL work_mem = '64MB'"))
    # the inlined hash expressions make JIT compilation cost seconds per statement
    cr.execute(SQL("SET LOCAL jit = off"))
    cr.execute(RND_FUNCTION)
    params = dict(
        setup,
        n=accounts,
        today=today,
        horizon=HORIZON_DAYS,
        n_users=len(setup["users"]),
        words1=COMPANY_WORDS_1,
        words2=COMPANY_WORDS_2,
        first=FIRST_NAMES,
        last=LAST_NAMES,
    )

    def run(label, query, sequence=None, **extra):
        """Execute ``query`` with the book's parameters; when it inserted rows
        with their ids, bring the id ``sequence`` of that table past them."""
        t0 = time.perf_counter()
        cr.execute(SQL(query, **params, **extra))
        rows = cr.rowcount
        if sequence:
            _sync_sequence(cr, sequence)
        _logger.info(
            "generate: %s (%s rows) in %.1f s",
            label,
            rows,
            time.perf_counter() - t0,
        )
        return rows

    def plan(table, query, **extra):
        """A temporary table of rows to come, dropped at the commit."""
        return run(
            table, f"CREATE TEMP TABLE {table} ON COMMIT DROP AS {query}", **extra
        )

    # -- the accounts' traits --------------------------------------------------
    base = _next_id(cr, "res_partner")
    plan(
        "bench_account",
        """
        SELECT s.idx,
               %(base)s + s.idx AS id,
               s.profile,
               CASE s.profile
                    WHEN 'weekly' THEN 7
                    WHEN 'monthly' THEN 26 + floor(s.r_interval * 9)::int
                    WHEN 'quarterly' THEN 80 + floor(s.r_interval * 21)::int
               END AS interval_days,
               s.r_lapsed,
               s.r_lapse,
               1 + floor(s.r_contacts * 3)::int AS n_contacts,
               s.r_company < 0.95 AS is_company,
               1 + floor(s.r_user * %(n_users)s)::int AS user_pos,
               (%(countries)s::int4[])[1 + floor(s.r_country * cardinality(%(countries)s::int4[]))::int]
                   AS country_id,
               CASE WHEN s.r_plan < 0.5
                    THEN (ARRAY[30, 60, 90, 180])[1 + floor(s.r_cadence * 4)::int] ELSE 0
               END AS visit_interval_days,
               30 + floor(s.r_plan_age * 1000)::int AS plan_age_days,
               s.r_visited,
               sqrt(s.r_sat) AS satisfaction,
               CASE WHEN s.r_survey < 0.45 THEN 1 + floor(s.r_responses * 6)::int ELSE 0 END
                   AS n_responses,
               CASE WHEN s.r_sla < 0.35 THEN 1 + floor(s.r_sla_n * 12)::int ELSE 0 END AS n_sla,
               s.r_breach * 0.4 AS breach_rate,
               (s.r_rank < 0.8 OR s.profile = 'none') AS has_rank,
               1100 + floor(s.r_created * 700)::int AS age_days,
               (%(words1)s::varchar[])[1 + floor(s.r_w1 * cardinality(%(words1)s::varchar[]))::int]
                   || ' '
                   || (%(words2)s::varchar[])[1 + floor(s.r_w2 * cardinality(%(words2)s::varchar[]))::int]
                   || ' ' || s.idx AS name
          FROM (
                SELECT g AS idx,
                       CASE WHEN pg_temp.rnd(g, 1) < 0.015 THEN 'weekly'
                            WHEN pg_temp.rnd(g, 1) < 0.065 THEN 'monthly'
                            WHEN pg_temp.rnd(g, 1) < 0.465 THEN 'quarterly'
                            WHEN pg_temp.rnd(g, 1) < 0.97 THEN 'tail'
                            ELSE 'none' END AS profile,
                       pg_temp.rnd(g, 2) AS r_interval, pg_temp.rnd(g, 3) AS r_lapsed,
                       pg_temp.rnd(g, 4) AS r_lapse, pg_temp.rnd(g, 5) AS r_contacts,
                       pg_temp.rnd(g, 6) AS r_company, pg_temp.rnd(g, 7) AS r_user,
                       pg_temp.rnd(g, 8) AS r_country, pg_temp.rnd(g, 9) AS r_plan,
                       pg_temp.rnd(g, 10) AS r_cadence, pg_temp.rnd(g, 11) AS r_plan_age,
                       pg_temp.rnd(g, 12) AS r_visited, pg_temp.rnd(g, 13) AS r_sat,
                       pg_temp.rnd(g, 14) AS r_survey, pg_temp.rnd(g, 15) AS r_responses,
                       pg_temp.rnd(g, 16) AS r_sla, pg_temp.rnd(g, 17) AS r_sla_n,
                       pg_temp.rnd(g, 18) AS r_breach, pg_temp.rnd(g, 19) AS r_rank,
                       pg_temp.rnd(g, 20) AS r_created, pg_temp.rnd(g, 21) AS r_w1,
                       pg_temp.rnd(g, 22) AS r_w2
                  FROM generate_series(1, %(n)s) g
          ) s
    """,
        base=base,
    )
    cr.execute(SQL("ALTER TABLE bench_account ADD PRIMARY KEY (idx)"))
    cr.execute(SQL("ANALYZE bench_account"))
    contact_base = (
        base + accounts
    )  # contact j (1..3) of account idx: contact_base + 3 (idx - 1) + j
    other_base = contact_base + 3 * accounts

    with _BulkLoad(cr, BULK_TABLES):
        # -- partners: accounts, contacts, vendors, archived customers --------------
        partner_columns = """
            id, name, complete_name, commercial_company_name, active, is_company, parent_id,
            commercial_partner_id, company_id, user_id, customer_rank, supplier_rank, type,
            lang, tz, email, email_normalized, country_id, partner_share, autopost_bills,
            color, employee, message_bounce, visit_interval_days, visit_plan_date,
            create_date, write_date, create_uid, write_uid
        """
        run(
            "accounts",
            f"""
            INSERT INTO res_partner ({partner_columns})
            SELECT a.id, a.name, a.name, CASE WHEN a.is_company THEN a.name END, TRUE, a.is_company,
                   NULL, a.id, %(company)s, (%(users)s::int4[])[a.user_pos],
                   CASE WHEN a.has_rank THEN 1 ELSE 0 END, 0, 'contact', 'en_US', 'Europe/Brussels',
                   'info' || a.idx || '@example.com', 'info' || a.idx || '@example.com',
                   a.country_id, TRUE, 'ask', 0, FALSE, 0,
                   a.visit_interval_days,
                   CASE WHEN a.visit_interval_days > 0
                        THEN %(today)s::date - a.plan_age_days END,
                   %(today)s::date - a.age_days, %(today)s::date - a.age_days, 1, 1
              FROM bench_account a
        """,
        )
        run(
            "contacts",
            f"""
            INSERT INTO res_partner ({partner_columns})
            SELECT %(contact_base)s + 3 * (a.idx - 1) + j, n.name, a.name || ', ' || n.name,
                   a.name, TRUE, FALSE, a.id, a.id, %(company)s, (%(users)s::int4[])[a.user_pos],
                   0, 0, 'contact', 'en_US', 'Europe/Brussels',
                   n.email, n.email, a.country_id, TRUE, 'ask', 0, FALSE, 0, 0, NULL,
                   %(today)s::date - a.age_days + j, %(today)s::date - a.age_days + j, 1, 1
              FROM bench_account a
              CROSS JOIN LATERAL generate_series(1, a.n_contacts) j
              CROSS JOIN LATERAL (
                    SELECT f || ' ' || l AS name,
                           lower(f) || '.' || lower(l) || '.' || a.idx || '.' || j || '@example.com'
                               AS email
                      FROM (SELECT (%(first)s::varchar[])[1 + floor(pg_temp.rnd(a.idx * 8 + j, 30)
                                        * cardinality(%(first)s::varchar[]))::int] AS f,
                                   (%(last)s::varchar[])[1 + floor(pg_temp.rnd(a.idx * 8 + j, 31)
                                        * cardinality(%(last)s::varchar[]))::int] AS l) w
              ) n
             WHERE a.is_company
        """,
            contact_base=contact_base,
        )
        run(
            "vendors and archived customers",
            f"""
            INSERT INTO res_partner ({partner_columns})
            SELECT %(other_base)s + g, 'Supplier ' || g, 'Supplier ' || g, 'Supplier ' || g,
                   NOT is_archived, TRUE, NULL, %(other_base)s + g, %(company)s, NULL,
                   CASE WHEN is_archived THEN 1 ELSE 0 END,
                   CASE WHEN is_archived THEN 0 ELSE 1 END, 'contact', 'en_US', 'Europe/Brussels',
                   NULL, NULL, NULL, TRUE, 'ask', 0, FALSE, 0, 0, NULL,
                   %(today)s::date - 900, %(today)s::date - 900, 1, 1
              FROM (SELECT g, g > %(n)s / 20 AS is_archived
                      FROM generate_series(1, %(n)s / 20 + %(n)s / 100) g) s
        """,
            other_base=other_base,
            sequence="res_partner",
        )

        # -- confirmed orders (and a few quotations / cancelled ones) -------------
        plan(
            "bench_order",
            """
            SELECT o.idx, o.k, GREATEST(1, LEAST(%(horizon)s, o.days_ago)) AS days_ago
              FROM (
                    -- regular buyers: every interval (±20 percent), the latest order `lapse` days ago
                    SELECT a.idx, k,
                           l.lapse + k * a.interval_days
                             + CASE WHEN k = 0 THEN 0 ELSE round((pg_temp.rnd(a.idx * 4096 + k, 40)
                                                                  - 0.5) * 0.4 * a.interval_days)::int
                               END AS days_ago
                      FROM bench_account a
                     CROSS JOIN LATERAL (
                            SELECT CASE WHEN a.r_lapsed < 0.7
                                        THEN 1 + floor(a.r_lapse * a.interval_days)::int
                                        ELSE a.interval_days + 1 + floor(a.r_lapse * 600)::int
                                   END AS lapse) l
                     CROSS JOIN LATERAL generate_series(
                            0, GREATEST(-1, (%(horizon)s - l.lapse) / a.interval_days)) k
                     WHERE a.interval_days IS NOT NULL
                     UNION ALL
                    -- the long tail: 1 to 6 orders at random days
                    SELECT a.idx, k, 1 + floor(pg_temp.rnd(a.idx * 4096 + k, 41)
                                              * %(horizon)s)::int
                      FROM bench_account a
                     CROSS JOIN LATERAL generate_series(
                            0, floor(pg_temp.rnd(a.idx, 42) * 6)::int) k
                     WHERE a.profile = 'tail'
              ) o
        """,
        )
        run(
            "orders",
            """
            INSERT INTO sale_order (
                id, name, partner_id, partner_invoice_id, partner_shipping_id, company_id,
                date_order, state, currency_id, currency_rate, user_id, team_id,
                amount_untaxed, amount_tax, amount_total, invoice_status, locked,
                require_signature, require_payment, prepayment_percent,
                create_date, write_date, create_uid, write_uid)
            SELECT %(order_base)s - 1 + row_number() OVER (ORDER BY o.idx, o.k),
                   'S' || lpad((%(order_base)s - 1 + row_number() OVER (ORDER BY o.idx, o.k))::text,
                               7, '0'),
                   x.partner_id, a.id, x.partner_id, %(company)s, x.date_order,
                   CASE WHEN o.k = 0 OR x.r_state < 0.96 THEN 'sale'
                        WHEN x.r_state < 0.99 THEN 'cancel' ELSE 'draft' END,
                   %(currency)s, 1.0, (%(users)s::int4[])[a.user_pos],
                   (%(teams)s::int4[])[a.user_pos],
                   x.amount, round(x.amount * 0.21, 2), round(x.amount * 1.21, 2),
                   CASE WHEN o.k = 0 OR x.r_state < 0.96 THEN 'invoiced' ELSE 'no' END,
                   FALSE, FALSE, FALSE, 1.0, x.date_order, x.date_order, 1, 1
              FROM bench_order o
              JOIN bench_account a ON a.idx = o.idx
             CROSS JOIN LATERAL (
                    SELECT CASE WHEN NOT a.is_company OR pg_temp.rnd(o.idx * 4096 + o.k, 43) < 0.3
                                THEN a.id
                                ELSE %(contact_base)s + 3 * (a.idx - 1) + 1
                                     + floor(pg_temp.rnd(o.idx * 4096 + o.k, 44) * a.n_contacts)::int
                           END AS partner_id,
                           (%(today)s::date - o.days_ago)::timestamp
                               + make_interval(secs => 28800 + floor(
                                     pg_temp.rnd(o.idx * 4096 + o.k, 45) * 32400)) AS date_order,
                           pg_temp.rnd(o.idx * 4096 + o.k, 46) AS r_state,
                           round((200 + pg_temp.rnd(o.idx * 4096 + o.k, 47) * 4800)::numeric, 2)
                               AS amount
             ) x
        """,
            order_base=_next_id(cr, "sale_order"),
            contact_base=contact_base,
            sequence="sale_order",
        )

        # -- survey answers --------------------------------------------------------
        plan(
            "bench_response",
            """
            SELECT %(input_base)s - 1 + row_number() OVER (ORDER BY a.idx, k) AS id,
                   a.idx, k,
                   CASE WHEN a.is_company
                        THEN %(contact_base)s + 3 * (a.idx - 1) + 1
                             + floor(pg_temp.rnd(a.idx * 64 + k, 50) * a.n_contacts)::int
                        ELSE a.id END AS partner_id,
                   (%(today)s::date - 1 - floor(pg_temp.rnd(a.idx * 64 + k, 51) * %(horizon)s)::int)
                       ::timestamp + make_interval(secs => 28800 + floor(
                           pg_temp.rnd(a.idx * 64 + k, 52) * 32400)) AS end_datetime,
                   LEAST(10, GREATEST(0, round(a.satisfaction * 10
                         + (pg_temp.rnd(a.idx * 64 + k, 53) - 0.5) * 4)))::int AS nps,
                   LEAST(5, GREATEST(1, round(1 + a.satisfaction * 4
                         + (pg_temp.rnd(a.idx * 64 + k, 54) - 0.5) * 2)))::int AS csat,
                   pg_temp.rnd(a.idx * 64 + k, 55) < 0.8 AS has_csat,
                   pg_temp.rnd(a.idx * 64 + k, 56) < 0.5 AS has_other
              FROM bench_account a
             CROSS JOIN LATERAL generate_series(1, a.n_responses) k
             WHERE a.n_responses > 0
        """,
            input_base=_next_id(cr, "survey_user_input"),
            contact_base=contact_base,
        )
        run(
            "survey user inputs",
            """
            INSERT INTO survey_user_input (
                id, survey_id, partner_id, state, access_token, email, test_entry,
                is_session_answer, survey_first_submitted, start_datetime, end_datetime,
                create_date, write_date, create_uid, write_uid)
            SELECT r.id, %(survey)s, r.partner_id, 'done', md5('bench-answer-' || r.id), p.email,
                   FALSE, FALSE, TRUE, r.end_datetime - interval '4 minutes', r.end_datetime,
                   r.end_datetime - interval '4 minutes', r.end_datetime, 1, 1
              FROM bench_response r
              JOIN res_partner p ON p.id = r.partner_id
        """,
            sequence="survey_user_input",
        )
        run(
            "survey answer lines",
            """
            INSERT INTO survey_user_input_line (
                user_input_id, survey_id, question_id, question_sequence, answer_type,
                value_scale, skipped, create_date, write_date, create_uid, write_uid)
            SELECT r.id, %(survey)s, q.question_id, q.seq, 'scale', q.value, FALSE,
                   r.end_datetime, r.end_datetime, 1, 1
              FROM bench_response r
             CROSS JOIN LATERAL (
                    VALUES (%(q_nps)s, 1, r.nps, TRUE),
                           (%(q_csat)s, 2, r.csat, r.has_csat),
                           (%(q_other)s, 3, r.csat, r.has_other)
             ) q(question_id, seq, value, present)
             WHERE q.present
             ORDER BY r.id, q.seq
        """,
        )

        # -- visits: Customer Visit events with attendees; other meetings ----------
        plan(
            "bench_visit",
            """
            SELECT %(event_base)s - 1 + row_number() OVER (ORDER BY v.idx, v.k) AS id, v.*
              FROM (
                    -- past visits: the latest `lapse` days ago, then every cadence (±15 percent)
                    SELECT a.idx, k, TRUE AS is_visit,
                           l.lapse + k * a.visit_interval_days
                             + CASE WHEN k = 0 THEN 0 ELSE round((pg_temp.rnd(a.idx * 256 + k, 60)
                                        - 0.5) * 0.3 * a.visit_interval_days)::int END AS days_ago
                      FROM bench_account a
                     CROSS JOIN LATERAL (
                            SELECT CASE WHEN a.r_visited < 0.7
                                        THEN 1 + floor(pg_temp.rnd(a.idx, 61) * a.visit_interval_days)::int
                                        ELSE a.visit_interval_days + 1
                                             + floor(pg_temp.rnd(a.idx, 61) * 2 * a.visit_interval_days)::int
                                   END AS lapse) l
                     CROSS JOIN LATERAL generate_series(
                            0, GREATEST(-1, (a.plan_age_days - l.lapse) / a.visit_interval_days)) k
                     WHERE a.visit_interval_days > 0 AND a.r_visited < 0.9
                     UNION ALL
                    -- an upcoming visit for a third of the plans (not started: not counted)
                    SELECT a.idx, -1, TRUE, -1 - floor(pg_temp.rnd(a.idx, 62) * a.visit_interval_days)::int
                      FROM bench_account a
                     WHERE a.visit_interval_days > 0 AND pg_temp.rnd(a.idx, 63) < 0.33
                     UNION ALL
                    -- other meetings (not Customer Visits: not counted)
                    SELECT a.idx, -2, FALSE, floor(pg_temp.rnd(a.idx, 64) * 365)::int - 30
                      FROM bench_account a
                     WHERE pg_temp.rnd(a.idx, 65) < 0.2
              ) v
        """,
            event_base=_next_id(cr, "calendar_event"),
        )
        run(
            "calendar events",
            """
            INSERT INTO calendar_event (
                id, name, start, stop, duration, allday, active, show_as, recurrency,
                user_id, create_date, write_date, create_uid, write_uid)
            SELECT v.id, CASE WHEN v.is_visit THEN 'Visit ' ELSE 'Call with ' END || a.name,
                   x.start, x.start + interval '1 hour', 1.0, FALSE, TRUE, 'busy', FALSE,
                   (%(users)s::int4[])[a.user_pos],
                   x.start - interval '7 days', x.start - interval '7 days', 1, 1
              FROM bench_visit v
              JOIN bench_account a ON a.idx = v.idx
             CROSS JOIN LATERAL (
                    SELECT (%(today)s::date - v.days_ago)::timestamp
                           + make_interval(secs => 28800 + 1800 * floor(
                                 pg_temp.rnd(v.id, 66) * 16)) AS start
             ) x
        """,
            sequence="calendar_event",
        )
        run(
            "visit types",
            """
            INSERT INTO meeting_category_rel (event_id, type_id)
            SELECT v.id, %(visit_type)s FROM bench_visit v WHERE v.is_visit
        """,
        )
        plan(
            "bench_attendee",
            """
            SELECT v.id AS event_id,
                   CASE WHEN a.is_company
                        THEN %(contact_base)s + 3 * (a.idx - 1) + 1
                             + floor(pg_temp.rnd(v.id, 67) * a.n_contacts)::int
                        ELSE a.id END AS partner_id,
                   CASE WHEN v.days_ago < 0 THEN 'needsAction'
                        WHEN pg_temp.rnd(v.id, 68) < 0.05 THEN 'declined'
                        ELSE 'accepted' END AS state
              FROM bench_visit v
              JOIN bench_account a ON a.idx = v.idx
             UNION ALL
            SELECT v.id, (%(user_partners)s::int4[])[a.user_pos], 'accepted'
              FROM bench_visit v
              JOIN bench_account a ON a.idx = v.idx
        """,
            contact_base=contact_base,
        )
        run(
            "calendar attendees",
            """
            INSERT INTO calendar_attendee (
                event_id, partner_id, state, availability, common_name, access_token,
                create_date, write_date, create_uid, write_uid)
            SELECT t.event_id, t.partner_id, t.state, 'busy', p.name,
                   md5('bench-attendee-' || t.event_id || '-' || t.partner_id),
                   now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
              FROM bench_attendee t
              JOIN res_partner p ON p.id = t.partner_id
             ORDER BY t.event_id, t.partner_id
        """,
        )
        run(
            "event partners",
            """
            INSERT INTO calendar_event_res_partner_rel (calendar_event_id, res_partner_id)
            SELECT DISTINCT event_id, partner_id FROM bench_attendee
        """,
        )

        # -- service-level commitments ---------------------------------------------
        run(
            "service commitments",
            """
            INSERT INTO relationship_sla_event (
                name, partner_id, user_id, company_id, date_start, date_deadline, date_done,
                state, active, create_date, write_date, create_uid, write_uid)
            SELECT (ARRAY['Deliver the order', 'Answer the complaint', 'Send the quotation',
                          'Repair on site', 'Send the certificate'])[1 + floor(pg_temp.rnd(e.key, 70) * 5)::int],
                   a.id, (%(users)s::int4[])[a.user_pos], %(company)s,
                   e.deadline - make_interval(days => 2 + floor(pg_temp.rnd(e.key, 71) * 12)::int),
                   e.deadline, d.done,
                   CASE WHEN d.done IS NULL THEN 'open'
                        WHEN d.done <= e.deadline THEN 'met' ELSE 'breached' END,
                   TRUE,
                   e.deadline - make_interval(days => 14), COALESCE(d.done, e.deadline), 1, 1
              FROM bench_account a
             CROSS JOIN LATERAL generate_series(1, a.n_sla) k
             CROSS JOIN LATERAL (
                    SELECT a.idx * 64 + k AS key,
                           (%(today)s::date - 480 + floor(pg_temp.rnd(a.idx * 64 + k, 72) * 500)::int)
                               ::timestamp + interval '17 hours' AS deadline
             ) e
             CROSS JOIN LATERAL (
                    SELECT CASE
                        -- due later: mostly still open, some done early
                        WHEN e.deadline > %(today)s::date THEN
                             CASE WHEN pg_temp.rnd(e.key, 73) < 0.3
                                  THEN e.deadline - interval '1 day' END
                        -- breached: done late, or never done
                        WHEN pg_temp.rnd(e.key, 74) < a.breach_rate THEN
                             CASE WHEN pg_temp.rnd(e.key, 75) < 0.7
                                   AND e.deadline + make_interval(
                                        days => 1 + floor(pg_temp.rnd(e.key, 76) * 10)::int)
                                       < %(today)s::date
                                  THEN e.deadline + make_interval(
                                        days => 1 + floor(pg_temp.rnd(e.key, 76) * 10)::int) END
                        -- met: done up to two days early
                        ELSE e.deadline - make_interval(hours => floor(pg_temp.rnd(e.key, 77) * 48)::int)
                    END AS done
             ) d
             WHERE a.n_sla > 0
             ORDER BY a.idx, k
        """,
            sequence="relationship_sla_event",
        )

        # -- history: monthly snapshots of the last six months ---------------------
        run(
            "health snapshots",
            """
            INSERT INTO relationship_health_snapshot (
                partner_id, company_id, user_id, snapshot_date, score, band, confidence,
                recency, create_date, write_date, create_uid, write_uid)
            SELECT a.id, %(company)s, (%(users)s::int4[])[a.user_pos], %(today)s::date - 30 * m,
                   s.score,
                   CASE WHEN s.score >= 70 THEN 'healthy' WHEN s.score >= 50 THEN 'watch'
                        WHEN s.score >= 30 THEN 'at_risk' ELSE 'critical' END,
                   75.0, s.score,
                   %(today)s::date - 30 * m, %(today)s::date - 30 * m, 1, 1
              FROM bench_account a
             CROSS JOIN generate_series(1, %(months)s) m
             CROSS JOIN LATERAL (
                    SELECT round((20 + 60 * a.satisfaction
                                  + (pg_temp.rnd(a.idx * 16 + m, 80) - 0.5) * 30)::numeric, 1) AS score
             ) s
             WHERE a.profile <> 'none'
             ORDER BY a.idx, m
        """,
            months=SNAPSHOT_MONTHS,
            sequence="relationship_health_snapshot",
        )

    # A fingerprint of the book, independent of the day and of the ids the
    # template had already used: the same seed and size give the same one.
    cr.execute(
        SQL(
            """
        SELECT md5(string_agg(part, ';' ORDER BY part_order))
          FROM (
                SELECT 1 AS part_order, md5(string_agg(concat_ws(',',
                           so.partner_id - %(base)s, %(today)s::date - so.date_order::date,
                           so.date_order::time, so.state, so.amount_total), ';' ORDER BY so.id)) AS part
                  FROM sale_order so WHERE so.partner_id >= %(base)s
                 UNION ALL
                SELECT 2, md5(string_agg(concat_ws(',',
                           ui.partner_id - %(base)s, %(today)s::date - ui.end_datetime::date,
                           l.question_id - %(q_nps)s, l.value_scale), ';' ORDER BY l.id))
                  FROM survey_user_input_line l JOIN survey_user_input ui ON ui.id = l.user_input_id
                 WHERE ui.partner_id >= %(base)s
                 UNION ALL
                SELECT 3, md5(string_agg(concat_ws(',',
                           a.partner_id - %(base)s, %(today)s::date - e.start::date, e.start::time,
                           a.state), ';' ORDER BY a.id))
                  FROM calendar_attendee a JOIN calendar_event e ON e.id = a.event_id
                 WHERE a.partner_id >= %(base)s
                 UNION ALL
                SELECT 4, md5(string_agg(concat_ws(',',
                           e.partner_id - %(base)s, %(today)s::date - e.date_deadline::date,
                           e.date_done - e.date_deadline, e.state), ';' ORDER BY e.id))
                  FROM relationship_sla_event e WHERE e.partner_id >= %(base)s
                 UNION ALL
                SELECT 5, md5(string_agg(concat_ws(',',
                           p.id - %(base)s, p.name, p.parent_id - %(base)s, p.is_company,
                           p.customer_rank, p.visit_interval_days,
                           %(today)s::date - p.visit_plan_date), ';' ORDER BY p.id))
                  FROM res_partner p WHERE p.id >= %(base)s
          ) parts
        """,
            base=base,
            today=today,
            q_nps=setup["q_nps"],
        )
    )
    fingerprint = cr.fetchone()[0]
    cr.execute(SQL("DROP FUNCTION pg_temp.rnd(int8, int8)"))
    env.invalidate_all()
    counts = {}
    for key, query in {
        "partners": "SELECT count(*) FROM res_partner",
        "orders": "SELECT count(*) FROM sale_order WHERE state = 'sale'",
        "all_orders": "SELECT count(*) FROM sale_order",
        "survey_answers": "SELECT count(*) FROM survey_user_input_line",
        "visits": "SELECT count(*) FROM meeting_category_rel",
        "attendees": "SELECT count(*) FROM calendar_attendee",
        "sla_events": "SELECT count(*) FROM relationship_sla_event",
        "snapshots": "SELECT count(*) FROM relationship_health_snapshot",
        "salespeople": "SELECT count(*) FROM res_users WHERE starts_with(login, 'bench.sales.')",
    }.items():
        cr.execute(SQL(query))
        counts[key] = cr.fetchone()[0]
    counts["fingerprint"] = fingerprint
    counts["generate_seconds"] = round(time.perf_counter() - started, 1)
    return counts
