"""The visit plan of an account: its cadence, tier and follow-up, and
*Plan a visit*. Inherited by res.partner."""

from datetime import datetime, time, timedelta

import pytz

from odoo import Command, _, api, fields, models

from ..scoring.rules import first_free_slot
from .partner_health_fields import (
    count_result,
    date_result,
    engine_result,
    health_field,
    score_result,
)
from .relationship_visit_tier import check_visit_interval


class RelationshipVisitAccountMixin(models.AbstractModel):
    """The visit plan fields and actions of an account (res.partner)."""

    _name = "relationship.visit.account.mixin"
    _description = "Account Visit Plan"

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
    visit_next_date = date_result("Next Planned Visit")
    visit_due_date = date_result(
        "Visit Due",
        index="btree_not_null",
        help="One cadence after the last visit (or after the visit plan started).",
    )
    visit_overdue = engine_result(fields.Boolean, string="Visit Overdue")
    visit_held_12m = count_result("Visits Held (12 months)")
    visit_planned_12m = count_result(
        "Visits Planned (12 months)",
        help="Visits the cadence asked for over the last 12 months (or since the plan started).",
    )
    visit_adherence = score_result(
        "Visit Plan Adherence (%)",
        help="Visits held against visits planned over the last 12 months.",
    )

    @api.constrains("visit_interval_days")
    def _check_visit_interval_days(self):
        for partner in self:
            check_visit_interval(partner.visit_interval_days, partner.display_name)

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
