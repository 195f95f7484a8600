"""The suggestions of an account, on the partner and on its opportunities.
Inherited by res.partner and crm.lead."""

from odoo import api, fields, models

from .partner_health_fields import health_field

SUGGESTION = "relationship.crosssell.suggestion"


class RelationshipCrosssellAccountMixin(models.AbstractModel):
    _name = "relationship.crosssell.account.mixin"
    _description = "Cross-sell Suggestions of an Account"

    #: Read by the sales team only (HEALTH_READERS), like every health field.
    health_suggestion_ids = health_field(
        fields.Many2many,
        SUGGESTION,
        string="Suggestions",
        compute="_compute_health_suggestion_ids",
    )

    @api.depends_context("uid")
    def _compute_health_suggestion_ids(self):
        """The live suggestions of the account (of a partner, or of an
        opportunity's customer) that the user may read."""
        accounts = {record.id: record._health_account() for record in self}
        found = self.env[SUGGESTION].search(
            [
                ("partner_id", "in", list({a.id for a in accounts.values() if a})),
                ("state", "=", "active"),
            ]
        )
        by_account = {}
        for suggestion in found:
            by_account.setdefault(suggestion.partner_id.id, []).append(suggestion.id)
        for record in self:
            account = accounts[record.id]
            record.health_suggestion_ids = [(6, 0, by_account.get(account.id, []))]

    def _health_account(self):
        raise NotImplementedError
