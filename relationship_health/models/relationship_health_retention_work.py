"""Retention work already open: later falls noted on it, recovery, closing,
archived accounts and salespeople, and the texts of the notes.

Part of the retention automation (the ``relationship.health.retention`` model
of ``relationship_health_retention.py``, which opens the work); the rules
deciding what happens to an account are in ``scoring/retention.py``.
"""

import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, formatLang

from ..scoring.vocabulary import BAND_RANK
from .health_clock import health_today
from .relationship_health_retention import QUIET_CONTEXT

_logger = logging.getLogger(__name__)


class RelationshipHealthRetention(models.AbstractModel):
    _inherit = "relationship.health.retention"

    # ------------------------------------------------------------------
    # Updating and closing work
    # ------------------------------------------------------------------
    def _add_notes(self, notes, as_of):
        """Note later falls of accounts on their open work, against what was
        last reported, and remember the new state.
        ``notes`` are (partner_id, facts, changes, existing)."""
        partners = self.env["res.partner"].browse([pid for pid, *_rest in notes])
        users = self.env["res.users"].browse(
            [
                existing["user_id"]
                for *_rest, existing in notes
                if existing.get("user_id")
            ]
        )
        users.fetch(["lang"])
        posts, remembered = [], []
        for (_pid, facts, changes, existing), partner in zip(notes, partners):
            config = (
                self.env["res.company"]
                .browse(facts["company_id"])
                ._health_retention_settings()
            )
            if existing.get("last_band"):
                # The numbers of the note: from the last report to now.
                facts = dict(
                    facts,
                    band_before=existing["last_band"],
                    score_before=existing.get("last_score"),
                    since_report=True,
                )
            user = self.env["res.users"].browse(existing.get("user_id") or [])
            retention = self.with_context(lang=user.lang or self.env.lang)
            note = retention._transition_note(partner, facts, changes, config)
            posts.append(
                (note, existing.get("activity_id"), existing.get("lead_id"), partner)
            )
            remembered.append((existing["case_id"], facts))
        self._post_notes(posts, as_of)
        self._remember(remembered, noted=True)

    def _remember(self, cases, noted):
        """Store the band and score last reported on each case (one UPDATE);
        ``cases`` are (case_id, facts)."""
        self.env.cr.execute(
            SQL(
                """
            UPDATE relationship_retention_case c
               SET last_band = v.band, last_score = v.score,
                   update_count = COALESCE(c.update_count, 0) + %s
              FROM unnest(%s::int4[], %s::varchar[], %s::float8[]) AS v(id, band, score)
             WHERE c.id = v.id
            """,
                1 if noted else 0,
                [case_id for case_id, _facts in cases],
                [facts["band"] for _case_id, facts in cases],
                [facts["score"] for _case_id, facts in cases],
            )
        )
        self.env["relationship.retention.case"].invalidate_model(
            ["last_band", "last_score", "update_count"]
        )

    def _post_notes(self, posts, as_of):
        """Append each note to its open activity and post it on its open
        opportunity; with neither, on the account's chatter.
        ``posts`` are (note, activity_id, lead_id, partner)."""
        heading = Markup("<p><strong>%s</strong></p>") % self.env._(
            "Update of %(date)s", date=fields.Date.to_string(as_of)
        )
        for note, activity_id, lead_id, partner in posts:
            dated = heading + note
            if activity_id:
                activity = self.env["mail.activity"].browse(activity_id)
                activity.note = Markup("%s<hr/>%s") % (activity.note or "", dated)
            if lead_id:
                self.env["crm.lead"].browse(lead_id).message_post(
                    body=dated, subtype_xmlid="mail.mt_note"
                )
            if not activity_id and not lead_id:
                partner.message_post(body=dated, subtype_xmlid="mail.mt_note")

    def _recover(self, recovered, as_of, settings):
        """Accounts healthy again: activity done ("Recovered"), a note on the
        opportunity, the case closed with its cooldown."""
        activities = self.env["mail.activity"].browse(
            [
                existing["activity_id"]
                for _pid, _facts, existing in recovered
                if existing["activity_id"]
            ]
        )
        if activities:
            activities.action_feedback(
                feedback=self.env._("Recovered: the account is healthy again.")
            )
        for pid, facts, existing in recovered:
            if not existing["lead_id"]:
                continue
            user = self.env["res.users"].browse(existing.get("user_id") or [])
            retention = self.with_context(lang=user.lang or self.env.lang)
            body = Markup("<p>%s</p>") % retention.env._(
                "The account is healthy again (score %(score)s). Keep this opportunity open "
                "or close it as you see fit.",
                score=retention._score_text(facts["score"]),
            )
            self.env["crm.lead"].browse(existing["lead_id"]).message_post(
                body=body, subtype_xmlid="mail.mt_note"
            )
        self._close_cases(
            [existing["case_id"] for _pid, _facts, existing in recovered],
            "recovered",
            as_of,
            settings,
        )

    def _close_cases(self, case_ids, reason, as_of, settings):
        cases = self.env["relationship.retention.case"].browse(case_ids)
        for company_id, company_cases in cases.grouped("company_id").items():
            cooldown = settings.get(company_id.id, {}).get("cooldown_days", 0)
            company_cases.write(
                {
                    "state": "closed",
                    "close_reason": reason,
                    "date_closed": as_of,
                    "cooldown_until": as_of + timedelta(days=cooldown),
                }
            )

    # ------------------------------------------------------------------
    # Archived accounts and salespeople
    # ------------------------------------------------------------------
    @api.model
    def _close_archived(self, accounts):
        """Accounts archived: their open retention work is closed with a note
        (activity done, a note on the opportunity, case closed)."""
        self = self.sudo().with_context(**QUIET_CONTEXT)
        cases = self.env["relationship.retention.case"].search(
            [
                ("partner_id", "in", accounts.ids),
                ("state", "=", "open"),
            ]
        )
        if not cases:
            return cases
        today = health_today()
        for case in cases:
            retention = self.with_context(lang=case.user_id.lang or self.env.lang)
            text = retention.env._(
                "Closed: the account %(account)s was archived.",
                account=case.partner_id.display_name,
            )
            activity = case.activity_id.with_context(active_test=False)
            if activity.exists() and activity.active:
                activity.action_feedback(feedback=text)
            lead = case.lead_id
            if lead.exists() and lead.active:
                lead.message_post(
                    body=Markup("<p>%s</p>") % text, subtype_xmlid="mail.mt_note"
                )
        cases.write(
            {
                "state": "closed",
                "close_reason": "archived",
                "date_closed": today,
                "cooldown_until": today,
            }
        )
        return cases

    @api.model
    def _reassign_from(self, users):
        """Salespeople archived: the open retention cases they own go to the
        next owner (the sales team leader, else the default owner of the
        settings), with their open activity and opportunity."""
        self = self.sudo().with_context(**QUIET_CONTEXT)
        cases = self.env["relationship.retention.case"].search(
            [
                ("user_id", "in", users.ids),
                ("state", "=", "open"),
            ]
        )
        if not cases:
            return cases
        owners = self.env["relationship.health.owner"]._owners(
            cases.partner_id.ids, [case.company_id.id for case in cases], excluded=users
        )
        for case in cases:
            owner = owners.get(case.partner_id.id)
            if not owner:
                _logger.info(
                    "Retention automation: no owner left for the retention work of %s",
                    case.partner_id.display_name,
                )
                continue
            user = owner[0]
            case.user_id = user
            activity = case.activity_id
            if activity.exists() and activity.active:
                activity.user_id = user
            lead = case.lead_id
            if lead.exists() and lead.active:
                lead.user_id = user
        return cases

    # ------------------------------------------------------------------
    # Texts
    # ------------------------------------------------------------------
    def _score_text(self, score):
        if score is None:
            return self.env._("none")
        return formatLang(self.env, score, digits=1)

    def _number_text(self, value):
        """A number as people write it: no decimals when whole, else one."""
        if value is None:
            return self.env._("none")
        value = round(float(value), 1)
        return formatLang(self.env, value, digits=0 if value.is_integer() else 1)

    def _band_text(self, band):
        if not band:
            return self.env._("not scored")
        selection = dict(
            self.env["res.partner"]
            ._fields["health_band"]
            ._description_selection(self.env)
        )
        return selection.get(band, band)

    def _activity_summary(self, kind, partner):
        if kind == "winback":
            return self.env._("Win-back: %(account)s", account=partner.name)
        return self.env._("Retention follow-up: %(account)s", account=partner.name)

    def _transition_note(self, partner, facts, triggers, config):
        """HTML note: what changed, the numbers, and the reasons in plain words.

        ``facts["since_report"]`` marks a note on open work: ``band_before``
        and ``score_before`` are then what was last reported on it."""
        _ = self.env._
        since_report = facts.get("since_report")
        score, before = facts["score"], facts["score_before"]
        reference = facts["score_reference"]
        changes = []
        for trigger in triggers:
            if trigger == "band_entry":
                if facts["band_before"] in BAND_RANK:
                    changes.append(
                        _(
                            "Health entered %(band)s (was %(before)s).",
                            band=self._band_text(facts["band"]),
                            before=self._band_text(facts["band_before"]),
                        )
                    )
                else:
                    changes.append(
                        _(
                            "Health is now %(band)s.",
                            band=self._band_text(facts["band"]),
                        )
                    )
            elif trigger == "score_drop":
                if since_report and before is not None:
                    changes.append(
                        _(
                            "The score fell %(points)s points since the last report, from "
                            "%(before)s to %(score)s.",
                            points=self._score_text(before - score),
                            before=self._score_text(before),
                            score=self._score_text(score),
                        )
                    )
                elif reference is not None:
                    changes.append(
                        _(
                            "The score fell %(points)s points in 30 days, from %(reference)s to "
                            "%(score)s.",
                            points=self._score_text(reference - score),
                            reference=self._score_text(reference),
                            score=self._score_text(score),
                        )
                    )
            elif trigger == "critical_stale":
                changes.append(
                    _(
                        "Critical for %(days)s days (since %(date)s) with no retention work open.",
                        days=facts["critical_days"],
                        date=fields.Date.to_string(facts["critical_since"]),
                    )
                )
        if facts["winback"]:
            changes.append(
                _(
                    "No order for %(days)s days, more than %(factor)s times the usual interval of "
                    "%(interval)s days: time to win this customer back.",
                    days=facts["days_since_order"],
                    factor=self._number_text(config["winback_factor"]),
                    interval=self._number_text(facts["order_interval"]),
                )
            )
        values = {
            "before": self._score_text(before),
            "score": self._score_text(score),
            "band_before": self._band_text(facts["band_before"]),
            "band": self._band_text(facts["band"]),
        }
        if since_report:
            numbers = [
                _(
                    "Since the last report: %(before)s → %(score)s "
                    "(%(band_before)s → %(band)s).",
                    **values,
                )
            ]
        elif before is None and facts["band_before"] not in BAND_RANK:
            numbers = [_("Health score: %(score)s (%(band)s).", **values)]
        else:
            numbers = [
                _(
                    "Health score: %(before)s → %(score)s "
                    "(%(band_before)s → %(band)s).",
                    **values,
                )
            ]
        if reference is not None:
            numbers.append(
                _("Score 30 days ago: %(score)s.", score=self._score_text(reference))
            )
        reasons = [partner._health_reason_text(reason) for reason in facts["reasons"]]
        parts = [
            Markup("<p><strong>%s</strong></p>") % partner.display_name,
            Markup("<ul>%s</ul>")
            % Markup().join(Markup("<li>%s</li>") % text for text in changes + numbers),
        ]
        if reasons:
            parts.append(Markup("<p>%s</p>") % _("What pulls the score down:"))
            parts.append(
                Markup("<ul>%s</ul>")
                % Markup().join(Markup("<li>%s</li>") % text for text in reasons)
            )
        return Markup().join(parts)
