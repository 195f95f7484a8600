"""SERVQUAL gaps, loyalty × profitability quadrants and lifetime value, by hand."""

import math
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "relationship_health"))

from scoring import (  # noqa: E402
    ScoringConfig,
    ScoringConfigError,
    compute_health,
    compute_value,
    profit_threshold,
)

TODAY = date(2025, 6, 30)  # in the second quarter of 2025


def ago(days):
    return pd.Timestamp(TODAY) - pd.Timedelta(days=days)


def servqual(*rows):
    """rows: (partner_id, days ago, dimension, side, value)."""
    return pd.DataFrame(
        [
            {
                "partner_id": p,
                "answer_date": ago(d),
                "dimension": dim,
                "side": side,
                "value": v,
            }
            for p, d, dim, side, v in rows
        ]
    )


def both_sides(partner_id, days, dimension, expectation, perception):
    """The rows of one item answered on both sides."""
    return [
        (partner_id, days, dimension, "expectation", expectation),
        (partner_id, days, dimension, "perception", perception),
    ]


def test_gaps_with_missing_sides_and_dimensions():
    frame = servqual(
        *both_sides(1, 0, "reliability", 7, 5),
        *both_sides(1, 0, "reliability", 6, 4),
        *both_sides(1, 0, "responsiveness", 5, 6),
        (1, 0, "assurance", "perception", 6),  # no expectation: no gap
        *both_sides(1, 0, "tangibles", 4, 4),
        *both_sides(3, 800, "empathy", 7, 1),  # too old
        (3, 0, "unknown", "perception", 1),  # not a dimension
    )
    result = compute_health(
        pd.DataFrame({"partner_id": [1, 2, 3]}),
        None,
        None,
        None,
        None,
        TODAY,
        servqual=frame,
    )
    one = result.loc[1]
    assert one.gap_reliability == -2.0
    assert one.gap_responsiveness == 1.0
    assert math.isnan(one.gap_assurance)
    assert math.isnan(one.gap_empathy)
    assert one.gap_tangibles == 0.0
    assert one.gap_overall == -0.3  # (-2 + 1 + 0) / 3
    assert one.weakest_dimension == "reliability"
    for partner in (2, 3):
        assert math.isnan(result.loc[partner].gap_overall)
        assert pd.isna(result.loc[partner].weakest_dimension)
    # SERVQUAL items alone are not a health signal.
    assert one.band == "unknown"


def test_weakest_dimension_joins_the_satisfaction_reason():
    frame = servqual(
        *both_sides(1, 0, "empathy", 6, 3),
        *both_sides(1, 0, "tangibles", 3, 5),
        *both_sides(2, 0, "empathy", 3, 5),
    )
    answers = pd.DataFrame(
        {
            "partner_id": [1, 2],
            "answer_date": [ago(0), ago(0)],
            "metric": ["csat", "csat"],
            "value": [2, 2],
            "scale_min": [None, None],
            "scale_max": [None, None],
        }
    )
    result = compute_health(
        pd.DataFrame({"partner_id": [1, 2]}),
        None,
        answers,
        None,
        None,
        TODAY,
        servqual=frame,
    )
    reason = result.loc[1].reasons[0]
    assert reason["code"] == "satisfaction"
    assert reason["params"]["weakest"] == "empathy"
    assert reason["params"]["gap"] == -3.0
    assert (
        "weakest" not in result.loc[2].reasons[0]["params"]
    ), "no shortfall, nothing to say"


def orders(*rows):
    return pd.DataFrame(
        {"partner_id": [p for p, _ in rows], "order_date": [ago(d) for _, d in rows]}
    )


def test_quadrant_boundaries_regularity_and_tenure():
    # Regularity counts the last 8 calendar quarters with an order.
    four_quarters = [0, 100, 190, 280]  # Q2-25, Q1-25, Q4-24, Q3-24
    frame = orders(
        *[(1, d) for d in four_quarters],
        (2, 10),
        *[(3, 45 + 90 * k) for k in range(8)],  # one order in each of 8 quarters
        (4, 800),
    )
    money = pd.DataFrame(
        {
            "partner_id": [1, 2, 3, 4],
            "revenue": [1500, 6000, 1200, 0],
            "margin": [1000, 5000, 999, 0],
        }
    )
    result = compute_value(
        pd.DataFrame({"partner_id": [1, 2, 3, 4, 5]}),
        frame,
        money,
        None,
        TODAY,
        profit_threshold=1000,
    )
    assert result.loc[1].loyalty_regularity == 50.0
    assert result.loc[1].quadrant == "true_friend"  # 1000 ≥ 1000 and 4/8 ≥ 0.5
    assert result.loc[2].quadrant == "butterfly"
    assert result.loc[2].loyalty_regularity == 12.5  # a single order
    assert result.loc[2].tenure_days == 10
    assert result.loc[3].loyalty_regularity == 100.0
    assert result.loc[3].quadrant == "barnacle"  # 999 < 1000
    assert result.loc[4].quadrant == "stranger"  # its only order is 9 quarters old
    assert result.loc[4].loyalty_regularity == 0.0
    assert pd.isna(result.loc[5].quadrant)  # never ordered
    assert math.isnan(result.loc[5].tenure_days)


def test_margin_or_revenue_and_lifetime_value():
    money = pd.DataFrame(
        {
            "partner_id": [1, 2, 3],
            "revenue": [3000, 3000, 3000],
            "margin": [1000, 1000, np.nan],
        }
    )
    scores = pd.Series({1: 80.0, 2: 100.0, 3: 80.0})
    accounts = pd.DataFrame({"partner_id": [1, 2, 3, 4]})
    by_margin = compute_value(
        accounts, orders((1, 5), (2, 5), (3, 5)), money, scores, TODAY
    )
    # r = 0.8, d = 0.1: 1000 × 0.8 / (1.1 − 0.8)
    assert by_margin.loc[1].clv == pytest.approx(2666.667, abs=1e-3)
    # r capped at 0.95: 1000 × 0.95 / 0.15
    assert by_margin.loc[2].clv == pytest.approx(6333.333, abs=1e-3)
    assert math.isnan(by_margin.loc[3].clv), "no known margin, no value"
    assert math.isnan(by_margin.loc[4].clv), "no health score, no retention rate"
    by_revenue = compute_value(accounts, None, money, scores, TODAY, use_margin=False)
    assert by_revenue.loc[3].profit_12m == 3000
    assert by_revenue.loc[3].clv == pytest.approx(8000.0)
    assert pd.isna(by_revenue.loc[3].quadrant)


def test_profit_threshold_is_the_top_share_of_the_book():
    assert profit_threshold([100 * k for k in range(10)], 0.3) == 700
    assert profit_threshold([0, 0, 0], 0.3) is None
    assert profit_threshold([], 0.3) is None


def test_value_settings_are_checked():
    with pytest.raises(ScoringConfigError, match="profitable"):
        ScoringConfig(profit_top_share=0).validate()
    with pytest.raises(ScoringConfigError, match="loyalty"):
        ScoringConfig(loyalty_regularity_min=1.5).validate()
    with pytest.raises(ScoringConfigError, match="discount"):
        ScoringConfig(clv_discount_rate=-0.1).validate()
    ScoringConfig(loyalty_regularity_min=1).validate()
