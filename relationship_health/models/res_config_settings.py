from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    health_weight_satisfaction = fields.Float(
        related="company_id.health_weight_satisfaction", readonly=False
    )
    health_weight_sla = fields.Float(
        related="company_id.health_weight_sla", readonly=False
    )
    health_weight_visits = fields.Float(
        related="company_id.health_weight_visits", readonly=False
    )
    health_weight_recency = fields.Float(
        related="company_id.health_weight_recency", readonly=False
    )
    health_threshold_healthy = fields.Float(
        related="company_id.health_threshold_healthy", readonly=False
    )
    health_threshold_watch = fields.Float(
        related="company_id.health_threshold_watch", readonly=False
    )
    health_threshold_at_risk = fields.Float(
        related="company_id.health_threshold_at_risk", readonly=False
    )
    health_satisfaction_half_life = fields.Integer(
        related="company_id.health_satisfaction_half_life", readonly=False
    )
    health_sla_half_life = fields.Integer(
        related="company_id.health_sla_half_life", readonly=False
    )
    health_default_visit_interval = fields.Integer(
        related="company_id.health_default_visit_interval", readonly=False
    )
    health_default_purchase_interval = fields.Integer(
        related="company_id.health_default_purchase_interval", readonly=False
    )
    health_visit_mood_weight = fields.Float(
        related="company_id.health_visit_mood_weight", readonly=False
    )
    health_visit_reminder_days = fields.Integer(
        related="company_id.health_visit_reminder_days", readonly=False
    )
    health_profit_top_share = fields.Float(
        related="company_id.health_profit_top_share", readonly=False
    )
    health_loyalty_regularity_min = fields.Float(
        related="company_id.health_loyalty_regularity_min", readonly=False
    )
    health_clv_discount_rate = fields.Float(
        related="company_id.health_clv_discount_rate", readonly=False
    )
    health_automation_enabled = fields.Boolean(
        related="company_id.health_automation_enabled", readonly=False
    )
    health_retention_create_lead = fields.Boolean(
        related="company_id.health_retention_create_lead", readonly=False
    )
    health_retention_drop_points = fields.Float(
        related="company_id.health_retention_drop_points", readonly=False
    )
    health_retention_critical_days = fields.Integer(
        related="company_id.health_retention_critical_days", readonly=False
    )
    health_retention_activity_days = fields.Integer(
        related="company_id.health_retention_activity_days", readonly=False
    )
    health_retention_cooldown_days = fields.Integer(
        related="company_id.health_retention_cooldown_days", readonly=False
    )
    health_retention_winback_factor = fields.Float(
        related="company_id.health_retention_winback_factor", readonly=False
    )
    health_retention_daily_cases = fields.Integer(
        related="company_id.health_retention_daily_cases", readonly=False
    )
    health_retention_default_user_id = fields.Many2one(
        related="company_id.health_retention_default_user_id",
        readonly=False,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    health_failure_count = fields.Integer(
        string="Accounts Not Scored",
        compute="_compute_health_failure_count",
        groups="sales_team.group_sale_manager",
        help="Accounts of your companies whose last scoring failed.",
    )

    health_refresh_minutes = fields.Integer(
        string="Refresh Changed Accounts Every (minutes)",
        help="How often the accounts whose orders, answers, visits, commitments, "
        "overrides or visit plans changed are rescored during the day. 0 turns the "
        "refresh off: they are rescored by the nightly job.",
    )

    @api.model
    def get_values(self):
        values = super().get_values()
        values["health_refresh_minutes"] = self.env[
            "relationship.health.pending"
        ]._refresh_minutes()
        return values

    def set_values(self):
        result = super().set_values()
        self.env["relationship.health.pending"]._set_refresh_minutes(
            self.health_refresh_minutes
        )
        return result

    @api.depends("company_id")
    def _compute_health_failure_count(self):
        # Shown to sales managers only (the view's groups); counted without
        # the access rights of administrators who are not sales managers.
        count = (
            self.env["relationship.health.failure"]
            .sudo()
            .search_count(
                [
                    "|",
                    ("company_id", "=", False),
                    ("company_id", "in", self.env.companies.ids),
                ]
            )
        )
        for settings in self:
            settings.health_failure_count = count

    # Service incidents ---------------------------------------------------------
    health_status_page = fields.Boolean(
        related="company_id.health_status_page", readonly=False
    )

    # Survey campaigns ----------------------------------------------------------
    health_survey_fatigue_days = fields.Integer(
        related="company_id.health_survey_fatigue_days", readonly=False
    )
    health_survey_reminder_days = fields.Integer(
        related="company_id.health_survey_reminder_days", readonly=False
    )

    # Playbooks and cross-sell suggestions ------------------------------------
    health_crosssell_by = fields.Selection(
        related="company_id.health_crosssell_by", readonly=False
    )
    health_crosssell_min_peers = fields.Integer(
        related="company_id.health_crosssell_min_peers", readonly=False
    )
    health_crosssell_dismiss_days = fields.Integer(
        related="company_id.health_crosssell_dismiss_days", readonly=False
    )
    health_validation_min_accounts = fields.Integer(
        related="company_id.health_validation_min_accounts", readonly=False
    )
