"""The four components of the health score.

Each component turns one kind of raw signal into a score from 0 to 100 per
account, or NaN when the account has no data for it, together with the facts
a reader needs to understand that score.

All computations are vectorised: input rows are mapped to the position of
their account once (rows of unknown partners are dropped), then aggregated
with ``numpy.bincount`` and friends. Dates are handled as calendar day
numbers (days since 1970-01-01); instants that must be compared precisely
(a deadline against a done date, a visit against "now") as ``datetime64``.

Every public ``*_component`` function has the same signature::

    component(accounts, data, today, config=None, now=None) -> DataFrame

and returns unrounded values indexed by ``partner_id``; rounding for display
happens in :func:`..engine.compute_health`.
"""

from typing import NamedTuple

import numpy as np
import pandas as pd

from .config import ScoringConfig
from .breaches import optional_ids, worst_incident, worst_policy

_DAY = np.timedelta64(1, "D")
_MICROSECOND = np.timedelta64(1, "us")

#: Columns each input frame must provide (when it has rows).
ORDER_COLUMNS = ("partner_id", "order_date")
ANSWER_COLUMNS = (
    "partner_id",
    "answer_date",
    "metric",
    "value",
    "scale_min",
    "scale_max",
)
VISIT_COLUMNS = ("partner_id", "visit_date")
SLA_COLUMNS = ("partner_id", "deadline", "done")
#: Optional column of ``sla_events``: the service level (policy id, NaN when
#: none) each commitment was made under.
SLA_POLICY_COLUMN = "policy_id"
#: Optional column of ``sla_events``: the service incident (id, NaN when
#: none) each commitment was made for.
SLA_INCIDENT_COLUMN = "incident_id"

#: Scales of the survey metrics (low, high); ``scale`` answers carry their own.
#: ``mood`` is the customer's mood as a sales rep saw it during a visit (1–5):
#: the rep's perception, not the customer's voice, so it counts with the
#: configured ``mood_weight`` instead of a full answer's weight of 1.
METRIC_SCALES = {
    "nps": (0.0, 10.0),
    "csat": (1.0, 5.0),
    "scale": (np.nan, np.nan),
    "mood": (1.0, 5.0),
}
METRIC_NAMES = pd.Index(list(METRIC_SCALES))
METRIC_LOWS = np.array([low for low, _high in METRIC_SCALES.values()])
METRIC_HIGHS = np.array([high for _low, high in METRIC_SCALES.values()])
NPS_PROMOTER_MIN = 9
NPS_DETRACTOR_MAX = 6


# ----------------------------------------------------------------------------
# Conversions
# ----------------------------------------------------------------------------
def _numbers(values):
    """Any column as a float64 array, NaN for missing or unreadable values."""
    numbers = pd.to_numeric(pd.Series(values), errors="coerce")
    return numbers.to_numpy(dtype="float64", na_value=np.nan)


def _timestamps(values):
    """Any column of dates or datetimes as ``datetime64[us]`` (NaT when missing).

    Timezone-aware values are converted to naive UTC, like Odoo stores them.
    """
    stamps = pd.Series(values)
    if not pd.api.types.is_datetime64_any_dtype(stamps):
        # (a column already of datetimes skips the parsing, and its cost)
        stamps = pd.to_datetime(stamps, errors="coerce")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert(None)
    return stamps.to_numpy(dtype="datetime64[us]")


def _day_numbers(stamps):
    """Calendar day numbers (float, NaN for NaT) of a ``datetime64`` array."""
    days = stamps.astype("datetime64[D]").astype("int64").astype("float64")
    days[np.isnat(stamps)] = np.nan
    return days


def days_to_dates(days):
    """Calendar day numbers (float, NaN for none) back to ``datetime64[ns]``."""
    days = np.asarray(days, dtype="float64")
    dates = np.full(days.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    known = ~np.isnan(days)
    dates[known] = days[known].astype("int64").astype("datetime64[D]")
    return dates


class Clock(NamedTuple):
    """The reference time of a computation."""

    today: int  # calendar day number of "today"
    now: np.datetime64  # precise instant, ``datetime64[us]``


def make_clock(today, now=None):
    """Build the :class:`Clock` for ``today``; ``now`` defaults to its end of day."""
    today_stamp = pd.Timestamp(today)
    if today_stamp.tzinfo is not None:
        today_stamp = today_stamp.tz_convert(None)
    day = np.datetime64(today_stamp.date(), "D")
    if now is None:
        instant = (day + _DAY).astype("datetime64[us]") - _MICROSECOND
    else:
        now_stamp = pd.Timestamp(now)
        if now_stamp.tzinfo is not None:
            now_stamp = now_stamp.tz_convert(None)
        instant = now_stamp.to_datetime64().astype("datetime64[us]")
    return Clock(int(day.astype("int64")), instant)


# ----------------------------------------------------------------------------
# Accounts and input frames
# ----------------------------------------------------------------------------
class AccountTable(NamedTuple):
    """The accounts of a computation as aligned arrays."""

    ids: pd.Index  # int64, named partner_id, unique, in the caller's order
    visit_cadence: np.ndarray  # float days; <= 0 or NaN means no visit plan
    visit_plan_start: np.ndarray  # float day numbers; NaN = "long ago"
    previous_score: np.ndarray  # float; NaN when there is no old snapshot


def account_table(accounts):
    """Read the accounts given by the caller.

    ``accounts`` is a DataFrame with a ``partner_id`` column or index and the
    optional columns ``visit_interval_days`` (default 0, no plan),
    ``visit_plan_start`` (default NaT) and ``previous_score`` (default NaN),
    or simply a sequence of partner ids. Repeated ids are kept once.
    """
    if accounts is None:
        accounts = pd.DataFrame({"partner_id": np.array([], dtype="int64")})
    elif not isinstance(accounts, pd.DataFrame):
        accounts = pd.DataFrame(
            {"partner_id": np.asarray(list(accounts), dtype="int64")}
        )

    if "partner_id" in accounts.columns:
        ids = accounts["partner_id"].to_numpy()
    elif accounts.index.name == "partner_id":
        ids = accounts.index.to_numpy()
    else:
        raise ValueError(
            "The accounts need a partner_id column or an index named partner_id."
        )
    if len(ids) and pd.isna(ids).any():
        raise ValueError("Every account needs a partner_id.")
    ids = ids.astype("int64")

    size = len(accounts)

    def column(name, default):
        if name in accounts.columns:
            return accounts[name].to_numpy()
        return np.full(size, default)

    keep = ~pd.Index(ids).duplicated()
    cadence = _numbers(column("visit_interval_days", 0.0))
    plan_start = _day_numbers(_timestamps(column("visit_plan_start", None)))
    previous = _numbers(column("previous_score", np.nan))
    return AccountTable(
        ids=pd.Index(ids[keep], dtype="int64", name="partner_id"),
        visit_cadence=cadence[keep],
        visit_plan_start=plan_start[keep],
        previous_score=previous[keep],
    )


def _input_frame(data, columns, name):
    """The rows of one input frame, or None when there are none.

    ``None`` and frames without rows count as empty, whatever their columns.
    A frame with rows must hold every column of ``columns``.
    """
    if data is None or len(data) == 0:
        return None
    if "partner_id" not in data.columns and data.index.name == "partner_id":
        data = data.reset_index()
    missing = [column for column in columns if column not in data.columns]
    if missing:
        raise ValueError(f"The {name} frame lacks the column(s): {', '.join(missing)}.")
    return data


def _positions(table, partner_ids):
    """Position of each row's account in ``table`` (-1 for unknown partners)."""
    return table.ids.get_indexer(_numbers(partner_ids))


def _input_rows(table, data, columns, name):
    """The rows of one input frame (:func:`_input_frame`) and the position of
    each row's account in ``table``: ``(frame, positions)``, or
    ``(None, None)`` when there are no rows."""
    frame = _input_frame(data, columns, name)
    if frame is None:
        return None, None
    return frame, _positions(table, frame["partner_id"])


# ----------------------------------------------------------------------------
# Group helpers (rows grouped by account position)
# ----------------------------------------------------------------------------
def _group_count(positions, size):
    return np.bincount(positions, minlength=size).astype("int64")


def _group_sum(positions, values, size):
    return np.bincount(positions, weights=values, minlength=size)


def _group_max(positions, values, size):
    """Largest value per group, NaN for groups without rows."""
    result = np.full(size, -np.inf)
    np.maximum.at(result, positions, values)
    result[np.isneginf(result)] = np.nan
    return result


def _group_median(positions, values, size):
    """Median per group, NaN for groups without rows."""
    values = values[np.lexsort((values, positions))]
    counts = np.bincount(positions, minlength=size)
    starts = np.cumsum(counts) - counts
    result = np.full(size, np.nan)
    has = counts > 0
    low = starts[has] + (counts[has] - 1) // 2
    high = starts[has] + counts[has] // 2
    result[has] = (values[low] + values[high]) / 2.0
    return result


def in_scale(values, low, high):
    """Whether each answer lies within its scale [low, high]; an answer of
    an unknown scale (NaN bounds) is judged by the bound that is known."""
    values = np.asarray(values, dtype="float64")
    low = np.broadcast_to(np.asarray(low, dtype="float64"), values.shape)
    high = np.broadcast_to(np.asarray(high, dtype="float64"), values.shape)
    with np.errstate(invalid="ignore"):
        return (np.isnan(low) | (values >= low)) & (np.isnan(high) | (values <= high))


def _ratio(numerator, denominator):
    """numerator / denominator, NaN where the denominator is 0."""
    result = np.full(np.shape(numerator), np.nan)
    np.divide(numerator, denominator, out=result, where=denominator > 0)
    return result


def _decay(age_days, half_life):
    """Weight of an observation ``age_days`` old for the given half-life."""
    return np.power(0.5, np.maximum(age_days, 0.0) / half_life)


# ----------------------------------------------------------------------------
# Component computations on prepared tables (used by the engine)
# ----------------------------------------------------------------------------
def compute_recency(table, orders, clock, config):
    """Purchase recency: days since the last order day against the usual rhythm.

    Orders are counted by distinct order day. The expected interval is the
    median gap between consecutive order days of the last
    ``recency_window_days`` when there are at least ``recency_min_orders`` of
    them, else ``default_purchase_interval``; never below one day. With
    x = days since the last order day / interval, the score is 100 up to
    x = 1 and falls linearly to 0 at x = ``recency_zero_at`` (3). No order
    ever: NaN.
    """
    size = len(table.ids)
    last_day = np.full(size, np.nan)
    window_count = np.zeros(size, dtype="int64")
    median_gap = np.full(size, np.nan)

    frame, positions = _input_rows(table, orders, ORDER_COLUMNS, "orders")
    if frame is not None:
        days = _day_numbers(_timestamps(frame["order_date"]))
        valid = (positions >= 0) & (days <= clock.today)
        positions, days = positions[valid], days[valid].astype("int64")
        if len(days):
            # One key per (account, day); sorting the keys orders them by
            # account, then day, and lets same-day orders collapse into one.
            offset = days.min()
            keys = np.sort((positions.astype("int64") << 32) | (days - offset))
            keys = keys[np.append(True, keys[1:] != keys[:-1])]
            positions = (keys >> 32).astype("intp")
            days = (keys & 0xFFFFFFFF) + offset

            is_last = np.append(positions[1:] != positions[:-1], True)
            last_day[positions[is_last]] = days[is_last]

            in_window = clock.today - days <= config.recency_window_days
            w_positions, w_days = positions[in_window], days[in_window]
            window_count = _group_count(w_positions, size)
            same = w_positions[1:] == w_positions[:-1]
            gaps = (w_days[1:] - w_days[:-1])[same].astype("float64")
            median_gap = _group_median(w_positions[1:][same], gaps, size)

    ordered = ~np.isnan(last_day)
    rhythm = window_count >= config.recency_min_orders
    interval = np.where(rhythm, median_gap, float(config.default_purchase_interval))
    interval = np.where(ordered, np.maximum(interval, 1.0), np.nan)
    days_since = clock.today - last_day
    ratio = days_since / interval
    zero_at = float(config.recency_zero_at)
    score = np.clip(100.0 * (zero_at - ratio) / (zero_at - 1.0), 0.0, 100.0)
    return {
        "recency": score,
        "last_order_date": days_to_dates(last_day),
        "days_since_order": days_since,
        "order_interval_days": interval,
        "order_interval_is_default": ordered & ~rhythm,
        "order_count": window_count,
    }


def compute_satisfaction(table, answers, clock, config):
    """Satisfaction: age-weighted mean of normalised survey answers, and NPS.

    Each answer is normalised to 0–100 by its metric's scale (NPS 0–10,
    CSAT 1–5, ``scale``: the row's own minimum and maximum; rows whose maximum
    is not above their minimum are ignored; an answer outside its scale is
    clipped to it, and left out of the NPS) and weighted by
    0.5 ** (age / half-life). Answers after today or older than
    ``satisfaction_max_age_days`` are ignored. NPS = % promoters (9–10) −
    % detractors (0–6) over the NPS answers of the last ``nps_window_days``.
    """
    size = len(table.ids)
    score = np.full(size, np.nan)
    nps = np.full(size, np.nan)
    count = np.zeros(size, dtype="int64")
    last_day = np.full(size, np.nan)

    frame, positions = _input_rows(table, answers, ANSWER_COLUMNS, "answers")
    if frame is not None:
        age = clock.today - _day_numbers(_timestamps(frame["answer_date"]))
        value = _numbers(frame["value"])
        # Scale of each row: fixed for nps and csat, the row's own for
        # "scale", none (NaN, so the row is ignored) for any other metric.
        metric = METRIC_NAMES.get_indexer(frame["metric"])
        low = np.append(METRIC_LOWS, np.nan)[metric]
        high = np.append(METRIC_HIGHS, np.nan)[metric]
        is_scale = metric == METRIC_NAMES.get_loc("scale")
        low[is_scale] = _numbers(frame["scale_min"])[is_scale]
        high[is_scale] = _numbers(frame["scale_max"])[is_scale]
        is_nps = metric == METRIC_NAMES.get_loc("nps")

        known = (positions >= 0) & ~np.isnan(value) & (age >= 0)
        used = known & (age <= config.satisfaction_max_age_days) & (high > low)
        is_mood = metric == METRIC_NAMES.get_loc("mood")
        kind_weight = np.where(is_mood, config.mood_weight, 1.0)
        used &= kind_weight > 0
        normalised = np.clip(
            100.0 * (value[used] - low[used]) / (high[used] - low[used]), 0, 100
        )
        weight = (
            _decay(age[used], config.satisfaction_half_life_days) * kind_weight[used]
        )
        score = _ratio(
            _group_sum(positions[used], weight * normalised, size),
            _group_sum(positions[used], weight, size),
        )
        count = _group_count(positions[used], size)
        last_day = _group_max(positions[used], clock.today - age[used], size)

        # An answer outside the NPS scale (1000 typed in a numerical box) is
        # clipped for the satisfaction score, but it is no NPS response: it
        # makes nobody a promoter or a detractor.
        counted = (
            known
            & is_nps
            & (age <= config.nps_window_days)
            & in_scale(value, low, high)
        )
        nps_positions, nps_values = positions[counted], value[counted]
        promoters = _group_sum(
            nps_positions, (nps_values >= NPS_PROMOTER_MIN) * 1.0, size
        )
        detractors = _group_sum(
            nps_positions, (nps_values <= NPS_DETRACTOR_MAX) * 1.0, size
        )
        nps = 100.0 * _ratio(promoters - detractors, _group_count(nps_positions, size))

    return {
        "satisfaction": score,
        "nps": nps,
        "answer_count": count,
        "last_answer_date": days_to_dates(last_day),
    }


def compute_visits(table, visits, clock, config):
    """Visits: days since the last visit against the account's visit cadence.

    Only visits up to ``now`` count. With x = days since the last visit /
    cadence, the score is 100 up to x = 1 and falls linearly to 0 at
    x = ``visits_zero_at`` (2).
    Never visited: 0 once the plan is older than one cadence (or has no start
    date), NaN before. No plan (cadence 0, negative or missing): NaN.
    """
    size = len(table.ids)
    last_day = np.full(size, np.nan)
    count_365 = np.zeros(size, dtype="int64")

    frame, positions = _input_rows(table, visits, VISIT_COLUMNS, "visits")
    if frame is not None:
        stamps = _timestamps(frame["visit_date"])
        valid = (positions >= 0) & (stamps <= clock.now)
        positions, days = positions[valid], _day_numbers(stamps[valid])
        last_day = _group_max(positions, days, size)
        count_365 = _group_count(positions[clock.today - days <= 365], size)

    cadence = table.visit_cadence
    planned = cadence > 0
    visited = ~np.isnan(last_day)
    days_since = clock.today - last_day
    ratio = days_since / np.where(planned, cadence, np.nan)
    zero_at = float(config.visits_zero_at)
    score = np.clip(100.0 * (zero_at - ratio) / (zero_at - 1.0), 0.0, 100.0)
    plan_age = clock.today - table.visit_plan_start
    overdue_plan = np.isnan(plan_age) | (plan_age > cadence)
    score = np.where(planned & ~visited, np.where(overdue_plan, 0.0, np.nan), score)
    score = np.where(planned, score, np.nan)

    # Due date: one cadence after the last visit (or after the plan started).
    cadence_or_nan = np.where(planned, cadence, np.nan)
    due_from = np.where(visited, last_day, table.visit_plan_start)
    due_day = np.where(
        planned & np.isnan(due_from), clock.today, due_from + cadence_or_nan
    )
    # Adherence over the last 365 days (or since the plan started, if later):
    # visits held against the whole visits the cadence asked for.
    window = np.clip(np.where(np.isnan(plan_age), 365.0, plan_age), 0.0, 365.0)
    planned_365 = np.where(planned, np.floor(window / cadence_or_nan), 0.0)
    adherence = np.where(
        planned_365 > 0,
        100.0
        * np.minimum(count_365 / np.where(planned_365 > 0, planned_365, 1.0), 1.0),
        np.nan,
    )
    return {
        "visits": score,
        "last_visit_date": days_to_dates(last_day),
        "days_since_visit": days_since,
        "visit_count_365": count_365,
        "visit_due_date": days_to_dates(due_day),
        "visits_planned_365": planned_365.astype("int64"),
        "visit_adherence": adherence,
    }


def compute_sla(table, sla_events, clock, config):
    """SLA adherence: age-weighted share of service commitments met.

    Met = done by the deadline; breached = done after it, or still open once
    it has passed; open and not yet due = not counted. Only deadlines of the
    last ``sla_window_days`` up to ``now`` count, each weighted by
    0.5 ** (age of the deadline / half-life). No counted event: NaN.

    When the events carry a ``policy_id``, ``sla_worst_policy_id`` is the
    service level with the most breaches of the account when it holds at
    least half of them (ties: the lowest id), NaN otherwise. When they carry
    an ``incident_id``, ``sla_worst_incident_id`` is the incident of the
    account's most late breached commitment made for an incident, NaN when
    none (see :func:`..breaches.worst_incident`).
    """
    size = len(table.ids)
    score = np.full(size, np.nan)
    total = np.zeros(size, dtype="int64")
    met_count = np.zeros(size, dtype="int64")
    breached_count = np.zeros(size, dtype="int64")
    worst_policy_id = np.full(size, np.nan)
    worst_incident_id = np.full(size, np.nan)

    frame, positions = _input_rows(table, sla_events, SLA_COLUMNS, "sla_events")
    if frame is not None:
        deadline = _timestamps(frame["deadline"])
        done = _timestamps(frame["done"])
        age = clock.today - _day_numbers(deadline)
        is_done = ~np.isnat(done)
        met = is_done & (done <= deadline)
        breached = (is_done & (done > deadline)) | (~is_done & (deadline < clock.now))
        counted = (
            (positions >= 0)
            & (deadline <= clock.now)
            & (age <= config.sla_window_days)
            & (met | breached)
        )
        policies = optional_ids(frame, SLA_POLICY_COLUMN, counted)
        incidents = optional_ids(frame, SLA_INCIDENT_COLUMN, counted)
        end = np.where(is_done, done, clock.now)[counted]
        lateness = (end - deadline[counted]) / np.timedelta64(1, "s")
        positions, met, breached = positions[counted], met[counted], breached[counted]
        weight = _decay(age[counted], config.sla_half_life_days)
        score = 100.0 * _ratio(
            _group_sum(positions, weight * met, size),
            _group_sum(positions, weight, size),
        )
        total = _group_count(positions, size)
        met_count = _group_count(positions[met], size)
        breached_count = _group_count(positions[breached], size)
        if policies is not None:
            worst_policy_id = worst_policy(
                positions[breached], policies[breached], breached_count, size
            )
        if incidents is not None:
            worst_incident_id = worst_incident(
                positions[breached], incidents[breached], lateness[breached], size
            )

    return {
        "sla": score,
        "sla_event_count": total,
        "sla_met_count": met_count,
        "sla_breached_count": breached_count,
        "sla_worst_policy_id": worst_policy_id,
        "sla_worst_incident_id": worst_incident_id,
    }


# ----------------------------------------------------------------------------
# Public per-component functions
# ----------------------------------------------------------------------------
def _component(compute, accounts, data, today, config, now):
    table = account_table(accounts)
    config = (config or ScoringConfig()).validate()
    columns = compute(table, data, make_clock(today, now), config)
    return pd.DataFrame(columns, index=table.ids)


def recency_component(accounts, orders, today, config=None, now=None):
    """Purchase recency per account.

    Columns: recency, last_order_date, days_since_order, order_interval_days,
    order_interval_is_default, order_count. See :func:`compute_recency`.
    """
    return _component(compute_recency, accounts, orders, today, config, now)


def satisfaction_component(accounts, answers, today, config=None, now=None):
    """Survey satisfaction and NPS per account.

    Columns: satisfaction, nps, answer_count, last_answer_date.
    See :func:`compute_satisfaction`.
    """
    return _component(compute_satisfaction, accounts, answers, today, config, now)


def visits_component(accounts, visits, today, config=None, now=None):
    """Visit plan adherence per account.

    Columns: visits, last_visit_date, days_since_visit, visit_count_365,
    visit_due_date, visits_planned_365, visit_adherence.
    See :func:`compute_visits`.
    """
    return _component(compute_visits, accounts, visits, today, config, now)


def sla_component(accounts, sla_events, today, config=None, now=None):
    """Service-level adherence per account.

    Columns: sla, sla_event_count, sla_met_count, sla_breached_count.
    See :func:`compute_sla`.
    """
    return _component(compute_sla, accounts, sla_events, today, config, now)
