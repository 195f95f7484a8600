"""The service incidents of an account, as res.partner shows them: who of
its contacts receives the notices, and the open incidents affecting it with
when the customer was told. Inherited by res.partner."""

from odoo import api, fields, models
from odoo.tools import SQL

from .partner_health_fields import health_field
from .relationship_service_incident import OPEN_STATES


class RelationshipIncidentAccountMixin(models.AbstractModel):
    _name = "relationship.incident.account.mixin"
    _description = "Service Incidents of an Account"

    incident_notices = fields.Boolean(
        string="Service Notices",
        groups="base.group_user",
        help="This contact receives the notices of service incidents affecting its "
        "company. When no contact of a company has it, the notices go to its main "
        "contact.",
    )
    health_incident_ids = health_field(
        fields.Many2many,
        "relationship.service.incident",
        string="Open Incidents",
        compute="_compute_health_incident_ids",
    )
    health_incident_informed = health_field(
        fields.Datetime,
        string="Customer Informed On",
        compute="_compute_health_incident_ids",
        help="When the first notice of the latest open incident reached the "
        "account's contacts.",
    )

    @api.depends_context("uid")
    def _compute_health_incident_ids(self):
        """Read for the accounts shown: the open incidents affecting their
        account, and the first notice sent about the latest one."""
        accounts = {partner.id: partner.commercial_partner_id.id for partner in self}
        incidents, informed = {}, {}
        if accounts:
            self.env["relationship.service.incident"].flush_model()
            self.env["relationship.service.incident.notice"].flush_model()
            self.env.cr.execute(
                SQL(
                    """
                    SELECT r.partner_id, i.id,
                           (SELECT MIN(n.create_date)
                              FROM relationship_service_incident_notice n
                             WHERE n.incident_id = i.id AND n.account_id = r.partner_id)
                      FROM relationship_service_incident_partner_rel r
                      JOIN relationship_service_incident i ON i.id = r.incident_id
                     WHERE r.partner_id = ANY(%(ids)s)
                       AND i.state = ANY(%(states)s)
                       AND i.company_id = ANY(%(companies)s)
                     ORDER BY i.date_start DESC, i.id DESC
                    """,
                    ids=sorted(set(accounts.values())),
                    states=list(OPEN_STATES),
                    companies=self.env.companies.ids,
                )
            )
            for account_id, incident_id, first in self.env.cr.fetchall():
                incidents.setdefault(account_id, []).append(incident_id)
                informed.setdefault(account_id, first)
        for partner in self:
            account_id = accounts[partner.id]
            partner.health_incident_ids = [(6, 0, incidents.get(account_id, []))]
            partner.health_incident_informed = informed.get(account_id) or False
