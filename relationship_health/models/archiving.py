"""Archiving an account closes its retention work; archiving a salesperson
hands their open retention work to the next owner."""

from odoo import models


class ResPartnerArchive(models.Model):
    _inherit = "res.partner"

    def write(self, vals):
        archived = self.filtered("active") if vals.get("active") is False else self.browse()
        result = super().write(vals)
        accounts = archived.filtered(lambda p: p.id == p.commercial_partner_id.id)
        if accounts:
            self.env["relationship.health.retention"]._close_archived(accounts)
            # Archived accounts are not scored any more: nothing to retry.
            self.env["relationship.health.failure"].sudo()._clear(accounts.ids)
        return result


class ResUsersArchive(models.Model):
    _inherit = "res.users"

    def action_archive(self):
        # Before mail deletes the activities of the archived users.
        self.env["relationship.health.retention"]._reassign_from(self.filtered("active"))
        return super().action_archive()

    def write(self, vals):
        archived = self.filtered("active") if vals.get("active") is False else self.browse()
        result = super().write(vals)
        if archived:
            self.env["relationship.health.retention"]._reassign_from(archived)
        return result
