from collections import defaultdict
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..scoring.limits import MAX_TARGET_DAYS, MAX_TARGET_HOURS
from .health_actions import filtered_action, linked_counts

SLA_METRICS = [
    ("delivery", "On-time delivery"),
    ("first_response", "First response"),
    ("resolution", "Resolution"),
    ("incident", "Incident restoration"),
    ("custom", "Custom"),
]


class RelationshipSlaPolicy(models.Model):
    """A service level promised to customer accounts: what is measured, the
    target, and which accounts it covers. Events record how it was kept."""

    _name = "relationship.sla.policy"
    _description = "Service Level Policy"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        default=lambda self: self.env.company,
        help="Leave empty to apply the policy in every company.",
    )
    metric = fields.Selection(
        SLA_METRICS,
        string="Measures",
        help="On-time delivery: outgoing deliveries of customer orders. First response and "
        "resolution: helpdesk tickets. Incident restoration: service incidents, "
        "restored within the target. Custom: commitments recorded by hand.",
    )
    target_type = fields.Selection(
        [("hours", "Hours"), ("days", "Days"), ("field", "Date on the document")],
        string="Target",
        required=True,
        default="days",
        help="A duration counted from the start of the commitment (the order's confirmation, "
        "the ticket's creation…), or a deadline read from the document itself.",
    )
    target_value = fields.Float(
        string="Within",
        digits=(16, 2),
        help="Hours or days allowed, counted from the start of the commitment.",
    )
    deadline_field = fields.Selection(
        [("manual", "Deadline typed on each commitment")],
        string="Deadline From",
        help="Where the deadline is read from when the target is a date on the document.",
    )
    whole_day = fields.Boolean(
        help="A deadline read from the document counts until the end of its day "
        "(in the timezone of the company).",
    )
    scope = fields.Selection(
        [
            ("all", "All accounts"),
            ("tags", "Accounts with tags"),
            ("partners", "Chosen accounts"),
        ],
        string="Applies To",
        required=True,
        default="all",
    )
    category_ids = fields.Many2many(
        "res.partner.category",
        "relationship_sla_policy_category_rel",
        "policy_id",
        "category_id",
        string="Tags",
        help="The policy covers the accounts with at least one of these tags.",
    )
    partner_ids = fields.Many2many(
        "res.partner",
        "relationship_sla_policy_partner_rel",
        "policy_id",
        "partner_id",
        string="Accounts",
        domain="[('is_company', '=', True)]",
        check_company=True,
    )
    description = fields.Text(
        translate=True,
        help="The promise in the customer's words, shown in the service report.",
    )
    event_count = fields.Integer(string="Commitments", compute="_compute_event_count")

    # -- constraints ---------------------------------------------------------
    @api.model
    def _deadline_field_metrics(self):
        """Which metrics may read their deadline from which document date."""
        return {
            "manual": {"delivery", "first_response", "resolution", "incident", "custom"}
        }

    @api.constrains(
        "metric",
        "target_type",
        "target_value",
        "deadline_field",
        "scope",
        "category_ids",
        "partner_ids",
    )
    def _check_policy(self):
        metric_labels = dict(self._fields["metric"]._description_selection(self.env))
        field_labels = dict(
            self._fields["deadline_field"]._description_selection(self.env)
        )
        compatible = self._deadline_field_metrics()
        for policy in self:
            if not policy.metric:
                raise ValidationError(
                    self.env._(
                        "Choose what the service level “%(name)s” measures: on-time delivery, "
                        "first response, resolution or custom.",
                        name=policy.name,
                    )
                )
            if policy.target_type in ("hours", "days") and policy.target_value <= 0:
                raise ValidationError(
                    self.env._(
                        "The target of “%(name)s” must be a positive number of %(unit)s "
                        "(got %(value)s).",
                        name=policy.name,
                        unit=self.env._("hours")
                        if policy.target_type == "hours"
                        else self.env._("days"),
                        value=policy.target_value,
                    )
                )
            limit = (
                MAX_TARGET_HOURS if policy.target_type == "hours" else MAX_TARGET_DAYS
            )
            if policy.target_type in ("hours", "days") and policy.target_value > limit:
                raise ValidationError(
                    self.env._(
                        "The target of “%(name)s” cannot be more than %(max)s %(unit)s "
                        "(got %(value)s).",
                        name=policy.name,
                        max=limit,
                        unit=self.env._("hours")
                        if policy.target_type == "hours"
                        else self.env._("days"),
                        value=policy.target_value,
                    )
                )
            if policy.target_type == "field":
                if not policy.deadline_field:
                    raise ValidationError(
                        self.env._(
                            "Choose the date of the document that holds the deadline of “%(name)s”.",
                            name=policy.name,
                        )
                    )
                if policy.metric not in compatible.get(policy.deadline_field, ()):
                    raise ValidationError(
                        self.env._(
                            "“%(field)s” cannot be the deadline of a policy that measures "
                            "%(metric)s (“%(name)s”).",
                            field=field_labels.get(
                                policy.deadline_field, policy.deadline_field
                            ),
                            metric=metric_labels[policy.metric].lower(),
                            name=policy.name,
                        )
                    )
            if policy.scope == "tags" and not policy.category_ids:
                raise ValidationError(
                    self.env._(
                        "Choose at least one tag for “%(name)s”, or make it apply to all accounts.",
                        name=policy.name,
                    )
                )
            if policy.scope == "partners" and not policy.partner_ids:
                raise ValidationError(
                    self.env._(
                        "Choose at least one account for “%(name)s”, or make it apply to all accounts.",
                        name=policy.name,
                    )
                )

    @api.onchange("target_type")
    def _onchange_target_type(self):
        if self.target_type == "field":
            self.target_value = 0.0
        elif not self.target_value:
            self.target_value = 1.0

    def _compute_event_count(self):
        counts = linked_counts(self, "relationship.sla.event", "policy_id")
        for policy in self:
            policy.event_count = counts.get(policy, 0)

    def action_view_events(self):
        self.ensure_one()
        return filtered_action(
            self.env,
            "relationship_health.relationship_sla_event_action",
            [("policy_id", "=", self.id)],
            {"default_policy_id": self.id},
        )

    # -- which accounts a policy covers ------------------------------------
    def _covers(self, account):
        """Whether this policy covers ``account`` (a commercial partner)."""
        self.ensure_one()
        if self.scope == "tags":
            return bool(self.category_ids & account.category_id)
        if self.scope == "partners":
            return account in self.partner_ids
        return True

    @api.model
    def _policies_by_account(self, accounts, metrics=None, companies=None):
        """{account id: policies} for the active policies that cover each account.

        One search for the policies; tags and chosen accounts are read through
        the prefetch, never one query per account. ``companies`` limits the
        policies to those shared by every company or of these companies.
        """
        domain = []
        if metrics:
            domain.append(("metric", "in", list(metrics)))
        if companies is not None:
            domain += [
                "|",
                ("company_id", "=", False),
                ("company_id", "in", companies.ids),
            ]
        policies = self.search(domain)
        accounts = accounts.commercial_partner_id
        result = defaultdict(lambda: self.browse())
        for account in accounts:
            for policy in policies:
                if policy._covers(account):
                    result[account.id] |= policy
        return result

    def _applies_to_company(self, company):
        self.ensure_one()
        return not self.company_id or self.company_id == company

    # -- deadlines --------------------------------------------------------
    def _deadline_from(self, start, document_date, company):
        """The deadline of a commitment that started at ``start`` (naive UTC):
        start + target, or the document's date (to the end of its day when the
        policy counts whole days). None when there is no deadline to read."""
        self.ensure_one()
        if self.target_type == "hours":
            return start + timedelta(hours=self.target_value) if start else None
        if self.target_type == "days":
            return start + timedelta(days=self.target_value) if start else None
        if not document_date:
            return None
        if self.whole_day:
            return end_of_day(document_date, company.partner_id.tz)
        return document_date


def archive_policies_reading(policies):
    """Without the addon that reads a document date, a policy reading it has
    no deadline to read: archive it, on a deadline typed by hand so that it
    stays a valid policy (``ondelete`` of a bridge's deadline sources)."""
    policies.write({"deadline_field": "manual", "active": False})


def deadline_sources_field(sources):
    """The ``deadline_field`` of a bridge adding the document dates
    ``sources`` ((key, label) pairs) a deadline can be read from."""
    return fields.Selection(
        selection_add=list(sources),
        ondelete={key: archive_policies_reading for key, _label in sources},
    )


def end_of_day(moment, tz_name):
    """The last second of the day of ``moment`` (naive UTC) in ``tz_name``,
    as naive UTC."""
    tz = pytz.timezone(tz_name) if tz_name in pytz.all_timezones_set else pytz.utc
    local_day = pytz.utc.localize(moment).astimezone(tz).date()
    local_end = tz.localize(datetime.combine(local_day, time(23, 59, 59)))
    return local_end.astimezone(pytz.utc).replace(tzinfo=None)
