"""Loyalty × profitability (Reinartz & Kumar) and customer lifetime value.

- **Profitability**: the account's margin over the last 12 months (revenue
  when margins are not known), in company currency. *High* when it reaches
  the caller's threshold: the value that puts an account in the top
  ``profit_top_share`` of all accounts (computed over the whole book, not
  one batch).
- **Loyalty**, behavioural as in the original study: *regularity* = share of
  the last 8 calendar quarters (the current one included) with at least one
  order, and *tenure* = days since the first order. *High* when regularity
  ≥ ``loyalty_regularity_min``.
- **Quadrant**: true friend (high profit, high loyalty), butterfly (high
  profit, low loyalty), barnacle (low profit, high loyalty), stranger (low,
  low). Accounts that never ordered have none.
- **Customer lifetime value** = m × r ∕ (1 + d − r), with m the yearly margin
  (or revenue), r the retention rate derived from the health score
  (score ∕ 100, at most ``clv_retention_cap``) and d the discount rate. No
  health score or no positive margin: no CLV.
"""

import numpy as np
import pandas as pd

from .components import (
    ORDER_COLUMNS,
    _day_numbers,
    _input_rows,
    _numbers,
    _timestamps,
    account_table,
    make_clock,
)
from .config import ScoringConfig

from .vocabulary import QUADRANTS

LOYALTY_QUARTERS = 8
MONEY_COLUMNS = ("partner_id", "revenue", "margin")
VALUE_COLUMNS = (
    "revenue_12m",
    "margin_12m",
    "profit_12m",
    "loyalty_regularity",
    "tenure_days",
    "quadrant",
    "retention_rate",
    "clv",
)


def _quarter_numbers(day_numbers):
    """Calendar quarter index (year × 4 + quarter) of day numbers."""
    stamps = (np.asarray(day_numbers, dtype="int64")).astype("datetime64[D]")
    months = stamps.astype("datetime64[M]").astype("int64")  # months since 1970-01
    return months // 3


def compute_value(
    accounts,
    orders,
    money,
    scores,
    today,
    config=None,
    profit_threshold=None,
    use_margin=True,
):
    """Quadrant and lifetime value of each account.

    :param accounts: as for :func:`..engine.compute_health`.
    :param orders: rows (partner_id, order_date), every confirmed order day.
    :param money: rows (partner_id, revenue, margin) of the last 12 months,
        in company currency (margin may be NaN when unknown).
    :param scores: the health score of each account (Series indexed by
        partner_id; NaN for unknown).
    :param profit_threshold: the 12-month profit from which an account is
        "highly profitable"; None or NaN: no account is.
    :param use_margin: profit is the margin (True) or the revenue (False).
    :returns: DataFrame indexed by partner_id with :data:`VALUE_COLUMNS`.
    """
    config = (config or ScoringConfig()).validate()
    table = account_table(accounts)
    clock = make_clock(today)
    size = len(table.ids)

    revenue = np.zeros(size)
    margin = np.full(size, np.nan)
    frame, positions = _input_rows(table, money, MONEY_COLUMNS, "money")
    if frame is not None:
        known = positions >= 0
        revenue = np.bincount(
            positions[known],
            weights=np.nan_to_num(_numbers(frame["revenue"])[known]),
            minlength=size,
        )
        margin_values = _numbers(frame["margin"])[known]
        has_margin = ~np.isnan(margin_values)
        margin = np.where(
            np.bincount(positions[known][has_margin], minlength=size) > 0,
            np.bincount(
                positions[known][has_margin],
                weights=margin_values[has_margin],
                minlength=size,
            ),
            np.nan,
        )
    profit = np.nan_to_num(margin) if use_margin else revenue

    regularity = np.full(size, np.nan)
    tenure = np.full(size, np.nan)
    frame, positions = _input_rows(table, orders, ORDER_COLUMNS, "orders")
    ordered = np.zeros(size, dtype=bool)
    if frame is not None:
        days = _day_numbers(_timestamps(frame["order_date"]))
        valid = (positions >= 0) & (days <= clock.today)
        positions, days = positions[valid], days[valid]
        if len(days):
            first = np.full(size, np.inf)
            np.minimum.at(first, positions, days)
            ordered = np.isfinite(first)
            tenure = np.where(ordered, clock.today - first, np.nan)
            current_quarter = _quarter_numbers([clock.today])[0]
            quarter = _quarter_numbers(days)
            recent = quarter > current_quarter - LOYALTY_QUARTERS
            cells = np.unique(
                positions[recent].astype("int64") * LOYALTY_QUARTERS
                + (current_quarter - quarter[recent])
            )
            active_quarters = np.bincount(cells // LOYALTY_QUARTERS, minlength=size)
            regularity = np.where(ordered, active_quarters / LOYALTY_QUARTERS, np.nan)

    threshold = np.nan if profit_threshold is None else float(profit_threshold)
    high_profit = ~np.isnan(threshold) & (profit >= threshold) & (profit > 0)
    high_loyalty = np.nan_to_num(regularity) >= config.loyalty_regularity_min
    quadrant = np.select(
        [high_profit & high_loyalty, high_profit, high_loyalty],
        list(QUADRANTS[:3]),
        default=QUADRANTS[3],
    ).astype(object)
    quadrant[~ordered] = None

    score = (
        pd.Series(scores, dtype="float64").reindex(table.ids).to_numpy()
        if scores is not None
        else np.full(size, np.nan)
    )
    retention = np.minimum(score / 100.0, config.clv_retention_cap)
    d = config.clv_discount_rate
    with np.errstate(invalid="ignore", divide="ignore"):
        clv = profit * retention / (1.0 + d - retention)
    clv = np.where(~np.isnan(retention) & (profit > 0), clv, np.nan)

    return pd.DataFrame(
        {
            "revenue_12m": revenue,
            "margin_12m": margin,
            "profit_12m": profit,
            "loyalty_regularity": regularity * 100.0,
            "tenure_days": tenure,
            "quadrant": quadrant,
            "retention_rate": retention,
            "clv": clv,
        },
        index=table.ids,
    )


def profit_threshold(profits, top_share):
    """The profit from which an account is in the top ``top_share`` of ``profits``.

    ``profits`` holds the 12-month profit of every account of the book
    (accounts with none count as 0). None when there is no positive profit.
    """
    values = np.asarray(pd.Series(profits, dtype="float64").dropna(), dtype="float64")
    if not len(values) or not (values > 0).any():
        return None
    return float(np.quantile(values, 1.0 - top_share, method="higher"))
