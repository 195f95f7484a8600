"""The Odoo side of the health score: read inputs in bulk, score, write in bulk.

Every signal is read with one set-based query per batch of accounts; the
pure scoring core (``..scoring``) turns those frames into scores; results are
written back with one UPDATE of ``res_partner`` and one upsert of snapshots per
batch. Nothing here loops over partners through the ORM.
"""

import json
import logging
import threading
import time
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

import psycopg2

from odoo import api, models
from odoo.tools import SQL, ormcache, split_every

from ..scoring import DIMENSIONS, compute_health, compute_value, profit_threshold
from ..scoring.vocabulary import RISK_BANDS
from .health_clock import day_end, health_today, utc_now
from .health_sql import contact_ids_sql

_logger = logging.getLogger(__name__)

RUN_PARAM = "relationship_health.run_started_at"
BATCH_PARAM = "relationship_health.batch_size"
DEFAULT_BATCH_SIZE = 2000
TREND_MIN_AGE_DAYS = 28

# Readers filter their driving table (orders, survey answers, attendees) on the
# contacts of the batch's accounts, so that PostgreSQL walks the partner_id
# indexes instead of scanning the whole table for every batch.

# Columns of res_partner written by the engine, with their SQL array types.
PARTNER_COLUMNS = {
    "health_score": "float8",
    "health_band": "varchar",
    "health_computed_band": "varchar",
    "health_trend": "float8",
    "health_confidence": "float8",
    "health_satisfaction": "float8",
    "health_visits": "float8",
    "health_sla": "float8",
    "health_recency": "float8",
    "health_nps": "float8",
    "health_last_order_date": "date",
    "health_order_interval": "int4",
    "health_last_visit_date": "date",
    "health_details": "jsonb",
    "visit_next_date": "date",
    "visit_due_date": "date",
    "visit_overdue": "bool",
    "visit_held_12m": "int4",
    "visit_planned_12m": "int4",
    "visit_adherence": "float8",
    "health_gap_reliability": "float8",
    "health_gap_responsiveness": "float8",
    "health_gap_assurance": "float8",
    "health_gap_empathy": "float8",
    "health_gap_tangibles": "float8",
    "health_servqual_gap": "float8",
    "health_servqual_weakest": "varchar",
    "health_revenue_12m": "float8",
    "health_revenue_at_risk": "float8",
    "health_margin_12m": "float8",
    "health_loyalty_regularity": "float8",
    "health_tenure_days": "int4",
    "health_quadrant": "varchar",
    "health_clv": "float8",
    "health_team_id": "int4",
}
# Snapshot column -> result column.
SNAPSHOT_COLUMNS = {
    "score": "score",
    "band": "band",
    "confidence": "confidence",
    "satisfaction": "satisfaction",
    "visits": "visits",
    "sla": "sla",
    "recency": "recency",
    "nps": "nps",
}
COMPONENT_COLUMNS = ("satisfaction", "sla", "visits", "recency")
FACT_COLUMNS = (
    "days_since_order", "order_interval_days", "order_interval_is_default", "order_count",
    "answer_count", "days_since_visit", "visit_count_365",
    "sla_event_count", "sla_met_count", "sla_breached_count",
)


# Errors that say nothing about one account (the connection is lost, another
# transaction holds a lock or won a race): the run stops and is resumed later,
# instead of retrying and skipping accounts one by one.
RUN_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError, MemoryError)


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


def account_money_sql(accounts, since, until, use_margin):
    """SQL: the money of accounts over a period, the one definition used by
    the score, the retention automation and the weekly digest.

    ``accounts`` is a query of rows (account id, company id): the company the
    account is scored for. Rows (account id, revenue, margin): the untaxed
    amount and margin of the confirmed orders of the account and its contacts
    placed in that company between ``since`` (excluded) and ``until``
    (included), converted into that company's currency at each order's rate
    (margin NULL when ``sale_margin`` does not track it). Accounts without
    such an order have no row."""
    rate = SQL("COALESCE(NULLIF(so.currency_rate, 0), 1)")
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
      GROUP BY a.id
        """,
        rate=rate,
        margin=margin,
        accounts=accounts,
        since=since,
        until=until,
    )


def accounts_values_sql(account_ids, company_ids):
    """SQL: the rows (account id, company id) of two parallel lists."""
    return SQL("SELECT * FROM unnest(%s::int4[], %s::int4[])",
               [int(i) for i in account_ids], [int(c) for c in company_ids])


def _nullable(series):
    """A column as a list of python values with None for missing ones."""
    return series.astype(object).where(series.notna(), None).tolist()


def _ints(series):
    """An integer column as a list of python ints with None for missing ones."""
    return [None if pd.isna(v) else int(v) for v in series]


def _dates(series):
    """A datetime column as a list of ISO dates (None for missing)."""
    return [None if pd.isna(v) else pd.Timestamp(v).date().isoformat() for v in series]


def _json_value(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


class RelationshipHealthEngine(models.AbstractModel):
    _name = "relationship.health.engine"
    _description = "Relationship Health Engine"

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------
    @api.model
    def _account_conditions(self, partner="p"):
        """SQL conditions on ``res_partner`` (alias ``partner``) that make an
        account: an active commercial partner with a confirmed sale order (of
        its own or of one of its contacts) or a customer rank."""
        alias = SQL.identifier(partner)
        return [
            SQL("%s.active", alias),
            SQL("%s.id = %s.commercial_partner_id", alias, alias),
            SQL(
                """(%(p)s.customer_rank > 0 OR EXISTS (
                        SELECT 1 FROM sale_order so
                          JOIN res_partner c ON c.id = so.partner_id
                         WHERE c.commercial_partner_id = %(p)s.id AND so.state = 'sale'))""",
                p=alias,
            ),
        ]

    @api.model
    def _account_ids(self, partner_ids=None, pending_since=None):
        """Ids of the accounts to score, in id order (see :meth:`_account_conditions`)."""
        self.env.flush_all()
        conditions = self._account_conditions()
        if partner_ids is not None:
            conditions.append(SQL("p.id = ANY(%s)", list(partner_ids)))
        if pending_since is not None:
            # Scored since the run started: done. A date in the future cannot
            # come from the engine and never hides an account from the job.
            conditions.append(SQL(
                "(p.health_computed_at IS NULL OR p.health_computed_at < %s"
                " OR p.health_computed_at > %s)", pending_since, utc_now(),
            ))
        self.env.cr.execute(
            SQL("SELECT p.id FROM res_partner p WHERE %s ORDER BY p.id", SQL(" AND ").join(conditions))
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _default_company_id(self):
        """The company of the accounts shared between companies that never
        ordered: the main company (the first one when it was deleted)."""
        main = self.env.ref("base.main_company", raise_if_not_found=False)
        if main:
            return main.id
        return self.env["res.company"].sudo().search([], order="id", limit=1).id

    @api.model
    @ormcache()
    def _single_company_id(self):
        """The id of the database's only company; None when there are several
        (cached: creating a company clears the registry's caches)."""
        companies = self.env["res.company"].sudo().with_context(active_test=False).search(
            [], limit=2)
        return companies.id if len(companies) == 1 else None

    @api.model
    def _account_company_sql(self, partner="p"):
        """SQL: the company the account ``partner`` (alias) is scored for.
        With a single company, every order is of that company: the lookup of
        the latest order is skipped."""
        single = self._single_company_id()
        if single:
            return SQL("COALESCE(%s.company_id, %s)", SQL.identifier(partner), single)
        return account_company_sql(partner, self._default_company_id())

    @api.model
    def _batch_size(self):
        value = self.env["ir.config_parameter"].sudo().get_param(BATCH_PARAM)
        try:
            return max(int(value), 1) if value else DEFAULT_BATCH_SIZE
        except ValueError:
            return DEFAULT_BATCH_SIZE

    @api.model
    def _run_nightly(self, batch_size=None, now=None):
        """Score every account, batch by batch, committing between batches.

        A run that stops half-way (crash, timeout) is resumed by the next
        call of the same day: accounts already scored since the run started
        are skipped; snapshots are upserted, so none is ever duplicated.
        """
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        params = self.env["ir.config_parameter"].sudo()
        now = now or utc_now()
        today = health_today(now)
        started = params.get_param(RUN_PARAM)
        started = datetime.fromisoformat(started) if started else None
        if started and health_today(started) == today:
            run_start = started
            _logger.info("Resuming the relationship health run started at %s", started)
        else:
            run_start = now
            params.set_param(RUN_PARAM, run_start.isoformat(sep=" "))
            if auto_commit:
                self.env.cr.commit()
        self.env["res.partner"]._health_expire_overrides(today)
        pending = self._account_ids(pending_since=run_start)
        done = self._compute_in_batches(
            pending, as_of=today, batch_size=batch_size, auto_commit=auto_commit,
            run_started_at=run_start, now=now,
        )
        params.set_param(RUN_PARAM, False)
        if auto_commit:
            self.env.cr.commit()
        return done

    @api.model
    def _compute_in_batches(self, account_ids, as_of=None, batch_size=None, auto_commit=False,
                            run_started_at=None, now=None):
        """Score ``account_ids`` batch by batch; each batch is atomic.

        A batch that raises is scored again account by account, each in its
        own savepoint: the accounts that still fail are skipped, logged and
        recorded (``relationship.health.failure``) and the others are scored;
        a failure is forgotten as soon as its account is scored. Errors that
        are not about an account (:data:`RUN_ERRORS`: the connection, locks,
        concurrent updates) stop the run instead, to be resumed.
        ``now`` (naive UTC, default: now) is the run's instant; ``as_of``
        (default: its UTC day) the day scored. Returns the number of accounts
        scored."""
        now = now or utc_now()
        as_of = as_of or health_today(now)
        batch_size = batch_size or self._batch_size()
        total = len(account_ids)
        done = failed = 0
        started = time.monotonic()
        cron = self.env["ir.cron"]
        Failure = self.env["relationship.health.failure"].sudo()
        # Profitability is judged against the whole book, once per run.
        engine = self.with_context(
            health_profit_thresholds=self._profit_thresholds(as_of, now=now) if account_ids else {}
        )
        failed_before = Failure._failed_ids() if account_ids else set()
        for batch in split_every(batch_size, account_ids, list):
            failures = {}
            try:
                with self.env.cr.savepoint():
                    engine._compute_batch(batch, as_of=as_of, now=now)
            except RUN_ERRORS:
                raise
            except Exception:  # noqa: BLE001 - retried account by account below
                failures = engine._compute_one_by_one(batch, as_of, now)
            if failures:
                Failure._record(
                    {pid: error for pid, (error, _company) in failures.items()},
                    {pid: company for pid, (_error, company) in failures.items()},
                    run_started_at, utc_now(),
                )
            recovered = failed_before.intersection(batch).difference(failures)
            if recovered:
                Failure._clear(recovered)
            done += len(batch) - len(failures)
            failed += len(failures)
            if auto_commit:
                self.env.cr.commit()
            cron._notify_progress(done=done + failed, remaining=total - done - failed)
        if total:
            _logger.info(
                "Relationship health: %s accounts scored in %.1f s", done, time.monotonic() - started
            )
        if failed:
            _logger.warning(
                "Relationship health: %s accounts could not be scored and were skipped "
                "(CRM > Relationship Health > Scoring Failures)", failed,
            )
        return done

    @api.model
    def _compute_one_by_one(self, account_ids, as_of, now=None):
        """Score each account of a batch that raised in its own savepoint.
        Returns ``{partner_id: (error text, company id)}`` of those that fail."""
        failures = {}
        for account_id in account_ids:
            try:
                with self.env.cr.savepoint():
                    self._compute_batch([account_id], as_of=as_of, now=now)
            except RUN_ERRORS:
                raise
            except Exception as error:  # noqa: BLE001 - the account is skipped, not the run
                text = f"{type(error).__name__}: {error}"
                # The traceback once per batch: a bug that hits every account
                # must not flood the log.
                _logger.warning(
                    "Relationship health: account %s could not be scored and was skipped: %s",
                    account_id, text, exc_info=not failures,
                )
                failures[account_id] = (text, self._account_company_of(account_id))
        return failures

    @api.model
    def _account_companies(self, account_ids):
        """``{account id: company id}``: the company each account is scored
        for (one query)."""
        if not account_ids:
            return {}
        self.env.cr.execute(SQL(
            "SELECT p.id, %s FROM res_partner p WHERE p.id = ANY(%s)",
            self._account_company_sql("p"), list(account_ids),
        ))
        return dict(self.env.cr.fetchall())

    @api.model
    def _account_company_of(self, account_id):
        """The company an account is scored for (one query, for failures)."""
        return self._account_companies([account_id]).get(account_id)

    # ------------------------------------------------------------------
    # One batch
    # ------------------------------------------------------------------
    @api.model
    def _compute_batch(self, account_ids, as_of=None, now=None):
        """Read, score and write one batch of accounts (ids of commercial partners).

        ``now`` (naive UTC, default: now) is the instant of the run and
        ``as_of`` (default: its UTC day) the day scored: a day in the past is
        scored as of its last instant and only snapshotted."""
        if not account_ids:
            return pd.DataFrame()
        now = now or utc_now()
        today = health_today(now)
        as_of = as_of or today
        self.env.flush_all()
        # The batch's queries join a few thousand ids with lateral lookups:
        # PostgreSQL's estimates put them past its JIT threshold, and compiling
        # them costs far more (about a second each) than running them (tens of
        # milliseconds). For the rest of this transaction only.
        self.env.cr.execute(SQL("SET LOCAL jit = off"))
        now = day_end(as_of, now)
        accounts = self._read_accounts(account_ids, as_of)
        inputs = {
            "orders": self._read_orders(account_ids, now),
            "answers": self._read_answers(account_ids, as_of, now),
            "visits": self._read_visits(account_ids, now),
            "sla_events": self._read_sla_events(account_ids, as_of, now),
            "servqual": self._read_servqual(account_ids, as_of, now),
        }
        money = self._read_money(accounts, as_of, now)
        thresholds = self.env.context.get("health_profit_thresholds")
        if thresholds is None:
            thresholds = self._profit_thresholds(as_of, now=now)
        use_margin = self._use_margin()
        frames = []
        for company_id, company_accounts in accounts.groupby("company_id", sort=False):
            company = self.env["res.company"].browse(int(company_id))
            config = company._health_scoring_config()
            health = compute_health(company_accounts, today=as_of, now=now, config=config,
                                    **inputs)
            value = compute_value(
                company_accounts, inputs["orders"], money, health["score"], as_of, config,
                profit_threshold=thresholds.get(int(company_id)), use_margin=use_margin,
            )
            frames.append(health.join(value))
        results = pd.concat(frames) if len(frames) > 1 else frames[0]
        results = results.join(accounts[[
            "company_id", "user_id", "team_id", "band_before", "score_before",
            "visit_interval_days",
        ]])
        visits = inputs["visits"]
        upcoming = visits[pd.to_datetime(visits["visit_date"]) > pd.Timestamp(now)]
        results["visit_next_date"] = pd.to_datetime(
            upcoming.groupby("partner_id")["visit_date"].min()
        ).reindex(results.index)
        # A manager's override replaces the band users see (and that drives
        # follow-ups) until it expires; the computed band is kept beside it.
        results["computed_band"] = results["band"]
        overridden = accounts["override_band"].notna()
        results.loc[overridden, "band"] = accounts.loc[overridden, "override_band"]
        self._write_results(results, as_of, now, today)
        if as_of >= today:
            self.env["relationship.visit.planner"]._process_batch(results, as_of)
            self._after_batch(results, as_of)
        return results

    @api.model
    def _after_batch(self, results, as_of):
        """Hook called once per scored batch of today's run, after the write.

        ``results`` is the scoring core's frame (index ``partner_id``) joined
        with ``company_id``, ``user_id`` and the account's band and score
        before this run (``band_before``, ``score_before``).
        """
        self.env["relationship.health.retention"]._process_batch(results, as_of)

    # ------------------------------------------------------------------
    # Readers: one query each per batch
    # ------------------------------------------------------------------
    def _fetch_frame(self, query, columns):
        self.env.cr.execute(query)
        return pd.DataFrame(self.env.cr.fetchall(), columns=columns)

    @api.model
    def _read_accounts(self, account_ids, as_of):
        """Accounts with their visit plan, owner, company and trend reference."""
        frame = self._fetch_frame(
            SQL(
                """
                SELECT p.id, %(company)s, p.user_id, u.sale_team_id,
                       p.health_band, p.health_score,
                       CASE WHEN p.health_override_until >= %(as_of)s
                            THEN p.health_override_band END,
                       p.visit_interval_days,
                       COALESCE(p.visit_plan_date, p.create_date::date),
                       prev.score
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
                company=self._account_company_sql("p"),
                ref_date=as_of - timedelta(days=TREND_MIN_AGE_DAYS),
                as_of=as_of,
                ids=list(account_ids),
            ),
            ["partner_id", "company_id", "user_id", "team_id", "band_before", "score_before",
             "override_band", "visit_interval_days", "visit_plan_start", "previous_score"],
        )
        frame["visit_interval_days"] = frame["visit_interval_days"].fillna(0).astype("int64")
        frame["visit_plan_start"] = pd.to_datetime(frame["visit_plan_start"])
        frame["previous_score"] = frame["previous_score"].astype("float64")
        frame["score_before"] = frame["score_before"].astype("float64")
        return frame.set_index("partner_id")

    @api.model
    def _read_orders(self, account_ids, now):
        """Distinct order days of confirmed orders, per account."""
        return self._fetch_frame(
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

    @api.model
    def _read_answers(self, account_ids, as_of, now):
        """Completed answers to questions flagged with a health metric, and
        the customer moods noted by sales reps in their visit reports."""
        visit_type = self.env.ref(
            "relationship_health.calendar_event_type_customer_visit", raise_if_not_found=False
        )
        answers = self._answer_lines_sql(
            SQL("q.health_metric, q.scale_min, q.scale_max"), SQL("q.health_metric IS NOT NULL"),
            account_ids, as_of, now,
        )
        return self._fetch_frame(
            SQL(
                """
                %(answers)s
             UNION ALL
                SELECT DISTINCT ON (e.id, c.commercial_partner_id)
                       c.commercial_partner_id, e.start, e.visit_mood::int, 'mood', 1, 5
                  FROM calendar_event e
                  JOIN meeting_category_rel r ON r.event_id = e.id AND r.type_id = %(visit_type)s
                  JOIN calendar_attendee a ON a.event_id = e.id
                  JOIN res_partner c ON c.id = a.partner_id
                 WHERE e.active
                   AND a.state != 'declined'
                   AND e.visit_mood IS NOT NULL
                   AND e.start <= %(now)s
                   AND e.start >= %(since)s
                   AND a.partner_id = ANY(%(contacts)s)
                """,
                answers=answers,
                now=now,
                since=as_of - timedelta(days=731),
                contacts=contact_ids_sql(account_ids),
                visit_type=visit_type.id if visit_type else None,
            ),
            ["partner_id", "answer_date", "value", "metric", "scale_min", "scale_max"],
        )

    @api.model
    def _read_visits(self, account_ids, now):
        """Days of Customer Visits with the account among their attendees (the
        account itself or a contact) who did not decline, plus the visits of
        :meth:`_extra_visits_sql`. Visits still to come are read too: the core
        counts only those started, the engine takes the next planned one from
        the others."""
        visit_type = self.env.ref(
            "relationship_health.calendar_event_type_customer_visit", raise_if_not_found=False
        )
        queries = []
        if visit_type:
            queries.append(SQL(
                """
                SELECT c.commercial_partner_id, e.start
                  FROM calendar_event e
                  JOIN meeting_category_rel r ON r.event_id = e.id AND r.type_id = %(type)s
                  JOIN calendar_attendee a ON a.event_id = e.id
                  JOIN res_partner c ON c.id = a.partner_id
                 WHERE e.active
                   AND a.state != 'declined'
                   AND a.partner_id = ANY(%(contacts)s)
                """,
                type=visit_type.id,
                contacts=contact_ids_sql(account_ids),
            ))
        queries += self._extra_visits_sql(account_ids, now, visit_type)
        if not queries:
            return pd.DataFrame(columns=["partner_id", "visit_date"])
        return self._fetch_frame(
            SQL(
                "SELECT partner_id, visit_date FROM (%s) AS visits(partner_id, visit_date)"
                " GROUP BY 1, 2",
                SQL(" UNION ALL ").join(queries),
            ),
            ["partner_id", "visit_date"],
        )

    @api.model
    def _extra_visits_sql(self, account_ids, now, visit_type):
        """Hook for addons that keep visits elsewhere than in the calendar.

        Return a list of ``SQL`` queries, each selecting rows (commercial
        partner id, visit timestamp in UTC) for the accounts ``account_ids``:
        a visit held at or before ``now`` counts as held, a later one as
        planned. ``visit_type`` is the Customer Visit event type (or None):
        a query must leave out the visits already read from the calendar,
        i.e. active events of that type with the account among the attendees.
        """
        return []

    @api.model
    def _read_servqual(self, account_ids, as_of, now):
        """Completed answers to SERVQUAL items (expectation and perception)."""
        return self._fetch_frame(
            self._answer_lines_sql(
                SQL("q.servqual_dimension, q.servqual_side"),
                SQL("q.servqual_dimension IS NOT NULL AND q.servqual_side IS NOT NULL"),
                account_ids, as_of, now,
            ),
            ["partner_id", "answer_date", "value", "dimension", "side"],
        )

    def _answer_lines_sql(self, columns, condition, account_ids, as_of, now):
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

    @api.model
    def _use_margin(self):
        """Profitability is the margin when sale_margin tracks it, else the revenue."""
        return "margin" in self.env["sale.order"]._fields

    @api.model
    def _money_period(self, as_of, now):
        """The 12 months the money of an account is counted over: orders
        after ``as_of`` − 365 days, up to ``now``."""
        return as_of - timedelta(days=365), now

    @api.model
    def _read_money(self, accounts, as_of, now):
        """Revenue and margin of the last 12 months per account (the accounts
        frame: index partner_id, column company_id), in the currency of the
        company each account is scored for (see :func:`account_money_sql`)."""
        since, until = self._money_period(as_of, now)
        return self._fetch_frame(
            account_money_sql(
                accounts_values_sql(accounts.index, accounts["company_id"]),
                since, until, self._use_margin(),
            ),
            ["partner_id", "revenue", "margin"],
        )

    @api.model
    def _profit_thresholds(self, as_of=None, now=None):
        """Per company, the 12-month profit from which an account is in the
        top share of all its accounts (one query over the whole book)."""
        as_of = as_of or health_today(now)
        now = day_end(as_of, now)
        since, until = self._money_period(as_of, now)
        use_margin = self._use_margin()
        self.env.flush_all()
        frame = self._fetch_frame(
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
                company=self._account_company_sql("p"),
                accounts=SQL(" AND ").join(self._account_conditions()),
                money=account_money_sql(SQL("SELECT id, company_id FROM book"), since, until,
                                        use_margin),
            ),
            ["company_id", "profit"],
        )
        thresholds = {}
        for company_id, profits in frame.groupby("company_id")["profit"]:
            company = self.env["res.company"].browse(int(company_id))
            share = company._health_scoring_config().profit_top_share
            thresholds[int(company_id)] = profit_threshold(profits, share)
        return thresholds

    @api.model
    def _read_sla_events(self, account_ids, as_of, now):
        """Service-level commitments due in the last year."""
        return self._fetch_frame(
            SQL(
                """
                SELECT e.partner_id, e.date_deadline, e.date_done, e.policy_id
                  FROM relationship_sla_event e
                 WHERE e.active
                   AND e.date_deadline <= %(now)s
                   AND e.date_deadline >= %(since)s
                   AND e.partner_id = ANY(%(ids)s)
                """,
                now=now,
                since=as_of - timedelta(days=366),
                ids=list(account_ids),
            ),
            ["partner_id", "deadline", "done", "policy_id"],
        )

    # ------------------------------------------------------------------
    # Writer: one UPDATE and one upsert per batch
    # ------------------------------------------------------------------
    @api.model
    def _details(self, results):
        """Per account JSON: the reasons and the facts behind the score."""
        facts = results[list(FACT_COLUMNS)]
        components = results[list(COMPONENT_COLUMNS)]
        details = []
        for reasons, fact_row, component_row in zip(
            results["reasons"], facts.itertuples(index=False), components.itertuples(index=False)
        ):
            details.append(json.dumps({
                "reasons": reasons,
                "components": {
                    name: _json_value(value) for name, value in zip(COMPONENT_COLUMNS, component_row)
                },
                "facts": {name: _json_value(value) for name, value in zip(FACT_COLUMNS, fact_row)},
            }))
        return details

    @api.model
    def _write_results(self, results, as_of, now, today=None):
        ids = results.index.astype("int64").tolist()
        values = {
            "health_score": _nullable(results["score"]),
            "health_band": results["band"].tolist(),
            "health_computed_band": results["computed_band"].tolist(),
            "health_trend": _nullable(results["trend"]),
            "health_confidence": _nullable(results["confidence"]),
            "health_satisfaction": _nullable(results["satisfaction"]),
            "health_visits": _nullable(results["visits"]),
            "health_sla": _nullable(results["sla"]),
            "health_recency": _nullable(results["recency"]),
            "health_nps": _nullable(results["nps"]),
            "health_last_order_date": _dates(results["last_order_date"]),
            "health_order_interval": _ints(results["order_interval_days"].round()),
            "health_last_visit_date": _dates(results["last_visit_date"]),
            "health_details": self._details(results),
            "visit_next_date": _dates(results["visit_next_date"]),
            "visit_due_date": _dates(results["visit_due_date"]),
            "visit_overdue": (
                results["visit_due_date"].notna()
                & (results["visit_due_date"] < pd.Timestamp(as_of))
            ).tolist(),
            "visit_held_12m": _ints(results["visit_count_365"]),
            "visit_planned_12m": _ints(results["visits_planned_365"]),
            "visit_adherence": _nullable(results["visit_adherence"].round(1)),
            **{f"health_gap_{name}": _nullable(results[f"gap_{name}"]) for name in DIMENSIONS},
            "health_servqual_gap": _nullable(results["gap_overall"]),
            "health_servqual_weakest": _nullable(results["weakest_dimension"]),
            "health_revenue_12m": _nullable(results["revenue_12m"].round(2)),
            "health_revenue_at_risk": (
                results["revenue_12m"].fillna(0.0).round(2)
                .where(results["band"].isin(RISK_BANDS), 0.0).tolist()
            ),
            "health_margin_12m": _nullable(results["margin_12m"].round(2)),
            "health_loyalty_regularity": _nullable(results["loyalty_regularity"].round(1)),
            "health_tenure_days": _ints(results["tenure_days"]),
            "health_quadrant": _nullable(results["quadrant"]),
            "health_clv": _nullable(results["clv"].round(2)),
            "health_team_id": _ints(results["team_id"]),
        }
        if as_of >= (today or health_today()):
            self._write_partners(ids, values, now)
        self._upsert_snapshots(results, ids, values, as_of, now)
        self.env["res.partner"].invalidate_model(
            [*PARTNER_COLUMNS, "health_computed_at", "health_reasons", "health_summary"]
        )
        self.env["relationship.health.snapshot"].invalidate_model()

    def _write_partners(self, ids, values, now):
        """The current health of the accounts: one UPDATE for the batch."""
        arrays = SQL(", ").join(
            SQL("%s::%s[]", values[name], SQL(sqltype)) for name, sqltype in PARTNER_COLUMNS.items()
        )
        assignments = SQL(", ").join(
            SQL("%s = v.%s", SQL.identifier(name), SQL.identifier(name)) for name in PARTNER_COLUMNS
        )
        self.env.cr.execute(SQL(
            """
            UPDATE res_partner p
               SET %(assignments)s, health_computed_at = %(now)s
              FROM unnest(%(ids)s::int4[], %(arrays)s) AS v(id, %(names)s)
             WHERE p.id = v.id
            """,
            assignments=assignments,
            now=now,
            ids=ids,
            arrays=arrays,
            names=SQL(", ").join(SQL.identifier(name) for name in PARTNER_COLUMNS),
        ))

    def _upsert_snapshots(self, results, ids, values, as_of, now):
        """One snapshot per account and day: insert, or update today's row."""
        snapshot_arrays = SQL(", ").join(
            SQL("%s::%s[]", values[f"health_{col}"], SQL(PARTNER_COLUMNS[f"health_{col}"]))
            for col in SNAPSHOT_COLUMNS
        )
        names = SQL(", ").join(SQL.identifier(col) for col in SNAPSHOT_COLUMNS)
        self.env.cr.execute(SQL(
            """
            INSERT INTO relationship_health_snapshot
                   (partner_id, company_id, user_id, snapshot_date, %(names)s,
                    create_uid, create_date, write_uid, write_date)
            SELECT v.partner_id, v.company_id, v.user_id, %(date)s, %(v_names)s,
                   %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM unnest(%(ids)s::int4[], %(companies)s::int4[], %(users)s::int4[],
                          %(arrays)s) AS v(partner_id, company_id, user_id, %(names)s)
            ON CONFLICT (partner_id, snapshot_date) DO UPDATE
               SET (company_id, user_id, %(names)s, write_uid, write_date)
                 = (EXCLUDED.company_id, EXCLUDED.user_id, %(excluded)s,
                    EXCLUDED.write_uid, EXCLUDED.write_date)
            """,
            names=names,
            v_names=SQL(", ").join(SQL("v.%s", SQL.identifier(col)) for col in SNAPSHOT_COLUMNS),
            excluded=SQL(", ").join(SQL("EXCLUDED.%s", SQL.identifier(col)) for col in SNAPSHOT_COLUMNS),
            date=as_of,
            uid=self.env.uid,
            now=now,
            ids=ids,
            companies=results["company_id"].astype("int64").tolist(),
            users=_ints(results["user_id"]),
            arrays=snapshot_arrays,
        ))
