from odoo import api, models

from .relationship_sla_policy import HELPDESK_SLA_DEADLINE

#: Ticket fields whose change may change the ticket's commitments.
SLA_EVENT_FIELDS = frozenset(
    {
        "partner_id",
        "company_id",
        "stage_id",
        "closed_date",
        "active",
        "name",
        "number",
        "duplicate_id",
    }
)
#: What a ticket measures. The helpdesk records when a ticket is closed, not
#: when the customer first got an answer (``assigned_date`` is when someone was
#: assigned, ``last_stage_update`` the last move of any kind): tickets measure
#: resolution only.
TICKET_METRICS = ("resolution",)


class HelpdeskTicket(models.Model):
    _name = "helpdesk.ticket"
    _inherit = ["helpdesk.ticket", "relationship.sla.source.mixin"]

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super(HelpdeskTicket, self._relationship_sla_deferring()).create(
            vals_list
        )
        tickets = tickets.with_env(self.env)
        tickets._record_relationship_sla_events()
        return tickets

    def write(self, vals):
        if not SLA_EVENT_FIELDS.intersection(vals):
            return super().write(vals)
        return self._relationship_sla_then_record(
            lambda t: super(HelpdeskTicket, t).write(vals)
        )

    def unlink(self):
        # The commitments of deleted tickets are kept, archived, as history.
        self._relationship_sla_events().filtered("active").write({"active": False})
        return super().unlink()

    def set_sla(self):
        if self._relationship_sla_is_deferred():
            return super().set_sla()
        return self._relationship_sla_then_record(
            lambda t: super(HelpdeskTicket, t).set_sla()
        )

    def refresh_sla(self):
        if self._relationship_sla_is_deferred():
            return super().refresh_sla()
        return self._relationship_sla_then_record(
            lambda t: super(HelpdeskTicket, t).refresh_sla()
        )

    # Commitments ---------------------------------------------------------------
    def _relationship_sla_counting(self):
        """The tickets that are a service owed to a customer account: active,
        with a customer, neither cancelled (the helpdesk's *Cancelled* stage)
        nor marked as the duplicate of another ticket."""
        cancelled = self.env.ref(
            "helpdesk_mgmt.helpdesk_ticket_stage_cancelled", raise_if_not_found=False
        )
        return self.filtered(
            lambda t: t.active
            and t.commercial_partner_id
            and not t.duplicate_id
            and (not cancelled or t.stage_id != cancelled)
        )

    def _relationship_sla_deadline(self):
        """The resolution deadline the helpdesk computed for this ticket: the
        earliest deadline of its SLAs that are kept by reaching a closing
        stage (an SLA on an intermediate stage measures something else). The
        helpdesk pauses it while the ticket waits in an ignored stage and
        keeps it once the SLA is accomplished or expired. None without such
        an SLA."""
        self.ensure_one()
        lines = self.ticket_sla_ids.filtered(
            lambda line: line.deadline and line.expected_stage_id.closed
        )
        return min(lines.mapped("deadline"), default=None)

    def _relationship_sla_done(self):
        """When the ticket was resolved: its closing date while it sits in a
        closing stage, False while it is open (a reopened ticket is open again)."""
        self.ensure_one()
        if not self.closed:
            return False
        # A ticket created straight into a closing stage has no closing date.
        return max(
            self.closed_date or self.last_stage_update or self.create_date,
            self.create_date.replace(microsecond=0),
        )

    def _relationship_sla_name(self):
        """The commitment's name, in the language of the ticket's company (one
        stable name whoever touches the ticket), English when that language
        is not active."""
        self.ensure_one()
        lang = self.env["res.lang"]._get_code(
            self.company_id.partner_id.lang or "en_US"
        )
        return self.with_context(lang=lang or "en_US").env._(
            "Ticket %(number)s: %(title)s", number=self.number, title=self.name
        )

    def _relationship_sla_accounts(self):
        return self.commercial_partner_id

    def _relationship_sla_event_vals(self, existing):
        """Commitment values of these tickets: one per ticket and resolution
        policy covering its account in its company, plus one per commitment
        of ``existing`` under an archived policy: it keeps following the
        ticket, it is never re-created or revived."""
        extra_pairs = [
            (self.browse(event.res_id), event.policy_id)
            for event in existing
            if not event.policy_id.active
        ]
        tickets = self._relationship_sla_counting()
        if not tickets:
            return []
        pairs = [
            (ticket, policy, True)
            for ticket, policy in tickets._relationship_sla_covered(TICKET_METRICS)
        ]
        pairs += [
            (ticket, policy, False)
            for ticket, policy in extra_pairs
            if ticket in tickets
        ]
        vals_list = []
        for ticket, policy, live in pairs:
            # Dates of the helpdesk are to the second (``closed_date``…).
            start = ticket.create_date.replace(microsecond=0)
            deadline = policy._deadline_from(
                start,
                ticket._relationship_sla_deadline()
                if policy.deadline_field == HELPDESK_SLA_DEADLINE
                else None,
                ticket.company_id,
            )
            if not deadline:
                continue
            vals = {
                "res_model": self._name,
                "res_id": ticket.id,
                "policy_id": policy.id,
                "partner_id": ticket.partner_id.id,
                "company_id": ticket.company_id.id,
                "name": ticket._relationship_sla_name(),
                "date_start": start,
                "date_deadline": max(deadline, start),
                "date_done": ticket._relationship_sla_done(),
            }
            if live:
                vals["active"] = True
            vals_list.append(vals)
        return vals_list

    def _relationship_sla_stale(self, existing, events):
        """Archive the commitments that no longer count: ticket archived,
        cancelled, marked as a duplicate or without customer; account no
        longer covered by the policy; no SLA deadline to read any more.
        Commitments of an archived policy keep following their ticket."""
        counting = set(self._relationship_sla_counting().ids)
        return (existing - events).filtered(
            lambda e: e.active and (e.policy_id.active or e.res_id not in counting)
        )

    @api.model
    def _backfill_relationship_sla_events(self, batch_size=1000):
        """Record the commitments of every ticket (all companies, archived
        tickets included), by batches, without breach notices. Running it
        again updates, never duplicates."""
        return self._relationship_sla_backfill([], batch_size)
