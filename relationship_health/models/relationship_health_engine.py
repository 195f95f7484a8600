"""The Odoo side of the health score: read inputs in bulk, score, write in bulk.

Every signal is read with one set-based query per batch of accounts
(``health_readers``); the pure scoring core (``..scoring``) turns those
frames into scores and decides every rule; results are written back with one
UPDATE of ``res_partner`` and one upsert of snapshots per batch
(``health_writers``). Nothing here loops over partners through the ORM.
"""

import logging
import threading
import time
from datetime import datetime, timedelta

import pandas as pd

import psycopg2

from odoo import api, models
from odoo.tools import SQL, ormcache, split_every

from ..scoring import compute_health, compute_value, profit_threshold
from ..scoring.rules import next_visit_dates, running_overrides, shown_bands
from ..scoring.scorecards import DEFAULT_SCORECARD, match_scorecards, scorecard_config
from . import health_readers as readers
from .health_clock import day_end, health_today, utc_now
from .health_scorecard_readers import read_scorecards, read_segments
from .health_readers import (  # noqa: F401 - imported from here by the retention automation
    account_company_sql,
    account_money_sql,
    accounts_values_sql,
)
from .health_writers import (  # noqa: F401 - imported from here by the benchmark
    PARTNER_COLUMNS,
    SNAPSHOT_COLUMNS,
    partner_values,
    results_to_follow_up,
    upsert_snapshots,
    write_partners,
)

_logger = logging.getLogger(__name__)

RUN_PARAM = "relationship_health.run_started_at"
BATCH_PARAM = "relationship_health.batch_size"
DEFAULT_BATCH_SIZE = 2000
#: Context key of the scheduled runs (the nightly job, the refresh).
SCHEDULED_RUN = "health_scheduled_run"

# Errors that say nothing about one account (the connection is lost, another
# transaction holds a lock or won a race): the run stops and is resumed later,
# instead of retrying and skipping accounts one by one.
RUN_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError, MemoryError)


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
            conditions.append(
                SQL(
                    "(p.health_computed_at IS NULL OR p.health_computed_at < %s"
                    " OR p.health_computed_at > %s)",
                    pending_since,
                    utc_now(),
                )
            )
        self.env.cr.execute(
            SQL(
                "SELECT p.id FROM res_partner p WHERE %s ORDER BY p.id",
                SQL(" AND ").join(conditions),
            )
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
        companies = (
            self.env["res.company"]
            .sudo()
            .with_context(active_test=False)
            .search([], limit=2)
        )
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
        self.env["relationship.health.pending"]._wait_for_refresh()
        if auto_commit:
            # A fresh transaction, that sees what the refresh wrote.
            self.env.cr.commit()  # pylint: disable=invalid-commit
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
                # The run's start is kept even if the run dies: the next call
                # resumes it (a batch job that commits by design).
                self.env.cr.commit()  # pylint: disable=invalid-commit
        self.env["res.partner"]._health_expire_overrides(today)
        pending = self._account_ids(pending_since=run_start)
        done = self.with_context(**{SCHEDULED_RUN: True})._compute_in_batches(
            pending,
            as_of=today,
            batch_size=batch_size,
            auto_commit=auto_commit,
            run_started_at=run_start,
            now=now,
        )
        params.set_param(RUN_PARAM, False)
        if auto_commit:
            # The run is over: its end is kept.
            self.env.cr.commit()  # pylint: disable=invalid-commit
        return done

    @api.model
    def _compute_in_batches(
        self,
        account_ids,
        as_of=None,
        batch_size=None,
        auto_commit=False,
        run_started_at=None,
        now=None,
    ):
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
        Pending = self.env["relationship.health.pending"].sudo()
        # Profitability is judged against the whole book, once per run.
        engine = self.with_context(
            health_profit_thresholds=self._profit_thresholds(as_of, now=now)
            if account_ids
            else {}
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
                    run_started_at,
                    utc_now(),
                )
            if as_of >= health_today(now):
                # Scored (or recorded as failed): no longer pending, in the
                # batch's transaction (see relationship.health.pending).
                Pending._clear(batch, self.env.context.get("health_pending_upto"))
            recovered = failed_before.intersection(batch).difference(failures)
            if recovered:
                Failure._clear(recovered)
            done += len(batch) - len(failures)
            failed += len(failures)
            if auto_commit:
                # One batch, one transaction: a later failure keeps what is done.
                self.env.cr.commit()  # pylint: disable=invalid-commit
            cron._notify_progress(done=done + failed, remaining=total - done - failed)
        if as_of >= health_today(now):
            # The day's retention work, within each owner's daily limit (all
            # or nothing: a run resumed after a crash hands it out again).
            with self.env.cr.savepoint():
                self.env["relationship.health.retention"]._hand_out(
                    as_of, run_started_at=run_started_at
                )
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        if total:
            _logger.info(
                "Relationship health: %s accounts scored in %.1f s",
                done,
                time.monotonic() - started,
            )
        if failed:
            _logger.warning(
                "Relationship health: %s accounts could not be scored and were skipped "
                "(CRM > Relationship Health > Scoring Failures)",
                failed,
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
                    account_id,
                    text,
                    exc_info=not failures,
                )
                failures[account_id] = (text, self._account_company_of(account_id))
        return failures

    @api.model
    def _account_companies(self, account_ids):
        """``{account id: company id}``: the company each account is scored
        for (one query)."""
        if not account_ids:
            return {}
        self.env.cr.execute(
            SQL(
                "SELECT p.id, %s FROM res_partner p WHERE p.id = ANY(%s)",
                self._account_company_sql("p"),
                list(account_ids),
            )
        )
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
        inputs = self._read_inputs(account_ids, as_of, now)
        money = self._read_money(accounts, as_of, now)
        thresholds = self.env.context.get("health_profit_thresholds")
        if thresholds is None:
            thresholds = self._profit_thresholds(as_of, now=now)
        use_margin = self._use_margin()
        scorecards, configs = self._scorecard_configs(accounts)
        healths = [
            compute_health(
                group,
                today=as_of,
                now=now,
                config=configs[(int(company_id), int(scorecard_id))],
                **inputs,
            )
            for (company_id, scorecard_id), group in accounts.groupby(
                [accounts["company_id"], scorecards], sort=False
            )
        ]
        health = pd.concat(healths) if len(healths) > 1 else healths[0]
        values = [
            compute_value(
                company_accounts,
                inputs["orders"],
                money,
                health["score"],
                as_of,
                configs[(int(company_id), 0)],
                profit_threshold=thresholds.get(int(company_id)),
                use_margin=use_margin,
            )
            for company_id, company_accounts in accounts.groupby(
                "company_id", sort=False
            )
        ]
        results = health.join(pd.concat(values) if len(values) > 1 else values[0])
        results["scorecard_id"] = scorecards
        results = results.join(
            accounts[
                [
                    "company_id",
                    "user_id",
                    "team_id",
                    "band_before",
                    "score_before",
                    "visit_interval_days",
                    "computed_before",
                ]
            ]
        )
        results["visit_next_date"] = next_visit_dates(
            inputs["visits"], results.index, now
        )
        results["computed_band"] = results["band"]
        results["band"] = shown_bands(
            results["computed_band"],
            running_overrides(
                accounts["override_band"], accounts["override_until"], as_of
            ),
        )
        written = self._write_results(results, as_of, now, today)
        if as_of >= today:
            followed = results
            if self.env.context.get(SCHEDULED_RUN):
                # The night and the refresh: no follow-ups decided again for
                # an account scored earlier today whose health did not move.
                followed = results[results_to_follow_up(results, written, today)]
            self._after_batch(followed, as_of)
        return results

    @api.model
    def _after_batch(self, results, as_of):
        """Hook called once per scored batch of today's run, after the write.

        ``results`` is the scoring core's frame (index ``partner_id``) joined
        with ``company_id``, ``user_id`` and the account's band and score
        before this run (``band_before``, ``score_before``). The visit
        reminders, then the retention automation, act on it here.
        """
        self.env["relationship.visit.planner"]._process_batch(results, as_of)
        self.env["relationship.health.retention"]._process_batch(results, as_of)

    # ------------------------------------------------------------------
    # Readers: one query each per batch (see health_readers)
    # ------------------------------------------------------------------
    @api.model
    def _scorecard_configs(self, accounts):
        """The scorecard of each account of a batch and the settings it
        scores with. ``accounts``: the frame of :meth:`_read_accounts` (index
        partner_id, column company_id). Returns a Series of scorecard ids per
        account (0: the company's settings, its default scorecard) and
        ``{(company_id, scorecard_id): ScoringConfig}`` for every pair of the
        batch. One query for the scorecards of the batch's companies and,
        when there are any, one for the accounts' tiers, industries, tags and
        quadrants."""
        companies = self.env["res.company"].sudo()
        configs = {
            (company_id, DEFAULT_SCORECARD): companies.browse(
                company_id
            )._health_scoring_config()
            for company_id in sorted({int(c) for c in accounts["company_id"]})
        }
        matched = pd.Series(DEFAULT_SCORECARD, index=accounts.index, dtype="int64")
        scorecards = read_scorecards(
            self.env.cr, [company_id for company_id, _card in configs]
        )
        if scorecards and len(accounts):
            segments = read_segments(
                self.env.cr, [SQL("p.id = ANY(%s)", accounts.index.tolist())]
            ).join(accounts[["company_id"]], how="right")
            matched = match_scorecards(segments, scorecards).reindex(
                accounts.index, fill_value=DEFAULT_SCORECARD
            )
            used = set(matched.unique().tolist())
            for card in scorecards:
                if card["id"] in used:
                    base = configs[(card["company_id"], DEFAULT_SCORECARD)]
                    configs[(card["company_id"], card["id"])] = scorecard_config(
                        base, card["weights"], card["thresholds"]
                    )
        return matched, configs

    @api.model
    def _read_accounts(self, account_ids, as_of):
        """Accounts with their visit plan, owner, company and trend reference
        (see :func:`.health_readers.read_accounts`)."""
        return readers.read_accounts(
            self.env.cr, account_ids, as_of, self._account_company_sql("p")
        )

    @api.model
    def _read_inputs(self, account_ids, as_of, now):
        """The scoring core's input frames of a batch: one query each."""
        cr = self.env.cr
        visit_type = self.env.ref(
            "relationship_health.calendar_event_type_customer_visit",
            raise_if_not_found=False,
        )
        visit_type_id = visit_type.id if visit_type else None
        return {
            "orders": readers.read_orders(cr, account_ids, now),
            "answers": readers.read_answers(cr, account_ids, as_of, now, visit_type_id),
            "visits": readers.read_visits(
                cr,
                account_ids,
                visit_type_id,
                self._extra_visits_sql(account_ids, now, visit_type),
            ),
            "sla_events": readers.read_sla_events(cr, account_ids, as_of, now),
            "servqual": readers.read_servqual(cr, account_ids, as_of, now),
        }

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
        return readers.read_money(
            self.env.cr, accounts, since, until, self._use_margin()
        )

    @api.model
    def _profit_thresholds(self, as_of=None, now=None):
        """Per company, the 12-month profit from which an account is in the
        top share of all its accounts (one query over the whole book)."""
        as_of = as_of or health_today(now)
        now = day_end(as_of, now)
        since, until = self._money_period(as_of, now)
        self.env.flush_all()
        frame = readers.read_book_profits(
            self.env.cr,
            self._account_company_sql("p"),
            self._account_conditions(),
            since,
            until,
            self._use_margin(),
        )
        thresholds = {}
        for company_id, profits in frame.groupby("company_id")["profit"]:
            company = self.env["res.company"].browse(int(company_id))
            share = company._health_scoring_config().profit_top_share
            thresholds[int(company_id)] = profit_threshold(profits, share)
        return thresholds

    # ------------------------------------------------------------------
    # Writer: one UPDATE and one upsert per batch (see health_writers)
    # ------------------------------------------------------------------
    @api.model
    def _write_results(self, results, as_of, now, today=None):
        """Write the batch's results; return the ids of the partners whose
        row changed (none for a day in the past, only snapshotted)."""
        ids = results.index.astype("int64").tolist()
        values = partner_values(results, as_of)
        written = set()
        if as_of >= (today or health_today()):
            written = write_partners(self.env.cr, ids, values, now)
        upsert_snapshots(self.env.cr, self.env.uid, results, ids, values, as_of, now)
        self.env["res.partner"].invalidate_model(
            [*PARTNER_COLUMNS, "health_computed_at", "health_reasons", "health_summary"]
        )
        self.env["relationship.health.snapshot"].invalidate_model()
        return written
