from odoo import api, models

from odoo.addons.relationship_health.models.relationship_sla_source_mixin import (
    DEFER_KEY,
)


class HelpdeskTicketSla(models.Model):
    _inherit = "helpdesk.ticket.sla"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._record_ticket_commitments()
        return lines

    def write(self, vals):
        result = super().write(vals)
        self._record_ticket_commitments()
        return result

    def unlink(self):
        tickets = self.ticket_id
        result = super().unlink()
        if not self.env.context.get(DEFER_KEY):
            tickets.exists()._record_relationship_sla_events()
        return result

    def _record_ticket_commitments(self):
        """A ticket's SLA changed (added, removed, paused, kept, expired): its
        deadline may have moved. Changes made while the ticket itself is being
        written are recorded once, by the ticket, at the end of its write."""
        if self and not self.env.context.get(DEFER_KEY):
            self.ticket_id._record_relationship_sla_events()
