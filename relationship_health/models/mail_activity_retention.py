from odoo import models

from .relationship_health_snapshot import cause_snapshot_field


class MailActivity(models.Model):
    _inherit = "mail.activity"

    health_snapshot_id = cause_snapshot_field(
        "The daily health snapshot of the account that caused this activity."
    )
