from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    health_snapshot_id = fields.Many2one(
        "relationship.health.snapshot",
        readonly=True,
        copy=False,
        ondelete="set null",
        index="btree_not_null",
        help="The daily health snapshot of the account that caused this activity.",
    )
