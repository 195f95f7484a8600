from odoo import api, fields, models

from .res_partner import HEALTH_READERS

VISIT_MOODS = [
    ("1", "Very unhappy"),
    ("2", "Unhappy"),
    ("3", "Neutral"),
    ("4", "Happy"),
    ("5", "Very happy"),
]


#: Event fields whose change on a Customer Visit changes its accounts' health.
VISIT_FIELDS = frozenset(
    {"start", "stop", "allday", "categ_ids", "partner_ids", "active", "visit_mood"}
)


class CalendarEvent(models.Model):
    _name = "calendar.event"
    _inherit = ["relationship.health.input.mixin", "calendar.event"]
    _health_input_fields = VISIT_FIELDS
    _health_followup_fields = frozenset({"categ_ids", "partner_ids", "start"})

    is_customer_visit = fields.Boolean(
        string="Customer Visit",
        compute="_compute_is_customer_visit",
        search="_search_is_customer_visit",
    )
    # The visit report is the sales team's view of the customer: attendees
    # with a portal login read the event, not the report.
    visit_outcome = fields.Char(
        string="Outcome",
        help="What came out of the visit, in a few words.",
        groups=HEALTH_READERS,
    )
    visit_mood = fields.Selection(
        VISIT_MOODS,
        string="Customer Mood (as perceived)",
        help="How the customer seemed to you. This is the sales rep's perception, "
        "not the customer's own voice: it counts less than a survey answer in the "
        "satisfaction signal.",
        groups=HEALTH_READERS,
        # The engine reads the moods of each batch's visits: the few events
        # with one are found without going through every visit of the batch.
        index="btree_not_null",
    )
    visit_next_steps = fields.Text(string="Next Steps", groups=HEALTH_READERS)

    def _customer_visit_type(self):
        return self.env.ref(
            "relationship_health.calendar_event_type_customer_visit",
            raise_if_not_found=False,
        )

    @api.depends("categ_ids")
    def _compute_is_customer_visit(self):
        visit_type = self._customer_visit_type()
        for event in self:
            event.is_customer_visit = bool(visit_type) and visit_type in event.categ_ids

    def _search_is_customer_visit(self, operator, value):
        visit_type = self._customer_visit_type()
        positive = (operator == "=") == bool(value)
        if not visit_type:
            return [(0, "=", 1)] if positive else []
        return [("categ_ids", "in" if positive else "not in", visit_type.ids)]

    def _health_input_partner_ids(self):
        """A Customer Visit held, moved, cancelled or reported on changes
        the health of its attendees' accounts."""
        return self.filtered("is_customer_visit").partner_ids.ids

    def _health_input_followup(self):
        """A planned visit answers the "Plan a visit" follow-up of its accounts."""
        visits = self.filtered(
            lambda e: e.is_customer_visit
            and e.start
            and e.start >= fields.Datetime.now()
        )
        if visits:
            accounts = visits.partner_ids.commercial_partner_id
            self.env["relationship.visit.planner"]._close_followups(accounts)
