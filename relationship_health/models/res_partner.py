from datetime import datetime, time, timedelta

import pytz

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..scoring.rules import first_free_slot, revenue_at_risk
from ..scoring.vocabulary import (
    BAND_LABELS,
    BANDS,
    QUADRANT_LABELS,
    QUADRANTS,
    SCORED_BANDS,
    selection,
)
from . import partner_health_texts as texts
from .partner_health_fields import (
    HEALTH_READERS,
    check_health_fields_writable,
    engine_result,
    health_field,
)
from .health_clock import health_today
from .relationship_health_snapshot import HEALTH_BANDS
from .relationship_visit_tier import check_visit_interval
from .survey_question import SERVQUAL_DIMENSIONS

#: The most accounts *Recompute now* takes in one click; the nightly job
#: scores the whole book.
RECOMPUTE_LIMIT = 5000


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Visit plan -----------------------------------------------------------
    visit_interval_days = health_field(
        fields.Integer,
        string="Visit Cadence (days)",
        copy=False,
        default=lambda self: self.env.company.health_default_visit_interval,
        help="How often this account should be visited. 0 means no visit plan.",
    )
    visit_tier_id = health_field(
        fields.Many2one,
        "relationship.visit.tier",
        string="Account Tier",
        index="btree_not_null",
        copy=False,
        help="The tier gives the account its visit cadence, unless the account has its own.",
    )
    visit_interval_override = health_field(
        fields.Boolean,
        string="Own Cadence",
        copy=False,
        help="The account keeps its own visit cadence instead of its tier's.",
    )
    visit_plan_date = health_field(
        fields.Date,
        string="Visit Plan Since",
        copy=False,
        help="When the current visit plan started; an account never visited "
        "scores 0 on visits once the plan is older than one cadence.",
    )

    # Visit plan follow-up, written in bulk by the engine
    visit_next_date = engine_result(fields.Date, string="Next Planned Visit")
    visit_due_date = engine_result(
        fields.Date,
        string="Visit Due",
        index="btree_not_null",
        help="One cadence after the last visit (or after the visit plan started).",
    )
    visit_overdue = engine_result(fields.Boolean, string="Visit Overdue")
    visit_held_12m = engine_result(
        fields.Integer,
        string="Visits Held (12 months)",
        aggregator="sum",
    )
    visit_planned_12m = engine_result(
        fields.Integer,
        string="Visits Planned (12 months)",
        aggregator="sum",
        help="Visits the cadence asked for over the last 12 months (or since the plan started).",
    )
    visit_adherence = engine_result(
        fields.Float,
        string="Visit Plan Adherence (%)",
        digits=(5, 1),
        aggregator="avg",
        help="Visits held against visits planned over the last 12 months.",
    )

    # Health, written in bulk by the relationship health engine -----------
    health_score = engine_result(
        fields.Float,
        string="Health Score",
        index=True,
        digits=(5, 1),
        aggregator="avg",
        help="Relationship health from 0 to 100; empty when no signal has data.",
    )
    health_band = engine_result(
        fields.Selection,
        HEALTH_BANDS,
        string="Health Band",
        index=True,
        group_expand="_group_expand_health_band",
    )
    health_computed_band = engine_result(
        fields.Selection,
        HEALTH_BANDS,
        string="Computed Band",
        help="The band of the computed score, whatever a manager's override says.",
    )
    health_override_band = engine_result(
        fields.Selection,
        selection(SCORED_BANDS, BAND_LABELS),
        string="Band Override",
        tracking=True,
        help="A sales manager's judgment that replaces the computed band until it expires.",
    )
    health_override_reason = engine_result(fields.Text, string="Override Reason")
    health_override_until = engine_result(
        fields.Date, string="Override Until", tracking=True
    )
    health_override_user_id = engine_result(
        fields.Many2one, "res.users", string="Overridden By"
    )
    health_trend = engine_result(
        fields.Float,
        string="Health Trend",
        digits=(5, 1),
        aggregator="avg",
        help="Score change against the newest snapshot at least 28 days old.",
    )
    health_confidence = engine_result(
        fields.Float,
        string="Health Confidence (%)",
        digits=(5, 1),
        aggregator="avg",
        help="Share of the total weight carried by signals that had data.",
    )
    health_satisfaction = engine_result(
        fields.Float,
        string="Satisfaction",
        digits=(5, 1),
        aggregator="avg",
    )
    health_visits = engine_result(
        fields.Float, string="Visits", digits=(5, 1), aggregator="avg"
    )
    health_sla = engine_result(
        fields.Float, string="SLA Adherence", digits=(5, 1), aggregator="avg"
    )
    health_recency = engine_result(
        fields.Float,
        string="Purchase Recency",
        digits=(5, 1),
        aggregator="avg",
    )
    health_nps = engine_result(
        fields.Float, string="NPS", digits=(5, 1), aggregator="avg"
    )
    health_last_order_date = engine_result(fields.Date, string="Last Order")
    health_order_interval = engine_result(
        fields.Integer,
        string="Usual Order Interval (days)",
        aggregator="avg",
    )
    health_last_visit_date = engine_result(fields.Date, string="Last Visit")
    health_details = engine_result(fields.Json, string="Health Details")
    health_reasons = health_field(
        fields.Text,
        string="Health Reasons",
        compute="_compute_health_reasons",
        help="What pulled the score down, most costly first.",
    )
    health_main_reason = health_field(
        fields.Char,
        string="Main Reason",
        compute="_compute_health_reasons",
        help="What pulled the score down the most.",
    )
    health_summary = health_field(
        fields.Html,
        string="Health Signals",
        compute="_compute_health_summary",
        sanitize=False,
    )
    # SERVQUAL gaps (perception − expectation, on the items' 1–7 scale)
    health_gap_reliability = engine_result(
        fields.Float, string="Reliability Gap", digits=(4, 1), aggregator="avg"
    )
    health_gap_responsiveness = engine_result(
        fields.Float, string="Responsiveness Gap", digits=(4, 1), aggregator="avg"
    )
    health_gap_assurance = engine_result(
        fields.Float, string="Assurance Gap", digits=(4, 1), aggregator="avg"
    )
    health_gap_empathy = engine_result(
        fields.Float, string="Empathy Gap", digits=(4, 1), aggregator="avg"
    )
    health_gap_tangibles = engine_result(
        fields.Float, string="Tangibles Gap", digits=(4, 1), aggregator="avg"
    )
    health_servqual_gap = engine_result(
        fields.Float,
        string="SERVQUAL Gap",
        digits=(4, 1),
        aggregator="avg",
        help="Mean gap over the measured dimensions: negative when the customer perceives "
        "less than they expect.",
    )
    health_servqual_weakest = engine_result(
        fields.Selection,
        SERVQUAL_DIMENSIONS,
        string="Weakest Dimension",
    )
    # Loyalty × profitability and lifetime value (company currency)
    health_revenue_12m = engine_result(
        fields.Float,
        string="Revenue (12 months)",
        digits="Product Price",
        aggregator="sum",
        help="Confirmed orders of the last 12 months, untaxed, in company currency.",
    )
    health_revenue_at_risk = health_field(
        fields.Float,
        string="Revenue at Risk",
        compute="_compute_health_revenue_at_risk",
        store=True,
        readonly=True,
        copy=False,
        digits="Product Price",
        aggregator="sum",
        help="The revenue of the last 12 months of an account at risk or critical "
        "(its band, overridden or not); zero for the others.",
    )
    health_margin_12m = engine_result(
        fields.Float,
        string="Margin (12 months)",
        digits="Product Price",
        aggregator="sum",
        help="Margin of the confirmed orders of the last 12 months "
        "(when margins are tracked), in company currency.",
    )
    health_loyalty_regularity = engine_result(
        fields.Float,
        string="Regularity (%)",
        digits=(5, 1),
        aggregator="avg",
        help="Share of the last 8 quarters in which the account ordered.",
    )
    health_tenure_days = engine_result(
        fields.Integer,
        string="Tenure (days)",
        aggregator="avg",
        help="Days since the first order.",
    )
    health_quadrant = engine_result(
        fields.Selection,
        selection(QUADRANTS, QUADRANT_LABELS),
        string="Loyalty × Profitability",
        index=True,
        help="True friends are profitable and loyal, butterflies profitable but fleeting, "
        "barnacles loyal but not very profitable, strangers neither.",
    )
    health_quadrant_strategy = health_field(
        fields.Char,
        string="Recommended Strategy",
        compute="_compute_health_quadrant_strategy",
    )
    health_clv = engine_result(
        fields.Float,
        string="Lifetime Value",
        digits="Product Price",
        aggregator="sum",
        help="Yearly margin (or revenue) × r / (1 + d − r), r the retention rate derived "
        "from the health score and d the discount rate of the settings.",
    )
    health_profit_basis = health_field(
        fields.Char,
        string="Profitability Basis",
        compute="_compute_health_profit_basis",
    )
    health_team_id = engine_result(
        fields.Many2one,
        "crm.team",
        string="Sales Team",
        index="btree_not_null",
        help="The sales team of the account's salesperson, as of the last health computation.",
    )
    health_computed_at = engine_result(fields.Datetime, string="Health Computed On")
    health_snapshot_ids = health_field(
        fields.One2many,
        "relationship.health.snapshot",
        "partner_id",
        string="Health History",
        readonly=True,
    )
    health_snapshot_count = health_field(
        fields.Integer, compute="_compute_health_snapshot_count"
    )
    sla_event_ids = health_field(
        fields.One2many,
        "relationship.sla.event",
        "partner_id",
        string="Service Commitments",
    )
    sla_adherence_90 = health_field(
        fields.Float,
        string="SLA Adherence (90 days)",
        compute="_compute_sla_adherence",
        digits=(5, 1),
        help="Share of the commitments due in the last 90 days that were met. A commitment "
        "still open past its deadline counts as breached.",
    )
    sla_adherence_365 = health_field(
        fields.Float,
        string="SLA Adherence (365 days)",
        compute="_compute_sla_adherence",
        digits=(5, 1),
        help="Share of the commitments due in the last 365 days that were met.",
    )
    sla_due_90 = health_field(
        fields.Integer,
        string="Commitments Due (90 days)",
        compute="_compute_sla_adherence",
    )
    sla_due_365 = health_field(
        fields.Integer,
        string="Commitments Due (365 days)",
        compute="_compute_sla_adherence",
    )
    sla_event_count = health_field(
        fields.Integer,
        string="Commitments",
        compute="_compute_sla_adherence",
    )
    sla_open_breach_count = health_field(
        fields.Integer,
        string="Open Breaches",
        compute="_compute_sla_adherence",
        help="Commitments past their deadline and still not done.",
    )
    sla_policy_ids = health_field(
        fields.Many2many,
        "relationship.sla.policy",
        string="Service Levels",
        compute="_compute_sla_policy_ids",
        help="The active service levels that cover this account.",
    )

    @api.constrains("visit_interval_days")
    def _check_visit_interval_days(self):
        for partner in self:
            check_visit_interval(partner.visit_interval_days, partner.display_name)

    @api.depends("health_details")
    @api.depends_context("lang")
    def _compute_health_reasons(self):
        for partner in self:
            reasons = [
                partner._health_reason_text(reason)
                for reason in (partner.health_details or {}).get("reasons") or []
            ]
            partner.health_reasons = "\n".join(reasons) or False
            partner.health_main_reason = reasons[0] if reasons else False

    @api.depends("health_quadrant")
    @api.depends_context("lang")
    def _compute_health_quadrant_strategy(self):
        strategies = texts.quadrant_strategies(self.env)
        for partner in self:
            partner.health_quadrant_strategy = strategies.get(
                partner.health_quadrant, False
            )

    @api.depends_context("lang")
    def _compute_health_profit_basis(self):
        basis = texts.profit_basis(self.env)
        for partner in self:
            partner.health_profit_basis = basis

    @api.depends("health_details")
    @api.depends_context("lang")
    def _compute_health_summary(self):
        qweb = self.env["ir.qweb"]
        # The weights of the company the account is scored for, not the reader's.
        shared = self.filtered(lambda p: p.health_details and not p.company_id)
        scored_for = self.env["relationship.health.engine"]._account_companies(
            shared.ids
        )
        Company = self.env["res.company"].sudo()
        for partner in self:
            details = partner.health_details or {}
            if not details:
                partner.health_summary = False
                continue
            company = partner.company_id or Company.browse(scored_for.get(partner.id))
            config = (company or self.env.company).sudo()._health_scoring_config()
            partner.health_summary = qweb._render(
                "relationship_health.health_summary",
                texts.summary_values(self.env, details, config),
            )

    def _health_reason_text(self, reason):
        """One reason of the scoring core as a sentence in the user's language."""
        return texts.reason_text(self, reason)

    def _compute_health_snapshot_count(self):
        counts = dict(
            self.env["relationship.health.snapshot"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.health_snapshot_count = counts.get(partner, 0)

    @api.onchange("visit_tier_id", "visit_interval_override")
    def _onchange_visit_tier_id(self):
        if self.visit_tier_id and not self.visit_interval_override:
            self.visit_interval_days = self.visit_tier_id.visit_interval_days

    @api.model
    def _visit_tier_values(self, vals):
        """A tier (without an own cadence) brings its cadence along."""
        if (
            vals.get("visit_tier_id")
            and not vals.get("visit_interval_override")
            and "visit_interval_days" not in vals
        ):
            tier = self.env["relationship.visit.tier"].browse(vals["visit_tier_id"])
            vals["visit_interval_days"] = tier.visit_interval_days

    @api.model_create_multi
    def create(self, vals_list):
        today = health_today()
        for vals in vals_list:
            check_health_fields_writable(self, vals)
            self._visit_tier_values(vals)
            if vals.get("visit_interval_days") and not vals.get("visit_plan_date"):
                vals["visit_plan_date"] = today
        return super().create(vals_list)

    def write(self, vals):
        check_health_fields_writable(self, vals)
        self._visit_tier_values(vals)
        if (
            "visit_interval_days" in vals
            and "visit_interval_override" not in vals
            and "visit_tier_id" not in vals
            and not self.env.context.get("visit_tier_sync")
        ):
            # A cadence typed on an account of a tier becomes the account's own.
            tiered = self.filtered(
                lambda p: p.visit_tier_id and not p.visit_interval_override
            )
            if tiered:
                super(ResPartner, tiered).write({"visit_interval_override": True})
        if (
            vals.get("visit_interval_override") is False
            and "visit_interval_days" not in vals
        ):
            for tier, partners in self.grouped("visit_tier_id").items():
                if tier:
                    cadence = tier.visit_interval_days
                    super(ResPartner, partners).write({"visit_interval_days": cadence})
        if vals.get("visit_interval_days") and "visit_plan_date" not in vals:
            unplanned = self.filtered(lambda p: not p.visit_interval_days)
            if unplanned:
                super(ResPartner, unplanned).write({"visit_plan_date": health_today()})
        leaving = (
            self.filtered(lambda p: p.active and p.id == p.commercial_partner_id.id)
            if vals.get("active") is False
            else self.browse()
        )
        result = super().write(vals)
        if leaving:  # archived accounts: their retention work closes, nothing to retry
            self.env["relationship.health.retention"]._close_archived(leaving)
            self.env["relationship.health.failure"].sudo()._clear(leaving.ids)
        return result

    # Actions -----------------------------------------------------------------
    @api.model
    def _cron_relationship_health(self):
        """The nightly job: score every account in batches."""
        return self.env["relationship.health.engine"]._run_nightly()

    def action_recompute_health(self):
        """Recompute the health of these accounts (contacts count as their company) now.

        For the sales team, on accounts the user may read, a few thousand at
        a time; the engine then runs as the superuser on the accounts checked
        here, never on the caller's raw selection."""
        if not self.env.su and not self.env.user.has_group(HEALTH_READERS):
            raise AccessError(
                self.env._(
                    "Only the sales team can recompute the relationship health of an account."
                )
            )
        if len(self) > RECOMPUTE_LIMIT:
            raise UserError(
                self.env._(
                    "Recompute at most %(limit)s accounts at a time (%(count)s selected); the "
                    "nightly job scores every account.",
                    limit=RECOMPUTE_LIMIT,
                    count=len(self),
                )
            )
        self.check_access("read")
        accounts = self.commercial_partner_id
        accounts.check_access("read")
        engine = self.env["relationship.health.engine"].sudo()
        account_ids = engine._account_ids(partner_ids=accounts.ids)
        engine._compute_in_batches(account_ids)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _(
                    "Relationship health recomputed for %(count)s accounts.",
                    count=len(account_ids),
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_plan_visit(self):
        """Plan a Customer Visit with the account's main contact at the next
        free slot of the salesperson's calendar, and open it for adjustment."""
        self.ensure_one()
        account = self.commercial_partner_id
        salesperson = account.user_id or self.env.user
        contacts = account.child_ids.filtered(
            lambda c: c.type == "contact" and c.active
        )
        contact = contacts[:1] or account
        start = self._next_free_visit_slot(salesperson)
        visit_type = self.env.ref(
            "relationship_health.calendar_event_type_customer_visit"
        )
        event = self.env["calendar.event"].create(
            {
                "name": _("Visit: %(account)s", account=account.name),
                "start": start,
                "stop": start + timedelta(hours=1),
                "user_id": salesperson.id,
                "categ_ids": [Command.link(visit_type.id)],
                "partner_ids": [
                    Command.link(salesperson.partner_id.id),
                    Command.link(contact.id),
                ],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "calendar.event",
            "res_id": event.id,
            "view_mode": "form",
            "target": "current",
        }

    @api.model
    def _next_free_visit_slot(self, user, days=21):
        """The first free working hour (9:00–17:00 in the user's time zone,
        Monday to Friday) from tomorrow on, as a naive UTC datetime."""
        tz = pytz.timezone(user.tz or self.env.user.tz or "UTC")
        local_now = datetime.now(tz)
        first_day = local_now.date() + timedelta(days=1)
        window_start = tz.localize(datetime.combine(first_day, time(0, 0)))
        window_end = window_start + timedelta(days=days)
        busy = (
            self.env["calendar.event"]
            .sudo()
            .search_read(
                [
                    ("partner_ids", "in", user.partner_id.ids),
                    (
                        "start",
                        "<",
                        window_end.astimezone(pytz.utc).replace(tzinfo=None),
                    ),
                    (
                        "stop",
                        ">",
                        window_start.astimezone(pytz.utc).replace(tzinfo=None),
                    ),
                ],
                ["start", "stop"],
            )
        )
        return first_free_slot(
            [(e["start"], e["stop"]) for e in busy], tz, first_day, days
        )

    def action_send_servqual_survey(self):
        """Invite the account's contacts to the SERVQUAL survey."""
        self.ensure_one()
        survey = self.env.ref("relationship_health.survey_servqual")
        account = self.commercial_partner_id
        recipients = (
            account.child_ids.filtered(lambda c: c.email and c.active) or account
        )
        action = survey.action_send_survey()
        action["context"] = dict(action["context"], default_partner_ids=recipients.ids)
        return action

    def action_open_health_override(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Override Health Band"),
            "res_model": "relationship.health.override.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_ids": self.commercial_partner_id.ids},
        }

    def action_clear_health_override(self):
        """End the override of these accounts now: back to the computed band."""
        self._check_health_override_rights()
        overridden = self.filtered("health_override_band")
        for partner in overridden:
            partner.message_post(
                body=_(
                    "Health band override removed; back to the computed band (%(band)s).",
                    band=partner._health_band_label(partner.health_computed_band),
                ),
            )
        overridden.sudo()._health_end_override()

    def _health_end_override(self):
        for computed_band, partners in self.grouped("health_computed_band").items():
            partners.write(
                {
                    "health_band": computed_band or "unknown",
                    "health_override_band": False,
                    "health_override_reason": False,
                    "health_override_until": False,
                    "health_override_user_id": False,
                }
            )

    def _check_health_override_rights(self):
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(
                _("Only sales managers can override a relationship health band.")
            )

    def _group_expand_health_band(self, bands, domain):
        """Grouped by band, every scored band shows, empty or not: a column with
        no critical account is good news worth seeing."""
        return [band for band in BANDS if band in SCORED_BANDS or band in bands]

    @api.depends("health_band", "health_revenue_12m")
    def _compute_health_revenue_at_risk(self):
        # The nightly job writes this column with the rest of the results; the
        # ORM recomputes it when a band is overridden or an override ends.
        amounts = revenue_at_risk(
            self.mapped("health_revenue_12m"), self.mapped("health_band")
        )
        for partner, amount in zip(self, amounts.tolist()):
            partner.health_revenue_at_risk = amount

    def _health_band_label(self, band):
        return dict(self._fields["health_band"]._description_selection(self.env)).get(
            band, band
        )

    @api.model
    def _health_expire_overrides(self, as_of):
        """End every override whose expiry date has passed, saying so in the chatter."""
        expired = self.sudo().search(
            [
                ("health_override_band", "!=", False),
                ("health_override_until", "<", as_of),
            ]
        )
        for partner in expired:
            partner.message_post(
                body=_(
                    "The health band override (%(band)s) expired on %(date)s; "
                    "back to the computed band (%(computed)s).",
                    band=partner._health_band_label(partner.health_override_band),
                    date=partner.health_override_until,
                    computed=partner._health_band_label(partner.health_computed_band),
                ),
            )
        expired._health_end_override()
        return expired

    @api.depends("commercial_partner_id")
    def _compute_sla_adherence(self):
        """Adherence of each account over 90 and 365 days: three grouped reads
        for the whole recordset, whatever its size."""
        Event = self.env["relationship.sla.event"]
        now = fields.Datetime.now()
        account_ids = self.commercial_partner_id.ids
        base = [("partner_id", "in", account_ids)]
        windows = {}
        for days in (90, 365):
            rows = Event._read_group(
                base
                + [
                    ("date_deadline", "<=", now),
                    ("date_deadline", ">=", now - timedelta(days=days)),
                ],
                ["partner_id", "state"],
                ["__count"],
            )
            due, met = {}, {}
            for partner, state, count in rows:
                due[partner.id] = due.get(partner.id, 0) + count
                if state == "met":
                    met[partner.id] = met.get(partner.id, 0) + count
            windows[days] = (due, met)
        totals = dict(Event._read_group(base, ["partner_id"], ["__count"]))
        totals = {partner.id: count for partner, count in totals.items()}
        open_breaches = Event._read_group(
            base + [("is_overdue", "=", True)], ["partner_id"], ["__count"]
        )
        open_breaches = {partner.id: count for partner, count in open_breaches}
        for partner in self:
            account_id = partner.commercial_partner_id.id
            for days in (90, 365):
                due, met = windows[days]
                count = due.get(account_id, 0)
                partner[f"sla_due_{days}"] = count
                partner[f"sla_adherence_{days}"] = (
                    100.0 * met.get(account_id, 0) / count if count else 0.0
                )
            partner.sla_event_count = totals.get(account_id, 0)
            partner.sla_open_breach_count = open_breaches.get(account_id, 0)

    @api.depends("commercial_partner_id", "category_id")
    def _compute_sla_policy_ids(self):
        by_account = self.env["relationship.sla.policy"]._policies_by_account(
            self.commercial_partner_id, companies=self.env.companies
        )
        for partner in self:
            partner.sla_policy_ids = by_account.get(
                partner.commercial_partner_id.id, False
            )

    def _service_report_recipients(self):
        """Who receives the account's service-level report: the account and
        its contacts with an email."""
        self.ensure_one()
        account = self.commercial_partner_id
        contacts = account.child_ids.filtered(
            lambda c: c.email and c.type in ("contact", "other")
        )
        return (account.filtered("email") | contacts)[:10]

    def action_send_service_report(self):
        """The mail composer with the service-level report of the account attached."""
        self.ensure_one()
        account = self.commercial_partner_id
        template = self.env.ref(
            "relationship_health.mail_template_service_report", raise_if_not_found=False
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": "res.partner",
                "default_res_ids": account.ids,
                "default_template_id": template.id if template else False,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
                "force_email": True,
            },
        }

    def action_view_sla_events(self):
        self.ensure_one()
        account = self.commercial_partner_id
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_health.relationship_sla_event_action"
        )
        action["domain"] = [("partner_id", "=", account.id)]
        action["context"] = {
            "default_partner_id": account.id,
            "search_default_breached": 0,
        }
        return action

    def action_view_health_snapshots(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_health.relationship_health_snapshot_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action
