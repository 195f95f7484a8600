"""Settings of the health score and their validation.

A :class:`ScoringConfig` is an immutable bundle of every tunable number of the
score: the weights of the four components, the band thresholds, the half-lives
and windows of the time-weighted components and the purchase-rhythm defaults.
:meth:`ScoringConfig.validate` rejects inconsistent settings with a message
meant for the person who typed them.
"""

import math
import numbers
from dataclasses import dataclass, fields

from .limits import MAX_DAYS, MAX_MOOD_WEIGHT, MAX_WEIGHT

from .vocabulary import SIGNALS

#: The four components, in the fixed order used to break ties between reasons.
COMPONENTS = SIGNALS


class ScoringConfigError(ValueError):
    """Raised when a :class:`ScoringConfig` holds inconsistent settings.

    ``kind`` names the broken rule (``number``, ``negative``, ``no_weight``,
    ``thresholds``, ``positive``, ``share``, ``min_orders``, ``too_large``,
    ``ramp``)
    and ``setting`` the offending attribute (``limit`` its upper bound for
    ``too_large``), so that a caller can word the message in its user's
    language; ``str(error)`` is the plain English explanation.
    """

    def __init__(self, message, kind=None, setting=None, limit=None):
        super().__init__(message)
        self.kind = kind
        self.setting = setting
        self.limit = limit


def _is_number(value):
    """True for a finite real number (booleans are not numbers here)."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


@dataclass(frozen=True)
class ScoringConfig:
    """Every tunable number of the health score.

    Weights are relative: only their ratios matter. Thresholds are scores
    (0–100) from which an account enters a band. Half-lives, windows and
    intervals are expressed in days.
    """

    weight_satisfaction: float = 30
    weight_sla: float = 25
    weight_visits: float = 20
    weight_recency: float = 25

    threshold_healthy: float = 70
    threshold_watch: float = 50
    threshold_at_risk: float = 30

    satisfaction_half_life_days: float = 180
    satisfaction_max_age_days: int = 730
    nps_window_days: int = 365
    #: Weight of a visit mood (the rep's perception) against a survey answer (1).
    mood_weight: float = 0.5

    sla_half_life_days: float = 90
    sla_window_days: int = 365

    default_purchase_interval: float = 90
    recency_window_days: int = 730
    recency_min_orders: int = 3

    #: Ends of the linear ramps of the recency and visits components: with
    #: x = days since the last order (visit) / the usual interval (cadence),
    #: the component is 100 up to x = 1 and falls linearly to 0 at x equal to
    #: this value.
    recency_zero_at: float = 3.0
    visits_zero_at: float = 2.0

    #: Loyalty × profitability: the top share of accounts by 12-month profit
    #: that counts as highly profitable, and the share of the last 8 quarters
    #: with an order from which an account counts as loyal.
    profit_top_share: float = 0.3
    loyalty_regularity_min: float = 0.5
    #: Customer lifetime value: yearly discount rate and highest retention rate.
    clv_discount_rate: float = 0.1
    clv_retention_cap: float = 0.95

    @property
    def weights(self):
        """The weight of each component, keyed by component name."""
        return {name: getattr(self, f"weight_{name}") for name in COMPONENTS}

    def validate(self):
        """Check the settings and return ``self``.

        :raises ScoringConfigError: with a plain English explanation of the
            first problem found.
        """
        for field in fields(self):
            value = getattr(self, field.name)
            if not _is_number(value):
                raise ScoringConfigError(
                    f"The setting {field.name.replace('_', ' ')} must be a number "
                    f"(got {value!r}).",
                    "number",
                    field.name,
                )

        for name, weight in self.weights.items():
            if weight < 0:
                raise ScoringConfigError(
                    f"Signal weights cannot be negative (the {name} weight is {weight:g}).",
                    "negative",
                    f"weight_{name}",
                )
        if not any(weight > 0 for weight in self.weights.values()):
            raise ScoringConfigError(
                "At least one signal weight must be above zero.", "no_weight"
            )

        if self.mood_weight < 0:
            raise ScoringConfigError(
                f"The weight of visit moods cannot be negative (got {self.mood_weight:g}).",
                "negative",
                "mood_weight",
            )

        healthy, watch, at_risk = (
            self.threshold_healthy,
            self.threshold_watch,
            self.threshold_at_risk,
        )
        if not 100 >= healthy > watch > at_risk > 0:
            raise ScoringConfigError(
                "Band thresholds must be strictly decreasing between 100 and 0 "
                "(100 ≥ healthy > watch > at risk > 0); got "
                f"healthy {healthy:g}, watch {watch:g}, at risk {at_risk:g}.",
                "thresholds",
            )

        positive = {
            "satisfaction_half_life_days": "The survey answer half-life",
            "sla_half_life_days": "The service event half-life",
            "satisfaction_max_age_days": "The maximum age of survey answers",
            "nps_window_days": "The NPS window",
            "sla_window_days": "The service level window",
            "recency_window_days": "The purchase rhythm window",
            "default_purchase_interval": "The default purchase interval",
        }
        for name, label in positive.items():
            value = getattr(self, name)
            if value <= 0:
                raise ScoringConfigError(
                    f"{label} must be above zero days (got {value:g}).",
                    "positive",
                    name,
                )

        shares = {
            "profit_top_share": "The share of highly profitable accounts",
            "loyalty_regularity_min": "The loyalty threshold (share of active quarters)",
            "clv_retention_cap": "The highest retention rate",
        }
        for name, label in shares.items():
            value = getattr(self, name)
            if not 0 < value < 1 and not (
                name == "loyalty_regularity_min" and value == 1
            ):
                raise ScoringConfigError(
                    f"{label} must be between 0 and 1 (got {value:g}).", "share", name
                )
        if not 0 <= self.clv_discount_rate < 1:
            raise ScoringConfigError(
                f"The discount rate must be between 0 and 1 (got {self.clv_discount_rate:g}).",
                "share",
                "clv_discount_rate",
            )

        upper = {
            **{f"weight_{name}": MAX_WEIGHT for name in COMPONENTS},
            "mood_weight": MAX_MOOD_WEIGHT,
            **{name: MAX_DAYS for name in positive},
        }
        for name, limit in upper.items():
            value = getattr(self, name)
            if value > limit:
                raise ScoringConfigError(
                    f"The setting {name.replace('_', ' ')} cannot be above {limit:g} "
                    f"(got {value:g}).",
                    "too_large",
                    name,
                    limit,
                )

        for name in ("recency_zero_at", "visits_zero_at"):
            value = getattr(self, name)
            if not 1 < value <= MAX_DAYS:
                raise ScoringConfigError(
                    f"The setting {name.replace('_', ' ')} must be above 1 "
                    f"(got {value:g}).",
                    "ramp",
                    name,
                )

        if self.recency_min_orders < 2 or self.recency_min_orders != int(
            self.recency_min_orders
        ):
            raise ScoringConfigError(
                "At least 2 order days are needed to measure a purchase rhythm "
                f"(the minimum is set to {self.recency_min_orders:g}).",
                "min_orders",
                "recency_min_orders",
            )
        return self
