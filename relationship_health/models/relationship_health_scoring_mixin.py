from odoo import fields, models

from ..scoring import ScoringConfig


def scoring_setting(
    string, attribute, field_class=fields.Float, percent=False, **kwargs
):
    """A setting of the scoring core (of a company: HEALTH_CONFIG_FIELDS,
    HEALTH_PERCENT_FIELDS; or of a scorecard), a Float unless ``field_class``
    says otherwise. Its default is the default of its ScoringConfig
    ``attribute`` (as a percentage for the settings typed as percentages)."""
    default = getattr(ScoringConfig, attribute)
    if percent:
        default = round(default * 100.0, 6)
    return field_class(string=string, default=default, **kwargs)


class RelationshipHealthScoringMixin(models.AbstractModel):
    """The signal weights and band thresholds of a score: the company's own
    settings (its default scorecard) and each scorecard hold them under the
    same names, with the scoring core's defaults. A weight of 0 turns its
    signal off; changes are written in the chatter of the records that have
    one."""

    _name = "relationship.health.scoring.mixin"
    _description = "Relationship Health Weights and Thresholds"

    health_weight_satisfaction = scoring_setting(
        "Satisfaction Weight", "weight_satisfaction", tracking=True
    )
    health_weight_sla = scoring_setting(
        "Service Level Weight", "weight_sla", tracking=True
    )
    health_weight_visits = scoring_setting(
        "Visits Weight", "weight_visits", tracking=True
    )
    health_weight_recency = scoring_setting(
        "Purchase Recency Weight", "weight_recency", tracking=True
    )
    health_threshold_healthy = scoring_setting(
        "Healthy From", "threshold_healthy", tracking=True
    )
    health_threshold_watch = scoring_setting(
        "Watch From", "threshold_watch", tracking=True
    )
    health_threshold_at_risk = scoring_setting(
        "At Risk From", "threshold_at_risk", tracking=True
    )
