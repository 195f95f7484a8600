from odoo import api, models

from odoo.addons.relationship_health.models.health_clock import health_today
from odoo.addons.relationship_health.models.relationship_health_pending import (
    marking_accounts,
)

#: Visit fields whose change moves its account's visits.
VISIT_FIELDS = frozenset({"date", "state", "partner_id", "calendar_event_id", "active"})


class CrmSalespersonPlannerVisit(models.Model):
    _inherit = "crm.salesperson.planner.visit"

    @api.model_create_multi
    def create(self, vals_list):
        visits = super().create(vals_list)
        visits._close_plan_visit_activities()
        visits._mark_health_accounts()
        return visits

    def write(self, vals):
        with marking_accounts(self, _visited_partners, VISIT_FIELDS & set(vals)):
            result = super().write(vals)
        if {"date", "state", "partner_id"} & set(vals):
            self._close_plan_visit_activities()
        return result

    def unlink(self):
        self._mark_health_accounts()
        return super().unlink()

    def _mark_health_accounts(self):
        """A planner visit planned, held, moved or cancelled changes its
        account's visits: rescored by the next refresh (one mark in all)."""
        self.env["relationship.health.pending"]._mark_accounts(self.partner_id.ids)

    def _close_plan_visit_activities(self):
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


def _visited_partners(visits):
    return visits.partner_id.ids
