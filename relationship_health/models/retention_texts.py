"""The words of the retention automation: the note that explains a
transition, the summary of an activity, scores and bands as people read
them, in the language of ``env`` (the owner's).

Text only, no rule: ``scoring/retention.py`` decides, the retention model
(``relationship_health_retention.py``) calls these functions.
"""

from markupsafe import Markup

from odoo import fields
from odoo.tools import formatLang

from ..scoring.vocabulary import BAND_RANK


def owner_env(env, user_id):
    """``env`` in the language of the user ``user_id`` (its own without one)."""
    user = env["res.users"].browse(user_id or [])
    return env(context=dict(env.context, lang=user.lang or env.lang))


def score_text(env, score):
    if score is None:
        return env._("none")
    return formatLang(env, score, digits=1)


def number_text(env, value):
    """A number as people write it: no decimals when whole, else one."""
    if value is None:
        return env._("none")
    value = round(float(value), 1)
    return formatLang(env, value, digits=0 if value.is_integer() else 1)


def band_text(env, band):
    if not band:
        return env._("not scored")
    selection = dict(
        env["res.partner"]._fields["health_band"]._description_selection(env)
    )
    return selection.get(band, band)


def activity_summary(env, kind, partner):
    if kind == "winback":
        return env._("Win-back: %(account)s", account=partner.name)
    return env._("Retention follow-up: %(account)s", account=partner.name)


def _score_drop_text(env, facts):
    """The fall of the score since the last report on open work, else in 30
    days; None without a score to compare with."""
    _ = env._
    score, before = facts["score"], facts["score_before"]
    since_report = facts.get("since_report") and before is not None
    start = before if since_report else facts["score_reference"]
    if start is None:
        return None
    start_text = score_text(env, start)
    values = {
        "points": score_text(env, start - score),
        "score": score_text(env, score),
    }
    if since_report:
        return _(
            "The score fell %(points)s points since the last report, from "
            "%(before)s to %(score)s.",
            before=start_text,
            **values,
        )
    return _(
        "The score fell %(points)s points in 30 days, from %(reference)s to "
        "%(score)s.",
        reference=start_text,
        **values,
    )


def _change_texts(env, facts, triggers):
    """One sentence per transition of ``triggers``."""
    _ = env._
    changes = []
    for trigger in triggers:
        if trigger == "band_entry":
            if facts["band_before"] in BAND_RANK:
                changes.append(
                    _(
                        "Health entered %(band)s (was %(before)s).",
                        band=band_text(env, facts["band"]),
                        before=band_text(env, facts["band_before"]),
                    )
                )
            else:
                changes.append(
                    _("Health is now %(band)s.", band=band_text(env, facts["band"]))
                )
        elif trigger == "score_drop":
            fell = _score_drop_text(env, facts)
            if fell:
                changes.append(fell)
        elif trigger == "critical_stale":
            changes.append(
                _(
                    "Critical for %(days)s days (since %(date)s) with no retention work open.",
                    days=facts["critical_days"],
                    date=fields.Date.to_string(facts["critical_since"]),
                )
            )
    return changes


def _number_texts(env, facts, config):
    """The win-back sentence, the scores before and after, 30 days ago."""
    _ = env._
    texts = []
    if facts["winback"]:
        texts.append(
            _(
                "No order for %(days)s days, more than %(factor)s times the usual interval of "
                "%(interval)s days: time to win this customer back.",
                days=facts["days_since_order"],
                factor=number_text(env, config["winback_factor"]),
                interval=number_text(env, facts["order_interval"]),
            )
        )
    values = {
        "before": score_text(env, facts["score_before"]),
        "score": score_text(env, facts["score"]),
        "band_before": band_text(env, facts["band_before"]),
        "band": band_text(env, facts["band"]),
    }
    if facts.get("since_report"):
        texts.append(
            _(
                "Since the last report: %(before)s → %(score)s "
                "(%(band_before)s → %(band)s).",
                **values,
            )
        )
    elif facts["score_before"] is None and facts["band_before"] not in BAND_RANK:
        texts.append(_("Health score: %(score)s (%(band)s).", **values))
    else:
        texts.append(
            _(
                "Health score: %(before)s → %(score)s (%(band_before)s → %(band)s).",
                **values,
            )
        )
    if facts["score_reference"] is not None:
        texts.append(
            _(
                "Score 30 days ago: %(score)s.",
                score=score_text(env, facts["score_reference"]),
            )
        )
    if facts.get("waited_since"):
        texts.append(
            _(
                "Detected on %(date)s, it waited for room among the owner's new "
                "retention cases of the day.",
                date=fields.Date.to_string(facts["waited_since"]),
            )
        )
    return texts


def transition_note(env, partner, facts, triggers, config):
    """HTML note: what changed, the numbers, and the reasons in plain words.

    ``facts["since_report"]`` marks a note on open work: ``band_before``
    and ``score_before`` are then what was last reported on it;
    ``facts["waited_since"]`` the day a transition handed out later was
    detected."""
    lines = _change_texts(env, facts, triggers) + _number_texts(env, facts, config)
    reasons = [partner._health_reason_text(reason) for reason in facts["reasons"]]
    parts = [
        Markup("<p><strong>%s</strong></p>") % partner.display_name,
        Markup("<ul>%s</ul>")
        % Markup().join(Markup("<li>%s</li>") % text for text in lines),
    ]
    if reasons:
        parts.append(Markup("<p>%s</p>") % env._("What pulls the score down:"))
        parts.append(
            Markup("<ul>%s</ul>")
            % Markup().join(Markup("<li>%s</li>") % text for text in reasons)
        )
    return Markup().join(parts)
