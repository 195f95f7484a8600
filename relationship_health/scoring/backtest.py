"""The score as it would have been: a backtest over past dates.

To validate the score on a company's own history, each account is scored as
of past dates from the data of those dates only, and what followed is
compared with the band it had:

- :func:`validation_dates`: the monthly dates whose horizon has ended.
- :func:`inputs_as_of`: the scoring inputs as they stood at an instant
  (nothing dated after it, commitments done after it still open).
- :func:`lapse_flags`: whether each account lapsed in the horizon after a
  date (vectorised over accounts and dates).
- :func:`backtest_points`: one row per account and date: score, band,
  components and whether the account lapsed afterwards.
- :func:`prefer_snapshots`: the scores actually computed on those dates,
  where they were, instead of the backtest's.

Inputs are read once for all dates by the caller; each date only filters
them, so no record dated after a date can reach that date's score.
"""

from datetime import date, timedelta

import numpy as np
import pandas as pd

from .config import COMPONENTS
from .components import make_clock
from .engine import compute_health

#: How long after a date an account is watched (days).
HORIZON_DAYS = 180
#: How many monthly dates are validated.
VALIDATION_MONTHS = 24
#: An account lapsed when it did not order for more than this many times its
#: usual interval…
LAPSE_INTERVAL_FACTOR = 2.0
#: …or when its 12-month revenue fell below this share of what it was.
LAPSE_REVENUE_SHARE = 0.5
#: The 12 months of the revenue compared (days).
REVENUE_DAYS = 365

#: Columns of :func:`backtest_points`, in order.
POINT_COLUMNS = (
    "partner_id",
    "as_of",
    "scorecard_id",
    "score",
    "band",
    *COMPONENTS,
    "order_interval_days",
    "lapsed",
)
#: The columns a snapshot replaces in a point.
SNAPSHOT_SCORES = ("score", "band", *COMPONENTS)

#: Per input frame of the score: the column dating each row.
DATED_COLUMNS = {
    "orders": "order_date",
    "answers": "answer_date",
    "visits": "visit_date",
    "sla_events": "deadline",
    "servqual": "answer_date",
}


def day_end(day):
    """The last instant of ``day``, as the score's clock reads it."""
    return pd.Timestamp(make_clock(day).now)


def _datetimes(column):
    """A column of dates or datetimes as datetimes (parsed only when needed)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return column
    return pd.to_datetime(column)


def dated_inputs(inputs):
    """The input frames with their dating columns (and ``done``) parsed to
    datetimes once, before they are sliced date by date."""
    result = {}
    for name, data in inputs.items():
        column = DATED_COLUMNS.get(name)
        if data is not None and len(data) and column is not None:
            data = data.assign(**{column: _datetimes(data[column])})
            if name == "sla_events" and "done" in data.columns:
                data = data.assign(done=_datetimes(data["done"]))
        result[name] = data
    return result


def validation_dates(today, months=VALIDATION_MONTHS, horizon=HORIZON_DAYS):
    """The first days of ``months`` consecutive months, oldest first, the
    latest being the last first-of-month whose ``horizon`` days have ended
    by ``today`` (its outcome is known)."""
    latest = today - timedelta(days=horizon)
    year, month = latest.year, latest.month
    dates = []
    for _ in range(months):
        dates.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return dates[::-1]


def inputs_as_of(inputs, now):
    """The scoring inputs (``{name: frame}``, see
    :func:`..engine.compute_health`) as they stood at the instant ``now``:
    rows dated after it left out, and a commitment done after it still open
    (``done`` NaT). Frames that are None stay None."""
    now = pd.Timestamp(now)
    result = {}
    for name, data in inputs.items():
        column = DATED_COLUMNS.get(name)
        if data is None or not len(data) or column is None:
            result[name] = data
            continue
        stamps = _datetimes(data[column])
        if name == "orders":  # order days: the whole day of ``now`` counts
            kept = stamps.dt.normalize() <= now.normalize()
        else:
            kept = stamps <= now
        frame = data[kept.to_numpy()]
        if name == "sla_events" and "done" in frame.columns:
            done = _datetimes(frame["done"])
            frame = frame.assign(done=done.where(done <= now))
        result[name] = frame
    return result


def _order_days(order_amounts):
    """Order rows as arrays: account, day number, amount; sorted by account
    then day."""
    frame = order_amounts
    if frame is None or not len(frame):
        return (np.array([], "int64"),) * 2 + (np.array([], "float64"),)
    accounts = frame["partner_id"].to_numpy("int64")
    days = pd.to_datetime(frame["order_date"]).to_numpy("datetime64[D]").astype("int64")
    amounts = frame["amount"].fillna(0.0).to_numpy("float64")
    order = np.lexsort((days, accounts))
    return accounts[order], days[order], amounts[order]


def lapse_flags(order_amounts, points, horizon=HORIZON_DAYS):
    """Whether each point lapsed in the ``horizon`` days after its date.

    ``order_amounts``: rows (partner_id, order_date, amount) of confirmed
    orders; ``points``: rows (partner_id, as_of, order_interval_days), the
    interval being the account's usual interval between orders as the score
    saw it on that date. A point lapsed when, at some day of the horizon, the
    account had gone more than :data:`LAPSE_INTERVAL_FACTOR` times that
    interval without an order (counted from its last order on or before the
    date); or when its revenue of the :data:`REVENUE_DAYS` ending at the
    horizon's end is below :data:`LAPSE_REVENUE_SHARE` of its revenue of the
    :data:`REVENUE_DAYS` ending at the date. Orders after the horizon are
    never read. Returns a float array: 1.0, 0.0, or NaN for a point without
    any order on or before its date (not yet a customer: it cannot lapse)."""
    size = len(points)
    if not size:
        return np.array([], "float64")
    accounts, days, amounts = _order_days(order_amounts)
    point_accounts = points["partner_id"].to_numpy("int64")
    starts = pd.to_datetime(points["as_of"]).to_numpy("datetime64[D]").astype("int64")
    ends = starts + horizon
    limits = LAPSE_INTERVAL_FACTOR * points["order_interval_days"].to_numpy("float64")

    # Rows sorted by (account, day): one search on the key account·10⁶ + day
    # finds, per point, the position after its account's last order on or
    # before a day.
    keys = accounts * 1_000_000 + days
    point_keys = point_accounts * 1_000_000

    def upto(day_numbers):
        return np.searchsorted(keys, point_keys + day_numbers, side="right")

    low = np.searchsorted(keys, point_keys, side="left")
    at_start, at_end = upto(starts), upto(ends)
    ordered = at_start > low

    # Silence: the largest gap between the last order on or before the date,
    # the orders of the horizon (rows at_start … at_end − 1, contiguous) and
    # the horizon's end.
    counts = np.where(ordered, at_end - at_start, 0)
    owner = np.repeat(np.arange(size), counts)
    rows = (
        at_start[owner]
        + np.arange(counts.sum())
        - np.repeat(np.cumsum(counts) - counts, counts)
    )
    largest = np.zeros(size)
    if len(rows):
        np.maximum.at(largest, owner, (days[rows] - days[rows - 1]).astype("float64"))
    last = np.where(ordered, at_end - 1, 0)
    tail = np.where(ordered, ends - days[last] if len(days) else 0, 0)
    silent = ordered & (np.maximum(largest, tail) > limits)

    # Revenue: the orders in (first, last] of each point's account.
    cumulative = np.concatenate([[0.0], np.cumsum(amounts)])

    def revenue(first, last):
        return cumulative[upto(last)] - cumulative[upto(first)]

    before = revenue(starts - REVENUE_DAYS, starts)
    after = revenue(ends - REVENUE_DAYS, ends)
    fell = (before > 0) & (after < LAPSE_REVENUE_SHARE * before)
    return np.where(ordered, (silent | fell).astype("float64"), np.nan)


def backtest_points(
    accounts, inputs, order_amounts, dates, configs, scorecard_of, horizon=HORIZON_DAYS
):
    """Score every account as of each of ``dates`` and say whether it lapsed.

    :param accounts: frame indexed by partner_id with ``company_id`` and the
        optional columns of :func:`..engine.compute_health`'s accounts.
    :param inputs: the score's input frames (``{name: frame}``) read once,
        far enough back for the earliest date and up to the latest.
    :param order_amounts: rows (partner_id, order_date, amount) of confirmed
        orders up to the last date's horizon.
    :param dates: the dates (``datetime.date``) scored.
    :param configs: ``{(company_id, scorecard_id): ScoringConfig}``.
    :param scorecard_of: Series partner_id → scorecard id (0: the company's
        own settings).
    :returns: the rows of :data:`POINT_COLUMNS`; only points with an order on
        or before their date (``lapsed`` 0.0 or 1.0). Trends are not
        computed (no previous score) and reasons are left out.
    """
    table = accounts.drop(columns=["previous_score"], errors="ignore")
    cards = scorecard_of.reindex(table.index).fillna(0).astype("int64")
    groups = table.assign(scorecard_id=cards).groupby(
        ["company_id", "scorecard_id"], sort=False
    )
    inputs = dated_inputs(inputs)
    frames = []
    for as_of in dates:
        now = day_end(as_of)
        sliced = inputs_as_of(inputs, now)
        for (company_id, scorecard_id), members in groups:
            health = compute_health(
                members,
                today=as_of,
                now=now,
                config=configs[(int(company_id), int(scorecard_id))],
                explain=False,
                **sliced,
            )
            frames.append(
                health[["score", "band", *COMPONENTS, "order_interval_days"]].assign(
                    as_of=as_of, scorecard_id=int(scorecard_id)
                )
            )
    if not frames:
        return pd.DataFrame(columns=list(POINT_COLUMNS))
    points = pd.concat(frames).rename_axis("partner_id").reset_index()
    points["lapsed"] = lapse_flags(order_amounts, points, horizon)
    points = points[points["lapsed"].notna()]
    return points[list(POINT_COLUMNS)].reset_index(drop=True)


def prefer_snapshots(points, snapshots):
    """The points with the score, band and components of the snapshot of the
    same account and date where one exists (what the score said that day),
    and a ``source`` column: ``snapshot`` or ``backtest``.

    ``snapshots``: rows (partner_id, as_of, score, band, satisfaction, sla,
    visits, recency)."""
    points = points.copy()
    points["source"] = "backtest"
    if snapshots is None or not len(snapshots) or not len(points):
        return points
    keys = ["partner_id", "as_of"]
    snaps = snapshots.copy()
    snaps["as_of"] = pd.to_datetime(snaps["as_of"]).dt.date
    snaps = snaps.drop_duplicates(keys, keep="last").set_index(keys)
    index = pd.MultiIndex.from_arrays(
        [points["partner_id"], pd.to_datetime(points["as_of"]).dt.date]
    )
    found = snaps.reindex(index)
    hit = found["band"].notna().to_numpy()
    for column in SNAPSHOT_SCORES:
        points.loc[hit, column] = found[column].to_numpy()[hit]
    points.loc[hit, "source"] = "snapshot"
    return points
