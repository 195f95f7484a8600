"""Accounts the nightly job could not score, or whose retention work it
could not create, and why."""

from odoo import fields, models
from odoo.tools import SQL

from .partner_health_fields import account_field


class RelationshipHealthFailure(models.Model):
    """One row per account whose scoring, or the creation of whose
    retention work, raised an error.

    Written by the health engine only (SQL): when a batch raises, its
    accounts are scored again one by one and those that still fail are
    skipped and recorded here (step *Scoring*); when the day's retention work
    cannot be created for a case, the case keeps waiting and its account is
    recorded here (step *Retention work*). Every later run tries again, and
    the row is deleted as soon as that step succeeds for the account.
    """

    _name = "relationship.health.failure"
    _description = "Relationship Health Scoring Failure"
    _order = "last_failed_at desc, id desc"
    _rec_name = "partner_id"

    partner_id = account_field(readonly=True, index=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    step = fields.Selection(
        [("scoring", "Scoring"), ("retention_work", "Retention work")],
        string="Failed Step",
        readonly=True,
        default="scoring",
        required=True,
        help="Scoring: the account was skipped and keeps its previous health. "
        "Retention work: the account is scored, but the activity or opportunity "
        "of its retention case could not be created; the case waits in the queue.",
    )
    error = fields.Text(readonly=True)
    first_failed_at = fields.Datetime(string="First Failed On", readonly=True)
    last_failed_at = fields.Datetime(string="Last Failed On", readonly=True)
    failure_count = fields.Integer(string="Failed Runs", readonly=True)
    run_started_at = fields.Datetime(
        string="Run",
        readonly=True,
        help="When the run that last failed on the account started.",
    )

    _sql_constraints = [
        (
            "partner_uniq",
            "UNIQUE(partner_id)",
            "An account has one scoring failure at most.",
        ),
    ]

    def _record(self, failures, companies, run_started_at, now, step="scoring"):
        """Upsert ``failures`` (``{partner_id: error text}``) of ``step``, one
        statement."""
        ids = list(failures)
        self.env.cr.execute(
            SQL(
                """
            INSERT INTO relationship_health_failure
                   (partner_id, company_id, step, error, first_failed_at, last_failed_at,
                    failure_count, run_started_at, create_uid, create_date, write_uid, write_date)
            SELECT v.partner_id, v.company_id, %(step)s, v.error, %(now)s, %(now)s, 1,
                   %(run)s,
                   %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM unnest(%(ids)s::int4[], %(companies)s::int4[], %(errors)s::text[])
                   AS v(partner_id, company_id, error)
            ON CONFLICT (partner_id) DO UPDATE
               SET company_id = EXCLUDED.company_id, step = EXCLUDED.step,
                   error = EXCLUDED.error,
                   last_failed_at = EXCLUDED.last_failed_at,
                   failure_count = relationship_health_failure.failure_count + 1,
                   run_started_at = EXCLUDED.run_started_at,
                   write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
            """,
                now=now,
                run=run_started_at,
                uid=self.env.uid,
                step=step,
                ids=ids,
                companies=[companies.get(pid) for pid in ids],
                errors=[failures[pid] for pid in ids],
            )
        )
        self.invalidate_model()

    def _clear(self, partner_ids, step="scoring"):
        """Forget the failures of ``step`` of accounts for which it succeeded
        since (one statement)."""
        self.env.cr.execute(
            SQL(
                "DELETE FROM relationship_health_failure"
                " WHERE partner_id = ANY(%s) AND step = %s",
                list(partner_ids),
                step,
            )
        )
        self.invalidate_model()

    def _failed_ids(self, step="scoring"):
        """Ids of the accounts with a recorded failure of ``step`` (one query
        per run)."""
        self.env.cr.execute(
            SQL(
                "SELECT partner_id FROM relationship_health_failure WHERE step = %s",
                step,
            )
        )
        return {row[0] for row in self.env.cr.fetchall()}
