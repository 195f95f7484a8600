import threading

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import split_every

from ..scoring.incidents import restoration_facts
from .health_actions import linked_counts, list_action
from .health_clock import utc_now
from .health_sql import INCIDENT_MODEL

#: Who declares incidents and posts their updates.
INCIDENT_MANAGERS = "relationship_health.group_incident_manager"

#: The states of an incident once declared, in their order.
STATES = [
    ("draft", "Draft"),
    ("investigating", "Investigating"),
    ("identified", "Identified"),
    ("monitoring", "Monitoring"),
    ("resolved", "Resolved"),
]
OPEN_STATES = ("investigating", "identified", "monitoring")

#: The announcements that move an incident: the state it enters, the date
#: recorded, and the field holding the customer-facing text sent.
ANNOUNCEMENTS = {
    "declared": ("investigating", "date_declared", "description"),
    "resolved": ("resolved", "date_resolved", "resolution_text"),
}

#: Fields only the incident's own steps write (see _check_lifecycle_fields).
LIFECYCLE_FIELDS = frozenset(
    {
        "state",
        "date_declared",
        "date_resolved",
        "calls_given",
        "pulse_sent",
        "unreached_partner_ids",
    }
)
LIFECYCLE_KEY = "relationship_incident_lifecycle"

SEVERITIES = [("minor", "Minor"), ("major", "Major"), ("critical", "Critical")]

#: How many affected accounts one batch of notices covers.
NOTICE_BATCH = 500


def customer_text(field_class, string, help_text, **kwargs):
    """A text the customers read (in the notices, on the status page):
    translatable, so that each customer reads it in their language."""
    return field_class(string=string, translate=True, help=help_text, **kwargs)


class RelationshipServiceIncident(models.Model):
    """A service failure that hits many customer accounts at once: the
    accounts affected, what they are told and when, and the restoration
    commitment it counts as in their health."""

    _name = INCIDENT_MODEL
    _description = "Service Incident"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "relationship.incident.selection.mixin",
        "relationship.incident.pulse.mixin",
        "relationship.incident.call.mixin",
    ]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = customer_text(
        fields.Char,
        "Title",
        "Shown to the customers: in the notices and on the status page.",
        required=True,
        tracking=True,
    )
    description = customer_text(
        fields.Text,
        "Customer-Facing Description",
        "What happened and what it means for the customer: the first notice. "
        "Write it in each language of your customers (the translation button).",
    )
    internal_note = fields.Html(
        string="Internal Notes", help="Never shown to the customers."
    )
    severity = fields.Selection(
        SEVERITIES, required=True, default="major", tracking=True
    )
    state = fields.Selection(
        STATES, required=True, default="draft", readonly=True, tracking=True, index=True
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    date_start = fields.Datetime(
        string="Started",
        required=True,
        default=fields.Datetime.now,
        tracking=True,
        help="When the service failed: the restoration target counts from here.",
    )
    date_declared = fields.Datetime(string="Declared On", readonly=True, copy=False)
    date_resolved = fields.Datetime(
        string="Restored On", readonly=True, copy=False, tracking=True
    )
    policy_id = fields.Many2one(
        "relationship.sla.policy",
        string="Restoration Service Level",
        check_company=True,
        domain="[('metric', '=', 'incident')]",
        default=lambda self: self._default_policy(),
        help="The service level promising a restoration time: each affected account "
        "gets a commitment under it, met when the incident is resolved in time.",
    )
    is_public = fields.Boolean(
        string="On the Status Page",
        help="Listed with its updates on the public status page of the company "
        "(when the page is on), without account names or internal notes.",
    )
    partner_ids = fields.Many2many(
        "res.partner",
        "relationship_service_incident_partner_rel",
        "incident_id",
        "partner_id",
        string="Affected Accounts",
        domain="[('is_company', '=', True)]",
        check_company=True,
    )
    account_count = fields.Integer(
        string="Accounts Affected", compute="_compute_account_count"
    )
    unreached_partner_ids = fields.Many2many(
        "res.partner",
        "relationship_service_incident_unreached_rel",
        "incident_id",
        "partner_id",
        string="Not Reached",
        readonly=True,
        copy=False,
        help="Affected accounts with no contact that has an email address: "
        "nobody could be told. Call them.",
    )
    unreached_count = fields.Integer(compute="_compute_account_count")
    update_ids = fields.One2many(
        "relationship.service.incident.update", "incident_id", string="Updates"
    )
    notice_count = fields.Integer(string="Notices", compute="_compute_notice_count")
    next_update = fields.Text(
        help="A short customer-facing text: Post Update sends it to the informed "
        "contacts of every affected account.",
    )
    resolution_text = customer_text(
        fields.Text,
        "Closing Notice",
        "What the customers are told when the service is restored.",
    )
    restoration_hours = fields.Float(
        string="Restored In (hours)", compute="_compute_restoration"
    )
    promised_hours = fields.Float(
        string="Promised (hours)", compute="_compute_restoration"
    )

    @api.model
    def _default_policy(self):
        return self.env["relationship.sla.policy"].search(
            [
                ("metric", "=", "incident"),
                ("company_id", "in", [False, self.env.company.id]),
            ],
            limit=1,
        )

    @api.depends("partner_ids", "unreached_partner_ids")
    def _compute_account_count(self):
        for incident in self:
            incident.account_count = len(incident.partner_ids)
            incident.unreached_count = len(incident.unreached_partner_ids)

    def _compute_notice_count(self):
        counts = linked_counts(
            self, "relationship.service.incident.notice", "incident_id"
        )
        for incident in self:
            incident.notice_count = counts.get(incident, 0)

    @api.depends("date_start", "date_resolved", "policy_id")
    def _compute_restoration(self):
        now = utc_now()
        for incident in self:
            facts = incident._restoration_facts(now)
            incident.restoration_hours = facts["hours"]
            incident.promised_hours = facts["promised"]

    def _restoration_facts(self, now):
        self.ensure_one()
        policy = self.policy_id
        promised = (
            (policy.target_value * (24 if policy.target_type == "days" else 1))
            if policy and policy.target_type in ("hours", "days")
            else 0.0
        )
        return restoration_facts(
            self.date_start or now, self.date_resolved or None, promised, now
        )

    # ------------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------------
    def _check_manager(self):
        if not self.env.su and not self.env.user.has_group(INCIDENT_MANAGERS):
            raise AccessError(
                _(
                    "Only incident managers can declare incidents and post their updates."
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_manager()
        for vals in vals_list:
            self._check_lifecycle_fields(vals)
            self._normalize_accounts(vals)
        return super().create(vals_list)

    def _check_lifecycle_fields(self, vals):
        """The state, its dates and what the sending records move only through
        the incident's buttons (Declare, Post Update, Resolve…), never by a
        plain write or import: a declared incident set back to draft would
        be declared, and its customers told, twice."""
        if self.env.su or self.env.context.get(LIFECYCLE_KEY):
            return
        if LIFECYCLE_FIELDS & set(vals):
            raise UserError(
                _(
                    "An incident's status and dates change through its buttons "
                    "(Declare and Inform, Resolve and Inform…), not by hand."
                )
            )

    def write(self, vals):
        self._check_manager()
        self._check_lifecycle_fields(vals)
        self._normalize_accounts(vals)
        if "partner_ids" in vals:
            resolved = self.filtered(lambda i: i.state == "resolved")
            if resolved:
                raise UserError(
                    _(
                        "“%(name)s” is resolved: its affected accounts can no longer change.",
                        name=resolved[0].name,
                    )
                )
        result = super().write(vals)
        declared = self.filtered(lambda i: i.state in OPEN_STATES)
        if "partner_ids" in vals and declared:
            # Accounts added after the declaration: their commitment, and the
            # notices posted so far; accounts taken out: their commitment no
            # longer counts.
            declared._sync_commitments()
            declared.update_ids.filtered("date_posted")._send_notices()
        return result

    def unlink(self):
        self._check_manager()
        if any(incident.state != "draft" for incident in self):
            raise UserError(
                _("A declared incident cannot be deleted: its customers were told.")
            )
        return super().unlink()

    def _normalize_accounts(self, vals):
        """Affected accounts are commercial partners, never their contacts."""
        commands = vals.get("partner_ids")
        if not commands:
            return
        partners = self.env["res.partner"]
        ids = []
        for command in commands:
            if command[0] == 6:
                ids = list(command[2])
            elif command[0] == 4:
                ids.append(command[1])
            else:
                return  # removals and clears are kept as they are
        accounts = partners.browse(ids).commercial_partner_id
        vals["partner_ids"] = (
            [(6, 0, accounts.ids)]
            if commands[0][0] == 6
            else [(4, account_id) for account_id in accounts.ids]
        )

    # ------------------------------------------------------------------
    # The life of an incident
    # ------------------------------------------------------------------
    def action_declare(self):
        """Declare the incident: the first notice goes to the contacts of every
        affected account, each account gets its restoration commitment, and
        the salespeople of key accounts a call to make."""
        self._check_manager()
        env = self.env
        self._check_each(
            (
                lambda i: i.state == "draft",
                lambda i: env._("“%(name)s” is already declared.", name=i.name),
            ),
            (
                lambda i: i.partner_ids,
                lambda i: env._(
                    "“%(name)s” has no affected account: choose them before declaring it.",
                    name=i.name,
                ),
            ),
            (
                lambda i: (i.description or "").strip(),
                lambda i: env._(
                    "“%(name)s” has no customer-facing description: write what the "
                    "customers are told before declaring it.",
                    name=i.name,
                ),
            ),
        )
        self._announce("declared")
        self._give_calls()
        return True

    def action_post_update(self):
        """Send the text of *Next Update* to the informed contacts."""
        self._check_manager()
        self.ensure_one()
        if self.state not in OPEN_STATES:
            raise UserError(
                _(
                    "Updates are posted on a declared incident that is not resolved yet "
                    "(“%(name)s” is %(state)s).",
                    name=self.name,
                    state=dict(self._fields["state"]._description_selection(self.env))[
                        self.state
                    ],
                )
            )
        text = (self.next_update or "").strip()
        if not text:
            raise UserError(_("Write the update the customers will read first."))
        update = self._new_update("update", {self.env.lang or "en_US": text})
        self.next_update = False
        update._send_notices()
        return True

    def action_set_identified(self):
        return self._move_to("identified")

    def action_set_monitoring(self):
        return self._move_to("monitoring")

    def _move_to(self, state):
        self._check_manager()
        self._check_open(
            _("Only a declared incident that is not resolved can move on.")
        )
        self.with_context(**{LIFECYCLE_KEY: True}).write({"state": state})
        return True

    def action_resolve(self):
        """The service is back: the closing notice goes out and the
        restoration commitments are done."""
        self._check_manager()
        self._check_open(
            _("Only a declared incident that is not resolved can be resolved.")
        )
        untold = self.filtered(lambda i: not (i.resolution_text or "").strip())
        if untold:
            raise UserError(
                _(
                    "Write the closing notice of “%(name)s”: what the customers are "
                    "told now that the service is back.",
                    name=untold[0].name,
                )
            )
        self._announce("resolved")
        self._send_pulse()
        return True

    def _check_open(self, message):
        """Refuse with ``message`` unless every incident is declared and not
        resolved."""
        if any(incident.state not in OPEN_STATES for incident in self):
            raise UserError(message)

    def _check_each(self, *rules):
        """Refuse the action when an incident breaks a rule: ``rules`` are
        (holds(incident), message(incident)) pairs, checked in order."""
        for incident in self:
            for holds, message in rules:
                if not holds(incident):
                    raise UserError(message(incident))

    def _announce(self, kind):
        """Move these incidents to the state of the announcement ``kind`` (see
        :data:`ANNOUNCEMENTS`), let their commitments follow, and send each
        one's update with its customer-facing text."""
        state, date_field, text_field = ANNOUNCEMENTS[kind]
        now = utc_now()
        for incident in self:
            incident.with_context(**{LIFECYCLE_KEY: True}).write(
                {"state": state, date_field: now}
            )
            update = incident._new_update(kind, incident._translations(text_field))
            incident._sync_commitments()
            update._send_notices()

    def _translations(self, field_name):
        """``{lang: text}`` of a translated text field in every installed language."""
        self.ensure_one()
        langs = [code for code, _name in self.env["res.lang"].get_installed()]
        return {
            lang: self.with_context(lang=lang)[field_name] or ""
            for lang in langs
            if (self.with_context(lang=lang)[field_name] or "").strip()
        }

    def _new_update(self, kind, texts):
        """A posted update of this incident with its text in each language."""
        self.ensure_one()
        Update = self.env["relationship.service.incident.update"].sudo()
        default_lang = self.env.lang or "en_US"
        text = texts.get(default_lang) or next(iter(texts.values()), "")
        update = Update.with_context(lang=default_lang).create(
            {
                "incident_id": self.id,
                "kind": kind,
                "body": text,
                "date_posted": utc_now(),
                "author_id": self.env.user.id,
            }
        )
        for lang, body in texts.items():
            if lang != default_lang and body != text:
                update.with_context(lang=lang).body = body
        return update.with_env(self.env)

    # ------------------------------------------------------------------
    # It counts: one restoration commitment per affected account
    # ------------------------------------------------------------------
    def _sync_commitments(self):
        """Create the commitment of each affected account that has none,
        archive those of accounts no longer affected, and close them all when
        the incident is resolved. The customers were told by the notices: no
        "Inform the customer" activity is given for these commitments."""
        Event = (
            self.env["relationship.sla.event"]
            .sudo()
            .with_context(active_test=False, relationship_sla_no_notice=True)
        )
        for incident in self.sudo():
            policy = incident.policy_id
            if not policy:
                continue
            events = Event.search(
                [("res_model", "=", INCIDENT_MODEL), ("res_id", "=", incident.id)]
            )
            by_account = {event.partner_id.id: event for event in events}
            deadline = (
                policy._deadline_from(incident.date_start, False, incident.company_id)
                or incident.date_start
            )
            name = _("Incident: %(title)s", title=incident.name)
            now = utc_now()
            missing = [
                {
                    "name": name,
                    "partner_id": account.id,
                    "company_id": incident.company_id.id,
                    "date_start": incident.date_start,
                    "date_deadline": max(deadline, incident.date_start),
                    "date_done": incident.date_resolved,
                    "policy_id": policy.id,
                    "res_model": INCIDENT_MODEL,
                    "res_id": incident.id,
                    "breach_noticed_on": now,
                }
                for account in incident.partner_ids
                if account.id not in by_account
            ]
            if missing:
                Event.create(missing)
            affected = set(incident.partner_ids.ids)
            stale = events.filtered(
                lambda e: e.active and e.partner_id.id not in affected
            )
            back = events.filtered(
                lambda e: not e.active and e.partner_id.id in affected
            )
            if stale:
                stale.write({"active": False})
            if back:
                back.write({"active": True})
            if incident.date_resolved:
                events.filtered(lambda e: e.date_done != incident.date_resolved).write(
                    {"date_done": incident.date_resolved}
                )

    # ------------------------------------------------------------------
    # Completing what a run left unsent
    # ------------------------------------------------------------------
    @api.model
    def _cron_send_notices(self):
        """Send the notices of posted updates that a run left unfinished
        (a crash, a timeout): the next run completes them, never twice."""
        updates = (
            self.env["relationship.service.incident.update"]
            .sudo()
            .search(
                [("date_posted", "!=", False), ("notices_done", "=", False)],
                order="id",
            )
        )
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        for update in updates:
            update._send_notices(auto_commit=auto_commit)
        self.sudo().search(
            [
                ("state", "=", "resolved"),
                ("pulse_survey_id", "!=", False),
                ("pulse_sent", "=", False),
            ]
        )._send_pulse()
        return len(updates)

    def action_view_notices(self):
        self.ensure_one()
        return list_action(
            _("Notices"),
            "relationship.service.incident.notice",
            [("incident_id", "=", self.id)],
        )


def split_accounts(account_ids):
    """The affected accounts in batches of :data:`NOTICE_BATCH`."""
    return split_every(NOTICE_BATCH, sorted(account_ids), list)
