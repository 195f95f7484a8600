import threading
from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_datetime, split_every

from ..scoring.rules import commitment_state
from .health_actions import account_recipients, composer_action
from .health_sql import INCIDENT_MODEL
from .partner_health_fields import account_field

#: A breach older than this is history: nobody informs a customer of it any more.
BREACH_NOTICE_WINDOW = timedelta(days=30)

#: Fields that only the bridges (as the superuser) set: where a commitment
#: comes from, and when its breach was announced.
SYSTEM_FIELDS = ("res_model", "res_id", "breach_noticed_on")

#: Fields of a commitment recorded from a document that follow the document:
#: read-only for everybody but the bridge.
DOCUMENT_FIELDS = (
    "partner_id",
    "company_id",
    "date_start",
    "date_deadline",
    "date_done",
    "policy_id",
)

#: Who may archive a commitment (and so take it out of the score).
ARCHIVERS = "sales_team.group_sale_manager"

#: Fields a source document may set on its event.
SOURCE_FIELDS = (
    "name",
    "partner_id",
    "company_id",
    "date_start",
    "date_deadline",
    "date_done",
    "active",
    "note",
)


def source_key(vals):
    """What identifies the commitment of a source document: the document and
    the service level it was made under."""
    return (vals["res_model"], vals["res_id"], vals.get("policy_id") or False)


class RelationshipSlaEvent(models.Model):
    """A service-level commitment made to a customer account.

    Met when done by its deadline; breached when done late, or still open
    after the deadline. The SLA component of the health score reads these.
    """

    _name = "relationship.sla.event"
    _description = "Service Level Commitment"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_deadline desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Commitment",
        required=True,
        tracking=True,
        help="What was promised to the customer.",
    )
    partner_id = account_field(
        index=True,
        tracking=True,
        domain="[('is_company', '=', True)]",
        help="The customer account; a contact is replaced by its company.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        related="partner_id.user_id",
        store=True,
        index=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    date_start = fields.Datetime(
        string="Committed On", required=True, default=fields.Datetime.now, tracking=True
    )
    date_deadline = fields.Datetime(
        string="Deadline", required=True, index=True, tracking=True
    )
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
        string="Delay (hours)",
        compute="_compute_delay_hours",
        help="How late the commitment was (or is, when still open).",
    )
    note = fields.Text()
    active = fields.Boolean(default=True)
    policy_id = fields.Many2one(
        "relationship.sla.policy",
        string="Service Level",
        index=True,
        ondelete="restrict",
        tracking=True,
        check_company=True,
        help="The service level this commitment was made under; empty for a promise typed by hand.",
    )
    metric = fields.Selection(related="policy_id.metric", store=True, string="Measures")
    res_model = fields.Char(
        string="Source Model",
        index=True,
        readonly=True,
        help="Technical name of the document this commitment comes from (a delivery, a ticket…).",
    )
    res_id = fields.Many2oneReference(
        string="Source ID", model_field="res_model", index=True, readonly=True
    )
    source_name = fields.Char(string="Source", compute="_compute_source_name")
    breach_noticed_on = fields.Datetime(
        readonly=True,
        copy=False,
        help="When the salesperson was asked to inform the customer of this breach. "
        "Set once: a breach is never announced twice.",
    )

    def init(self):
        # One commitment per source document and service level, archived ones
        # included; a service incident, which affects many accounts, owes one
        # per account.
        self.env.cr.execute(
            SQL(
                """
            DROP INDEX IF EXISTS relationship_sla_event_source_uniq;
            CREATE UNIQUE INDEX IF NOT EXISTS relationship_sla_event_document_uniq
                ON relationship_sla_event (res_model, res_id, policy_id)
             WHERE res_id IS NOT NULL AND res_model != %(incident)s;
            CREATE UNIQUE INDEX IF NOT EXISTS relationship_sla_event_incident_uniq
                ON relationship_sla_event (res_id, policy_id, partner_id)
             WHERE res_id IS NOT NULL AND res_model = %(incident)s
            """,
                incident=INCIDENT_MODEL,
            )
        )

    @api.depends("res_model", "res_id")
    def _compute_source_name(self):
        by_model = {}
        for event in self:
            if event.res_model in self.env and event.res_id:
                by_model.setdefault(event.res_model, []).append(event.res_id)
        names = {}
        for model, ids in by_model.items():
            records = self.env[model].browse(ids).exists()
            if records.has_access("read"):
                names.update({(model, rec.id): rec.display_name for rec in records})
        for event in self:
            event.source_name = names.get((event.res_model, event.res_id), False)

    def action_open_source(self):
        self.ensure_one()
        if not self.res_model or not self.res_id:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    @api.depends("date_deadline", "date_done")
    def _compute_state(self):
        for event in self:
            event.state = commitment_state(event.date_deadline, event.date_done)

    @api.depends("state", "date_deadline")
    def _compute_is_overdue(self):
        now = fields.Datetime.now()
        for event in self:
            event.is_overdue = (
                not event.date_done
                and bool(event.date_deadline)
                and (
                    commitment_state(event.date_deadline, event.date_done, now)
                    == "breached"
                )
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(_("Unsupported search on Overdue."))
        overdue = [
            ("state", "=", "open"),
            ("date_deadline", "<", fields.Datetime.now()),
        ]
        if (operator == "=") == value:
            return overdue
        return ["!", "&", *overdue]

    @api.depends("date_deadline", "date_done")
    def _compute_delay_hours(self):
        now = fields.Datetime.now()
        for event in self:
            end = event.date_done or now
            late = (
                (end - event.date_deadline).total_seconds() / 3600
                if event.date_deadline
                else 0
            )
            event.delay_hours = max(late, 0.0)

    @api.onchange("policy_id", "date_start")
    def _onchange_policy_id(self):
        if (
            self.policy_id
            and self.policy_id.target_type in ("hours", "days")
            and self.date_start
        ):
            self.date_deadline = self.policy_id._deadline_from(
                self.date_start, False, self.company_id or self.env.company
            )

    @api.constrains("date_start", "date_deadline", "date_done")
    def _check_dates(self):
        for event in self:
            if event.date_deadline < event.date_start:
                raise ValidationError(
                    _(
                        "The deadline of “%(name)s” (%(deadline)s) cannot be before the date "
                        "it was committed (%(start)s).",
                        name=event.name,
                        deadline=format_datetime(self.env, event.date_deadline),
                        start=format_datetime(self.env, event.date_start),
                    )
                )
            if event.date_done and event.date_done < event.date_start:
                raise ValidationError(
                    _(
                        "“%(name)s” cannot be done before the date it was committed.",
                        name=event.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_user_values(vals, creating=True)
            self._normalize_account(vals)
        events = super().create(vals_list)
        if not self.env.context.get("relationship_sla_no_notice"):
            events.filtered("date_done")._notify_breaches()
        self.env["relationship.health.pending"]._mark_commitments(events)
        return events

    def write(self, vals):
        self._check_user_values(vals)
        self._normalize_account(vals)
        archiving = "active" in vals and not self.env.su
        if archiving:
            changed = self.filtered(lambda e: e.active != bool(vals["active"]))
        before = self.partner_id.ids if "partner_id" in vals else []
        result = super().write(vals)
        self.env["relationship.health.pending"]._mark_commitments(self, before, vals)
        if "date_done" in vals and not self.env.context.get(
            "relationship_sla_no_notice"
        ):
            self.filtered("date_done")._notify_breaches()
        if archiving and changed:
            body = (
                _(
                    "Archived by %(user)s: this commitment no longer counts in the account's "
                    "health.",
                    user=self.env.user.name,
                )
                if not vals["active"]
                else _(
                    "Restored by %(user)s: this commitment counts again in the account's "
                    "health.",
                    user=self.env.user.name,
                )
            )
            for event in changed:
                event.message_post(body=body)
        return result

    def unlink(self):
        self.env["relationship.health.pending"]._mark_commitments(self)
        return super().unlink()

    def _check_user_values(self, vals, creating=False):
        """What users may set by hand: never the source of a commitment nor its
        breach notice; on a commitment recorded from a document, nothing that
        follows the document; archiving is a sales manager's act. The bridges
        write as the superuser."""
        if self.env.su:
            return
        if set(SYSTEM_FIELDS) & set(vals):
            raise AccessError(
                _(
                    "The source document and the breach notice of a service commitment are "
                    "recorded by Odoo and cannot be set by hand."
                )
            )
        locked = [name for name in DOCUMENT_FIELDS if name in vals]
        if locked:
            from_documents = self.filtered("res_id")
            if from_documents:
                raise UserError(
                    _(
                        "“%(name)s” was recorded from %(document)s: its account, dates and service "
                        "level follow that document and cannot be edited here (%(fields)s).",
                        name=from_documents[0].name,
                        document=from_documents[0].source_name
                        or from_documents[0].res_model,
                        fields=", ".join(
                            self._fields[name].get_description(self.env)["string"]
                            for name in locked
                        ),
                    )
                )
        archives = "active" in vals and not (creating and vals["active"])
        if archives and not self.env.user.has_group(ARCHIVERS):
            raise AccessError(
                _("Only sales managers can archive or restore a service commitment.")
            )

    # Source documents ----------------------------------------------------------
    @api.model
    def _record_from_sources(self, vals_list, notify=True):
        """Create or update the commitments of source documents, in one go.

        Each ``vals`` names its source (``res_model``, ``res_id``) and its
        ``policy_id``, plus any of :data:`SOURCE_FIELDS`. An existing event of
        the same source and policy, archived or not, is updated (only the
        fields whose value changed, so its chatter stays quiet); the others are
        created together. ``active=False`` archives the event of a source that
        no longer counts (a cancelled delivery…).

        With ``notify`` (the default), a breach recorded here gives the
        salesperson one "Inform the customer" activity; backfills of past
        documents pass ``notify=False``: the breaches they record (done late,
        or still open past the deadline) are history, marked noticed without a
        notice, so that the hourly job never announces them either. An open
        commitment not yet due is announced as usual once its deadline passes.
        """
        if not vals_list:
            return self.browse()
        keys = []
        for vals in vals_list:
            if not vals.get("res_model") or not vals.get("res_id"):
                raise ValidationError(
                    _(
                        "A service commitment recorded from a document "
                        "needs the document."
                    )
                )
            keys.append(source_key(vals))
        Event = self.with_context(active_test=False, relationship_sla_no_notice=True)
        existing = Event.search(
            [
                ("res_model", "in", list({key[0] for key in keys})),
                ("res_id", "in", list({key[1] for key in keys})),
            ]
        )
        by_key = {(e.res_model, e.res_id, e.policy_id.id or False): e for e in existing}
        touched = self.browse()
        to_create = {}  # two sources of one batch may share a key: the last wins
        for key, vals in zip(keys, vals_list):
            event = by_key.get(key)
            if event is None:
                create_vals = dict(vals)
                if create_vals.get("active", True) is False:
                    continue  # nothing to archive: the source never counted
                to_create[key] = create_vals
                continue
            self._normalize_account(vals)
            changes = {}
            for name in SOURCE_FIELDS:
                if name not in vals:
                    continue
                field = self._fields[name]
                if field.convert_to_cache(event[name], event) != field.convert_to_cache(
                    vals[name], event
                ):
                    changes[name] = vals[name]
            if changes:
                event.write(changes)
            touched |= event
        if to_create:
            touched |= Event.create(list(to_create.values()))
        touched = touched.with_env(self.env)
        if notify:
            touched.filtered(lambda e: e.active and e.date_done)._notify_breaches()
        else:
            now = fields.Datetime.now()
            touched.sudo().filtered(
                lambda e: e.active and not e.breach_noticed_on and e._is_breached(now)
            ).with_context(relationship_sla_no_notice=True).write(
                {"breach_noticed_on": now}
            )
        return touched

    def _is_breached(self, now):
        """Whether this commitment is breached at ``now``: done after its
        deadline, or still open past it."""
        self.ensure_one()
        return commitment_state(self.date_deadline, self.date_done, now) == "breached"

    # Breach notices ------------------------------------------------------------
    def _notify_breaches(self, now=None):
        """Give the salesperson of each breached commitment of ``self`` one
        "Inform the customer" activity, with the facts, once per breach.

        A breach is a commitment done after its deadline, or still open past
        it. Breaches that happened (late completion, or deadline passed while
        open) more than :data:`BREACH_NOTICE_WINDOW` ago, archived events and
        events already noticed are left alone.
        """
        now = now or fields.Datetime.now()
        breaches = self.sudo().filtered(
            lambda e: e.active
            and not e.breach_noticed_on
            # when the breach happened: the late completion, or the deadline
            # passing on an open commitment
            and (e.date_done or e.date_deadline) >= now - BREACH_NOTICE_WINDOW
            and e._is_breached(now)
        )
        if not breaches:
            return breaches
        activity_type = self.env.ref(
            "relationship_health.mail_activity_type_sla_breach",
            raise_if_not_found=False,
        )
        model_id = self.env["ir.model"]._get_id(self._name)
        owners = {}
        Owner = self.env["relationship.health.owner"].sudo()
        for company in breaches.company_id:
            accounts = breaches.filtered(lambda e: e.company_id == company).partner_id
            found = Owner._owners(accounts.ids, [company.id] * len(accounts))
            owners.update(
                {(pid, company.id): user for pid, (user, _team) in found.items()}
            )
        values = []
        for event in breaches:
            # (not "user": _() reads a local of that name as the reader)
            owner = owners.get((event.partner_id.id, event.company_id.id))
            if not owner:
                event.message_post(
                    body=_(
                        "This commitment was breached, but the account has no salesperson "
                        "to inform the customer."
                    )
                )
                continue
            values.append(
                {
                    "res_model_id": model_id,
                    "res_id": event.id,
                    "activity_type_id": activity_type.id if activity_type else False,
                    "summary": _(
                        "Inform %(account)s: %(name)s",
                        account=event.partner_id.name,
                        name=event.name,
                    ),
                    "note": event.with_user(owner)._breach_facts(now),
                    "user_id": owner.id,
                    "date_deadline": fields.Date.context_today(event, now),
                }
            )
        self.env["mail.activity"].sudo().with_context(
            mail_activity_quick_update=True
        ).create(values)
        breaches.write({"breach_noticed_on": now})
        return breaches

    def _breach_facts(self, now):
        """What was promised, by when, and how late, as activity note HTML."""
        self.ensure_one()
        end = self.date_done or now
        late_hours = max((end - self.date_deadline).total_seconds() / 3600, 0)
        if late_hours >= 48:
            late = _("%(days)s days late", days=round(late_hours / 24))
        else:
            late = _("%(hours)s hours late", hours=round(late_hours, 1))
        status = (
            _(
                "Done on %(date)s, %(late)s.",
                date=format_datetime(self.env, self.date_done),
                late=late,
            )
            if self.date_done
            else _("Still not done, %(late)s.", late=late)
        )
        what = self.name
        if self.policy_id:
            what = "%s (%s)" % (self.name, self.policy_id.name)
        promised = _(
            "Promised: %(what)s, by %(deadline)s.",
            what=what,
            deadline=format_datetime(self.env, self.date_deadline),
        )
        advice = _(
            "Tell the customer before they find out: what happened, what is being done, "
            "and when it will be right. Use the “Inform the customer” email of this commitment."
        )
        return Markup("<p>%s</p><p>%s</p><p>%s</p>") % (promised, status, advice)

    @api.model
    def _cron_notify_breaches(self, batch_size=500):
        """Announce the breaches of open commitments whose deadline passed.

        Commitments done late are announced when they are recorded (a
        backfill of history records them without a notice, on purpose).
        Batch by batch, committed between batches when run by the scheduler:
        a run that stops half-way keeps the notices given, and the next run
        gives the others, never one twice."""
        now = fields.Datetime.now()
        events = self.search(
            [
                ("breach_noticed_on", "=", False),
                ("date_deadline", "<", now),
                ("date_deadline", ">=", now - BREACH_NOTICE_WINDOW),
                ("state", "=", "open"),
            ],
            order="date_deadline, id",
        )
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        noticed = self.browse()
        cron = self.env["ir.cron"]
        for ids in split_every(batch_size, events.ids, list):
            with self.env.cr.savepoint():
                noticed |= self.browse(ids)._notify_breaches(now)
            if auto_commit:
                # One batch, one transaction: the notices given are kept.
                self.env.cr.commit()  # pylint: disable=invalid-commit
            cron._notify_progress(
                done=len(noticed), remaining=len(events) - len(noticed)
            )
        return noticed

    def action_inform_customer(self):
        """The mail composer, with the breach email to the account's contacts."""
        self.ensure_one()
        return composer_action(self, "relationship_health.mail_template_sla_breach")

    def _breach_recipients(self):
        """The account and its contacts with an email: who hears about a breach."""
        self.ensure_one()
        return account_recipients(self.partner_id)

    def _normalize_account(self, vals):
        """Commitments belong to the commercial partner, never to a contact."""
        if vals.get("partner_id"):
            partner = self.env["res.partner"].browse(vals["partner_id"])
            vals["partner_id"] = partner.commercial_partner_id.id
