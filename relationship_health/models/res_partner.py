from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.sql import index_exists

from ..scoring.rules import revenue_at_risk
from ..scoring.vocabulary import (
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
    date_result,
    days_result,
    engine_result,
    gap_result,
    health_field,
    money_result,
    score_result,
    worded_result,
)
from .health_actions import filtered_action, linked_counts, reload_notification
from .health_clock import health_today
from .relationship_health_pending import PARTNER_FIELDS
from .relationship_health_snapshot import HEALTH_BANDS
from .survey_question import SERVQUAL_DIMENSIONS

#: The most accounts *Recompute now* takes in one click; the nightly job
#: scores the whole book.
RECOMPUTE_LIMIT = 5000

#: Indexes of the Accounts views on a large book (README, Benchmark): name ->
#: (key columns, included columns, rows). The kanban's columns and the
#: at-risk list read a band's accounts by score; the grouped list, the kanban
#: and the Loyalty × Profitability pivot sum and average health columns over
#: the whole book, which PostgreSQL then reads from the index alone (the
#: columns of res.partner's record rules included) instead of the wide
#: partner table.
SCREEN_INDEXES = {
    "res_partner_health_band_score_index": (
        ("health_band", "health_score", "id"),
        (
            "health_trend",
            "health_confidence",
            "health_satisfaction",
            "health_sla",
            "health_visits",
            "health_recency",
            "health_nps",
            "health_revenue_12m",
            "health_revenue_at_risk",
            "health_clv",
            "health_servqual_gap",
            "visit_adherence",
        ),
        "health_band IS NOT NULL",
    ),
    "res_partner_health_quadrant_band_index": (
        ("health_quadrant", "health_band"),
        ("health_revenue_12m", "health_clv"),
        "health_quadrant IS NOT NULL",
    ),
}
RULE_COLUMNS = ("active", "partner_share", "company_id")


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = [
        "res.partner",
        "relationship.visit.account.mixin",
        "relationship.sla.account.mixin",
        "relationship.health.override.mixin",
        "relationship.incident.account.mixin",
        "relationship.survey.account.mixin",
        "relationship.crosssell.account.mixin",
    ]

    # Health, written in bulk by the relationship health engine -----------
    health_score = score_result(
        "Health Score",
        index=True,
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
    health_trend = score_result(
        "Health Trend",
        help="Score change against the newest snapshot at least 28 days old.",
    )
    health_confidence = score_result(
        "Health Confidence (%)",
        help="Share of the total weight carried by signals that had data.",
    )
    health_satisfaction = score_result("Satisfaction")
    health_visits = score_result("Visits")
    health_sla = score_result("SLA Adherence")
    health_recency = score_result("Purchase Recency")
    health_nps = score_result("NPS")
    health_last_order_date = date_result("Last Order")
    health_order_interval = days_result("Usual Order Interval (days)")
    health_last_visit_date = date_result("Last Visit")
    health_details = engine_result(fields.Json, string="Health Details")
    health_reasons = worded_result(
        fields.Text,
        "Health Reasons",
        "_compute_health_reasons",
        help="What pulled the score down, most costly first.",
    )
    health_main_reason = worded_result(
        fields.Char,
        "Main Reason",
        "_compute_health_reasons",
        help="What pulled the score down the most.",
    )
    health_summary = worded_result(
        fields.Html, "Health Signals", "_compute_health_summary", sanitize=False
    )
    # SERVQUAL gaps (perception − expectation, on the items' 1–7 scale)
    health_gap_reliability = gap_result("Reliability Gap")
    health_gap_responsiveness = gap_result("Responsiveness Gap")
    health_gap_assurance = gap_result("Assurance Gap")
    health_gap_empathy = gap_result("Empathy Gap")
    health_gap_tangibles = gap_result("Tangibles Gap")
    health_servqual_gap = gap_result(
        "SERVQUAL Gap",
        help="Mean gap over the measured dimensions: negative when the customer perceives "
        "less than they expect.",
    )
    health_servqual_weakest = engine_result(
        fields.Selection,
        SERVQUAL_DIMENSIONS,
        string="Weakest Dimension",
    )
    # Loyalty × profitability and lifetime value (company currency)
    health_revenue_12m = money_result(
        "Revenue (12 months)",
        help="Confirmed orders of the last 12 months, untaxed, in company currency.",
    )
    health_revenue_at_risk = money_result(
        "Revenue at Risk",
        compute="_compute_health_revenue_at_risk",
        store=True,
        help="The revenue of the last 12 months of an account at risk or critical "
        "(its band, overridden or not); zero for the others.",
    )
    health_margin_12m = money_result(
        "Margin (12 months)",
        help="Margin of the confirmed orders of the last 12 months "
        "(when margins are tracked), in company currency.",
    )
    health_loyalty_regularity = score_result(
        "Regularity (%)",
        help="Share of the last 8 quarters in which the account ordered.",
    )
    health_tenure_days = days_result(
        "Tenure (days)", help="Days since the first order."
    )
    health_quadrant = engine_result(
        fields.Selection,
        selection(QUADRANTS, QUADRANT_LABELS),
        string="Loyalty × Profitability",
        index=True,
        help="True friends are profitable and loyal, butterflies profitable but fleeting, "
        "barnacles loyal but not very profitable, strangers neither.",
    )
    health_quadrant_strategy = worded_result(
        fields.Char, "Recommended Strategy", "_compute_health_quadrant_strategy"
    )
    health_clv = money_result(
        "Lifetime Value",
        help="Yearly margin (or revenue) × r / (1 + d − r), r the retention rate derived "
        "from the health score and d the discount rate of the settings.",
    )
    health_profit_basis = worded_result(
        fields.Char, "Profitability Basis", "_compute_health_profit_basis"
    )
    health_scorecard_id = engine_result(
        fields.Many2one,
        "relationship.health.scorecard",
        string="Scored With",
        index="btree_not_null",
        ondelete="set null",
        help="The scorecard whose weights and thresholds scored the account; empty: "
        "the company's settings (the default scorecard).",
    )
    health_team_id = engine_result(
        fields.Many2one,
        "crm.team",
        string="Sales Team",
        index="btree_not_null",
        help="The sales team of the account's salesperson, as of the last health computation.",
    )
    health_computed_at = engine_result(
        fields.Datetime,
        string="Health Computed On",
        help="When the engine last wrote this account's health: a rescoring that "
        "changes nothing keeps the date of the last change.",
    )
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

    def _health_account(self):
        return self.commercial_partner_id

    @api.depends("health_details", "health_survey_silent_on")
    @api.depends_context("lang")
    def _compute_health_reasons(self):
        for partner in self:
            reasons = [
                partner._health_reason_text(reason)
                for reason in (partner.health_details or {}).get("reasons") or []
            ]
            silence = partner._survey_silence_text()
            if silence:
                reasons.append(silence)
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

    @api.depends("health_details", "health_scorecard_id")
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
            config = (
                partner.health_scorecard_id.sudo()._scoring_config()
                if partner.health_scorecard_id
                else (company or self.env.company).sudo()._health_scoring_config()
            )
            partner.health_summary = qweb._render(
                "relationship_health.health_summary",
                texts.summary_values(self.env, details, config),
            )

    def _health_reason_text(self, reason):
        """One reason of the scoring core as a sentence in the user's language."""
        return texts.reason_text(self, reason)

    def _compute_health_snapshot_count(self):
        counts = linked_counts(self, "relationship.health.snapshot", "partner_id")
        for partner in self:
            partner.health_snapshot_count = counts.get(partner, 0)

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
        moved = self.commercial_partner_id.ids if "parent_id" in vals else []
        result = super().write(vals)
        if PARTNER_FIELDS.intersection(vals):  # rescored by the next refresh
            self.env["relationship.health.pending"]._mark_accounts(self.ids + moved)
        if leaving:  # archived accounts: their retention work closes, nothing to retry
            self.env["relationship.health.retention"]._close_archived(leaving)
            self.env["relationship.health.failure"].sudo()._clear(leaving.ids)
        return result

    def init(self):
        result = super().init()
        for name, (keys, included, rows) in SCREEN_INDEXES.items():
            if not index_exists(self.env.cr, name):
                self.env.cr.execute(
                    SQL(
                        "CREATE INDEX %s ON %s (%s) INCLUDE (%s) WHERE %s",
                        SQL.identifier(name),
                        SQL.identifier(self._table),
                        SQL(", ").join(map(SQL.identifier, keys)),
                        SQL(", ").join(map(SQL.identifier, included + RULE_COLUMNS)),
                        SQL(rows),
                    )
                )
        return result

    # Actions -----------------------------------------------------------------
    @api.model
    def _cron_relationship_health(self):
        """The nightly job: score every account in batches."""
        return self.env["relationship.health.engine"]._run_nightly()

    @api.model
    def _cron_relationship_health_pending(self):
        """The frequent refresh: rescore the accounts marked as changed."""
        return self.env["relationship.health.pending"]._refresh()

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
        done = engine._compute_in_batches(account_ids)
        if done < len(account_ids):
            return reload_notification(
                _(
                    "Relationship health recomputed for %(count)s accounts; %(failed)s "
                    "could not be scored and keep their previous health (see Scoring "
                    "Failures).",
                    count=done,
                    failed=len(account_ids) - done,
                ),
                kind="warning",
            )
        return reload_notification(
            _("Relationship health recomputed for %(count)s accounts.", count=done)
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

    def action_view_health_snapshots(self):
        self.ensure_one()
        account = self.commercial_partner_id
        return filtered_action(
            self.env,
            "relationship_health.relationship_health_snapshot_action",
            [("partner_id", "=", account.id)],
            {"default_partner_id": account.id},
        )
