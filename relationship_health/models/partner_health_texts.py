"""The words of an account's health: its reasons as sentences, its signal
summary and the strategy of its quadrant, in the reader's language.

Text only, no rule: the scoring core decides (reasons come from it as codes
with figures), res.partner's computed fields call these functions.
"""

from odoo.exceptions import MissingError
from odoo.tools import format_date

from ..scoring import band_for
from ..scoring.vocabulary import SIGNALS
from .health_clock import utc_now

#: The colour of a band in the signal summary.
BAND_CSS = {
    "healthy": "bg-success",
    "watch": "bg-info",
    "at_risk": "bg-warning",
    "critical": "bg-danger",
    "unknown": "bg-secondary",
}


def quadrant_strategies(env):
    """``{quadrant: recommended strategy}`` in the user's language."""
    return {
        "true_friend": env._("Reward and keep close: they are loyal and profitable."),
        "butterfly": env._(
            "Harvest while they buy, without over-investing: they will fly away."
        ),
        "barnacle": env._("Up-sell and cross-sell, or cut the cost to serve them."),
        "stranger": env._("Keep the cost to serve low."),
    }


def profit_basis(env):
    """What profitability is measured on: the margin when tracked."""
    if "margin" in env["sale.order"]._fields:
        return env._("Margin")
    return env._("Revenue (margins are not tracked)")


def summary_values(env, details, config):
    """The values of the ``relationship_health.health_summary`` template: one
    row per signal (label, weight of ``config``, score, band colour) and the
    facts behind the score (``details``: the account's health details)."""
    labels = {
        "satisfaction": env._("Satisfaction (surveys)"),
        "sla": env._("Service levels"),
        "visits": env._("Visits"),
        "recency": env._("Purchase recency"),
    }
    components = details.get("components") or {}
    return {
        "rows": [
            {
                "label": labels[name],
                "weight": config.weights[name],
                "score": components.get(name),
                "css": BAND_CSS[band_for(components.get(name), config)],
            }
            for name in SIGNALS
        ],
        "facts": details.get("facts") or {},
    }


def satisfaction_text(env, params):
    """The satisfaction reason: the score, the answers and the NPS if any."""
    if params.get("nps") is not None:
        return env._(
            "Survey satisfaction is %(score)s/100 over %(answers)s answers (NPS %(nps)s).",
            score=params["score"],
            answers=params["answers"],
            nps=params["nps"],
        )
    return env._(
        "Survey satisfaction is %(score)s/100 over %(answers)s answers.",
        score=params["score"],
        answers=params["answers"],
    )


def _incident_text(env, incident_id):
    """The sentence of the incident behind the account's worst breach, or ""."""
    incident = env["relationship.service.incident"].sudo().browse(incident_id)
    if not incident.exists():
        return ""
    facts = incident._restoration_facts(utc_now())
    values = {
        "name": incident.name,
        "date": format_date(env, incident.date_start),
        "hours": facts["hours"],
        "promised": facts["promised"],
    }
    if facts["restored"]:
        return env._(
            "Affected by the incident “%(name)s” on %(date)s, restored in %(hours)s h "
            "against %(promised)s h promised.",
            **values,
        )
    return env._(
        "Affected by the incident “%(name)s” since %(date)s, not restored after "
        "%(hours)s h against %(promised)s h promised.",
        **values,
    )


def _sla_text(env, params):
    incident = _incident_text(env, params["incident"]) if params.get("incident") else ""
    text = _adherence_text(env, params)
    return f"{incident} {text}" if incident else text


def _adherence_text(env, params):
    policy = env["relationship.sla.policy"].sudo().browse(params.get("policy"))
    try:
        policy_name = policy.name  # one read per service level, then cached
    except MissingError:  # deleted since the score was computed
        policy_name = False
    if policy_name:
        return env._(
            "%(breached)s of %(total)s service commitments breached in the last year, "
            "most of them under “%(policy)s” (adherence %(score)s%%).",
            **{**params, "policy": policy_name},
        )
    return env._(
        "%(breached)s of %(total)s service commitments breached in the last year "
        "(adherence %(score)s%%).",
        **{
            key: value
            for key, value in params.items()
            if key not in ("policy", "incident")
        },
    )


def reason_text(partners, reason):
    """One reason of the scoring core (``{"code", "params"}``) as a sentence
    in the language of ``partners``' environment (a res.partner recordset)."""
    env = partners.env
    params = reason.get("params") or {}
    code = reason.get("code")
    if code == "recency_rhythm":
        return env._(
            "No order for %(days)s days; this customer usually orders every %(interval)s days.",
            **params,
        )
    if code == "recency_default":
        return env._(
            "No order for %(days)s days; without a buying rhythm yet, an order is expected "
            "every %(interval)s days.",
            **params,
        )
    if code == "satisfaction":
        text = satisfaction_text(env, params)
        if params.get("weakest"):
            dimensions = dict(
                partners._fields["health_servqual_weakest"]._description_selection(env)
            )
            text += " " + env._(
                "Weakest service dimension: %(dimension)s (perceived %(gap)s points below "
                "expectations).",
                dimension=dimensions.get(params["weakest"], params["weakest"]),
                gap=abs(params["gap"]),
            )
        return text
    if code == "visits_overdue":
        return env._(
            "Last visit %(days)s days ago; the plan is a visit every %(cadence)s days.",
            **params,
        )
    if code == "visits_never":
        return env._(
            "Never visited; the plan is a visit every %(cadence)s days.", **params
        )
    if code == "sla_breaches":
        return _sla_text(env, params)
    return code or ""
