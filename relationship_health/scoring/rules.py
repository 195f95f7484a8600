"""Rules the score's results go through before they are shown.

Pure functions on pandas columns, called by the Odoo shell after
:func:`..engine.compute_health` and :func:`..value.compute_value`:

- :func:`running_overrides` and :func:`shown_bands`: a manager's override
  replaces the band users see while it runs; the computed band is kept.
- :func:`next_visit_dates` and :func:`visits_overdue`: the next planned visit
  and whether the due visit is late (the due date itself comes from
  :func:`..components.compute_visits`).
- :func:`revenue_at_risk`: the 12-month revenue of the accounts in a risk band.
- :func:`first_free_slot`: when *Plan a visit* puts the visit.
- :func:`commitment_state`: whether a service commitment is met, breached
  or open (the same rule in SQL: ``models/health_sql.commitment_state_sql``).
"""

from datetime import datetime, time, timedelta

import numpy as np
import pandas as pd
import pytz

from .vocabulary import RISK_BANDS


def running_overrides(override_bands, override_until, as_of):
    """The override band of each account while its override runs, else NA.

    An override runs up to and including its ``override_until`` day; one
    without an end day does not run. ``as_of`` is the day scored."""
    bands = pd.Series(override_bands, dtype=object)
    until = pd.to_datetime(pd.Series(override_until, index=bands.index))
    running = bands.notna() & until.notna() & (until >= pd.Timestamp(as_of))
    return bands.where(running, None)


def shown_bands(computed_bands, override_bands):
    """The band users see (and that drives follow-ups): the running override
    (see :func:`running_overrides`) where there is one, else the computed band.
    Both series share the accounts' index."""
    computed = pd.Series(computed_bands, dtype=object)
    override = pd.Series(override_bands, dtype=object).reindex(computed.index)
    return override.where(override.notna(), computed)


def next_visit_dates(visits, index, now):
    """The first visit after ``now`` of each account of ``index`` (NaT when
    none is planned); ``visits`` has rows (partner_id, visit_date)."""
    upcoming = visits[pd.to_datetime(visits["visit_date"]) > pd.Timestamp(now)]
    first = upcoming.groupby("partner_id")["visit_date"].min()
    return pd.to_datetime(first).reindex(index)


def visits_overdue(due_dates, as_of):
    """True where a visit was due before ``as_of`` (the day scored); False
    without a due date (no visit plan)."""
    due = pd.to_datetime(pd.Series(due_dates))
    return due.notna() & (due < pd.Timestamp(as_of))


def revenue_at_risk(revenues, bands):
    """The revenue at risk of each account: its 12-month revenue (0 when
    unknown) when its band (the band shown) is one of ``RISK_BANDS``, else 0.
    Parallel sequences in, a float array out."""
    revenue = np.nan_to_num(np.asarray(revenues, dtype="float64"), nan=0.0)
    at_risk = np.isin(np.asarray(bands, dtype=object), RISK_BANDS)
    return np.where(at_risk, revenue, 0.0)


#: The working hours a visit can be planned in (local time, Monday to Friday).
VISIT_HOURS = (9, 17)


def first_free_slot(busy, tz, first_day, days):
    """The first free working hour (:data:`VISIT_HOURS`, Monday to Friday, in
    the time zone ``tz``, a pytz zone) of the ``days`` days from ``first_day``
    on, as a naive UTC datetime; ``busy`` is a list of (start, stop) naive UTC
    datetimes. Every hour taken: 9:00 of ``first_day``."""
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for hour in range(*VISIT_HOURS):
            slot = tz.localize(datetime.combine(day, time(hour, 0)))
            start = slot.astimezone(pytz.utc).replace(tzinfo=None)
            stop = start + timedelta(hours=1)
            if not any(
                busy_start < stop and busy_stop > start
                for busy_start, busy_stop in busy
            ):
                return start
    return (
        tz.localize(datetime.combine(first_day, time(VISIT_HOURS[0], 0)))
        .astimezone(pytz.utc)
        .replace(tzinfo=None)
    )


def commitment_state(deadline, done, now=None):
    """The one definition of met and breached: ``"met"`` when done by the
    deadline, ``"breached"`` when done after it or, at ``now``, still open
    past it, else ``"open"``. Without ``now`` an open commitment stays open
    (its stored state). ``commitment_state_sql`` (``models/health_sql.py``)
    is the same rule in SQL."""
    if done:
        return "met" if done <= deadline else "breached"
    if now is not None and deadline < now:
        return "breached"
    return "open"
