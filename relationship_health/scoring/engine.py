"""Combination of the components into the health score of each account.

:func:`compute_health` is the single entry point used by the Odoo shell: it
scores the four components, combines them with their weights over the
components that have data, derives confidence, band and trend, and explains
each score with up to three machine-readable reasons.
"""

import math

import numpy as np
import pandas as pd

from .components import (
    account_table,
    compute_recency,
    compute_satisfaction,
    compute_sla,
    compute_visits,
    make_clock,
)
from .config import COMPONENTS, ScoringConfig
from .vocabulary import BANDS
from .servqual import GAP_COLUMNS, compute_servqual

#: Columns of the result of :func:`compute_health`, in order.
SCORE_COLUMNS = (
    "score",
    "band",
    "confidence",
    "trend",
    "satisfaction",
    "sla",
    "visits",
    "recency",
    "nps",
    "reasons",
)
FACT_COLUMNS = (
    "last_order_date",
    "days_since_order",
    "order_interval_days",
    "order_interval_is_default",
    "order_count",
    "answer_count",
    "last_answer_date",
    "last_visit_date",
    "days_since_visit",
    "visit_count_365",
    "visit_due_date",
    "visits_planned_365",
    "visit_adherence",
    "sla_event_count",
    "sla_met_count",
    "sla_breached_count",
)
RESULT_COLUMNS = SCORE_COLUMNS + FACT_COLUMNS + GAP_COLUMNS

#: A component is a reason only when it costs more points than this.
MIN_REASON_POINTS = 0.05
MAX_REASONS = 3


def round1(values):
    """Round to one decimal, halves away from zero (69.95 → 70.0), NaN kept."""
    values = np.asarray(values, dtype="float64")
    rounded = np.sign(values) * np.floor(np.abs(values) * 10.0 + 0.5) / 10.0
    return rounded + 0.0  # turns -0.0 into 0.0


def combine_components(values, weights):
    """The overall score: the weighted mean of the components that have data.

    ``values``: (accounts × components) array, NaN without data; ``weights``:
    the weight of each component. A component without data drops out and the
    others' weights are renormalised. Returns ``(score, weight_with_data)``,
    the score NaN when no component has data."""
    values = np.asarray(values, dtype="float64")
    weights = np.asarray(weights, dtype="float64")
    has_data = ~np.isnan(values)
    weight_with_data = (has_data * weights).sum(axis=1)
    weighted = (np.where(has_data, values, 0.0) * weights).sum(axis=1)
    score = np.full(len(values), np.nan)
    np.divide(weighted, weight_with_data, out=score, where=weight_with_data > 0)
    return score, weight_with_data


def _bands(rounded_scores, config):
    """Band of each (already rounded) score; ``unknown`` for NaN."""
    scores = np.asarray(rounded_scores, dtype="float64")
    return np.select(
        [
            np.isnan(scores),
            scores >= config.threshold_healthy,
            scores >= config.threshold_watch,
            scores >= config.threshold_at_risk,
        ],
        ["unknown", "healthy", "watch", "at_risk"],
        default="critical",
    )


def band_for(score, config=None):
    """The band of one score, decided on the score rounded to one decimal.

    ``None`` and NaN give ``unknown``; ``config`` defaults to
    :class:`ScoringConfig`'s defaults.
    """
    config = config or ScoringConfig()
    if score is None or pd.isna(score):
        return BANDS[-1]
    return str(_bands(round1([float(score)]), config)[0])


def _plain_numbers(values):
    """Numbers for display: ints when whole, else floats with one decimal."""
    return [int(v) if v.is_integer() else v for v in round1(values).tolist()]


def _optional_numbers(values):
    """Numbers with one decimal, None for NaN."""
    return [None if math.isnan(v) else v for v in round1(values).tolist()]


def _ints(values):
    """Whole numbers as python ints (NaN becomes 0; reasons never quote one)."""
    return np.nan_to_num(np.asarray(values, dtype="float64")).astype("int64").tolist()


def _reason_params(component, rows, parts, cadence):
    """``(code, params)`` of the reasons of ``component`` for the accounts at ``rows``."""
    if component == "recency":
        codes = np.where(
            parts["order_interval_is_default"][rows],
            "recency_default",
            "recency_rhythm",
        ).tolist()
        params = [
            {"days": days, "interval": interval}
            for days, interval in zip(
                _ints(parts["days_since_order"][rows]),
                _plain_numbers(parts["order_interval_days"][rows]),
            )
        ]
        return codes, params
    if component == "satisfaction":
        params = [
            {"score": score, "answers": answers, "nps": nps}
            for score, answers, nps in zip(
                round1(parts["satisfaction"][rows]).tolist(),
                _ints(parts["answer_count"][rows]),
                _optional_numbers(parts["nps"][rows]),
            )
        ]
        # The weakest SERVQUAL dimension, when perception falls short of it.
        weakest = parts["weakest_dimension"][rows]
        weakest_gap = np.array(
            [
                parts[f"gap_{name}"][row] if name else np.nan
                for row, name in zip(rows, weakest)
            ],
            dtype="float64",
        )
        for param, name, gap in zip(
            params, weakest.tolist(), _optional_numbers(weakest_gap)
        ):
            if name and gap is not None and gap < 0:
                param.update(weakest=name, gap=gap)
        return ["satisfaction"] * len(rows), params
    if component == "visits":
        days_since = parts["days_since_visit"][rows]
        codes = np.where(
            np.isnan(days_since), "visits_never", "visits_overdue"
        ).tolist()
        params = [
            {"cadence": cadence}
            if code == "visits_never"
            else {"days": days, "cadence": cadence}
            for code, days, cadence in zip(
                codes, _ints(days_since), _plain_numbers(cadence[rows])
            )
        ]
        return codes, params
    params = [
        {"breached": breached, "total": total, "score": score}
        for breached, total, score in zip(
            _ints(parts["sla_breached_count"][rows]),
            _ints(parts["sla_event_count"][rows]),
            round1(parts["sla"][rows]).tolist(),
        )
    ]
    for param, policy in zip(
        params, _optional_numbers(parts["sla_worst_policy_id"][rows])
    ):
        if policy is not None:
            param["policy"] = int(policy)
    for param, incident in zip(
        params, _optional_numbers(parts["sla_worst_incident_id"][rows])
    ):
        if incident is not None:
            param["incident"] = int(incident)
    return ["sla_breaches"] * len(rows), params


def _reasons(points, parts, cadence):
    """Up to three reasons per account, most costly first.

    ``points`` is an (accounts × components) array of the points each
    component removes from the overall score (NaN without data); ``parts``
    the unrounded component columns and facts; ``cadence`` the visit cadence
    of each account. Ties keep the fixed order of :data:`COMPONENTS`. Only
    the building of the small dicts runs in Python, once per reason.
    """
    costs = np.where(np.isnan(points), -1.0, points)
    ranking = np.argsort(-costs, axis=1, kind="stable")[:, :MAX_REASONS]
    ranked_points = np.take_along_axis(costs, ranking, axis=1)
    # Row-major order: account by account, most costly reason first.
    rows, ranks = np.nonzero(ranked_points > MIN_REASON_POINTS)
    chosen = ranking[rows, ranks]
    lost = round1(ranked_points[rows, ranks]).tolist()

    entries = [None] * len(rows)
    for index, component in enumerate(COMPONENTS):
        picked = np.flatnonzero(chosen == index)
        if not len(picked):
            continue
        codes, params = _reason_params(component, rows[picked], parts, cadence)
        for entry, code, param in zip(picked.tolist(), codes, params):
            entries[entry] = {
                "component": component,
                "points": lost[entry],
                "code": code,
                "params": param,
            }

    # ``entries`` is grouped by account: cut it into one list per account.
    ends = np.cumsum(np.bincount(rows, minlength=len(points))).tolist()
    return [entries[start:end] for start, end in zip([0, *ends[:-1]], ends)]


def compute_health(
    accounts,
    orders,
    answers,
    visits,
    sla_events,
    today,
    config=None,
    now=None,
    servqual=None,
    explain=True,
):
    """Score the health of every account.

    :param accounts: DataFrame with a ``partner_id`` column or index and the
        optional columns ``visit_interval_days`` (0 = no plan),
        ``visit_plan_start`` (NaT = long ago) and ``previous_score`` (NaN when
        there is no old snapshot); other columns are ignored.
    :param orders: rows (partner_id, order_date).
    :param answers: rows (partner_id, answer_date, metric, value, scale_min,
        scale_max), metric in ``nps``, ``csat``, ``scale``.
    :param visits: rows (partner_id, visit_date), declined visits excluded.
    :param sla_events: rows (partner_id, deadline, done), ``done`` NaT when open.
    :param servqual: rows (partner_id, answer_date, dimension, side, value) of
        SERVQUAL items, side in ``expectation``, ``perception`` (optional).
    :param today: the day of the computation (a date or anything
        :class:`pandas.Timestamp` accepts).
    :param config: a :class:`ScoringConfig`; its defaults when omitted.
    :param now: the precise instant of the computation; the end of ``today``
        when omitted.
    :param explain: False leaves the reasons out (None), for the many scores
        of a backtest that nobody reads one by one.

    Any input frame may be None or empty; rows of partners that are not
    accounts are ignored.

    :returns: one row per account, indexed by ``partner_id`` (int64), with the
        columns of :data:`RESULT_COLUMNS`. Scores, confidence, NPS and trend are
        rounded to one decimal; the band is decided on the rounded score.
    """
    config = (config or ScoringConfig()).validate()
    table = account_table(accounts)
    clock = make_clock(today, now)

    parts = {}
    for compute, data in (
        (compute_satisfaction, answers),
        (compute_sla, sla_events),
        (compute_visits, visits),
        (compute_recency, orders),
        (compute_servqual, servqual),
    ):
        parts.update(compute(table, data, clock, config))

    values = np.column_stack([parts[name] for name in COMPONENTS])
    weights = np.array([config.weights[name] for name in COMPONENTS], dtype="float64")
    score, weight_with_data = combine_components(values, weights)
    has_data = ~np.isnan(values)
    confidence = 100.0 * weight_with_data / weights.sum()

    # Points each component removes from the overall score.
    with np.errstate(invalid="ignore", divide="ignore"):
        points = weights * (100.0 - values) / weight_with_data[:, None]
    points[~has_data | (weight_with_data[:, None] <= 0)] = np.nan

    rounded_score = round1(score)
    columns = {
        "score": rounded_score,
        "band": _bands(rounded_score, config),
        "confidence": round1(confidence),
        # Trend against what users saw: the rounded score minus the stored one.
        "trend": round1(rounded_score - table.previous_score),
        **{name: round1(parts[name]) for name in (*COMPONENTS, "nps")},
        "reasons": pd.Series(
            _reasons(points, parts, table.visit_cadence) if explain else None,
            index=table.ids,
            dtype=object,
        ),
        **{name: parts[name] for name in FACT_COLUMNS},
        **{name: round1(parts[name]) for name in GAP_COLUMNS[:-1]},
        "weakest_dimension": parts["weakest_dimension"],
    }
    return pd.DataFrame(columns, index=table.ids, columns=list(RESULT_COLUMNS))
