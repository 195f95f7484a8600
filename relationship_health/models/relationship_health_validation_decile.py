"""The lapse rate of a score decile, for the graph of a validation figure."""

from odoo import fields, models

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
    has_rate = fields.Boolean(
        readonly=True, help="Enough points for the rate to be given."
    )
