from odoo import api, fields, models

#: The deadline of a ticket's helpdesk SLA (see helpdesk.ticket).
HELPDESK_SLA_DEADLINE = "helpdesk_sla_deadline"


def _archive_helpdesk_policies(policies):
    """Without this bridge, a policy reading the helpdesk's deadline has no
    deadline to read: archive it, on a deadline typed by hand so that it
    stays a valid policy."""
    policies.write({"deadline_field": "manual", "active": False})


class RelationshipSlaPolicy(models.Model):
    _inherit = "relationship.sla.policy"

    deadline_field = fields.Selection(
        selection_add=[(HELPDESK_SLA_DEADLINE, "Ticket's SLA deadline (Helpdesk)")],
        ondelete={HELPDESK_SLA_DEADLINE: _archive_helpdesk_policies},
    )

    @api.model
    def _deadline_field_metrics(self):
        # A helpdesk SLA is kept when the ticket reaches the SLA's stage: read
        # from the SLAs that end in a closing stage, it is a resolution deadline.
        metrics = super()._deadline_field_metrics()
        metrics[HELPDESK_SLA_DEADLINE] = {"resolution"}
        return metrics
