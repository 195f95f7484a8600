from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    is_retention = fields.Boolean(
        string="Retention Opportunity", readonly=True, copy=False, index=True,
        help="Opened by the retention automation for an account whose health fell.",
    )
    health_snapshot_id = fields.Many2one(
        "relationship.health.snapshot", string="Health Snapshot", readonly=True, copy=False,
        ondelete="set null", index="btree_not_null",
        help="The daily health snapshot of the account that caused this opportunity.",
    )
