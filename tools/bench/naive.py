"""A naive reference: the same score, written the way a typical addon does it.

Deliberately straightforward: loop over the partners, find the accounts, and
for each one search its orders, survey answers, visits and service events
through the ORM, compute the score in plain Python, and write the partner and
its snapshot one by one. It follows the rules of the README ("The score") so
that the benchmark can also compare its results with the engine's.
"""

import math
import statistics
from datetime import datetime, time as dtime, timedelta

from odoo import fields

COMPONENTS = ("satisfaction", "sla", "visits", "recency")
TREND_MIN_AGE_DAYS = 28


def _round1(value):
    """One decimal, halves away from zero (as the scores are shown)."""
    return math.copysign(math.floor(abs(value) * 10 + 0.5) / 10, value)


def _ramp(x, zero_at):
    """100 when x <= 1, linear down to 0 at x = zero_at."""
    if x <= 1:
        return 100.0
    if x >= zero_at:
        return 0.0
    return 100.0 * (zero_at - x) / (zero_at - 1)


def _normalise(line):
    question = line.question_id
    value = (
        line.value_scale if line.answer_type == "scale" else line.value_numerical_box
    )
    if question.health_metric == "nps":
        low, high = 0, 10
    elif question.health_metric == "csat":
        low, high = 1, 5
    else:
        low, high = question.scale_min, question.scale_max
    return min(100.0, max(0.0, 100.0 * (value - low) / (high - low)))


def _band(score, company):
    if score is None:
        return "unknown"
    if score >= company.health_threshold_healthy:
        return "healthy"
    if score >= company.health_threshold_watch:
        return "watch"
    if score >= company.health_threshold_at_risk:
        return "at_risk"
    return "critical"


def score_partner(env, partner, today, now, visit_type):
    """Everything about one account, read through the ORM."""
    company = partner.company_id or env.company
    facts = {}
    # purchase recency
    orders = env["sale.order"].search(
        [
            ("partner_id", "child_of", partner.id),
            ("state", "=", "sale"),
            ("date_order", "<=", now),
        ]
    )
    days = sorted({order.date_order.date() for order in orders})
    recency = None
    interval = None
    if days:
        recent = [d for d in days if (today - d).days <= 730]
        gaps = [(b - a).days for a, b in zip(recent, recent[1:])]
        interval = (
            statistics.median(gaps)
            if len(recent) >= 3
            else company.health_default_purchase_interval
        )
        interval = max(interval, 1)
        since = (today - days[-1]).days
        recency = _ramp(since / interval, 3)
        facts.update(
            days_since_order=since, order_interval_days=interval, order_count=len(days)
        )
    # satisfaction
    lines = env["survey.user_input.line"].search(
        [
            ("user_input_id.partner_id", "child_of", partner.id),
            ("user_input_id.state", "=", "done"),
            ("question_id.health_metric", "!=", False),
            ("answer_type", "in", ("scale", "numerical_box")),
            ("skipped", "=", False),
        ]
    )
    weighted = total = 0.0
    nps_answers = []
    half_life = company.health_satisfaction_half_life
    for line in lines:
        answered = line.user_input_id.end_datetime or line.user_input_id.create_date
        if answered > now:
            continue
        age = (today - answered.date()).days
        if age > 730:
            continue
        weight = 0.5 ** (age / half_life)
        weighted += weight * _normalise(line)
        total += weight
        if line.question_id.health_metric == "nps" and age <= 365:
            nps_answers.append(line.value_scale)
    satisfaction = weighted / total if total else None
    nps = None
    if nps_answers:
        promoters = sum(1 for v in nps_answers if v >= 9)
        detractors = sum(1 for v in nps_answers if v <= 6)
        nps = 100.0 * (promoters - detractors) / len(nps_answers)
    # visits
    attendances = env["calendar.attendee"].search(
        [
            ("partner_id", "child_of", partner.id),
            ("state", "!=", "declined"),
            ("event_id.categ_ids", "in", visit_type.id),
            ("event_id.start", "<=", now),
        ]
    )
    last_visit = max((a.event_id.start.date() for a in attendances), default=None)
    visits = None
    cadence = partner.visit_interval_days
    if cadence:
        if last_visit:
            visits = _ramp((today - last_visit).days / cadence, 2)
        else:
            plan_start = partner.visit_plan_date or partner.create_date.date()
            if (today - plan_start).days > cadence:
                visits = 0.0
    # service levels
    events = env["relationship.sla.event"].search(
        [
            ("partner_id", "=", partner.id),
            ("date_deadline", "<=", now),
            (
                "date_deadline",
                ">=",
                datetime.combine(today - timedelta(days=365), dtime.min),
            ),
        ]
    )
    met = total_w = 0.0
    for event in events:
        weight = 0.5 ** (
            (today - event.date_deadline.date()).days / company.health_sla_half_life
        )
        total_w += weight
        if event.date_done and event.date_done <= event.date_deadline:
            met += weight
    sla = 100.0 * met / total_w if events else None
    # overall
    components = {
        "satisfaction": satisfaction,
        "sla": sla,
        "visits": visits,
        "recency": recency,
    }
    weights = {
        "satisfaction": company.health_weight_satisfaction,
        "sla": company.health_weight_sla,
        "visits": company.health_weight_visits,
        "recency": company.health_weight_recency,
    }
    with_data = sum(weights[c] for c in COMPONENTS if components[c] is not None)
    score = None
    if with_data:
        score = _round1(
            sum(
                weights[c] * components[c]
                for c in COMPONENTS
                if components[c] is not None
            )
            / with_data
        )
    previous = env["relationship.health.snapshot"].search(
        [
            ("partner_id", "=", partner.id),
            ("snapshot_date", "<=", today - timedelta(days=TREND_MIN_AGE_DAYS)),
        ],
        order="snapshot_date desc",
        limit=1,
    )
    trend = _round1(score - previous.score) if score is not None and previous else None
    costs = sorted(
        (
            (weights[c] * (100 - components[c]) / with_data, c)
            for c in COMPONENTS
            if components[c] is not None and components[c] < 100
        ),
        reverse=True,
    )[:3]
    return {
        "score": score,
        "band": _band(score, company),
        "trend": trend,
        "confidence": _round1(100.0 * with_data / sum(weights.values())),
        "components": components,
        "nps": nps,
        "last_order_date": days[-1] if days else False,
        "order_interval": round(interval) if interval else False,
        "last_visit_date": last_visit or False,
        "reasons": [{"code": c, "params": {}} for _cost, c in costs],
        "facts": facts,
    }


def run_naive(env):
    """Score every account, one partner at a time; return the number of accounts."""
    today = fields.Date.context_today(env["res.partner"])
    now = min(fields.Datetime.now(), datetime.combine(today, dtime.max))
    visit_type = env.ref("relationship_health.calendar_event_type_customer_visit")
    Snapshot = env["relationship.health.snapshot"]
    done = 0
    for partner in env["res.partner"].search([]):
        if partner.commercial_partner_id != partner:
            continue
        if not partner.customer_rank and not env["sale.order"].search_count(
            [("partner_id", "child_of", partner.id), ("state", "=", "sale")], limit=1
        ):
            continue
        result = score_partner(env, partner, today, now, visit_type)
        components = result["components"]
        partner.write(
            {
                "health_score": result["score"],
                "health_band": result["band"],
                "health_trend": result["trend"],
                "health_confidence": result["confidence"],
                "health_satisfaction": components["satisfaction"],
                "health_sla": components["sla"],
                "health_visits": components["visits"],
                "health_recency": components["recency"],
                "health_nps": result["nps"],
                "health_last_order_date": result["last_order_date"],
                "health_order_interval": result["order_interval"],
                "health_last_visit_date": result["last_visit_date"],
                "health_details": {
                    "reasons": result["reasons"],
                    "components": components,
                    "facts": result["facts"],
                },
                "health_computed_at": now,
            }
        )
        values = {
            "score": result["score"],
            "band": result["band"],
            "confidence": result["confidence"],
            "nps": result["nps"],
            "user_id": partner.user_id.id,
            "company_id": (partner.company_id or env.company).id,
            **components,
        }
        snapshot = Snapshot.search(
            [("partner_id", "=", partner.id), ("snapshot_date", "=", today)]
        )
        if snapshot:
            snapshot.write(values)
        else:
            Snapshot.create(
                {"partner_id": partner.id, "snapshot_date": today, **values}
            )
        done += 1
    env.flush_all()
    return done
