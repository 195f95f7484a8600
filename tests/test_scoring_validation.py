"""Score validation in the scoring core: lapses, lapse rates per band, lift,
AUC, deciles and suggested weights, on books computed by hand.

No database: run with ``python3 -m pytest tests/test_scoring_validation.py -p no:odoo``.
"""

import os
import sys
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "relationship_health"))

from scoring.backtest import lapse_flags  # noqa: E402
from scoring.validation import (  # noqa: E402
    auc,
    band_lapse_rates,
    decile_lapse_rates,
    suggested_weights,
    validation_figures,
    weighted_scores,
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
        monthly(1, -360, 180, 100.0)
        # ordered every 30 days, then nothing for 110 days (more than twice 30)
        + monthly(2, -360, -10, 100.0)
        + [(2, AS_OF + timedelta(days=100), 100.0)]
        # one order only (default interval 90): 200 days without one
        + [(3, AS_OF - timedelta(days=20), 100.0)]
        # an order after the horizon must not save it
        + [(3, AS_OF + timedelta(days=200), 1e6)]
        # still orders monthly, but its 12-month revenue fell below half
        + monthly(4, -360, -181, 300.0)
        + monthly(4, -180, 180, 10.0)
    )
    # Account 3 first ordered 20 days before the date: a point of the day
    # before that has no order on or before it, and no verdict (NaN).
    frame = pd.DataFrame(orders, columns=["partner_id", "order_date", "amount"])
    points = pd.DataFrame(
        {
            "partner_id": [1, 2, 3, 4, 3],
            "as_of": [AS_OF] * 4 + [AS_OF - timedelta(days=21)],
            "order_interval_days": [30.0, 30.0, 90.0, 30.0, 90.0],
        }
    )
    flags = lapse_flags(frame, points)
    assert flags[:4].tolist() == [0.0, 1.0, 1.0, 1.0]
    assert np.isnan(flags[4])


def test_lapse_rates_per_band_and_the_lift():
    bands = ["healthy"] * 4 + ["critical"] * 2 + ["watch"]
    lapses = [True, False, False, False, True, True, False]
    figures = band_lapse_rates(bands, lapses, min_accounts=2)
    assert figures["healthy"] == {"accounts": 4, "lapsed": 1, "rate": 0.25}
    assert figures["critical"] == {"accounts": 2, "lapsed": 2, "rate": 1.0}
    assert figures["watch"]["rate"] is None  # one account: no figure
    assert figures["lift"] == pytest.approx(4.0)


def test_auc_by_hand():
    lapses = [True, True, False, False]
    assert auc([10, 20, 30, 40], lapses) == pytest.approx(1.0)
    # A tie between a lapsed account and another counts one half: 3.5 of 4 pairs.
    assert auc([10, 30, 30, 40], lapses) == pytest.approx(0.875)
    # Points without a score are left out; one kind of point only: no AUC.
    assert auc([10, 30, np.nan, 40], lapses) == pytest.approx(1.0)
    assert auc([10, 20], [False, False]) is None


def test_lapse_rate_by_decile():
    scores = [float(account) for account in range(20)]
    lapses = [account < 4 for account in range(20)]
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


def test_weighted_scores_renormalise_like_the_score():
    components = [[80.0, np.nan, 40.0, 100.0], [np.nan] * 4]
    weights = {"satisfaction": 2, "sla": 5, "visits": 1, "recency": 1}
    scores = weighted_scores(components, weights)
    assert scores[0] == pytest.approx((2 * 80 + 40 + 100) / 4)
    assert np.isnan(scores[1])


def test_all_figures_of_a_book_made_by_hand():
    # 4 healthy points (1 lapsed), 2 critical (both lapsed), 2 watch (none).
    points = pd.DataFrame(
        {
            "score": [90, 85, 80, 75, 10, 20, 60, 55],
            "band": ["healthy"] * 4 + ["critical"] * 2 + ["watch"] * 2,
            "lapsed": [False, False, False, True, True, True, False, False],
            "satisfaction": [90, 85, 80, 75, 10, 20, 60, 55],
            "sla": [np.nan] * 8,
            "visits": [np.nan] * 8,
            "recency": [90, 85, 80, 75, 10, 20, 60, 55],
        }
    )
    figures = validation_figures(points, min_accounts=2, weights={"satisfaction": 1})
    assert (figures["accounts"], figures["lapsed"]) == (8, 3)
    assert figures["healthy"]["rate"] == 0.25
    assert figures["critical"]["rate"] == 1.0
    assert figures["watch"]["rate"] == 0.0
    assert figures["at_risk"] == {"accounts": 0, "lapsed": 0, "rate": None}
    assert figures["lift"] == pytest.approx(4.0)
    # Lapsed points score 75, 10, 20; of their 3 × 5 pairs with the others,
    # only 75 against 60 and 55 is ranked the wrong way: 13 / 15.
    assert figures["auc"] == pytest.approx(13 / 15)
    assert figures["auc_current"] == pytest.approx(13 / 15)
    assert figures["deciles"][0] == (1, 1, None)  # one point: under the minimum
    # 3 lapsed points only, 2 needed of each outcome: a suggestion is made.
    assert figures["suggested"]["sla"] == 0.0
    assert figures["auc_suggested"] == pytest.approx(13 / 15)
    few = validation_figures(points, min_accounts=4, weights={"satisfaction": 1})
    assert few["suggested"] is None and few["auc_suggested"] is None
    assert few["healthy"]["rate"] == 0.25 and few["critical"]["rate"] is None


def random_points(rng, size):
    """Points with one-decimal scores (some missing), bands and lapses."""
    scores = rng.integers(0, 1001, size=size) / 10.0
    scores[rng.uniform(size=size) < 0.05] = np.nan
    bands = np.where(
        np.isnan(scores),
        "none",
        np.where(scores < 30, "critical", np.where(scores < 70, "watch", "healthy")),
    )
    lapses = rng.uniform(size=size) < 0.7 - scores / 200.0
    return pd.DataFrame({"score": scores, "band": bands, "lapsed": lapses})


def histogram(points):
    """``GROUP BY score, band, lapsed``: one row per distinct triple with its
    count, in no particular order."""
    frame = points.groupby(["score", "band", "lapsed"], dropna=False).size()
    return frame.rename("count").reset_index().sample(frac=1, random_state=1)


def auc_by_pairs(scores, lapses):
    """Every (lapsed, not lapsed) pair of points with a score, one by one."""
    scores, lapses = np.asarray(scores), np.asarray(lapses, dtype=bool)
    known = ~np.isnan(scores)
    lapsed, kept = scores[known & lapses], scores[known & ~lapses]
    pairs = (lapsed[:, None] < kept[None, :]) + 0.5 * (lapsed[:, None] == kept[None, :])
    return pairs.sum() / pairs.size


@pytest.mark.parametrize("seed", range(5))
def test_a_histogram_gives_the_auc_and_band_rates_of_its_points(seed):
    rng = np.random.default_rng(seed)
    points = random_points(rng, int(rng.integers(50, 3000)))
    counts = histogram(points)
    expected = auc(points["score"], points["lapsed"])
    assert expected == pytest.approx(auc_by_pairs(points["score"], points["lapsed"]))
    assert auc(counts["score"], counts["lapsed"], counts["count"]) == expected
    assert band_lapse_rates(
        counts["band"], counts["lapsed"], 5, counts["count"]
    ) == band_lapse_rates(points["band"], points["lapsed"], 5)
    assert auc([10, 20], [True, True], [3, 4]) is None


@pytest.mark.parametrize("seed", range(5))
def test_a_histogram_gives_the_deciles_of_its_points_when_no_tie_spans_two(seed):
    # Ten deciles of 1 to 80 points each, the scores of decile d between
    # 10·d and 10·d + 9.9: the points of one score never span two deciles.
    rng = np.random.default_rng(seed)
    per_decile = int(rng.integers(1, 80))
    scores = np.concatenate(
        [10 * d + rng.integers(0, 100, size=per_decile) / 10.0 for d in range(10)]
    )
    points = pd.DataFrame(
        {
            "score": scores,
            "band": "watch",
            "lapsed": rng.uniform(size=len(scores)) < 0.3,
        }
    ).sample(frac=1, random_state=seed)
    counts = histogram(points)
    expected = decile_lapse_rates(points["score"], points["lapsed"], 3)
    assert len(expected) == 10
    assert (
        decile_lapse_rates(counts["score"], counts["lapsed"], 3, counts["count"])
        == expected
    )
    figures = validation_figures(points, min_accounts=3)
    assert validation_figures(counts, min_accounts=3) == figures


def test_a_tie_spanning_deciles_is_split_in_proportion():
    # Ten points, one per decile; three score 50, two of them lapsed: the
    # deciles 4 to 6 share them, two thirds of a lapse each.
    scores = [10, 20, 30, 50, 50, 50, 60, 70, 80, 90]
    lapses = [True] * 3 + [True, True, False] + [False] * 4
    counts = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    rows = decile_lapse_rates(scores, lapses, 1, counts)
    assert [row[1] for row in rows] == [1] * 10
    assert [row[2] for row in rows[3:6]] == [pytest.approx(2 / 3)] * 3
    # The same points with the two lapsed at 50 on one row.
    merged = decile_lapse_rates(
        [10, 20, 30, 50, 50, 60, 70, 80, 90],
        [True] * 4 + [False] * 5,
        1,
        [1, 1, 1, 2, 1, 1, 1, 1, 1],
    )
    assert merged == rows


def test_the_suggested_weights_rest_on_the_sample_the_figures_on_the_histogram():
    rng = np.random.default_rng(11)
    points = random_points(rng, 4000)
    components = rng.uniform(0, 100, size=(4000, 4))
    for column, name in enumerate(("satisfaction", "sla", "visits", "recency")):
        points[name] = components[:, column]
    weights = {"satisfaction": 1, "sla": 1, "visits": 1, "recency": 1}
    whole = validation_figures(points, 30, weights=weights)
    counts = histogram(points)
    # Ties span deciles here (a few thousand points on 1,001 scores): all
    # but the deciles are those of the points.
    same = validation_figures(counts, 30, weights=weights, sample=points)
    assert same.pop("deciles") != whole.pop("deciles")
    assert same == whole
    sample = points.iloc[:500]
    figures = validation_figures(counts, 30, weights=weights, sample=sample)
    assert figures["accounts"] == 4000 and figures["auc"] == whole["auc"]
    assert figures["suggested"] == suggested_weights(
        sample[["satisfaction", "sla", "visits", "recency"]].to_numpy(),
        sample["lapsed"].tolist(),
    )
