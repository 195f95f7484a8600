from odoo import models

from odoo.addons.relationship_health.models.health_clock import health_today

#: Visit fields whose change moves its account's visits.
VISIT_FIELDS = frozenset({"date", "state", "partner_id", "calendar_event_id", "active"})


class CrmSalespersonPlannerVisit(models.Model):
    _name = "crm.salesperson.planner.visit"
    _inherit = ["relationship.health.input.mixin", "crm.salesperson.planner.visit"]
    _health_input_fields = VISIT_FIELDS
    _health_followup_fields = frozenset({"date", "state", "partner_id"})

    def _health_input_partner_ids(self):
        """A planner visit planned, held, moved or cancelled changes its
        account's visits: rescored by the next refresh."""
        return self.partner_id.ids

    def _health_input_followup(self):
        """A visit planned from today on answers the "Plan a visit" follow-up
        of its account, as a Customer Visit in the calendar does."""
        today = health_today()
        planned = self.filtered(
            lambda v: v.state in ("draft", "confirm") and v.date and v.date >= today
        )
        if planned:
            self.env["relationship.visit.planner"]._close_followups(
                planned.partner_id.commercial_partner_id
            )
