"""Accounts whose inputs changed since they were last scored, and the
frequent refresh that rescores them.

A change that feeds a signal (an order confirmed, a survey completed, a visit
moved, a commitment done, an override, a cadence, a setting) marks the
account of its records with one ``INSERT … SELECT`` per write batch
(:meth:`RelationshipHealthPending._mark_accounts`). The scheduled refresh
(``res.partner._cron_relationship_health_pending``) rescores those accounts
through the engine's own path (``_compute_in_batches``: same readers, same
core, same writers, same follow-ups) and clears the rows it handled, batch by
batch, in the batch's transaction.

The queue is append-only: a mark inserts rows and never updates or waits on
another transaction's row, and partner rows are never locked. An account
marked twice has two rows until it is scored. A refresh clears only the rows
it read when it started (``id`` up to the newest one it saw): a change marked
while it runs stays pending for the next one.
"""

import threading
from contextlib import contextmanager
from datetime import datetime

import psycopg2.errors

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .health_clock import health_today, utc_now
from .health_sql import account_ids_of_sql

#: Fields of an account whose change changes its health: the visit plan,
#: an override set or ended, the company it is scored for, its contacts, its
#: industry and tags (which scorecard scores it).
PARTNER_FIELDS = frozenset(
    {
        "visit_interval_days",
        "visit_tier_id",
        "industry_id",
        "category_id",
        "visit_interval_override",
        "visit_plan_date",
        "health_override_band",
        "health_override_until",
        "company_id",
        "parent_id",
        "active",
    }
)
#: Fields of a service commitment that its account's SLA signal reads.
COMMITMENT_FIELDS = frozenset(
    {"partner_id", "date_deadline", "date_done", "active", "company_id"}
)
#: Context key: the commitments written are marked once, at the end of the
#: operation under way (a source document recording its commitments).
MARK_DEFERRED = "relationship_health_mark_deferred"
#: The longest interval of the refresh: a day (the nightly job runs daily).
MAX_REFRESH_MINUTES = 1440
INTERVAL_MINUTES = {"minutes": 1, "hours": 60, "days": 1440, "weeks": 10080}
#: The nightly job's scheduled action.
NIGHT_CRON = "relationship_health.ir_cron_relationship_health"
#: The refresh's scheduled action (its interval is a setting).
REFRESH_CRON = "relationship_health.ir_cron_relationship_health_pending"


@contextmanager
def marking_accounts(records, partner_ids, watched=True):
    """Mark the accounts of ``records`` as they are before and after the
    operation of the ``with`` block (``partner_ids(records)``: the partners
    whose health they feed), with one statement; nothing when ``watched`` is
    empty (no field that feeds a signal is written) or the block raises."""
    if not watched:
        yield
        return
    before = partner_ids(records)
    yield
    records.env["relationship.health.pending"]._mark_accounts(
        [*before, *partner_ids(records)]
    )


class RelationshipHealthInputMixin(models.AbstractModel):
    """Records that feed the health of accounts (orders, survey answers,
    Customer Visits, planner visits).

    Created, deleted, or written in a field of :attr:`_health_input_fields`,
    they mark the accounts of :meth:`_health_input_partner_ids` (on a write,
    as they are before and after it), one statement per batch; created, or
    written in a field of :attr:`_health_followup_fields`, they call
    :meth:`_health_input_followup`.

    A model inherits it before its own name (``_inherit = [this mixin,
    model]``) so that these overrides wrap the model's create, write and
    unlink as the model's own override would.
    """

    _name = "relationship.health.input.mixin"
    _description = "Records Feeding Account Health"

    #: Fields whose change changes the health of the records' accounts.
    _health_input_fields = frozenset()
    #: Fields whose change calls :meth:`_health_input_followup`.
    _health_followup_fields = frozenset()

    def _health_input_partner_ids(self):
        """The partners (accounts or contacts) whose health these records feed."""
        raise NotImplementedError

    def _health_input_followup(self):
        """What follows the creation of these records, or a change of one of
        :attr:`_health_followup_fields`."""

    def _mark_health_input_accounts(self):
        self.env["relationship.health.pending"]._mark_accounts(
            self._health_input_partner_ids()
        )

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records._health_input_followup()
        records._mark_health_input_accounts()
        return records

    def write(self, vals):
        with marking_accounts(
            self,
            type(self)._health_input_partner_ids,
            self._health_input_fields & set(vals),
        ):
            result = super().write(vals)
        if self._health_followup_fields & set(vals):
            self._health_input_followup()
        return result

    def unlink(self):
        self._mark_health_input_accounts()
        return super().unlink()


class RelationshipHealthPending(models.Model):
    _name = "relationship.health.pending"
    _description = "Relationship Health Account to Refresh"
    _order = "id"
    _rec_name = "account_id"
    _log_access = False

    account_id = fields.Many2one(
        "res.partner",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    marked_at = fields.Datetime(string="Changed On", readonly=True)

    # ------------------------------------------------------------------
    # Marking: one statement per write batch
    # ------------------------------------------------------------------
    @api.model
    def _mark_accounts(self, partner_ids):
        """Mark the accounts of ``partner_ids`` (accounts or contacts) as
        pending: one ``INSERT … SELECT`` whatever their number."""
        partner_ids = [int(pid) for pid in partner_ids if pid]
        if not partner_ids:
            return
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env.cr.execute(
            SQL(
                """
            INSERT INTO relationship_health_pending (account_id, marked_at)
            SELECT a.id, %s FROM (%s) a
            """,
                utc_now(),
                account_ids_of_sql(partner_ids),
            )
        )

    @api.model
    def _mark_commitments(self, events, partner_ids=(), vals=None):
        """Service commitments recorded, done, moved, archived or deleted
        (``vals``: the values written, None for a create or a delete): their
        accounts, and ``partner_ids`` (their accounts before the write), are
        marked, unless the recording of a source document marks them itself
        (:data:`MARK_DEFERRED`)."""
        if self.env.context.get(MARK_DEFERRED):
            return
        if vals is not None and not COMMITMENT_FIELDS.intersection(vals):
            return
        self._mark_accounts([*partner_ids, *events.partner_id.ids])

    @api.model
    def _mark_companies(self, company_ids):
        """Mark every account scored for ``company_ids`` (its settings
        changed): the accounts of these companies and the accounts shared
        between companies, one statement."""
        if not company_ids:
            return
        engine = self.env["relationship.health.engine"]
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            INSERT INTO relationship_health_pending (account_id, marked_at)
            SELECT p.id, %s FROM res_partner p
             WHERE %s AND (p.company_id IS NULL OR p.company_id = ANY(%s))
            """,
                utc_now(),
                SQL(" AND ").join(engine._account_conditions("p")),
                list(company_ids),
            )
        )

    # ------------------------------------------------------------------
    # The refresh
    # ------------------------------------------------------------------
    @api.model
    def _read_queue(self):
        """``(upto, account_ids)``: the newest pending row seen and the
        accounts of the rows up to it (distinct, in id order)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT MAX(id), ARRAY_AGG(DISTINCT account_id)"
                " FROM relationship_health_pending"
            )
        )
        upto, account_ids = self.env.cr.fetchone()
        return upto, sorted(account_ids or [])

    @api.model
    def _clear(self, account_ids, upto=None):
        """Delete the pending rows of ``account_ids`` (those up to ``upto``
        when given: rows marked since then stay), one statement."""
        if not account_ids:
            return
        conditions = [SQL("account_id = ANY(%s)", list(account_ids))]
        if upto is not None:
            conditions.append(SQL("id <= %s", upto))
        self.env.cr.execute(
            SQL(
                "DELETE FROM relationship_health_pending WHERE %s",
                SQL(" AND ").join(conditions),
            )
        )

    @api.model
    def _refresh(self, now=None, batch_size=None):
        """Rescore the pending accounts as the nightly job would, batch by
        batch (committing after each outside tests), and clear the rows
        read. Skipped while the nightly job runs: it scores every account and
        clears their rows itself. Returns the number of accounts scored."""
        engine = self.env["relationship.health.engine"]
        now = now or utc_now()
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        if self._night_running(now):
            return 0
        if auto_commit:
            # Let go of the nightly job's row (see _night_running).
            self.env.cr.commit()  # pylint: disable=invalid-commit
        upto, pending = self._read_queue()
        if upto is None:
            return 0
        account_ids = engine._account_ids(partner_ids=pending)
        # Marked partners that are no account (a vendor, an archived
        # company) have nothing to score: their rows go now.
        self._clear(sorted(set(pending).difference(account_ids)), upto)
        return engine.with_context(
            health_pending_upto=upto, health_scheduled_run=True
        )._compute_in_batches(
            account_ids,
            as_of=health_today(now),
            batch_size=batch_size,
            auto_commit=auto_commit,
            run_started_at=now,
            now=now,
        )

    @api.model
    def _night_running(self, now):
        """Whether the nightly job is scoring right now: a run of today
        started (its start is kept until it ends) and the scheduler holds its
        job (a lock on its ``ir.cron`` row while it runs). A run of today
        that stopped half-way does not hold the refresh back."""
        started = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("relationship_health.run_started_at")
        )
        if not started or health_today(datetime.fromisoformat(started)) != health_today(
            now
        ):
            return False
        night = self.env.ref(NIGHT_CRON, raise_if_not_found=False)
        if not night:
            return True
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM ir_cron WHERE id = %s FOR NO KEY UPDATE NOWAIT",
                        night.id,
                    ),
                    log_exceptions=False,
                )
        except psycopg2.errors.LockNotAvailable:
            return True
        return False

    @api.model
    def _wait_for_refresh(self):
        """Wait until a refresh under way is over (the scheduler holds its
        job while it runs): the nightly job and the refresh never write the
        same partners at once."""
        cron = self._refresh_cron()
        if cron:
            self.env.cr.execute(
                SQL("SELECT id FROM ir_cron WHERE id = %s FOR NO KEY UPDATE", cron.id)
            )

    # ------------------------------------------------------------------
    # The refresh's interval (a setting)
    # ------------------------------------------------------------------
    @api.model
    def _refresh_cron(self):
        return self.env.ref(REFRESH_CRON, raise_if_not_found=False)

    @api.model
    def _refresh_minutes(self):
        """The refresh's interval in minutes; 0 when it is off."""
        cron = self._refresh_cron()
        if not cron or not cron.sudo().active:
            return 0
        cron = cron.sudo()
        return cron.interval_number * INTERVAL_MINUTES.get(cron.interval_type, 1)

    @api.model
    def _set_refresh_minutes(self, minutes):
        """Set the refresh's interval (the settings, for administrators)."""
        if minutes < 0 or minutes > MAX_REFRESH_MINUTES:
            raise ValidationError(
                self.env._(
                    "The refresh of changed accounts runs every 1 to %(max)s minutes "
                    "(0 turns it off).",
                    max=MAX_REFRESH_MINUTES,
                )
            )
        cron = self._refresh_cron()
        if not cron or minutes == self._refresh_minutes():
            return
        values = {"active": bool(minutes)}
        if minutes:
            values.update(interval_number=minutes, interval_type="minutes")
        cron.sudo().write(values)
