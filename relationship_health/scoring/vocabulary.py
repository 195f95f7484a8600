"""The product's vocabulary: every name the score speaks of, defined once.

Bands, the risk bands, quadrants, SERVQUAL dimensions and sides, and the four
signals, with their English labels. The scoring core and the Odoo models (their
selection fields, filters and rules) import them from here; Odoo translates
the labels of the selection fields.
"""

#: The four signals (components) of the score, in the fixed order used to
#: break ties between reasons.
SIGNALS = ("satisfaction", "sla", "visits", "recency")
SIGNAL_LABELS = dict(
    zip(SIGNALS, ("Satisfaction", "Service Level", "Visits", "Purchase Recency"))
)

#: Every band an account can be in, best first; ``unknown`` means "no data".
BANDS = ("healthy", "watch", "at_risk", "critical", "unknown")
BAND_LABELS = dict(zip(BANDS, ("Healthy", "Watch", "At Risk", "Critical", "Unknown")))
#: The bands a score can give (and a manager can set), best first.
SCORED_BANDS = BANDS[:4]
#: How bad a band is: 0 for healthy, 3 for critical; ``unknown`` has no rank.
BAND_RANK = {band: rank for rank, band in enumerate(SCORED_BANDS)}
#: Bands whose accounts are at risk: they count in the revenue at risk and
#: open retention work.
RISK_BANDS = ("at_risk", "critical")

#: Loyalty × profitability quadrants (Reinartz & Kumar).
QUADRANTS = ("true_friend", "butterfly", "barnacle", "stranger")
#: The quadrants of the highly profitable accounts.
HIGH_PROFIT_QUADRANTS = QUADRANTS[:2]
QUADRANT_LABELS = dict(
    zip(QUADRANTS, ("True friend", "Butterfly", "Barnacle", "Stranger"))
)

#: SERVQUAL dimensions and the two sides of each item.
DIMENSIONS = ("reliability", "responsiveness", "assurance", "empathy", "tangibles")
DIMENSION_LABELS = dict(
    zip(
        DIMENSIONS,
        ("Reliability", "Responsiveness", "Assurance", "Empathy", "Tangibles"),
    )
)
SIDES = ("expectation", "perception")
SIDE_LABELS = dict(zip(SIDES, ("Expectation", "Perception")))


def selection(names, labels):
    """``[(name, label), …]`` for an Odoo selection field."""
    return [(name, labels[name]) for name in names]
