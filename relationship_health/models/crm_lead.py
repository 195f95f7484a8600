from odoo import api, fields, models

from .relationship_health_snapshot import cause_snapshot_field


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "relationship.crosssell.account.mixin"]

    playbook_run_ids = fields.One2many(
        "relationship.playbook.run", "lead_id", string="Playbook Runs"
    )

    def _health_account(self):
        return self.partner_id.commercial_partner_id

    @api.depends("partner_id")
    def _compute_health_suggestion_ids(self):
        return super()._compute_health_suggestion_ids()

    partner_health_band = fields.Selection(
        string="Customer Health",
        related="partner_id.commercial_partner_id.health_band",
    )
    partner_health_score = fields.Float(
        string="Customer Health Score",
        digits=(5, 1),
        related="partner_id.commercial_partner_id.health_score",
    )
    partner_health_trend = fields.Float(
        string="Customer Health Trend",
        digits=(5, 1),
        related="partner_id.commercial_partner_id.health_trend",
    )
    is_retention = fields.Boolean(
        string="Retention Opportunity",
        readonly=True,
        copy=False,
        index=True,
        help="Opened by the retention automation for an account whose health fell.",
    )
    health_snapshot_id = cause_snapshot_field(
        "The daily health snapshot of the account that caused this opportunity."
    )
