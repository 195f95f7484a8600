from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..scoring.limits import MAX_VISIT_CADENCE_DAYS
from .health_actions import filtered_action, linked_counts

MAX_VISIT_INTERVAL_DAYS = MAX_VISIT_CADENCE_DAYS


def check_visit_interval(days, owner):
    """Refuse a visit cadence outside 0 (no plan) – three years."""
    if not 0 <= days <= MAX_VISIT_INTERVAL_DAYS:
        raise ValidationError(
            _(
                "The visit cadence of %(owner)s must be between 0 (no plan) and %(max)s days.",
                owner=owner,
                max=MAX_VISIT_INTERVAL_DAYS,
            )
        )


class RelationshipVisitTier(models.Model):
    """An account tier and the visit cadence it asks for.

    Accounts of a tier follow its cadence unless they have their own
    (``res.partner.visit_interval_override``); changing the tier's cadence
    changes the cadence of every account that follows it.
    """

    _name = "relationship.visit.tier"
    _description = "Account Tier"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    visit_interval_days = fields.Integer(
        string="Visit Cadence (days)",
        required=True,
        default=90,
        help="How often accounts of this tier should be visited. 0 means no visit plan.",
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    active = fields.Boolean(default=True)
    key_account = fields.Boolean(
        string="Key Accounts",
        help="The salespeople of the accounts of this tier are asked to call them "
        "first when a service incident affects them.",
    )
    partner_count = fields.Integer(string="Accounts", compute="_compute_partner_count")

    _sql_constraints = [
        (
            "name_company_uniq",
            "UNIQUE(name, company_id)",
            "Account tier names must be unique.",
        ),
    ]

    @api.constrains("visit_interval_days")
    def _check_visit_interval_days(self):
        for tier in self:
            check_visit_interval(tier.visit_interval_days, tier.name)

    def _compute_partner_count(self):
        counts = linked_counts(self, "res.partner", "visit_tier_id")
        for tier in self:
            tier.partner_count = counts.get(tier, 0)

    def write(self, vals):
        result = super().write(vals)
        if "visit_interval_days" in vals:
            self._apply_cadence_to_followers()
        return result

    def _apply_cadence_to_followers(self):
        """Give every account that follows a tier the tier's cadence (one
        write per tier, whatever the number of accounts)."""
        partners = self.env["res.partner"].sudo()
        for tier in self:
            followers = partners.search(
                [
                    ("visit_tier_id", "=", tier.id),
                    ("visit_interval_override", "=", False),
                    ("visit_interval_days", "!=", tier.visit_interval_days),
                ]
            )
            followers.with_context(visit_tier_sync=True).write(
                {"visit_interval_days": tier.visit_interval_days}
            )

    def action_view_partners(self):
        self.ensure_one()
        return filtered_action(
            self.env,
            "relationship_health.res_partner_action_relationship_health",
            [("visit_tier_id", "=", self.id)],
        )
