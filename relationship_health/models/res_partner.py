from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..scoring import band_for
from .relationship_health_snapshot import HEALTH_BANDS

BAND_CSS = {
    "healthy": "bg-success",
    "watch": "bg-info",
    "at_risk": "bg-warning",
    "critical": "bg-danger",
    "unknown": "bg-secondary",
}

MAX_VISIT_INTERVAL_DAYS = 3 * 366


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Visit plan -----------------------------------------------------------
    visit_interval_days = fields.Integer(
        string="Visit Cadence (days)",
        default=lambda self: self.env.company.health_default_visit_interval,
        help="How often this account should be visited. 0 means no visit plan.",
    )
    visit_plan_date = fields.Date(
        string="Visit Plan Since",
        copy=False,
        help="When the current visit plan started; an account never visited "
        "scores 0 on visits once the plan is older than one cadence.",
    )

    # Health, written in bulk by the relationship health engine -----------
    health_score = fields.Float(
        string="Health Score", readonly=True, copy=False, index=True, digits=(5, 1),
        aggregator="avg", help="Relationship health from 0 to 100; empty when no signal has data.",
    )
    health_band = fields.Selection(
        HEALTH_BANDS, string="Health Band", readonly=True, copy=False, index=True,
    )
    health_computed_band = fields.Selection(
        HEALTH_BANDS, string="Computed Band", readonly=True, copy=False,
        help="The band of the computed score, whatever a manager's override says.",
    )
    health_override_band = fields.Selection(
        HEALTH_BANDS[:4], string="Band Override", readonly=True, copy=False, tracking=True,
        help="A sales manager's judgment that replaces the computed band until it expires.",
    )
    health_override_reason = fields.Text(string="Override Reason", readonly=True, copy=False)
    health_override_until = fields.Date(
        string="Override Until", readonly=True, copy=False, tracking=True
    )
    health_override_user_id = fields.Many2one(
        "res.users", string="Overridden By", readonly=True, copy=False
    )
    health_trend = fields.Float(
        string="Health Trend", readonly=True, copy=False, digits=(5, 1), aggregator="avg",
        help="Score change against the newest snapshot at least 28 days old.",
    )
    health_confidence = fields.Float(
        string="Health Confidence (%)", readonly=True, copy=False, digits=(5, 1), aggregator="avg",
        help="Share of the total weight carried by signals that had data.",
    )
    health_satisfaction = fields.Float(
        string="Satisfaction", readonly=True, copy=False, digits=(5, 1), aggregator="avg"
    )
    health_visits = fields.Float(string="Visits", readonly=True, copy=False, digits=(5, 1),
                                 aggregator="avg")
    health_sla = fields.Float(string="SLA Adherence", readonly=True, copy=False, digits=(5, 1),
                              aggregator="avg")
    health_recency = fields.Float(
        string="Purchase Recency", readonly=True, copy=False, digits=(5, 1), aggregator="avg"
    )
    health_nps = fields.Float(string="NPS", readonly=True, copy=False, digits=(5, 1),
                              aggregator="avg")
    health_last_order_date = fields.Date(string="Last Order", readonly=True, copy=False)
    health_order_interval = fields.Integer(
        string="Usual Order Interval (days)", readonly=True, copy=False, aggregator="avg"
    )
    health_last_visit_date = fields.Date(string="Last Visit", readonly=True, copy=False)
    health_details = fields.Json(string="Health Details", readonly=True, copy=False)
    health_reasons = fields.Text(
        string="Health Reasons", compute="_compute_health_reasons",
        help="What pulled the score down, most costly first.",
    )
    health_summary = fields.Html(
        string="Health Signals", compute="_compute_health_summary", sanitize=False,
    )
    health_computed_at = fields.Datetime(string="Health Computed On", readonly=True, copy=False)
    health_snapshot_ids = fields.One2many(
        "relationship.health.snapshot", "partner_id", string="Health History", readonly=True
    )
    health_snapshot_count = fields.Integer(compute="_compute_health_snapshot_count")
    sla_event_ids = fields.One2many(
        "relationship.sla.event", "partner_id", string="Service Commitments"
    )

    @api.constrains("visit_interval_days")
    def _check_visit_interval_days(self):
        for partner in self:
            if not 0 <= partner.visit_interval_days <= MAX_VISIT_INTERVAL_DAYS:
                raise ValidationError(
                    _("The visit cadence of %(partner)s must be between 0 (no plan) and "
                      "%(max)s days.", partner=partner.display_name, max=MAX_VISIT_INTERVAL_DAYS)
                )

    @api.depends("health_details")
    def _compute_health_reasons(self):
        for partner in self:
            reasons = (partner.health_details or {}).get("reasons") or []
            partner.health_reasons = "\n".join(
                partner._health_reason_text(reason) for reason in reasons
            ) or False

    @api.depends("health_details")
    def _compute_health_summary(self):
        labels = {
            "satisfaction": _("Satisfaction (surveys)"),
            "sla": _("Service levels"),
            "visits": _("Visits"),
            "recency": _("Purchase recency"),
        }
        qweb = self.env["ir.qweb"]
        for partner in self:
            details = partner.health_details or {}
            if not details:
                partner.health_summary = False
                continue
            company = partner.company_id or self.env.company
            config = company._health_scoring_config()
            components = details.get("components") or {}
            partner.health_summary = qweb._render(
                "relationship_health.health_summary",
                {
                    "rows": [
                        {
                            "label": labels[name],
                            "weight": config.weights[name],
                            "score": components.get(name),
                            "css": BAND_CSS[band_for(components.get(name), config)],
                        }
                        for name in ("satisfaction", "sla", "visits", "recency")
                    ],
                    "facts": details.get("facts") or {},
                },
            )

    def _health_reason_text(self, reason):
        """One reason of the scoring core as a sentence in the user's language."""
        params = reason.get("params") or {}
        code = reason.get("code")
        if code == "recency_rhythm":
            return self.env._(
                "No order for %(days)s days; this customer usually orders every %(interval)s days.",
                **params,
            )
        if code == "recency_default":
            return self.env._(
                "No order for %(days)s days; without a buying rhythm yet, an order is expected "
                "every %(interval)s days.",
                **params,
            )
        if code == "satisfaction":
            if params.get("nps") is not None:
                return self.env._(
                    "Survey satisfaction is %(score)s/100 over %(answers)s answers (NPS %(nps)s).",
                    **params,
                )
            return self.env._(
                "Survey satisfaction is %(score)s/100 over %(answers)s answers.", **params
            )
        if code == "visits_overdue":
            return self.env._(
                "Last visit %(days)s days ago; the plan is a visit every %(cadence)s days.",
                **params,
            )
        if code == "visits_never":
            return self.env._(
                "Never visited; the plan is a visit every %(cadence)s days.", **params
            )
        if code == "sla_breaches":
            return self.env._(
                "%(breached)s of %(total)s service commitments breached in the last year "
                "(adherence %(score)s%%).",
                **params,
            )
        return code or ""

    def _compute_health_snapshot_count(self):
        counts = dict(
            self.env["relationship.health.snapshot"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.health_snapshot_count = counts.get(partner, 0)

    @api.model_create_multi
    def create(self, vals_list):
        today = fields.Date.context_today(self)
        for vals in vals_list:
            if vals.get("visit_interval_days") and not vals.get("visit_plan_date"):
                vals["visit_plan_date"] = today
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("visit_interval_days") and "visit_plan_date" not in vals:
            unplanned = self.filtered(lambda p: not p.visit_interval_days)
            if unplanned:
                super(ResPartner, unplanned).write(
                    {"visit_plan_date": fields.Date.context_today(self)}
                )
        return super().write(vals)

    # Actions -----------------------------------------------------------------
    @api.model
    def _cron_relationship_health(self):
        """The nightly job: score every account in batches."""
        return self.env["relationship.health.engine"]._run_nightly()

    def action_recompute_health(self):
        """Recompute the health of these accounts (contacts count as their company) now."""
        engine = self.env["relationship.health.engine"].sudo()
        account_ids = engine._account_ids(partner_ids=self.commercial_partner_id.ids)
        engine._compute_in_batches(account_ids)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("Relationship health recomputed for %(count)s accounts.",
                             count=len(account_ids)),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

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
                body=_("Health band override removed; back to the computed band (%(band)s).",
                       band=partner._health_band_label(partner.health_computed_band)),
            )
        overridden.sudo()._health_end_override()

    def _health_end_override(self):
        for computed_band, partners in self.grouped("health_computed_band").items():
            partners.write({
                "health_band": computed_band or "unknown",
                "health_override_band": False,
                "health_override_reason": False,
                "health_override_until": False,
                "health_override_user_id": False,
            })

    def _check_health_override_rights(self):
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(_("Only sales managers can override a relationship health band."))

    def _health_band_label(self, band):
        return dict(self._fields["health_band"]._description_selection(self.env)).get(band, band)

    @api.model
    def _health_expire_overrides(self, as_of):
        """End every override whose expiry date has passed, saying so in the chatter."""
        expired = self.sudo().search([
            ("health_override_band", "!=", False), ("health_override_until", "<", as_of),
        ])
        for partner in expired:
            partner.message_post(
                body=_("The health band override (%(band)s) expired on %(date)s; "
                       "back to the computed band (%(computed)s).",
                       band=partner._health_band_label(partner.health_override_band),
                       date=partner.health_override_until,
                       computed=partner._health_band_label(partner.health_computed_band)),
            )
        expired._health_end_override()
        return expired

    def action_view_health_snapshots(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_health.relationship_health_snapshot_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action
