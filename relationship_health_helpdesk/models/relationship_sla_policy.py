from odoo import api, models

from odoo.addons.relationship_health.models.relationship_sla_policy import (
    deadline_sources_field,
)

#: The deadline of a ticket's helpdesk SLA (see helpdesk.ticket).
HELPDESK_SLA_DEADLINE = "helpdesk_sla_deadline"


class RelationshipSlaPolicy(models.Model):
    _inherit = "relationship.sla.policy"

    deadline_field = deadline_sources_field(
        [
            (HELPDESK_SLA_DEADLINE, "Ticket's SLA deadline (Helpdesk)"),
        ]
    )

    @api.model
    def _deadline_field_metrics(self):
        # A helpdesk SLA is kept when the ticket reaches the SLA's stage: read
        # from the SLAs that end in a closing stage, it is a resolution deadline.
        metrics = super()._deadline_field_metrics()
        metrics[HELPDESK_SLA_DEADLINE] = {"resolution"}
        return metrics
