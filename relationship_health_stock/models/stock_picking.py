from odoo import api, models

from .relationship_sla_policy import COMMITMENT_DATE, DELIVERY_DEADLINE

#: Picking fields whose change may change the delivery's commitments.
SLA_EVENT_FIELDS = frozenset(
    {"date_done", "partner_id", "date_deadline", "name", "company_id"}
)


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "relationship.sla.source.mixin"]

    def _action_done(self):
        # Record once, at the end, for the whole batch (not on each write).
        return self._relationship_sla_then_record(
            lambda p: super(StockPicking, p)._action_done()
        )

    def action_cancel(self):
        return self._relationship_sla_then_record(
            lambda p: super(StockPicking, p).action_cancel()
        )

    def write(self, vals):
        result = super().write(vals)
        if (
            SLA_EVENT_FIELDS.intersection(vals)
            and not self._relationship_sla_is_deferred()
        ):
            self.filtered(
                lambda p: p.state in ("done", "cancel")
            )._record_relationship_sla_events()
        return result

    # Commitments ---------------------------------------------------------------
    def _relationship_sla_deliveries(self):
        """The deliveries that are a service owed to a customer account:
        validated outgoing transfers of a sale order, to a customer."""
        return self.filtered(
            lambda p: p.state == "done"
            and p.picking_type_code == "outgoing"
            and p.sale_id
            and p.partner_id
            and p.date_done
        )

    def _relationship_sla_name(self):
        """One stable name, in the language of the company (English when that
        language is not active)."""
        self.ensure_one()
        lang = self.env["res.lang"]._get_code(
            self.company_id.partner_id.lang or "en_US"
        )
        return self.with_context(lang=lang or "en_US").env._(
            "Delivery %(delivery)s of %(order)s",
            delivery=self.name,
            order=self.sale_id.name,
        )

    def _relationship_sla_document_date(self, policy):
        self.ensure_one()
        if policy.deadline_field == COMMITMENT_DATE:
            return self.sale_id.commitment_date or None
        if policy.deadline_field == DELIVERY_DEADLINE:
            return self.date_deadline or None
        return None

    def _relationship_sla_accounts(self):
        return self.partner_id.commercial_partner_id

    def _relationship_sla_event_vals(self, existing=None):
        """One commitment per validated delivery and on-time delivery policy
        covering its account in its company. It starts when the order was
        confirmed, is due by the policy's target (or the promised date it
        reads) and is done when the delivery was validated."""
        deliveries = self._relationship_sla_deliveries()
        if not deliveries:
            return []
        vals_list = []
        for picking, policy in deliveries._relationship_sla_covered({"delivery"}):
            start = picking.sale_id.date_order.replace(microsecond=0)
            deadline = policy._deadline_from(
                start,
                picking._relationship_sla_document_date(policy),
                picking.company_id,
            )
            if not deadline:
                continue
            done = picking.date_done.replace(microsecond=0)
            # A promise dated before the order was confirmed (or a delivery
            # validated before it) starts the commitment then.
            start = min(start, deadline, done)
            vals_list.append(
                {
                    "res_model": self._name,
                    "res_id": picking.id,
                    "policy_id": policy.id,
                    "partner_id": picking._relationship_sla_accounts().id,
                    "company_id": picking.company_id.id,
                    "name": picking._relationship_sla_name(),
                    "date_start": start,
                    "date_deadline": deadline,
                    "date_done": done,
                    "active": True,
                }
            )
        return vals_list

    @api.model
    def _backfill_relationship_sla_events(self, date_from=None, batch_size=1000):
        """Record the commitments of every validated delivery of a customer
        order (all companies), by batches, without breach notices. Running it
        again updates, never duplicates."""
        domain = [
            ("state", "=", "done"),
            ("picking_type_code", "=", "outgoing"),
            ("sale_id", "!=", False),
        ]
        if date_from:
            domain.append(("date_done", ">=", date_from))
        return self._relationship_sla_backfill(domain, batch_size)
