"""The service levels of an account: its commitments, their adherence over
90 and 365 days, the policies that cover it and its service-level report.
Inherited by res.partner."""

from datetime import timedelta

from odoo import api, fields, models

from .health_actions import account_recipients, composer_action, filtered_action
from .partner_health_fields import health_field

#: The windows of the adherence figures, in days.
ADHERENCE_WINDOWS = (90, 365)


def _adherence_figure(field_class, string, **kwargs):
    """A figure of the account's commitments, computed when read by
    :meth:`RelationshipSlaAccountMixin._compute_sla_adherence`."""
    return health_field(
        field_class, string=string, compute="_compute_sla_adherence", **kwargs
    )


class RelationshipSlaAccountMixin(models.AbstractModel):
    """The service-level fields and actions of an account (res.partner)."""

    _name = "relationship.sla.account.mixin"
    _description = "Account Service Levels"

    sla_event_ids = health_field(
        fields.One2many,
        "relationship.sla.event",
        "partner_id",
        string="Service Commitments",
    )
    sla_adherence_90 = _adherence_figure(
        fields.Float,
        "SLA Adherence (90 days)",
        digits=(5, 1),
        help="Share of the commitments due in the last 90 days that were met. A commitment "
        "still open past its deadline counts as breached.",
    )
    sla_adherence_365 = _adherence_figure(
        fields.Float,
        "SLA Adherence (365 days)",
        digits=(5, 1),
        help="Share of the commitments due in the last 365 days that were met.",
    )
    sla_due_90 = _adherence_figure(fields.Integer, "Commitments Due (90 days)")
    sla_due_365 = _adherence_figure(fields.Integer, "Commitments Due (365 days)")
    sla_event_count = _adherence_figure(fields.Integer, "Commitments")
    sla_open_breach_count = _adherence_figure(
        fields.Integer,
        "Open Breaches",
        help="Commitments past their deadline and still not done.",
    )
    sla_policy_ids = health_field(
        fields.Many2many,
        "relationship.sla.policy",
        string="Service Levels",
        compute="_compute_sla_policy_ids",
        help="The active service levels that cover this account.",
    )

    @api.depends("commercial_partner_id")
    def _compute_sla_adherence(self):
        """Adherence of each account over 90 and 365 days: three grouped reads
        for the whole recordset, whatever its size."""
        Event = self.env["relationship.sla.event"]
        now = fields.Datetime.now()
        base = [("partner_id", "in", self.commercial_partner_id.ids)]

        def counts(domain, groupby=()):
            rows = Event._read_group(
                base + domain, ["partner_id", *groupby], ["__count"]
            )
            return [(partner.id, *rest) for partner, *rest in rows]

        windows = {}
        for days in ADHERENCE_WINDOWS:
            due, met = {}, {}
            for account_id, state, count in counts(
                [
                    ("date_deadline", "<=", now),
                    ("date_deadline", ">=", now - timedelta(days=days)),
                ],
                ["state"],
            ):
                due[account_id] = due.get(account_id, 0) + count
                if state == "met":
                    met[account_id] = met.get(account_id, 0) + count
            windows[days] = (due, met)
        totals = dict(counts([]))
        open_breaches = dict(counts([("is_overdue", "=", True)]))
        for partner in self:
            account_id = partner.commercial_partner_id.id
            for days, (due, met) in windows.items():
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
        return account_recipients(self.commercial_partner_id)

    def action_send_service_report(self):
        """The mail composer with the service-level report of the account attached."""
        self.ensure_one()
        return composer_action(
            self.commercial_partner_id,
            "relationship_health.mail_template_service_report",
        )

    def action_view_sla_events(self):
        self.ensure_one()
        account = self.commercial_partner_id
        return filtered_action(
            self.env,
            "relationship_health.relationship_sla_event_action",
            [("partner_id", "=", account.id)],
            {"default_partner_id": account.id, "search_default_breached": 0},
        )
