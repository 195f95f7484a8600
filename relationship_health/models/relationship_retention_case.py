"""Retention work of an account: one waiting or open case per account at most.

A case knows its work (activity and opportunity): notes on it, its recovery,
closing and new owner are here; the retention automation
(``relationship_health_retention.py``) decides and calls them.
"""

import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from . import health_writers as writers
from . import retention_texts as texts
from .health_actions import fetch_partner_names
from .health_clock import health_today
from .partner_health_fields import account_field
from .relationship_health_snapshot import HEALTH_BANDS

_logger = logging.getLogger(__name__)

#: One current (waiting or open) case per account.
CURRENT_CASE_INDEX = "relationship_retention_case_current_partner_uniq"
#: The index of earlier versions, on the open cases only.
OLD_OPEN_CASE_INDEX = "relationship_retention_case_open_partner_uniq"

RETENTION_TRIGGERS = [
    ("band_entry", "Entered a risk band"),
    ("score_drop", "Score drop"),
    ("critical_stale", "Critical for too long"),
]


def work_field(comodel, index="btree_not_null", **kwargs):
    """A record of the work of a case, or of its cause: set by the
    automation, emptied when that record is deleted."""
    return fields.Many2one(
        comodel, readonly=True, ondelete="set null", index=index, **kwargs
    )


def case_day(string, help_text):
    """A day of the life of a case, set by the automation: the queue and
    the reports search and sort by it."""
    return fields.Date(string=string, readonly=True, index=True, help=help_text)


class RelationshipRetentionCase(models.Model):
    """The retention work of an account: its follow-up activity, its retention
    opportunity and what caused them.

    Cases are queued, opened and closed by the retention automation only; a
    sales manager may hand a waiting case out before its turn. A partial
    unique index allows a single waiting or open case per account, so that
    concurrent or repeated runs can never queue or open the same work twice.
    """

    _name = "relationship.retention.case"
    _description = "Retention Case"
    _order = "date_queued desc, id desc"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = account_field(readonly=True, index=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        readonly=True,
        index=True,
        help="Who got the retention work: the salesperson, else the sales team leader, "
        "else the default owner of the settings.",
    )
    state = fields.Selection(
        [("waiting", "Waiting"), ("open", "Open"), ("closed", "Closed")],
        required=True,
        default="open",
        readonly=True,
        index=True,
    )
    kind = fields.Selection(
        [("followup", "Retention follow-up"), ("winback", "Win-back")],
        required=True,
        default="followup",
        readonly=True,
    )
    trigger = fields.Selection(RETENTION_TRIGGERS, required=True, readonly=True)
    band = fields.Selection(HEALTH_BANDS, string="Band When Opened", readonly=True)
    band_before = fields.Selection(HEALTH_BANDS, readonly=True)
    score = fields.Float(string="Score When Opened", readonly=True, digits=(5, 1))
    score_before = fields.Float(readonly=True, digits=(5, 1))
    score_reference = fields.Float(
        string="Score 30 Days Before",
        readonly=True,
        digits=(5, 1),
    )
    critical_since = fields.Date(readonly=True)
    last_band = fields.Selection(
        HEALTH_BANDS,
        string="Last Reported Band",
        readonly=True,
        help="The band last reported on the retention work; a worse band adds a note.",
    )
    last_score = fields.Float(
        string="Last Reported Score", readonly=True, digits=(5, 1)
    )
    revenue_12m = fields.Monetary(
        string="Revenue at Risk",
        readonly=True,
        currency_field="currency_id",
        help="Revenue of the confirmed orders of the last 12 months when the case was opened.",
    )
    activity_id = work_field("mail.activity", index=None)
    lead_id = work_field("crm.lead", string="Retention Opportunity")
    snapshot_id = work_field(
        "relationship.health.snapshot",
        string="Health Snapshot",
        help="The daily health snapshot that opened the case.",
    )
    date_queued = case_day(
        "Detected On",
        "The day the transition was detected; a waiting case waits since then.",
    )
    date_opened = case_day("Opened On", "The day its work was handed out to the owner.")
    score_fall = fields.Float(
        readonly=True,
        digits=(5, 1),
        help="How far the score fell: since the scoring before, or since 30 days "
        "before, whichever is more. With the revenue at risk, it sets the order of "
        "the queue.",
    )
    queue_rank = fields.Integer(
        string="Place in Queue",
        readonly=True,
        help="The place of a waiting case in its owner's queue: 1 is handed out "
        "next, the most valuable first (revenue at risk, then how far the score fell).",
    )
    queue_reason = fields.Char(string="Why It Waits", compute="_compute_queue_reason")
    handed_out_by_id = fields.Many2one(
        "res.users",
        readonly=True,
        help="The sales manager who handed the case out before its turn.",
    )
    work_data = fields.Json(
        readonly=True,
        groups="base.group_system",
        help="What the automation knew of the transition, for the work of a "
        "waiting case.",
    )
    date_closed = fields.Date(string="Closed On", readonly=True)
    close_reason = fields.Selection(
        [
            ("recovered", "Recovered"),
            ("recovered_waiting", "Recovered while waiting"),
            ("handled", "Work done"),
            ("merged", "Merged"),
            ("archived", "Account archived"),
        ],
        readonly=True,
        help="Recovered: the account is healthy again. Recovered while waiting: it "
        "was healthy again before the work of its case was handed out. Work done: its activity and "
        "opportunity were both closed by the team. Merged: the account was merged into "
        "another one that had retention work open already. Account archived: the "
        "account was archived.",
    )
    cooldown_until = fields.Date(
        readonly=True,
        help="No new retention work is opened on the account before this day.",
    )
    update_count = fields.Integer(
        string="Updates",
        readonly=True,
        help="How many later changes of the account were noted on the open work.",
    )

    def init(self):
        result = super().init()
        self.env.cr.execute(
            SQL("DROP INDEX IF EXISTS %s", SQL.identifier(OLD_OPEN_CASE_INDEX))
        )
        # Cases of earlier versions were detected the day they were opened.
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET date_queued = date_opened WHERE date_queued IS NULL",
                SQL.identifier(self._table),
            )
        )
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (partner_id)"
                " WHERE state IN ('waiting', 'open')",
                SQL.identifier(CURRENT_CASE_INDEX),
                SQL.identifier(self._table),
            )
        )
        return result

    @api.depends("state", "user_id", "company_id")
    def _compute_queue_reason(self):
        for case in self:
            case.queue_reason = (
                self.env._(
                    "Daily limit of %(limit)s new cases of %(owner)s reached",
                    limit=case.company_id.sudo().health_retention_daily_cases,
                    owner=case.user_id.name or self.env._("the owner"),
                )
                if case.state == "waiting"
                else False
            )

    def action_hand_out_now(self):
        """A sales manager hands waiting cases out before their turn: their
        activity and opportunity are created now, for their owner."""
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(
                self.env._("Only sales managers can hand out waiting retention cases.")
            )
        self.check_access("write")
        not_waiting = self.filtered(lambda case: case.state != "waiting")
        if not_waiting:
            raise UserError(
                self.env._(
                    "Only waiting cases can be handed out; already open or closed: "
                    "%(accounts)s.",
                    accounts=", ".join(not_waiting.partner_id.mapped("display_name")),
                )
            )
        self.env["relationship.health.retention"]._hand_out_cases(
            self.ids, health_today(), self.env.user
        )
        return True

    @api.depends("partner_id", "date_opened")
    def _compute_display_name(self):
        for case in self:
            case.display_name = self.env._(
                "Retention: %(account)s", account=case.partner_id.display_name or ""
            )

    # ------------------------------------------------------------------
    # The work of a case (called by the retention automation, as superuser)
    # ------------------------------------------------------------------
    def _open_work(self):
        """The activity and the opportunity of this case still open (empty
        records for those done, lost, won or deleted)."""
        self.ensure_one()
        activity = self.activity_id.with_context(active_test=False).exists()
        lead = self.lead_id.exists()
        return (
            activity.filtered("active"),
            lead.filtered(lambda lead: lead.active and not lead.stage_id.is_won),
        )

    def _close(self, reason, as_of, settings):
        """Close these cases; the cooldown of their company's ``settings``
        (``{company_id: settings}``) starts, none without them."""
        for company, cases in self.grouped("company_id").items():
            cooldown = settings.get(company.id, {}).get("cooldown_days", 0)
            cases.write(
                {
                    "state": "closed",
                    "close_reason": reason,
                    "date_closed": as_of,
                    "cooldown_until": as_of + timedelta(days=cooldown),
                    "queue_rank": False,
                }
            )

    @api.model
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

    @api.model
    def _add_notes(self, notes, as_of, settings):
        """Note later falls of accounts on their open work, against what was
        last reported, and remember the new state. ``notes`` are
        (partner_id, facts, changes, existing), ``settings`` per company."""
        partners = self.env["res.partner"].browse([pid for pid, *_rest in notes])
        posts, remembered = [], []
        for (_pid, facts, changes, existing), partner in zip(notes, partners):
            if existing.get("last_band"):
                # The numbers of the note: from the last report to now.
                facts = dict(
                    facts,
                    band_before=existing["last_band"],
                    score_before=existing.get("last_score"),
                    since_report=True,
                )
            env = texts.owner_env(self.env, existing.get("user_id"))
            note = texts.transition_note(
                env,
                partner.with_env(env),
                facts,
                changes,
                settings[facts["company_id"]],
            )
            posts.append(
                (note, existing.get("activity_id"), existing.get("lead_id"), partner)
            )
            remembered.append((existing["case_id"], facts))
        self._post_notes(posts, as_of)
        self._remember(remembered, noted=True)

    @api.model
    def _remember(self, cases, noted):
        """Store the band and score last reported on each case (one UPDATE);
        ``cases`` are (case_id, facts)."""
        writers.remember_retention_cases(
            self.env.cr,
            [(case_id, facts["band"], facts["score"]) for case_id, facts in cases],
            noted,
        )
        self.invalidate_model(["last_band", "last_score", "update_count"])

    @api.model
    def _recover(self, recovered, as_of, settings):
        """Accounts healthy again: activity done ("Recovered"), a note on the
        opportunity, the case closed with its cooldown.
        ``recovered`` are (partner_id, facts, detail, existing)."""
        activity_ids = [existing["activity_id"] for *_r, existing in recovered]
        self.env["mail.activity"].browse(filter(None, activity_ids)).action_feedback(
            feedback=self.env._("Recovered: the account is healthy again.")
        )
        for _pid, facts, _detail, existing in recovered:
            if not existing["lead_id"]:
                continue
            env = texts.owner_env(self.env, existing.get("user_id"))
            body = Markup("<p>%s</p>") % env._(
                "The account is healthy again (score %(score)s). Keep this opportunity open "
                "or close it as you see fit.",
                score=texts.score_text(env, facts["score"]),
            )
            self.env["crm.lead"].browse(existing["lead_id"]).message_post(
                body=body, subtype_xmlid="mail.mt_note"
            )
        self.browse([existing["case_id"] for *_r, existing in recovered])._close(
            "recovered", as_of, settings
        )

    @api.model
    def _current(self, field, records):
        """The waiting and open cases whose ``field`` is in ``records``."""
        return self.search(
            [(field, "in", records.ids), ("state", "in", ("waiting", "open"))]
        )

    def _close_archived(self):
        """The accounts of these cases were archived: their work is closed
        with a note (activity done, a note on the opportunity, case closed)."""
        today = health_today()
        for case in self:
            text = texts.owner_env(self.env, case.user_id.id)._(
                "Closed: the account %(account)s was archived.",
                account=case.partner_id.display_name,
            )
            activity, lead = case._open_work()
            activity.action_feedback(feedback=text)
            for open_lead in lead:
                open_lead.message_post(
                    body=Markup("<p>%s</p>") % text, subtype_xmlid="mail.mt_note"
                )
        self._close("archived", today, {})

    def _reassign(self, excluded):
        """The owners ``excluded`` were archived: these cases go to the next
        owner (the sales team leader, else the default owner of the
        settings), with their open activity and opportunity."""
        owners = self.env["relationship.health.owner"]._owners(
            self.partner_id.ids,
            [case.company_id.id for case in self],
            excluded=excluded,
        )
        for case in self:
            owner = owners.get(case.partner_id.id)
            if not owner:
                _logger.info(
                    "Retention automation: no owner left for the retention work of %s",
                    case.partner_id.display_name,
                )
                continue
            for record in (case, *case._open_work()):
                record.user_id = owner[0]

    # ------------------------------------------------------------------
    # The work of cases handed out
    # ------------------------------------------------------------------
    @api.model
    def _create_work(self, rows, as_of, settings, types):
        """The activities and opportunities of newly opened cases, each created
        with one ``create`` call; open ones that already exist are reused and
        get a note instead."""
        partners = self.env["res.partner"].browse([row["partner_id"] for row in rows])
        fetch_partner_names(partners).fetch(["lang"])
        model_id = self.env["ir.model"]._get_id("res.partner")
        tag = self.env["relationship.health.retention"]._retention_tag()
        activity_vals, activity_rows = [], []
        lead_vals, lead_rows = [], []
        reused = []
        for row, partner in zip(rows, partners):
            facts, user = row["facts"], row["user"]
            config = (
                settings.get(facts["company_id"])
                or self.env["res.company"]
                .browse(facts["company_id"])
                ._health_retention_settings()
            )
            env = self.with_context(lang=user.lang or self.env.lang).env
            row["note"] = note = texts.transition_note(
                env, partner.with_env(env), facts, row["triggers"], config
            )
            existing = row["existing"]
            if existing.get("any_activity_id"):
                reused.append((row, existing["any_activity_id"], False))
            else:
                kind = "winback" if facts["winback"] else "followup"
                activity_vals.append(
                    {
                        "res_model_id": model_id,
                        "res_id": partner.id,
                        "activity_type_id": types[kind].id,
                        "user_id": user.id,
                        "date_deadline": as_of
                        + timedelta(days=config["activity_days"]),
                        "summary": texts.activity_summary(env, kind, partner),
                        "note": note,
                        "health_snapshot_id": row["snapshot_id"],
                    }
                )
                activity_rows.append(row)
            if not config["create_lead"]:
                continue
            if existing.get("any_lead_id"):
                reused.append((row, False, existing["any_lead_id"]))
                continue
            vals = {
                "name": env._("Retention: %(account)s", account=partner.name),
                "type": "opportunity",
                "partner_id": partner.id,
                "user_id": user.id,
                "company_id": facts["company_id"],
                "expected_revenue": facts["revenue"],
                "description": note,
                "is_retention": True,
                "health_snapshot_id": row["snapshot_id"],
            }
            if tag:
                vals["tag_ids"] = [Command.link(tag.id)]
            if row["team"]:
                vals["team_id"] = row["team"].id
            lead_vals.append(vals)
            lead_rows.append(row)

        activities = self.env["mail.activity"].create(activity_vals)
        leads = self.env["crm.lead"].create(lead_vals)
        links = defaultdict(dict)
        for row, activity in zip(activity_rows, activities):
            links[row["case_id"]]["activity_id"] = activity.id
        for row, lead in zip(lead_rows, leads):
            links[row["case_id"]]["lead_id"] = lead.id
        for row, activity_id, lead_id in reused:
            links[row["case_id"]].update(
                {"activity_id": activity_id} if activity_id else {"lead_id": lead_id}
            )
        self._link_cases(links)
        self._post_notes(
            [
                (row["note"], activity_id, lead_id, partners.browse(row["partner_id"]))
                for row, activity_id, lead_id in reused
            ],
            as_of,
        )

    @api.model
    def _link_cases(self, links):
        """Store the activity and opportunity of each case (one UPDATE)."""
        if links:
            writers.link_retention_cases(self.env.cr, links)
            self.invalidate_model(["activity_id", "lead_id"])
