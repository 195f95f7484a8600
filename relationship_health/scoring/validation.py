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

Band rates, lift, AUC and deciles also take a histogram instead of the
points: rows of distinct values with ``counts`` (how many points each row
stands for), as a ``GROUP BY score, band, lapsed`` gives them; scores have
one decimal, so a few thousand rows stand for millions of points and the
memory does not grow with the book. The suggested weights need the points'
components: they rest on a sample of at most :data:`REGRESSION_POINTS`
points (all of them in a smaller group).
"""

import numpy as np
import pandas as pd

from .engine import combine_components
from .vocabulary import SCORED_BANDS, SIGNALS

#: The fewest points a figure rests on.
DEFAULT_MIN_ACCOUNTS = 30
#: The most points of a group the suggested weights (and the two AUCs
#: compared with them) rest on: a larger group gives a sample of this many.
REGRESSION_POINTS = 200_000


def _counts(counts, size):
    """How many points each of ``size`` rows stands for (1 without
    ``counts``), as floats (exact for counts below 2**53)."""
    if counts is None:
        return np.ones(size, dtype="float64")
    return np.asarray(counts, dtype="float64").reshape(size)


def _arrays(scores, lapses, counts=None):
    """Scores, lapses and counts as aligned arrays, points without a score
    left out."""
    scores = np.asarray(scores, dtype="float64")
    lapses = np.asarray(lapses, dtype="bool")
    counts = _counts(counts, len(scores))
    known = ~np.isnan(scores)
    return scores[known], lapses[known], counts[known]


def band_lapse_rates(bands, lapses, min_accounts=DEFAULT_MIN_ACCOUNTS, counts=None):
    """Per scored band: ``{"accounts", "lapsed", "rate"}`` (rate None on
    fewer than ``min_accounts``), and ``"lift"``: the rate of critical over
    the rate of healthy (None when either is missing or healthy's is 0).
    ``bands`` and ``lapses``: parallel sequences of bands and booleans;
    ``counts``: how many points each row stands for (a histogram; default
    one each)."""
    bands = np.asarray(bands, dtype=object)
    lapses = np.asarray(lapses, dtype="bool")
    counts = _counts(counts, len(bands))
    figures = {}
    for band in SCORED_BANDS:
        members = bands == band
        accounts = int(counts[members].sum())
        count = int(counts[lapses & members].sum())
        figures[band] = {
            "accounts": accounts,
            "lapsed": count,
            "rate": count / accounts if accounts >= min_accounts else None,
        }
    critical, healthy = figures["critical"]["rate"], figures["healthy"]["rate"]
    figures["lift"] = critical / healthy if critical is not None and healthy else None
    return figures


def _tie_groups(scores, lapses, counts):
    """Per distinct score, ascending: the score, its points and its lapsed
    points (sums of ``counts``)."""
    values, group = np.unique(scores, return_inverse=True)
    totals = np.bincount(group, weights=counts, minlength=len(values))
    lapsed = np.bincount(group, weights=counts * lapses, minlength=len(values))
    return values, totals, lapsed


def auc(scores, lapses, counts=None):
    """The probability that a point that lapsed scored lower than one that
    did not (ties count one half): 1 ranks perfectly, 0.5 is chance. None
    without both kinds of points. Points without a score are left out.
    ``counts``: how many points each row stands for (a histogram; default
    one each): the AUC of the expanded points, exactly."""
    scores, lapses, counts = _arrays(scores, lapses, counts)
    _values, totals, positives = _tie_groups(scores, lapses, counts)
    negatives = totals - positives
    positive, negative = positives.sum(), negatives.sum()
    if not positive or not negative:
        return None
    # Mann–Whitney: the pairs (lapsed, not lapsed) where the lapsed point
    # scored lower, plus half the ties, counted twice to stay in integers
    # (exact in floats below 2**53) until the one division.
    above = negative - np.cumsum(negatives)
    pairs = (positives * (2 * above + negatives)).sum()
    return float(pairs / (2 * positive * negative))


def _histogram_deciles(scores, lapses, counts):
    """Points and lapsed points per decile of a histogram: the points of
    one score value spanning a decile boundary split in proportion."""
    _values, totals, lapsed = _tie_groups(scores, lapses, counts)
    size = totals.sum()
    # Decile d holds the sorted positions [ceil((d-1)·n/10), ceil(d·n/10)),
    # as position i goes to decile i·10 // n + 1 on the points.
    bounds = -(-np.arange(11) * size // 10)
    ends = np.cumsum(totals)
    starts = ends - totals
    overlap = np.clip(
        np.minimum(ends[:, None], bounds[None, 1:])
        - np.maximum(starts[:, None], bounds[None, :-1]),
        0,
        None,
    )
    share = np.divide(
        lapsed[:, None] * overlap,
        totals[:, None],
        out=np.zeros_like(overlap),
        where=totals[:, None] > 0,
    )
    return overlap.sum(axis=0), share.sum(axis=0)


def decile_lapse_rates(scores, lapses, min_accounts=DEFAULT_MIN_ACCOUNTS, counts=None):
    """Rows (decile 1–10 from the lowest scores, points, lapse rate or None
    on fewer than ``min_accounts``).

    With ``counts`` (how many points each row stands for: a histogram), the
    deciles of the expanded points; where the points of one score value
    span a decile boundary, their points and lapses are split between the
    two deciles in proportion (the points themselves would go by their
    order among equal scores, which nothing fixes). Where no score value
    spans a boundary, the figures are those of the expanded points."""
    if counts is not None:
        scores, lapses, counts = _arrays(scores, lapses, counts)
        if not counts.sum():
            return []
        counts, lapsed_counts = _histogram_deciles(scores, lapses, counts)
        return _decile_rows(counts, lapsed_counts, min_accounts)
    scores, lapses, _ones = _arrays(scores, lapses)
    if not len(scores):
        return []
    order = np.argsort(scores, kind="stable")
    deciles = np.empty(len(scores), dtype="int64")
    deciles[order] = np.arange(len(scores)) * 10 // len(scores) + 1
    counts = np.bincount(deciles, minlength=11)[1:]
    lapsed_counts = np.bincount(deciles, weights=lapses, minlength=11)[1:]
    return _decile_rows(counts, lapsed_counts, min_accounts)


def _decile_rows(counts, lapsed_counts, min_accounts):
    """The rows of :func:`decile_lapse_rates` from the points and lapsed
    points of each decile."""
    return [
        (
            decile,
            int(count),
            float(lapsed_counts[decile - 1] / count) if count >= min_accounts else None,
        )
        for decile, count in enumerate(np.asarray(counts).tolist(), start=1)
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


def validation_figures(
    points, min_accounts=DEFAULT_MIN_ACCOUNTS, weights=None, sample=None
):
    """Every figure of one group of points (a frame with the columns
    ``score``, ``band``, ``lapsed`` and the four components).

    Returns ``{"accounts", "lapsed", <band>: {...}, "lift", "auc",
    "deciles"}`` (see :func:`band_lapse_rates`, :func:`auc`,
    :func:`decile_lapse_rates`; AUC None on fewer than ``min_accounts``).
    With ``weights`` (the group's current weights), also
    ``"auc_current"``: the AUC of the scores those weights make from the
    components, and when at least ``min_accounts`` points lapsed and as many
    did not, ``"suggested"`` (:func:`suggested_weights`) and
    ``"auc_suggested"``; else those are None.

    ``points`` may be a histogram: a ``count`` column says how many points
    each row stands for (no components then). ``sample``: the points
    (``lapsed`` and the four components) the suggested weights and the two
    AUCs compared with them rest on, at most :data:`REGRESSION_POINTS` of
    the group (default: ``points`` themselves); the minimums are those of
    the whole group."""
    lapses = points["lapsed"].to_numpy(dtype="bool")
    scores = points["score"].to_numpy(dtype="float64")
    counts = points["count"].to_numpy() if "count" in points else None
    accounts = int(_counts(counts, len(points)).sum())
    enough = accounts >= min_accounts
    figures = {
        "accounts": accounts,
        "lapsed": int(_counts(counts, len(points))[lapses].sum()),
        **band_lapse_rates(
            points["band"].to_numpy(dtype=object), lapses, min_accounts, counts
        ),
        "auc": auc(scores, lapses, counts) if enough else None,
        "deciles": decile_lapse_rates(scores, lapses, min_accounts, counts),
    }
    if weights is None:
        return figures
    sample = points if sample is None else sample
    lapses = sample["lapsed"].to_numpy(dtype="bool")
    components = sample[list(SIGNALS)].to_numpy(dtype="float64")
    figures["auc_current"] = (
        auc(weighted_scores(components, weights), lapses) if enough else None
    )
    suggested = None
    if min(figures["lapsed"], accounts - figures["lapsed"]) >= min_accounts:
        suggested = suggested_weights(components, lapses)
    figures["suggested"] = suggested
    figures["auc_suggested"] = (
        auc(weighted_scores(components, suggested), lapses) if suggested else None
    )
    return figures
