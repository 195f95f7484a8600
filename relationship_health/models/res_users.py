"""Archiving a salesperson hands their open retention work to the next owner."""

from odoo import models


class ResUsers(models.Model):
    _inherit = "res.users"

    def action_archive(self):
        # Before mail deletes the activities of the archived users.
        self.env["relationship.health.retention"]._reassign_from(
            self.filtered("active")
        )
        return super().action_archive()

    def write(self, vals):
        archived = (
            self.filtered("active") if vals.get("active") is False else self.browse()
        )
        result = super().write(vals)
        if archived:
            self.env["relationship.health.retention"]._reassign_from(archived)
        return result
