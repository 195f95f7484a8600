from odoo import fields, models


class CalendarAttendee(models.Model):
    """Index the attendees by partner and event: the health engine finds the
    visits of a batch of accounts through their contacts' attendances."""

    _inherit = "calendar.attendee"

    event_id = fields.Many2one(index=True)
    partner_id = fields.Many2one(index=True)
