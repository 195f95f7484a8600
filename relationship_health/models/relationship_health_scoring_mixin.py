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


def _tracked(string, attribute):
    """A weight or threshold: its changes are written in the chatter."""
    return scoring_setting(string, attribute, tracking=True)


class RelationshipHealthScoringMixin(models.AbstractModel):
    """The signal weights and band thresholds of a score: the company's own
    settings (its default scorecard) and each scorecard hold them under the
    same names, with the scoring core's defaults. A weight of 0 turns its
    signal off; changes are written in the chatter of the records that have
    one."""

    _name = "relationship.health.scoring.mixin"
    _description = "Relationship Health Weights and Thresholds"

    health_weight_satisfaction = _tracked("Satisfaction Weight", "weight_satisfaction")
    health_weight_sla = _tracked("Service Level Weight", "weight_sla")
    health_weight_visits = _tracked("Visits Weight", "weight_visits")
    health_weight_recency = _tracked("Purchase Recency Weight", "weight_recency")
    health_threshold_healthy = _tracked("Healthy From", "threshold_healthy")
    health_threshold_watch = _tracked("Watch From", "threshold_watch")
    health_threshold_at_risk = _tracked("At Risk From", "threshold_at_risk")
