from odoo import fields, models


class CalendarAttendee(models.Model):
    """Index the attendees by partner and event: the health engine finds the
    visits of a batch of accounts through their contacts' attendances."""

    _inherit = "calendar.attendee"

    event_id = fields.Many2one(index=True)
    partner_id = fields.Many2one(index=True)

    def write(self, vals):
        result = super().write(vals)
        if {"state", "partner_id"}.intersection(vals):
            self._mark_visit_accounts()
        return result

    def _mark_visit_accounts(self):
        """An attendee accepting or declining a Customer Visit changes
        whether it counts for their account."""
        visits = self.filtered(lambda a: a.event_id.is_customer_visit)
        self.env["relationship.health.pending"]._mark_accounts(visits.partner_id.ids)
