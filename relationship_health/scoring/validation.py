"""Does the score predict churn? The figures of score validation.

Pure functions on pandas and numpy, over the points of a backtest (one per
account and date: score, band, components, lapsed; see :mod:`.backtest`):

- :func:`band_lapse_rates`: the lapse rate of each band, and the lift of
  critical over healthy.
- :func:`auc`: how well the score ranks the accounts that lapsed below the
  others (the area under the ROC curve).
- :func:`decile_lapse_rates`: the lapse rate by score decile.
- :func:`suggested_weights`: the weights of the four components a logistic
  regression of *lapsed* on them suggests.
- :func:`validation_figures`: all of them for one group of points.

Every figure says how many points (account-dates) it rests on, and none is
given on fewer than ``min_accounts``.
"""

import numpy as np
import pandas as pd

from .engine import combine_components
from .vocabulary import SCORED_BANDS, SIGNALS

#: The fewest points a figure rests on.
DEFAULT_MIN_ACCOUNTS = 30


def _arrays(scores, lapses):
    """Scores and lapses as aligned arrays, points without a score left out."""
    scores = np.asarray(scores, dtype="float64")
    lapses = np.asarray(lapses, dtype="bool")
    known = ~np.isnan(scores)
    return scores[known], lapses[known]


def band_lapse_rates(bands, lapses, min_accounts=DEFAULT_MIN_ACCOUNTS):
    """Per scored band: ``{"accounts", "lapsed", "rate"}`` (rate None on
    fewer than ``min_accounts``), and ``"lift"``: the rate of critical over
    the rate of healthy (None when either is missing or healthy's is 0).
    ``bands`` and ``lapses``: parallel sequences of bands and booleans."""
    bands = np.asarray(bands, dtype=object)
    lapses = np.asarray(lapses, dtype="bool")
    figures = {}
    for band in SCORED_BANDS:
        members = bands == band
        accounts = int(members.sum())
        count = int((lapses & members).sum())
        figures[band] = {
            "accounts": accounts,
            "lapsed": count,
            "rate": count / accounts if accounts >= min_accounts else None,
        }
    critical, healthy = figures["critical"]["rate"], figures["healthy"]["rate"]
    figures["lift"] = critical / healthy if critical is not None and healthy else None
    return figures


def auc(scores, lapses):
    """The probability that a point that lapsed scored lower than one that
    did not (ties count one half): 1 ranks perfectly, 0.5 is chance. None
    without both kinds of points. Points without a score are left out."""
    scores, lapses = _arrays(scores, lapses)
    positives = int(lapses.sum())
    negatives = len(lapses) - positives
    if not positives or not negatives:
        return None
    # Mann–Whitney: the rank of each lapsed point among all, low score first
    # counting as "more at risk" (ranks on the negated score).
    ranks = pd.Series(-scores).rank(method="average").to_numpy()
    rank_sum = ranks[lapses].sum()
    return float((rank_sum - positives * (positives + 1) / 2) / (positives * negatives))


def decile_lapse_rates(scores, lapses, min_accounts=DEFAULT_MIN_ACCOUNTS):
    """Rows (decile 1–10 from the lowest scores, points, lapse rate or None
    on fewer than ``min_accounts``)."""
    scores, lapses = _arrays(scores, lapses)
    if not len(scores):
        return []
    order = np.argsort(scores, kind="stable")
    deciles = np.empty(len(scores), dtype="int64")
    deciles[order] = np.arange(len(scores)) * 10 // len(scores) + 1
    counts = np.bincount(deciles, minlength=11)[1:]
    lapsed_counts = np.bincount(deciles, weights=lapses, minlength=11)[1:]
    return [
        (
            decile,
            int(count),
            float(lapsed_counts[decile - 1] / count) if count >= min_accounts else None,
        )
        for decile, count in enumerate(counts.tolist(), start=1)
        if count
    ]


def weighted_scores(components, weights):
    """The scores the four components (rows, NaN without data) make with
    ``weights`` (``{component: weight}``), renormalised over the components
    with data as the score is."""
    values = np.asarray(components, dtype="float64").reshape(-1, len(SIGNALS))
    return combine_components(values, [weights.get(name, 0.0) for name in SIGNALS])[0]


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


def validation_figures(points, min_accounts=DEFAULT_MIN_ACCOUNTS, weights=None):
    """Every figure of one group of points (a frame with the columns
    ``score``, ``band``, ``lapsed`` and the four components).

    Returns ``{"accounts", "lapsed", <band>: {...}, "lift", "auc",
    "deciles"}`` (see :func:`band_lapse_rates`, :func:`auc`,
    :func:`decile_lapse_rates`; AUC None on fewer than ``min_accounts``).
    With ``weights`` (the group's current weights), also
    ``"auc_current"``: the AUC of the scores those weights make from the
    components, and when at least ``min_accounts`` points lapsed and as many
    did not, ``"suggested"`` (:func:`suggested_weights`) and
    ``"auc_suggested"``; else those are None."""
    lapses = points["lapsed"].to_numpy(dtype="bool")
    scores = points["score"].to_numpy(dtype="float64")
    enough = len(points) >= min_accounts
    figures = {
        "accounts": len(points),
        "lapsed": int(lapses.sum()),
        **band_lapse_rates(points["band"].to_numpy(dtype=object), lapses, min_accounts),
        "auc": auc(scores, lapses) if enough else None,
        "deciles": decile_lapse_rates(scores, lapses, min_accounts),
    }
    if weights is None:
        return figures
    components = points[list(SIGNALS)].to_numpy(dtype="float64")
    figures["auc_current"] = (
        auc(weighted_scores(components, weights), lapses) if enough else None
    )
    suggested = None
    if min(figures["lapsed"], len(points) - figures["lapsed"]) >= min_accounts:
        suggested = suggested_weights(components, lapses)
    figures["suggested"] = suggested
    figures["auc_suggested"] = (
        auc(weighted_scores(components, suggested), lapses) if suggested else None
    )
    return figures
