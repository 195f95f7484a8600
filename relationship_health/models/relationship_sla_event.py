from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class RelationshipSlaEvent(models.Model):
    """A service-level commitment made to a customer account.

    Met when done by its deadline; breached when done late, or still open
    after the deadline. The SLA component of the health score reads these.
    """

    _name = "relationship.sla.event"
    _description = "Service Level Commitment"
    _inherit = ["mail.thread"]
    _order = "date_deadline desc, id desc"

    name = fields.Char(string="Commitment", required=True, tracking=True,
                       help="What was promised to the customer.")
    partner_id = fields.Many2one(
        "res.partner",
        string="Account",
        required=True,
        index=True,
        ondelete="cascade",
        tracking=True,
        domain="[('is_company', '=', True)]",
        help="The customer account; a contact is replaced by its company.",
    )
    user_id = fields.Many2one(
        "res.users", string="Salesperson", related="partner_id.user_id", store=True, index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    date_start = fields.Datetime(
        string="Committed On", required=True, default=fields.Datetime.now, tracking=True
    )
    date_deadline = fields.Datetime(string="Deadline", required=True, index=True, tracking=True)
    date_done = fields.Datetime(string="Done On", tracking=True)
    state = fields.Selection(
        [("open", "Open"), ("met", "Met"), ("breached", "Breached")],
        compute="_compute_state",
        store=True,
        index=True,
        help="Met: done by the deadline. Breached: done after the deadline. "
        "An open commitment past its deadline counts as breached in the score.",
    )
    is_overdue = fields.Boolean(
        string="Overdue", compute="_compute_is_overdue", search="_search_is_overdue"
    )
    delay_hours = fields.Float(
        string="Delay (hours)", compute="_compute_delay_hours",
        help="How late the commitment was (or is, when still open).",
    )
    note = fields.Text()
    active = fields.Boolean(default=True)

    @api.depends("date_deadline", "date_done")
    def _compute_state(self):
        for event in self:
            if not event.date_done:
                event.state = "open"
            elif event.date_done <= event.date_deadline:
                event.state = "met"
            else:
                event.state = "breached"

    @api.depends("state", "date_deadline")
    def _compute_is_overdue(self):
        now = fields.Datetime.now()
        for event in self:
            event.is_overdue = event.state == "open" and event.date_deadline < now

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(_("Unsupported search on Overdue."))
        overdue = [("state", "=", "open"), ("date_deadline", "<", fields.Datetime.now())]
        if (operator == "=") == value:
            return overdue
        return ["!", "&", *overdue]

    @api.depends("date_deadline", "date_done")
    def _compute_delay_hours(self):
        now = fields.Datetime.now()
        for event in self:
            end = event.date_done or now
            late = (end - event.date_deadline).total_seconds() / 3600 if event.date_deadline else 0
            event.delay_hours = max(late, 0.0)

    @api.constrains("date_start", "date_deadline", "date_done")
    def _check_dates(self):
        for event in self:
            if event.date_deadline < event.date_start:
                raise ValidationError(
                    _("The deadline of “%(name)s” cannot be before the date it was committed.",
                      name=event.name)
                )
            if event.date_done and event.date_done < event.date_start:
                raise ValidationError(
                    _("“%(name)s” cannot be done before the date it was committed.",
                      name=event.name)
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._normalize_account(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._normalize_account(vals)
        return super().write(vals)

    def _normalize_account(self, vals):
        """Commitments belong to the commercial partner, never to a contact."""
        if vals.get("partner_id"):
            partner = self.env["res.partner"].browse(vals["partner_id"])
            vals["partner_id"] = partner.commercial_partner_id.id
