from odoo import fields, models

from .relationship_health_snapshot import cause_snapshot_field


class CrmLead(models.Model):
    _inherit = "crm.lead"

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
