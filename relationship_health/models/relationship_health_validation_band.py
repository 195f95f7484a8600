"""The lapse rate of a band, for a validation figure."""

from odoo import fields, models

from ..scoring.vocabulary import BAND_LABELS, SCORED_BANDS, selection
from .partner_health_fields import parent_field


class RelationshipHealthValidationBand(models.Model):
    """The points of a figure that were in a band, and the share of them
    that lapsed. Written with its figure by the validation job; users read
    them."""

    _name = "relationship.health.validation.band"
    _description = "Relationship Health Score Validation Band"
    _order = "figure_id, sequence"
    _rec_name = "band"

    figure_id = parent_field("relationship.health.validation.figure", string="Figure")
    sequence = fields.Integer(readonly=True, aggregator=None)
    band = fields.Selection(
        selection(SCORED_BANDS, BAND_LABELS), required=True, readonly=True
    )
    accounts = fields.Integer(string="Points", readonly=True)
    lapsed = fields.Integer(readonly=True, help="Points that lapsed in the horizon.")
    rate = fields.Float(
        string="Lapse Rate", readonly=True, digits=(5, 4), aggregator="avg"
    )
    has_rate = fields.Boolean(
        readonly=True, help="Enough points for the rate to be given."
    )
