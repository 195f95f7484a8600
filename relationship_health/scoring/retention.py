"""Retention transition rules: which accounts get retention work, and what
happens to the work already open.

Pure Python, no Odoo: the retention model (``models/relationship_health_retention.py``)
reads an account's facts and the state of its retention work, asks
:func:`decide` what to do, and creates, notes or closes the work.

``config`` is a company's retention settings as plain values (the keys
``drop_points``, ``critical_days`` and ``winback_factor`` are used here).

The work of a day is sized to the team: a transition first waits in the
queue (a *waiting* case); :func:`choose_today` hands out, per owner, at most
the daily limit of new cases, the most valuable first (:func:`queue_key`).
Day counts are whole days between dates of the health time zone
(``models/health_clock.py``); ``as_of`` is passed in.
"""

import math
from datetime import date, timedelta

from .vocabulary import BAND_RANK, RISK_BANDS

#: The score an account is compared with is the one of about this many days ago…
REFERENCE_DAYS = 30
#: …the newest one at most this many days older than that (30 to 60 days ago).
REFERENCE_WINDOW_DAYS = 30

#: The transitions that open retention work, in the order they are reported.
TRIGGERS = ("band_entry", "score_drop", "critical_stale")


def reference_window(as_of):
    """``(oldest, newest)``: the dates, both included, of the snapshots whose
    score can be the reference of ``as_of`` (the newest of them is)."""
    newest = as_of - timedelta(days=REFERENCE_DAYS)
    return newest - timedelta(days=REFERENCE_WINDOW_DAYS), newest


def reference_score(history, as_of):
    """The reference score of ``as_of`` from ``history`` (``(date, score)``
    pairs): the score of the newest dated snapshot in :func:`reference_window`,
    None when there is none (scores of None are skipped). The retention model
    applies this rule in the SQL of its state query, over that window."""
    oldest, newest = reference_window(as_of)
    dated = [
        (day, score)
        for day, score in history
        if score is not None and oldest <= day <= newest
    ]
    return max(dated, key=lambda pair: pair[0])[1] if dated else None


def is_worse(band, than):
    """Whether ``band`` is a worse known band than ``than`` (also known)."""
    return band in BAND_RANK and than in BAND_RANK and BAND_RANK[band] > BAND_RANK[than]


def critical_days(critical_since, as_of):
    """Days of the current critical streak, started on ``critical_since``
    (None when the account is not critical)."""
    return (as_of - critical_since).days if critical_since else None


def is_winback(days_since_order, order_interval, winback_factor):
    """Win-back rather than follow-up: no order for more than
    ``winback_factor`` times the account's usual order interval."""
    return bool(
        days_since_order is not None
        and order_interval
        and days_since_order > winback_factor * order_interval
    )


def triggers(facts, config):
    """The transitions of an account without open retention work, in order:
    entering a risk band from a better band (``band_entry``), a score at least
    ``drop_points`` below the reference score (``score_drop``), critical for
    more than ``critical_days`` days (``critical_stale``)."""
    found = []
    band, score, reference = facts["band"], facts["score"], facts["score_reference"]
    if band in RISK_BANDS and is_worse(band, facts["band_before"]):
        found.append("band_entry")
    if (
        score is not None
        and reference is not None
        and reference - score >= config["drop_points"]
    ):
        found.append("score_drop")
    if (
        band == "critical"
        and facts["critical_days"] is not None
        and facts["critical_days"] > config["critical_days"]
    ):
        found.append("critical_stale")
    return found


def changes_since_report(facts, existing, config):
    """What got worse since the last report on the open work of an account:
    a risk band worse than the one reported (or none reported), or a score at
    least ``drop_points`` lower than the one reported."""
    changes = []
    reported_band = existing.get("last_band") or existing.get("band")
    if facts["band"] in RISK_BANDS and (
        is_worse(facts["band"], reported_band) or reported_band not in BAND_RANK
    ):
        changes.append("band_entry")
    reported_score = existing.get("last_score")
    if (
        facts["score"] is not None
        and reported_score is not None
        and reported_score - facts["score"] >= config["drop_points"]
    ):
        changes.append("score_drop")
    return changes


def improved_since_report(facts, existing):
    """A better band or a higher score than last reported: remembered
    silently, so that a later fall from there is news again."""
    reported_band = existing.get("last_band")
    reported_score = existing.get("last_score")
    return is_worse(reported_band, facts["band"]) or (
        facts["score"] is not None
        and reported_score is not None
        and facts["score"] > reported_score
    )


def is_recovered(facts, existing, config):
    """Healthy again. A case opened on a drop while still healthy also needs
    the score back within ``drop_points`` of the score it fell from."""
    if facts["band"] != "healthy":
        return False
    if existing.get("band") != "healthy":
        return True
    reference = existing.get("score_reference")
    return reference is None or (
        facts["score"] is not None
        and facts["score"] > reference - config["drop_points"]
    )


def in_cooldown(existing, as_of):
    """Whether the cooldown of the account's last closed case still runs."""
    cooldown = existing.get("cooldown_until")
    return bool(cooldown) and as_of < cooldown


def decide(facts, existing, as_of, config):
    """What the automation does for one account: ``(action, detail)``.

    ``existing`` is the state of its retention work: ``case_id`` of its open
    case with the ``activity_id`` and ``lead_id`` of that case still open, the
    ``band``/``score_reference`` the case was opened with, the ``last_band``/
    ``last_score`` last reported, and the ``cooldown_until`` of its last closed
    case. Actions:

    * ``recover`` — the open case's account is healthy again: close it;
    * ``withdraw`` — the account of a waiting case (``existing["waiting"]``)
      is healthy again: close it, no work was handed out;
    * ``handle`` — the case's activity and opportunity are both done: close it;
    * ``note`` — a further fall (``detail``: the changes): note it on the work;
    * ``remember`` — better than last reported: remember it silently;
    * ``cooldown`` — a transition during the cooldown: nothing opened;
    * ``open`` — a transition (``detail``: the triggers): open a case;
    * None — nothing to do.
    """
    if existing.get("case_id"):
        if is_recovered(facts, existing, config):
            return ("withdraw" if existing.get("waiting") else "recover"), None
        if existing.get("waiting"):
            # No work to note on yet: what changed is remembered silently.
            if changes_since_report(facts, existing, config) or improved_since_report(
                facts, existing
            ):
                return "remember", None
            return None, None
        if not existing.get("activity_id") and not existing.get("lead_id"):
            return "handle", None
        changes = changes_since_report(facts, existing, config)
        if changes:
            return "note", changes
        if improved_since_report(facts, existing):
            return "remember", None
        return None, None
    found = triggers(facts, config)
    if not found:
        return None, None
    if in_cooldown(existing, as_of):
        return "cooldown", found
    return "open", found


# ----------------------------------------------------------------------
# The queue: at most N new cases per owner and day, the most valuable first
# ----------------------------------------------------------------------
def score_fall(facts):
    """How far the score fell: the larger of its fall since the last scoring
    (``score_before``) and since the reference score of about 30 days ago
    (``score_reference``); 0 when it did not fall or is not known."""
    score = facts.get("score")
    if score is None:
        return 0.0
    befores = (facts.get("score_before"), facts.get("score_reference"))
    return max([0.0, *(before - score for before in befores if before is not None)])


def queue_key(item):
    """The order of a queue, the most valuable first: the revenue at risk,
    then how far the score fell, then the longest waiting, then the oldest
    record. ``item`` has ``id``, ``revenue``, ``fall`` and ``queued_on``."""
    return (
        -(item.get("revenue") or 0.0),
        -(item.get("fall") or 0.0),
        item["queued_on"],
        item["id"],
    )


def queue_ranks(items):
    """``{id: rank}``: the place of each waiting item in its owner's queue
    (1 is handed out next); ``item["owner"]`` is any key of an owner."""
    ranks, seen = {}, {}
    for item in sorted(items, key=queue_key):
        seen[item["owner"]] = seen.get(item["owner"], 0) + 1
        ranks[item["id"]] = seen[item["owner"]]
    return ranks


def choose_today(items, given_today, limits):
    """The ids of the waiting items to hand out today, in queue order: per
    owner, the first ``limits[owner]`` minus ``given_today[owner]`` (the new
    cases the owner already got today) of its queue, none once the limit is
    reached. An owner without a limit gets nothing."""
    room = {
        owner: max(limit - given_today.get(owner, 0), 0)
        for owner, limit in limits.items()
    }
    chosen = []
    for item in sorted(items, key=queue_key):
        if room.get(item["owner"], 0) > 0:
            room[item["owner"]] -= 1
            chosen.append(item["id"])
    return chosen


# ----------------------------------------------------------------------
# The facts of an account, and of a transition kept in the queue
# ----------------------------------------------------------------------
def _value(value):
    """A frame cell as a python value, None when missing."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def account_facts(row, state, as_of, config):
    """The numbers of one account that the rules and the notes use, from its
    row of the scoring's results (``itertuples``) and ``state`` (its
    retention state: reference score, critical streak)."""
    critical_since = state.get("critical_since")
    days_since_order = _value(row.days_since_order)
    interval = _value(row.order_interval_days)
    facts = {
        "company_id": int(row.company_id),
        "band": _value(row.band),
        "band_before": _value(row.band_before),
        "score": _value(row.score),
        "score_before": _value(row.score_before),
        "score_reference": _value(state.get("reference_score")),
        "critical_since": critical_since,
        "critical_days": critical_days(critical_since, as_of),
        "days_since_order": int(days_since_order)
        if days_since_order is not None
        else None,
        "order_interval": interval,
        "winback": is_winback(days_since_order, interval, config["winback_factor"]),
        "reasons": list(row.reasons) if isinstance(row.reasons, (list, tuple)) else [],
        # The scoring's own 12-month revenue (None when the frame lacks it).
        "revenue": _value(getattr(row, "revenue_12m", None)),
    }
    facts["fall"] = score_fall(facts)
    return facts


def work_data(facts, triggers, team_id):
    """What a waiting case keeps of its transition for the work handed out
    later, as JSON values."""
    since = facts["critical_since"]
    return dict(
        facts,
        critical_since=since.isoformat() if since else None,
        triggers=list(triggers),
        team_id=team_id,
    )


def facts_from_work_data(data, company_id, revenue, queued_on, as_of):
    """The facts of a transition kept by :func:`work_data`, handed out on
    ``as_of``: ``waited_since`` is the day it was detected when earlier."""
    since = data.get("critical_since")
    return dict(
        data,
        company_id=company_id,
        revenue=revenue or 0.0,
        critical_since=date.fromisoformat(since) if since else None,
        waited_since=queued_on if queued_on and queued_on < as_of else None,
    )
