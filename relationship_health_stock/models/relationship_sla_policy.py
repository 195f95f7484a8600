from odoo import _, api, models
from odoo.exceptions import AccessError

from odoo.addons.relationship_health.models.health_actions import (
    reload_notification,
)
from odoo.addons.relationship_health.models.relationship_sla_policy import (
    deadline_sources_field,
)

#: Deadlines a delivery can be measured against.
COMMITMENT_DATE = "sale_commitment_date"
DELIVERY_DEADLINE = "picking_date_deadline"


class RelationshipSlaPolicy(models.Model):
    _inherit = "relationship.sla.policy"

    deadline_field = deadline_sources_field(
        [
            (COMMITMENT_DATE, "Delivery date promised on the order"),
            (DELIVERY_DEADLINE, "Deadline of the delivery"),
        ]
    )

    @api.model
    def _deadline_field_metrics(self):
        metrics = super()._deadline_field_metrics()
        metrics[COMMITMENT_DATE] = {"delivery"}
        metrics[DELIVERY_DEADLINE] = {"delivery"}
        return metrics

    def action_record_past_deliveries(self):
        """Record the commitments of the deliveries already validated (no
        breach notice for the past). Sales managers only."""
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(_("Only sales managers can record past deliveries."))
        events = self.env["stock.picking"]._backfill_relationship_sla_events()
        return reload_notification(
            _(
                "%(count)s delivery commitments recorded or brought up to date.",
                count=len(events),
            )
        )
