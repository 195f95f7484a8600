"""The lapse rate of a score decile, for the graph of a validation figure."""

from odoo import api, fields, models

from .partner_health_fields import parent_field


class RelationshipHealthValidationDecile(models.Model):
    """Decile 1 holds the tenth of the points with the lowest scores. Written
    with its figure by the validation job; users read them."""

    _name = "relationship.health.validation.decile"
    _description = "Relationship Health Score Validation Decile"
    _order = "figure_id, decile"
    _rec_name = "decile"

    figure_id = parent_field("relationship.health.validation.figure", string="Figure")
    decile = fields.Integer(string="Score Decile", readonly=True, aggregator=None)
    accounts = fields.Integer(string="Points", readonly=True)
    rate = fields.Float(
        string="Lapse Rate", readonly=True, digits=(5, 4), aggregator="avg"
    )
    rate_percent = fields.Float(
        string="Lapse Rate (%)",
        compute="_compute_rate_percent",
        store=True,
        digits=(5, 1),
        aggregator="avg",
        help="The lapse rate as a percentage, for the graph.",
    )
    has_rate = fields.Boolean(
        readonly=True, help="Enough points for the rate to be given."
    )

    @api.depends("rate")
    def _compute_rate_percent(self):
        for decile in self:
            decile.rate_percent = 100.0 * decile.rate
