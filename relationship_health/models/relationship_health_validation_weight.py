"""A signal's weight in a validation figure: the scorecard's and the one
the validation suggests."""

from odoo import fields, models

from ..scoring.vocabulary import SIGNAL_LABELS, SIGNALS, selection
from .partner_health_fields import parent_field


class RelationshipHealthValidationWeight(models.Model):
    """Shares of the four signals (0–1). Written with its figure (a
    scorecard's) by the validation job; users read them."""

    _name = "relationship.health.validation.weight"
    _description = "Relationship Health Score Validation Weight"
    _order = "figure_id, sequence"
    _rec_name = "signal"

    figure_id = parent_field("relationship.health.validation.figure", string="Figure")
    sequence = fields.Integer(readonly=True, aggregator=None)
    signal = fields.Selection(
        selection(SIGNALS, SIGNAL_LABELS), required=True, readonly=True
    )
    current = fields.Float(
        readonly=True,
        digits=(5, 3),
        aggregator=None,
        help="The signal's weight in the scorecard, as a share of the four.",
    )
    suggested = fields.Float(
        readonly=True,
        digits=(5, 3),
        aggregator=None,
        help="The weight the validation suggests, as a share of the four.",
    )
