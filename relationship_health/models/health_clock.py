"""The product's clock: one definition of "now" and of "today".

Every day count of relationship_health (days since an order or a visit, the
scoring date, the snapshot's day, visit plans, report periods) is a count of
UTC days: orders, answers, visits and deadlines are stored in UTC, so their
days and "today" agree whatever the time zone of the user, of the scheduler's
user or of the server. "Now" is read once, at an entry point (the nightly job,
a button), and passed down.
"""

from datetime import datetime, time, timezone


def utc_now():
    """UTC now, naive (as Odoo stores datetimes), to the microsecond
    (``fields.Datetime.now()`` drops them, and "scored since this run started"
    must hold even within one second)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def health_today(now=None):
    """The UTC day of ``now`` (a naive UTC datetime; default: now)."""
    return (now or utc_now()).date()


def day_end(as_of, now=None):
    """The cut-off instant of a run "as of" the UTC day ``as_of``: ``now``
    (default: now) when that is on or before the end of that day, else the
    day's last instant."""
    return min(now or utc_now(), datetime.combine(as_of, time.max))
