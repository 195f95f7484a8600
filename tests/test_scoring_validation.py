"""Score validation in the scoring core: lapses, lapse rates per band, lift,
AUC, deciles and suggested weights, on books computed by hand.

No database: run with ``python3 -m pytest tests/test_scoring_validation.py -p no:odoo``.
"""

import os
import sys
from datetime import date, timedelta

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "relationship_health"))

from scoring.validation import (  # noqa: E402
    auc,
    band_lapse_rates,
    decile_lapse_rates,
    lapsed,
    suggested_weights,
)

AS_OF = date(2026, 1, 1)


def monthly(account, first, last, amount):
    """Orders every 30 days, ``first`` to ``last`` days from AS_OF."""
    return [
        (account, AS_OF + timedelta(days=day), amount)
        for day in range(first, last + 1, 30)
    ]


def test_lapses_by_silence_or_by_revenue_and_never_from_the_future():
    orders = (
        monthly("steady", -360, 180, 100.0)
        # ordered every 30 days, then nothing for 110 days (more than twice 30)
        + monthly("silent", -360, -10, 100.0)
        + [("silent", AS_OF + timedelta(days=100), 100.0)]
        # one order only (default interval 90): 200 days without one
        + [("new", AS_OF - timedelta(days=20), 100.0)]
        # an order after the horizon must not save it
        + [("new", AS_OF + timedelta(days=200), 1e6)]
        # still orders monthly, but its 12-month revenue fell below half
        + monthly("shrinking", -360, -181, 300.0)
        + monthly("shrinking", -180, 180, 10.0)
    )
    result = lapsed(["steady", "silent", "new", "shrinking"], orders, AS_OF, 90)
    assert result == {"steady": False, "silent": True, "new": True, "shrinking": True}


def test_lapse_rates_per_band_and_the_lift():
    bands = {
        1: "healthy",
        2: "healthy",
        3: "healthy",
        4: "healthy",
        5: "critical",
        6: "critical",
        7: "watch",
    }
    lapses = {1: True, 5: True, 6: True, 7: False}
    figures = band_lapse_rates(bands, lapses, min_accounts=2)
    assert figures["healthy"] == {"accounts": 4, "lapsed": 1, "rate": 0.25}
    assert figures["critical"] == {"accounts": 2, "lapsed": 2, "rate": 1.0}
    assert figures["watch"]["rate"] is None  # one account: no figure
    assert figures["lift"] == pytest.approx(4.0)


def test_auc_by_hand():
    assert auc({1: 10, 2: 20, 3: 30, 4: 40}, {1: True, 2: True}) == pytest.approx(1.0)
    # A tie between a lapsed account and another counts one half: 3.5 of 4 pairs.
    assert auc({1: 10, 2: 30, 3: 30, 4: 40}, {1: True, 2: True}) == pytest.approx(0.875)
    assert auc({1: 10, 2: 20}, {}) is None


def test_lapse_rate_by_decile():
    scores = {account: float(account) for account in range(20)}
    lapses = {account: account < 4 for account in range(20)}
    rows = decile_lapse_rates(scores, lapses, min_accounts=2)
    assert [row[0] for row in rows] == list(range(1, 11))
    assert [row[2] for row in rows] == [1.0, 1.0] + [0.0] * 8
    assert decile_lapse_rates(scores, lapses, min_accounts=3)[0][2] is None


def test_the_regression_recovers_known_weights():
    rng = np.random.default_rng(7)
    size = 20000
    components = rng.uniform(0, 100, size=(size, 4))
    # True effects per 100 points: satisfaction −4, SLA −2, visits 0, recency −2.
    logit = (
        2.0
        - 0.04 * components[:, 0]
        - 0.02 * components[:, 1]
        - 0.02 * components[:, 3]
    )
    lapses = rng.uniform(size=size) < 1 / (1 + np.exp(-logit))
    weights = suggested_weights(components.tolist(), lapses.tolist())
    assert weights["satisfaction"] == pytest.approx(0.5, abs=0.05)
    assert weights["sla"] == pytest.approx(0.25, abs=0.05)
    assert weights["visits"] == pytest.approx(0.0, abs=0.05)
    assert weights["recency"] == pytest.approx(0.25, abs=0.05)
    assert sum(weights.values()) == pytest.approx(1.0)


def test_missing_components_are_renormalised_not_zeros():
    # An account without visits data is not read as a visits score of 0:
    # with visits missing everywhere, they get no weight at all.
    rng = np.random.default_rng(3)
    components = rng.uniform(0, 100, size=(5000, 4))
    logit = 1.0 - 0.03 * components[:, 0]
    lapses = rng.uniform(size=5000) < 1 / (1 + np.exp(-logit))
    components[:, 2] = np.nan
    weights = suggested_weights(components.tolist(), lapses.tolist())
    assert weights["visits"] == 0.0
    assert weights["satisfaction"] > 0.9
    assert suggested_weights([[50, 50, 50, 50]] * 3, [True] * 3) is None
