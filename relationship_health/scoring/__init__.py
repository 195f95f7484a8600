"""Pure scoring core of the relationship health score.

No Odoo here: frames of orders, survey answers, visits and service-level
events go in, one row per account comes out (score, band, confidence, trend,
components, facts and reasons). See :func:`compute_health`.
"""

from .components import (
    recency_component,
    satisfaction_component,
    sla_component,
    visits_component,
)
from .config import COMPONENTS, ScoringConfig, ScoringConfigError
from .vocabulary import BANDS
from .engine import FACT_COLUMNS, RESULT_COLUMNS, band_for, compute_health
from .servqual import DIMENSIONS, GAP_COLUMNS, SIDES
from .value import QUADRANTS, VALUE_COLUMNS, compute_value, profit_threshold

__all__ = [
    "BANDS",
    "COMPONENTS",
    "DIMENSIONS",
    "GAP_COLUMNS",
    "QUADRANTS",
    "SIDES",
    "VALUE_COLUMNS",
    "compute_value",
    "profit_threshold",
    "FACT_COLUMNS",
    "RESULT_COLUMNS",
    "ScoringConfig",
    "ScoringConfigError",
    "band_for",
    "compute_health",
    "recency_component",
    "satisfaction_component",
    "sla_component",
    "visits_component",
]
