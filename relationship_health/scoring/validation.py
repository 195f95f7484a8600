"""Does the score predict churn? The rules of score validation.

Pure functions on pandas and numpy, for the validation of the score on a
company's own history (issue: scorecards and score validation):

- :func:`lapsed`: whether each account lapsed in the horizon after a date.
- :func:`band_lapse_rates`: the lapse rate of each band, and the lift of
  critical over healthy.
- :func:`auc`: how well the score ranks the accounts that lapsed below the
  others (the area under the ROC curve).
- :func:`decile_lapse_rates`: the lapse rate by score decile.
- :func:`suggested_weights`: the weights of the four components a logistic
  regression of *lapsed* on them suggests.

Every figure says how many accounts it rests on, and none is given on fewer
than ``min_accounts``.
"""

import numpy as np
import pandas as pd

from .vocabulary import SCORED_BANDS, SIGNALS

#: How long after a date an account is watched (days).
HORIZON_DAYS = 180
#: An account lapsed when it did not order for more than this many times its
#: usual interval…
LAPSE_INTERVAL_FACTOR = 2.0
#: …or when its 12-month revenue fell below this share of what it was.
LAPSE_REVENUE_SHARE = 0.5
#: The fewest accounts a figure rests on.
DEFAULT_MIN_ACCOUNTS = 30


def lapsed(accounts, orders, as_of, default_interval, horizon=HORIZON_DAYS):
    """``{account: bool}``: whether each of ``accounts`` lapsed in the
    ``horizon`` days after the day ``as_of``.

    ``orders``: rows (account_id, day, amount) of confirmed orders, days as
    ``datetime.date``. An account lapsed when, at some day of the horizon, it
    had gone more than :data:`LAPSE_INTERVAL_FACTOR` times its usual interval
    (the median gap between its orders before ``as_of``, ``default_interval``
    with fewer than three orders) without an order; or when its revenue of the
    12 months ending at the horizon's end is below
    :data:`LAPSE_REVENUE_SHARE` of its revenue of the 12 months ending at
    ``as_of``. Orders after the horizon are never read."""
    frame = pd.DataFrame(list(orders), columns=["account_id", "day", "amount"])
    start = pd.Timestamp(as_of)
    end = start + pd.Timedelta(days=horizon)
    frame["day"] = pd.to_datetime(frame["day"])
    frame = frame[frame["day"] <= end]
    result = {}
    for account in accounts:
        rows = frame[frame["account_id"] == account].sort_values("day")
        before = rows[rows["day"] <= start]["day"]
        gaps = before.diff().dt.days.dropna()
        interval = float(gaps.median()) if len(before) >= 3 else float(default_interval)
        limit = pd.Timedelta(days=LAPSE_INTERVAL_FACTOR * interval)
        silent = False
        if len(before):
            days = [before.iloc[-1]] + rows[rows["day"] > start]["day"].tolist() + [end]
            silent = any(
                later - earlier > limit and later > start
                for earlier, later in zip(days, days[1:])
            )
        year = pd.Timedelta(days=365)
        then = rows[(rows["day"] > start - year) & (rows["day"] <= start)][
            "amount"
        ].sum()
        now = rows[(rows["day"] > end - year) & (rows["day"] <= end)]["amount"].sum()
        fell = then > 0 and now < LAPSE_REVENUE_SHARE * then
        result[account] = bool(silent or fell)
    return result


def band_lapse_rates(bands, lapses, min_accounts=DEFAULT_MIN_ACCOUNTS):
    """Per scored band: ``{"accounts", "lapsed", "rate"}`` (rate None on
    fewer than ``min_accounts``), and ``"lift"``: the rate of critical over
    the rate of healthy (None when either is missing or healthy's is 0).
    ``bands`` and ``lapses``: ``{account: band}``, ``{account: bool}``."""
    figures = {}
    for band in SCORED_BANDS:
        members = [account for account, b in bands.items() if b == band]
        count = sum(1 for account in members if lapses.get(account))
        figures[band] = {
            "accounts": len(members),
            "lapsed": count,
            "rate": count / len(members) if len(members) >= min_accounts else None,
        }
    critical, healthy = figures["critical"]["rate"], figures["healthy"]["rate"]
    figures["lift"] = critical / healthy if critical is not None and healthy else None
    return figures


def auc(scores, lapses):
    """The probability that an account that lapsed scored lower than one that
    did not (ties count one half): 1 ranks perfectly, 0.5 is chance. None
    without both kinds of accounts. ``scores``: ``{account: score}``."""
    frame = pd.DataFrame(
        [(scores[a], bool(lapses.get(a))) for a in scores if scores[a] is not None],
        columns=["score", "lapsed"],
    )
    positives = int(frame["lapsed"].sum())
    negatives = len(frame) - positives
    if not positives or not negatives:
        return None
    # Mann–Whitney: the rank of each lapsed account among all, low score first
    # counting as "more at risk" (ranks on the negated score).
    ranks = (-frame["score"]).rank(method="average")
    rank_sum = ranks[frame["lapsed"]].sum()
    return float((rank_sum - positives * (positives + 1) / 2) / (positives * negatives))


def decile_lapse_rates(scores, lapses, min_accounts=DEFAULT_MIN_ACCOUNTS):
    """Rows (decile 1–10 from the lowest scores, accounts, lapse rate or None
    on fewer than ``min_accounts``)."""
    frame = pd.DataFrame(
        [(scores[a], bool(lapses.get(a))) for a in scores if scores[a] is not None],
        columns=["score", "lapsed"],
    ).sort_values("score", kind="stable")
    if frame.empty:
        return []
    frame["decile"] = np.arange(len(frame)) * 10 // len(frame) + 1
    rows = []
    for decile, group in frame.groupby("decile"):
        rate = float(group["lapsed"].mean()) if len(group) >= min_accounts else None
        rows.append((int(decile), len(group), rate))
    return rows


def _renormalised(components):
    """The components with a missing one replaced by the mean of the account's
    others (what the score does when it renormalises its weights), and the
    rows with none at all left out."""
    frame = pd.DataFrame(components, columns=list(SIGNALS), dtype="float64")
    mean = frame.mean(axis=1)
    keep = mean.notna()
    return frame[keep].apply(lambda column: column.fillna(mean[keep])), keep


def suggested_weights(components, lapses, iterations=25, ridge=1e-6):
    """The weights of the four components (:data:`..vocabulary.SIGNALS`, in
    that order, summing to 1) that a logistic regression of *lapsed* on the
    components (each 0–100, NaN without data) suggests: the more a component
    lowers the odds of lapsing, the more it weighs; a component that does not
    (a coefficient of 0 or more) weighs 0. None when no component helps or
    the accounts are all alike. ``components``: rows of the four components;
    ``lapses``: the parallel booleans. Newton's method on the log-likelihood
    (a few lines of numpy, a small ridge for stability)."""
    frame, keep = _renormalised(components)
    y = np.asarray(lapses, dtype="float64")[keep.to_numpy()]
    if frame.empty or y.min() == y.max():
        return None
    # A component without any data weighs nothing (it is not in the score).
    raw = pd.DataFrame(components, columns=list(SIGNALS), dtype="float64")[keep]
    present = [name for name in SIGNALS if raw[name].notna().any()]
    frame = frame[present]
    x = np.column_stack([np.ones(len(frame)), frame.to_numpy() / 100.0])
    beta = np.zeros(x.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-x @ beta))
        gradient = x.T @ (y - p) - ridge * beta
        hessian = (x * (p * (1 - p))[:, None]).T @ x + ridge * np.eye(len(beta))
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    protective = dict(zip(present, np.clip(-beta[1:], 0.0, None).tolist()))
    total = sum(protective.values())
    if total <= 0:
        return None
    return {name: protective.get(name, 0.0) / total for name in SIGNALS}
