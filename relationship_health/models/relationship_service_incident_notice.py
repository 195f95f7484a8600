from odoo import fields, models
from odoo.tools import SQL
from .partner_health_fields import account_field, parent_field


class RelationshipServiceIncidentNotice(models.Model):
    """That one contact was sent one update of an incident: recorded once
    per update and contact, so that nobody is told the same thing twice."""

    _name = "relationship.service.incident.notice"
    _description = "Service Incident Notice"
    _order = "id desc"
    _log_access = True

    update_id = parent_field("relationship.service.incident.update")
    incident_id = fields.Many2one(
        related="update_id.incident_id", store=True, index=True
    )
    company_id = fields.Many2one(related="incident_id.company_id", store=True)
    kind = fields.Selection(related="update_id.kind")
    account_id = account_field(index=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner", string="Contact", required=True, readonly=True
    )
    lang = fields.Char(string="Language", readonly=True)
    mail_id = fields.Many2one(
        "mail.mail",
        string="E-mail",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
    )
    mail_state = fields.Selection(related="mail_id.state", string="E-mail Status")
    create_date = fields.Datetime(string="Informed On", readonly=True)

    _sql_constraints = [
        (
            "update_partner_uniq",
            "UNIQUE(update_id, partner_id)",
            "A contact is sent each update of an incident once.",
        ),
    ]

    def init(self):
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS relationship_service_incident_notice_account_idx"
                " ON relationship_service_incident_notice (account_id, incident_id)"
            )
        )
