"""The backtest in the scoring core: past scores from the data of their date
only, lapses after them, and snapshots preferred where they exist.

No database: run with ``python3 -m pytest tests/test_scoring_backtest.py -p no:odoo``.
"""

import os
import sys
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "relationship_health"))

from scoring import ScoringConfig, compute_health  # noqa: E402
from scoring.backtest import (  # noqa: E402
    POINT_COLUMNS,
    backtest_points,
    inputs_as_of,
    prefer_snapshots,
    validation_dates,
)

AS_OF = date(2025, 3, 1)


def test_the_dates_are_months_whose_horizon_has_ended():
    dates = validation_dates(date(2026, 12, 6))
    assert len(dates) == 24
    assert (dates[0], dates[-1]) == (date(2024, 7, 1), date(2026, 6, 1))
    # On the first day of a quarter, as late as 23:30, the same rule holds.
    assert validation_dates(date(2027, 1, 1))[-1] == date(2026, 7, 1)
    assert validation_dates(date(2026, 6, 30), months=3) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
    ]


def orders_frame(rows):
    return pd.DataFrame(rows, columns=["partner_id", "order_date"])


def test_inputs_as_of_leave_out_what_came_later():
    now = datetime(2025, 3, 1, 23, 59, 59)
    inputs = {
        "orders": orders_frame([(1, date(2025, 3, 1)), (1, date(2025, 3, 2))]),
        "sla_events": pd.DataFrame(
            {
                "partner_id": [1, 1, 1],
                "deadline": pd.to_datetime(
                    ["2025-02-20 12:00", "2025-02-25 12:00", "2025-03-05 12:00"]
                ),
                "done": pd.to_datetime(
                    ["2025-02-19 10:00", "2025-03-04 10:00", "2025-03-04 10:00"]
                ),
            }
        ),
        "visits": None,
    }
    sliced = inputs_as_of(inputs, now)
    assert sliced["orders"]["order_date"].tolist() == [date(2025, 3, 1)]
    # Done after the date: still open then (and breached, its deadline past).
    assert sliced["sla_events"]["done"].isna().tolist() == [False, True]
    assert sliced["visits"] is None


def book():
    """Two accounts ordering monthly for two years; account 2 stops after
    AS_OF. Answers and a commitment on both sides of AS_OF."""
    orders = []
    for account, last in ((1, 700), (2, 0)):
        orders += [
            (account, AS_OF + timedelta(days=day), 100.0)
            for day in range(-700, last + 1, 30)
        ]
    amounts = pd.DataFrame(orders, columns=["partner_id", "order_date", "amount"])
    answers = pd.DataFrame(
        {
            "partner_id": [1, 2, 2],
            "answer_date": pd.to_datetime(["2025-01-10", "2025-02-01", "2025-04-01"]),
            "metric": ["nps", "nps", "nps"],
            "value": [9.0, 8.0, 0.0],
            "scale_min": [np.nan] * 3,
            "scale_max": [np.nan] * 3,
        }
    )
    inputs = {
        "orders": amounts[["partner_id", "order_date"]],
        "answers": answers,
        "visits": None,
        "sla_events": None,
        "servqual": None,
    }
    accounts = pd.DataFrame(
        {"company_id": [1, 1], "visit_interval_days": [0, 0]},
        index=pd.Index([1, 2], name="partner_id"),
    )
    return accounts, inputs, amounts


def run(accounts, inputs, amounts, dates=(AS_OF,), configs=None):
    configs = configs or {(1, 0): ScoringConfig()}
    return backtest_points(
        accounts, inputs, amounts, list(dates), configs, pd.Series(dtype="int64")
    )


def test_a_past_score_is_the_score_of_that_date_and_nothing_later():
    accounts, inputs, amounts = book()
    points = run(accounts, inputs, amounts)
    assert list(points.columns) == list(POINT_COLUMNS)
    # The same as scoring the data of the date by hand.
    by_hand = compute_health(
        accounts,
        orders=inputs["orders"][inputs["orders"]["order_date"] <= AS_OF],
        answers=inputs["answers"][inputs["answers"]["answer_date"] <= "2025-03-01"],
        visits=None,
        sla_events=None,
        today=AS_OF,
    )
    assert points["score"].tolist() == by_hand["score"].tolist()
    assert points["lapsed"].tolist() == [0.0, 1.0]

    # Records dated after the date: an order the next day, a detractor's
    # answer, a commitment breached a week later.
    later = dict(inputs)
    later["orders"] = pd.concat(
        [inputs["orders"], orders_frame([(2, AS_OF + timedelta(days=1))])]
    )
    later["answers"] = pd.concat(
        [
            inputs["answers"],
            inputs["answers"][:1].assign(
                answer_date=pd.Timestamp("2025-03-02"), value=0.0
            ),
        ]
    )
    later["sla_events"] = pd.DataFrame(
        {
            "partner_id": [1],
            "deadline": [pd.Timestamp("2025-03-08")],
            "done": [pd.NaT],
        }
    )
    columns = ["score", "band", "satisfaction", "sla", "visits", "recency"]
    leaked = run(accounts, later, amounts)
    pd.testing.assert_frame_equal(leaked[columns], points[columns])
    # They do count once their date has come: the test above can fail.
    after = run(accounts, later, amounts, dates=[AS_OF + timedelta(days=10)])
    assert after["satisfaction"][0] < points["satisfaction"][0]
    assert after["sla"][0] == 0.0


def test_each_scorecard_scores_its_accounts():
    accounts, inputs, amounts = book()
    configs = {
        (1, 0): ScoringConfig(),
        (1, 7): ScoringConfig(weight_satisfaction=0, weight_recency=1),
    }
    points = backtest_points(
        accounts, inputs, amounts, [AS_OF], configs, pd.Series({2: 7})
    )
    card = points.set_index("partner_id")
    assert card.loc[1, "scorecard_id"] == 0 and card.loc[2, "scorecard_id"] == 7
    # Account 2 scored on recency alone.
    assert card.loc[2, "score"] == pytest.approx(card.loc[2, "recency"])


def test_accounts_that_had_not_ordered_yet_are_no_points():
    accounts, inputs, amounts = book()
    points = run(accounts, inputs, amounts, dates=[AS_OF - timedelta(days=800), AS_OF])
    assert points["as_of"].tolist() == [AS_OF, AS_OF]


def test_snapshots_are_preferred_where_they_exist():
    accounts, inputs, amounts = book()
    points = run(accounts, inputs, amounts)
    snapshots = pd.DataFrame(
        {
            "partner_id": [2],
            "as_of": [AS_OF],
            "score": [12.0],
            "band": ["critical"],
            "satisfaction": [10.0],
            "sla": [np.nan],
            "visits": [np.nan],
            "recency": [14.0],
        }
    )
    merged = prefer_snapshots(points, snapshots).set_index("partner_id")
    assert merged.loc[2, ["score", "band", "source"]].tolist() == [
        12.0,
        "critical",
        "snapshot",
    ]
    assert merged.loc[1, "source"] == "backtest"
    assert merged.loc[1, "score"] == points.set_index("partner_id").loc[1, "score"]
    assert merged.loc[2, "lapsed"] == 1.0
