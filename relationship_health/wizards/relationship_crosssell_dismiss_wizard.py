from odoo import fields, models

from ..models.relationship_crosssell_suggestion import DISMISS_REASONS


class RelationshipCrosssellDismissWizard(models.TransientModel):
    """A rep dismisses suggestions with a reason: they stay away for the
    company's period, and managers count the dismissals per product."""

    _name = "relationship.crosssell.dismiss.wizard"
    _description = "Dismiss Cross-sell Suggestions"

    suggestion_ids = fields.Many2many(
        "relationship.crosssell.suggestion",
        "relationship_crosssell_dismiss_rel",
        "wizard_id",
        "suggestion_id",
        string="Suggestions",
        required=True,
    )
    reason = fields.Selection(DISMISS_REASONS, required=True, default="not_relevant")

    def action_apply(self):
        self.ensure_one()
        self.suggestion_ids._dismiss(self.reason)
        return {"type": "ir.actions.act_window_close"}
