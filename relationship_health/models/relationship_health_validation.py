"""Score validation: did the score foretell which accounts lapsed?

A run takes, for each account of a company and each month of the last 24
(:func:`..scoring.backtest.validation_dates`), its band at that date — the
nightly snapshot of that day where there is one, else the score the core
recomputes from what was known by the end of that date — and whether the account
lapsed in the 180 days that followed; then the figures of the score per band,
scorecard and salesperson (:mod:`..scoring.validation`).

The work runs in the scheduled job only (weekly, or triggered by a manager),
in batches of accounts: one read of the inputs per batch for all dates, one
INSERT of its points, a commit per batch; a run that stops half-way is
resumed by the next call without duplicates. It reads the accounts and never
writes or locks ``res_partner``: the nightly job runs beside it.
"""

import logging
import threading
import pandas as pd

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, split_every

from ..scoring.backtest import (
    SNAPSHOT_SCORES,
    backtest_points,
    prefer_snapshots,
    validation_dates,
)
from ..scoring.scorecards import DEFAULT_SCORECARD
from . import health_readers as readers
from .health_actions import reload_notification
from .health_clock import day_end, health_today, utc_now
from .health_scorecard_readers import read_scorecards
from .relationship_health_engine import RUN_ERRORS

_logger = logging.getLogger(__name__)

VALIDATION_STATES = [
    ("queued", "Queued"),
    ("running", "Running"),
    ("done", "Done"),
    ("failed", "Failed"),
]


class RelationshipHealthValidation(models.Model):
    _name = "relationship.health.validation"
    _description = "Relationship Health Score Validation"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"

    name = fields.Char(compute="_compute_name")
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    date = fields.Date(
        string="Run On",
        required=True,
        readonly=True,
        help="The day of the run: the dates validated are the first days of the "
        "24 months whose 180-day horizon had ended by then.",
    )
    state = fields.Selection(
        VALIDATION_STATES, required=True, readonly=True, default="queued"
    )
    is_latest = fields.Boolean(
        string="Latest", readonly=True, help="The company's latest finished run."
    )
    progress = fields.Float(string="Progress (%)", readonly=True, digits=(5, 1))
    date_from = fields.Date(string="First Date", readonly=True)
    date_to = fields.Date(string="Last Date", readonly=True)
    date_count = fields.Integer(string="Dates", readonly=True)
    account_count = fields.Integer(string="Accounts", readonly=True)
    accounts_done = fields.Integer(readonly=True)
    accounts_skipped = fields.Integer(
        readonly=True,
        help="Accounts whose points could not be computed (see the server log); "
        "a new run tries them again.",
    )
    line_count = fields.Integer(string="Points", readonly=True)
    min_accounts = fields.Integer(
        string="Minimum Accounts",
        readonly=True,
        help="The company's minimum when the run started: no figure rests on fewer.",
    )
    started_at = fields.Datetime(readonly=True)
    finished_at = fields.Datetime(readonly=True)
    error = fields.Text(readonly=True)
    figure_ids = fields.One2many(
        "relationship.health.validation.figure", "run_id", string="Figures"
    )

    @api.depends("date", "company_id")
    def _compute_name(self):
        for run in self:
            run.name = _(
                "Score validation of %(date)s", date=fields.Date.to_string(run.date)
            )

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    @api.model
    def action_run_validation(self):
        """Queue a run for the current company and wake the scheduled job up:
        the work never runs in the request."""
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise UserError(_("Only sales managers run the score validation."))
        company = self.env.company
        if not self.search_count(
            [("company_id", "=", company.id), ("state", "in", ("queued", "running"))]
        ):
            self.create({"company_id": company.id, "date": health_today()})
        self.env.ref(
            "relationship_health.ir_cron_relationship_health_validation"
        ).sudo()._trigger()
        return reload_notification(
            _(
                "The score validation runs in the background; its figures appear "
                "under Score Validation when it is done."
            ),
            kind="info",
        )

    # ------------------------------------------------------------------
    # The job
    # ------------------------------------------------------------------
    @api.model
    def _cron_run_validation(self, now=None, batch_size=None):
        """Run the queued (or resume the interrupted) runs; without any, a
        new run for every company with accounts. ``now``: naive UTC."""
        now = now or utc_now()
        engine = self.env["relationship.health.engine"]
        runs = self.sudo().search([("state", "in", ("queued", "running"))], order="id")
        account_ids = engine._account_ids()
        companies = engine._account_companies(account_ids)
        if not runs:
            runs = self.sudo().create(
                [
                    {"company_id": company_id, "date": health_today(now)}
                    for company_id in sorted(set(companies.values()))
                ]
            )
        for run in runs:
            ids = [i for i in account_ids if companies.get(i) == run.company_id.id]
            run._run(ids, now, batch_size)

    def _run(self, account_ids, now, batch_size=None, auto_commit=None):
        """Validate ``account_ids`` (the accounts of the run's company) batch
        by batch, then compute the figures. Committed per batch outside tests
        (``auto_commit`` False: never, as when demo data loads); the accounts
        whose points are already in the run are skipped."""
        self.ensure_one()
        if auto_commit is None:
            auto_commit = not getattr(threading.current_thread(), "testing", False)
        engine = self.env["relationship.health.engine"]
        batch_size = batch_size or engine._batch_size()
        dates = validation_dates(self.date)
        Line = self.env["relationship.health.validation.line"].sudo()
        done_ids = Line._done_partner_ids(self.id)
        pending = [i for i in account_ids if i not in done_ids]
        total = len(done_ids) + len(pending)
        done, skipped = len(done_ids), 0
        values = {
            "state": "running",
            "date_from": dates[0],
            "date_to": dates[-1],
            "date_count": len(dates),
            "account_count": total,
            "accounts_done": done,
            "error": False,
        }
        if not self.started_at:
            values.update(
                started_at=now,
                min_accounts=self.company_id.health_validation_min_accounts,
            )
        self.write(values)
        if auto_commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        try:
            for batch in split_every(batch_size, pending, list):
                failures = set()
                try:
                    with self.env.cr.savepoint():
                        inserted = self._validate_batch(batch, dates, now)
                except RUN_ERRORS:
                    raise
                except Exception:  # noqa: BLE001 - retried account by account below
                    inserted, failures = self._validate_one_by_one(batch, dates, now)
                done += len(batch) - len(failures)
                skipped += len(failures)
                self.write(
                    {
                        "accounts_done": done,
                        "accounts_skipped": skipped,
                        "line_count": self.line_count + inserted,
                        "progress": 100.0 * (done + skipped) / total
                        if total
                        else 100.0,
                    }
                )
                if auto_commit:
                    # One batch, one transaction: a later failure keeps what is done.
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                self.env["ir.cron"]._notify_progress(
                    done=done + skipped, remaining=total - done - skipped
                )
            self._finish()
        except RUN_ERRORS:
            raise
        except Exception as error:
            if not auto_commit:
                raise
            self.env.cr.rollback()
            _logger.exception("Score validation %s failed", self.id)
            self.write({"state": "failed", "error": f"{type(error).__name__}: {error}"})
        if auto_commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _finish(self):
        """The figures of the run from its lines; the run is done and the
        latest of its company, the only one whose points are kept."""
        Figure = self.env["relationship.health.validation.figure"].sudo()
        Figure.search([("run_id", "=", self.id)]).unlink()
        # The current weights of the company's settings and of its active
        # scorecards (one query; no account is matched again).
        company = self.company_id.sudo()
        weights_of = {DEFAULT_SCORECARD: company._health_scoring_config().weights}
        weights_of.update(
            (card["id"], card["weights"])
            for card in read_scorecards(self.env.cr, company.ids)
        )
        Figure._build(self, weights_of)
        self.search(
            [("company_id", "=", self.company_id.id), ("is_latest", "=", True)]
        ).write({"is_latest": False})
        # The points of the company's earlier runs go (their figures stay):
        # two million rows a week would pile up.
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM relationship_health_validation_line
                 WHERE run_id IN (SELECT id FROM relationship_health_validation
                                   WHERE company_id = %s AND id != %s
                                     AND state IN ('done', 'failed'))
                """,
                self.company_id.id,
                self.id,
            )
        )
        self.write(
            {
                "state": "done",
                "is_latest": True,
                "progress": 100.0,
                "finished_at": utc_now(),
            }
        )

    def _validate_one_by_one(self, account_ids, dates, now):
        """Each account of a batch that raised in its own savepoint: the
        points inserted and the ids of the accounts that still fail."""
        inserted, failures = 0, set()
        for account_id in account_ids:
            try:
                with self.env.cr.savepoint():
                    inserted += self._validate_batch([account_id], dates, now)
            except RUN_ERRORS:
                raise
            except Exception:  # noqa: BLE001 - the account is skipped, not the run
                _logger.warning(
                    "Score validation: account %s skipped",
                    account_id,
                    exc_info=not failures,
                )
                failures.add(account_id)
        return inserted, failures

    # ------------------------------------------------------------------
    # One batch
    # ------------------------------------------------------------------
    def _validate_batch(self, account_ids, dates, now):
        """The points of a batch of accounts at every date: the inputs read
        once (the orders, answers, visits and commitments up to the end of
        the run's day), a backtest per date, the snapshots preferred, one
        INSERT. Returns the number of points inserted."""
        cr = self.env.cr
        engine = self.env["relationship.health.engine"]
        # The batch's queries are cheap to run and costly to compile (see
        # the engine's _compute_batch).
        cr.execute(SQL("SET LOCAL jit = off"))
        until = day_end(self.date, now)
        accounts = engine._read_accounts(account_ids, dates[0])
        inputs = engine._read_inputs(account_ids, dates[0], until)
        amounts = readers.read_order_amounts(cr, accounts, until)
        scorecard_of, configs = engine._scorecard_configs(accounts)
        points = backtest_points(
            accounts, inputs, amounts, dates, configs, scorecard_of
        )
        points = prefer_snapshots(points, self._read_snapshots(account_ids, dates))
        points["user_id"] = (
            points["partner_id"].map(accounts["user_id"]).astype("Int64")
        )
        points["company_id"] = (
            points["partner_id"].map(accounts["company_id"]).astype("Int64")
        )
        # The company's own settings (scorecard 0) are no scorecard record.
        points["scorecard_id"] = (
            points["scorecard_id"].astype("Int64").replace(DEFAULT_SCORECARD, pd.NA)
        )
        points["lapsed"] = points["lapsed"].astype(bool)
        return self.env["relationship.health.validation.line"]._insert(self.id, points)

    @api.model
    def _read_snapshots(self, account_ids, dates):
        """The nightly snapshots taken on the dates (the score as the job
        computed it that day, from what was known by then): rows
        (partner_id, as_of, score, band, four components)."""
        frame = readers.fetch_frame(
            self.env.cr,
            SQL(
                """
                SELECT s.partner_id, s.snapshot_date, %(columns)s
                  FROM relationship_health_snapshot s
                 WHERE s.partner_id = ANY(%(ids)s) AND s.snapshot_date = ANY(%(dates)s)
                """,
                columns=SQL(", ").join(
                    SQL.identifier("s", name) for name in SNAPSHOT_SCORES
                ),
                ids=list(account_ids),
                dates=list(dates),
            ),
            ["partner_id", "as_of", *SNAPSHOT_SCORES],
        )
        for name in SNAPSHOT_SCORES:
            if name != "band":
                frame[name] = frame[name].astype("float64")
        return frame
