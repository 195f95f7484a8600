from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..scoring import ScoringConfig, ScoringConfigError
from ..scoring.campaigns import DEFAULT_FATIGUE_DAYS, DEFAULT_REMINDER_DAYS
from ..scoring.crosssell import DEFAULT_MIN_PEERS
from ..scoring.validation import DEFAULT_MIN_ACCOUNTS
from ..scoring.limits import (
    MAX_DAILY_CASES,
    MAX_DAYS,
    MAX_REMINDER_DAYS,
    MAX_VISIT_CADENCE_DAYS,
    MAX_WINBACK_FACTOR,
    within,
)
from .relationship_health_scoring_mixin import scoring_setting

# Company field -> ScoringConfig attribute. The company holds the settings,
# the scoring core only ever sees a validated ScoringConfig.
HEALTH_CONFIG_FIELDS = {
    "health_weight_satisfaction": "weight_satisfaction",
    "health_weight_sla": "weight_sla",
    "health_weight_visits": "weight_visits",
    "health_weight_recency": "weight_recency",
    "health_threshold_healthy": "threshold_healthy",
    "health_threshold_watch": "threshold_watch",
    "health_threshold_at_risk": "threshold_at_risk",
    "health_satisfaction_half_life": "satisfaction_half_life_days",
    "health_sla_half_life": "sla_half_life_days",
    "health_default_purchase_interval": "default_purchase_interval",
    "health_visit_mood_weight": "mood_weight",
}
# Settings typed as percentages, kept by the scoring core as fractions.
HEALTH_PERCENT_FIELDS = {
    "health_profit_top_share": "profit_top_share",
    "health_loyalty_regularity_min": "loyalty_regularity_min",
    "health_clv_discount_rate": "clv_discount_rate",
}


def _option(string, default, field_class, **kwargs):
    """A company setting outside the scoring core: its label, its fixed
    default and its field class."""
    return field_class(string=string, default=default, **kwargs)


class ResCompany(models.Model):
    # The weights and thresholds: relationship.health.scoring.mixin.
    _name = "res.company"
    _inherit = ["res.company", "relationship.health.scoring.mixin"]

    health_satisfaction_half_life = scoring_setting(
        "Survey Answer Half-Life (days)", "satisfaction_half_life_days", fields.Integer
    )
    health_sla_half_life = scoring_setting(
        "Service Event Half-Life (days)", "sla_half_life_days", fields.Integer
    )
    health_default_visit_interval = _option(
        "Default Visit Cadence (days)",
        0,
        fields.Integer,
        help="Visit cadence given to new customer accounts. 0 means no visit plan.",
    )
    health_default_purchase_interval = scoring_setting(
        "Default Purchase Interval (days)",
        "default_purchase_interval",
        fields.Integer,
        help="Expected days between orders for customers with fewer than three "
        "orders in the last two years.",
    )

    health_visit_mood_weight = scoring_setting(
        "Weight of a Visit Mood",
        "mood_weight",
        help="How much the customer mood a sales rep notes after a visit counts in the "
        "satisfaction signal, against 1 for a survey answer (0 leaves moods out).",
    )
    health_visit_reminder_days = _option(
        "Visit Reminder (days)",
        14,
        fields.Integer,
        help="When a visit falls due within this many days and none is planned, the "
        "salesperson gets a “Plan a visit” activity. 0 turns the reminders off.",
    )

    health_profit_top_share = scoring_setting(
        "Highly Profitable Accounts (%)",
        "profit_top_share",
        percent=True,
        help="The share of accounts with the highest 12-month margin (revenue when "
        "margins are not known) that counts as highly profitable.",
    )
    health_loyalty_regularity_min = scoring_setting(
        "Loyal From (% of quarters)",
        "loyalty_regularity_min",
        percent=True,
        help="An account is loyal when it ordered in at least this share of the last "
        "8 quarters.",
    )
    health_clv_discount_rate = scoring_setting(
        "Discount Rate (%)",
        "clv_discount_rate",
        percent=True,
        help="Yearly discount rate of the customer lifetime value.",
    )

    @api.constrains(
        *HEALTH_CONFIG_FIELDS,
        *HEALTH_PERCENT_FIELDS,
        "health_default_visit_interval",
        "health_visit_reminder_days",
    )
    def _check_health_settings(self):
        for company in self:
            if company.health_default_visit_interval < 0:
                raise ValidationError(
                    _("The default visit cadence cannot be negative.")
                )
            if company.health_visit_reminder_days < 0:
                raise ValidationError(
                    _("The visit reminder cannot be a negative number of days.")
                )
            if company.health_default_visit_interval > MAX_VISIT_CADENCE_DAYS:
                raise ValidationError(
                    _(
                        "The default visit cadence must be between 0 (no plan) and %(max)s days.",
                        max=MAX_VISIT_CADENCE_DAYS,
                    )
                )
            if company.health_visit_reminder_days > MAX_REMINDER_DAYS:
                raise ValidationError(
                    _(
                        "The visit reminder must be between 0 (no reminder) and %(max)s days.",
                        max=MAX_REMINDER_DAYS,
                    )
                )
            try:
                company._health_scoring_config()
            except ScoringConfigError as error:
                raise ValidationError(
                    _(
                        "Invalid relationship health settings for %(company)s: %(error)s",
                        company=company.name,
                        error=company._health_config_error_text(error),
                    )
                ) from error

    def _health_config_error_text(self, error):
        """The scoring core's complaint in the user's language."""
        attributes = {**HEALTH_CONFIG_FIELDS, **HEALTH_PERCENT_FIELDS}
        field_name = {attr: fname for fname, attr in attributes.items()}.get(
            error.setting
        )
        setting = (
            self._fields[field_name]._description_string(self.env)
            if field_name
            else error.setting
        )
        if error.kind == "no_weight":
            return _("At least one signal weight must be above zero.")
        if error.kind == "thresholds":
            return _(
                "Band thresholds must be strictly decreasing between 100 and 0 "
                "(100 ≥ healthy > watch > at risk > 0)."
            )
        if error.kind == "negative":
            return _("“%(setting)s” cannot be negative.", setting=setting)
        if error.kind == "positive":
            return _("“%(setting)s” must be above zero.", setting=setting)
        if error.kind == "too_large":
            limit = f"{error.limit:g}"
            return _(
                "“%(setting)s” cannot be above %(max)s.", setting=setting, max=limit
            )
        if error.kind == "share":
            return _(
                "“%(setting)s” must be a percentage between 0 and 100.", setting=setting
            )
        return str(error)

    def write(self, vals):
        scoring = set(HEALTH_CONFIG_FIELDS) | set(HEALTH_PERCENT_FIELDS)
        scoring = scoring.intersection(vals)
        before = {
            company: {name: company[name] for name in scoring}
            for company in (self if scoring else self.browse())
        }
        result = super().write(vals)
        changed = [
            company.id
            for company, values in before.items()
            if any(company[name] != values[name] for name in scoring)
        ]
        if changed:  # its accounts are rescored by the next refresh
            self.env["relationship.health.pending"]._mark_companies(changed)
        return result

    def _health_scoring_config(self):
        """Return the validated scoring configuration of this company."""
        self.ensure_one()
        values = {attr: self[fname] for fname, attr in HEALTH_CONFIG_FIELDS.items()}
        values.update(
            {attr: self[fname] / 100.0 for fname, attr in HEALTH_PERCENT_FIELDS.items()}
        )
        return ScoringConfig(**values).validate()

    # Retention automation ------------------------------------------------------
    health_automation_enabled = _option(
        "Retention Automation",
        True,
        fields.Boolean,
        help="Turn health transitions into follow-up activities and retention "
        "opportunities, close them when accounts recover, and send the weekly digest.",
    )
    health_retention_create_lead = _option(
        "Retention Opportunities",
        True,
        fields.Boolean,
        help="Also open a retention opportunity in the salesperson's pipeline.",
    )
    health_retention_drop_points = _option(
        "Score Drop (points)",
        15.0,
        fields.Float,
        help="A score this many points below the one of 30 days ago calls for a follow-up.",
    )
    health_retention_critical_days = _option(
        "Critical For (days)",
        30,
        fields.Integer,
        help="An account critical for longer than this with no retention work open "
        "calls for a follow-up.",
    )
    health_retention_activity_days = _option(
        "Follow-up Due In (days)",
        3,
        fields.Integer,
    )
    health_retention_cooldown_days = _option(
        "Cooldown (days)",
        14,
        fields.Integer,
        help="Once retention work is closed, no new work is opened on the account "
        "for this many days.",
    )
    health_retention_winback_factor = _option(
        "Win-back After (× usual interval)",
        4.0,
        fields.Float,
        help="Accounts without an order for more than this many times their usual "
        "order interval get a win-back activity instead of a plain follow-up.",
    )
    health_retention_daily_cases = _option(
        "New Cases per Owner and Day",
        10,
        fields.Integer,
        groups="sales_team.group_sale_manager",
        help="At most this many new retention cases a day for each owner, the most "
        "valuable first (revenue at risk, then how far the score fell); the others "
        "wait in the queue for the next days.",
    )
    health_retention_default_user_id = fields.Many2one(
        "res.users",
        string="Default Retention Owner",
        domain="[('share', '=', False)]",
        help="Gets the retention work of accounts with neither a salesperson nor a "
        "sales team leader.",
    )

    @api.constrains(
        "health_retention_drop_points",
        "health_retention_critical_days",
        "health_retention_activity_days",
        "health_retention_cooldown_days",
        "health_retention_winback_factor",
        "health_retention_default_user_id",
        "health_retention_daily_cases",
    )
    def _check_health_retention_settings(self):
        for company in self:
            if not 0 < company.health_retention_drop_points <= 100:
                raise ValidationError(
                    _(
                        "The score drop that calls for a retention follow-up must be between "
                        "1 and 100 points."
                    )
                )
            if company.health_retention_critical_days < 1:
                raise ValidationError(
                    _(
                        "The number of days an account may stay critical must be at least 1."
                    )
                )
            if company.health_retention_activity_days < 0:
                raise ValidationError(
                    _(
                        "The retention follow-up cannot be due a negative number of days ahead."
                    )
                )
            if company.health_retention_cooldown_days < 0:
                raise ValidationError(_("The retention cooldown cannot be negative."))
            if not 1 <= company.sudo().health_retention_daily_cases <= MAX_DAILY_CASES:
                raise ValidationError(
                    _(
                        "The new retention cases per owner and day must be between 1 and "
                        "%(max)s.",
                        max=MAX_DAILY_CASES,
                    )
                )
            if company.health_retention_winback_factor < 1:
                raise ValidationError(
                    _(
                        "The win-back factor must be at least 1 (times the usual order interval)."
                    )
                )
            limits = [
                (
                    company.health_retention_critical_days,
                    MAX_DAYS,
                    _("The number of days an account may stay critical"),
                ),
                (
                    company.health_retention_activity_days,
                    MAX_REMINDER_DAYS,
                    _("The delay of a retention follow-up"),
                ),
                (
                    company.health_retention_cooldown_days,
                    MAX_DAYS,
                    _("The retention cooldown"),
                ),
                (
                    company.health_retention_winback_factor,
                    MAX_WINBACK_FACTOR,
                    _("The win-back factor"),
                ),
            ]
            for value, limit, label in limits:
                if value > limit:
                    got = f"{value:g}"
                    raise ValidationError(
                        _(
                            "%(setting)s cannot be above %(max)s (got %(value)s).",
                            setting=label,
                            max=limit,
                            value=got,
                        )
                    )
            owner = company.health_retention_default_user_id
            if owner and (owner.share or company not in owner.company_ids):
                raise ValidationError(
                    _(
                        "The default retention owner must be an internal user of %(company)s.",
                        company=company.name,
                    )
                )

    def _health_retention_settings(self):
        """The retention automation settings of this company, as plain values."""
        self.ensure_one()
        return {
            "enabled": self.health_automation_enabled,
            "create_lead": self.health_retention_create_lead,
            "drop_points": self.health_retention_drop_points,
            "critical_days": self.health_retention_critical_days,
            "activity_days": self.health_retention_activity_days,
            "cooldown_days": self.health_retention_cooldown_days,
            "winback_factor": self.health_retention_winback_factor,
            "daily_cases": self.sudo().health_retention_daily_cases,
            "default_user_id": self.health_retention_default_user_id.id,
        }

    # Service incidents ---------------------------------------------------------
    health_status_page = fields.Boolean(
        string="Public Status Page",
        help="Publish the service incidents marked for the status page on /status, "
        "with their updates, for anyone to read (no account names, no internal notes).",
    )

    # Survey campaigns ----------------------------------------------------------
    health_survey_fatigue_days = _option(
        "Survey Fatigue Guard (days)",
        DEFAULT_FATIGUE_DAYS,
        fields.Integer,
        help="No contact receives more than one survey invitation in this many "
        "days, across all campaigns.",
    )
    health_survey_reminder_days = _option(
        "Survey Reminder (days)",
        DEFAULT_REMINDER_DAYS,
        fields.Integer,
        help="Contacts who have not answered get one reminder this many days after "
        "their invitation. 0 sends no reminder.",
    )

    @api.constrains("health_survey_fatigue_days", "health_survey_reminder_days")
    def _check_health_survey_days(self):
        for company in self:
            for days in (
                company.health_survey_fatigue_days,
                company.health_survey_reminder_days,
            ):
                if not within(days, 0, MAX_DAYS):
                    raise ValidationError(
                        _(
                            "Survey delays run from 0 to %(max)s days.",
                            max=MAX_DAYS,
                        )
                    )

    # Playbooks and cross-sell suggestions ------------------------------------
    health_crosssell_by = _option(
        "Suggest",
        "product",
        fields.Selection,
        selection=[("product", "Products"), ("category", "Product categories")],
        help="Cross-sell suggestions name products, or product categories.",
    )
    health_crosssell_min_peers = _option(
        "Minimum Similar Accounts",
        DEFAULT_MIN_PEERS,
        fields.Integer,
        help="Accounts of the same quadrant and industry are compared with each "
        "other when there are at least this many; otherwise with every account of "
        "the company.",
    )
    health_crosssell_dismiss_days = _option(
        "Dismissed Suggestions Stay Away (days)",
        180,
        fields.Integer,
        help="A suggestion a salesperson dismissed does not come back for this many days.",
    )

    @api.constrains("health_crosssell_min_peers", "health_crosssell_dismiss_days")
    def _check_health_crosssell(self):
        for company in self:
            if company.health_crosssell_min_peers < 1 or not within(
                company.health_crosssell_dismiss_days, 0, MAX_DAYS
            ):
                raise ValidationError(
                    _(
                        "Suggestions need at least one similar account, and dismissals "
                        "last from 0 to %(max)s days.",
                        max=MAX_DAYS,
                    )
                )

    # Score validation ----------------------------------------------------------
    health_validation_min_accounts = _option(
        "Score Validation: Minimum Accounts",
        DEFAULT_MIN_ACCOUNTS,
        fields.Integer,
        help="No lapse rate, lift or AUC of the score validation is given on fewer "
        "accounts (an account at a date) than this.",
    )

    @api.constrains("health_validation_min_accounts")
    def _check_health_validation_min_accounts(self):
        if any(company.health_validation_min_accounts < 1 for company in self):
            raise ValidationError(
                _("The score validation needs a minimum of at least one account.")
            )
