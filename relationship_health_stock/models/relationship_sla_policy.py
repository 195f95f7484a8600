from odoo import _, api, fields, models
from odoo.exceptions import AccessError

#: Deadlines a delivery can be measured against.
COMMITMENT_DATE = "sale_commitment_date"
DELIVERY_DEADLINE = "picking_date_deadline"


def _archive_delivery_policies(policies):
    """Without deliveries, a policy reading a delivery date has no deadline to
    read: archive it, on a deadline typed by hand so that it stays valid."""
    policies.write({"deadline_field": "manual", "active": False})


class RelationshipSlaPolicy(models.Model):
    _inherit = "relationship.sla.policy"

    deadline_field = fields.Selection(
        selection_add=[
            (COMMITMENT_DATE, "Delivery date promised on the order"),
            (DELIVERY_DEADLINE, "Deadline of the delivery"),
        ],
        ondelete={
            COMMITMENT_DATE: _archive_delivery_policies,
            DELIVERY_DEADLINE: _archive_delivery_policies,
        },
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
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("%(count)s delivery commitments recorded or brought up to date.",
                             count=len(events)),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
