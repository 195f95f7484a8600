import threading

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, split_every
from odoo.tools.safe_eval import safe_eval

from ..scoring.campaigns import campaign_problem, choose_invitees, due_accounts
from ..scoring.limits import MAX_DAYS
from .health_clock import health_today
from .health_sql import read_people

#: How many due accounts one batch of invitations covers.
INVITATION_BATCH = 1000

#: Who sends a campaign's invitations and reminders.
INVITE_TEMPLATE = "survey.mail_template_user_input_invite"
REMINDER_TEMPLATE = "relationship_health.mail_template_survey_reminder"


class RelationshipSurveyCampaign(models.Model):
    """Listening on a schedule: a survey asked again and again to the
    accounts a campaign targets, each at its cadence, within the fatigue
    guard of every contact."""

    _name = "relationship.survey.campaign"
    _description = "Survey Campaign"
    _inherit = ["mail.thread"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    survey_id = fields.Many2one(
        "survey.survey",
        required=True,
        tracking=True,
        help="The shipped NPS, CSAT or SERVQUAL surveys, or any survey with a "
        "question measuring satisfaction.",
    )
    account_domain = fields.Char(
        string="Accounts",
        default="[]",
        help="Which customer accounts the campaign asks: tiers, quadrants, bands, "
        "tags, salesperson… Empty: every account.",
    )
    cadence_days = fields.Integer(
        string="Every (days)",
        default=90,
        required=True,
        tracking=True,
        help="How often each account is asked.",
    )
    contacts_per_account = fields.Integer(
        string="Contacts Asked per Account",
        default=2,
        required=True,
        help="The contacts marked as survey recipients (else the main contact), at "
        "most this many per account.",
    )
    date_start = fields.Date(
        string="Starts", required=True, default=lambda self: health_today()
    )
    date_end = fields.Date(string="Ends")
    invitation_ids = fields.One2many(
        "relationship.survey.invitation", "campaign_id", string="Invitations"
    )
    account_count = fields.Integer(
        string="Accounts Targeted", compute="_compute_account_count"
    )
    invited_count = fields.Integer(string="Invited", compute="_compute_figures")
    answered_count = fields.Integer(string="Answered", compute="_compute_figures")
    declined_count = fields.Integer(string="Declined", compute="_compute_figures")
    bounced_count = fields.Integer(string="Bounced", compute="_compute_figures")
    response_rate = fields.Float(
        string="Response Rate (%)", digits=(5, 1), compute="_compute_figures"
    )
    nps = fields.Float(
        string="NPS",
        digits=(5, 1),
        compute="_compute_figures",
        help="Net Promoter Score of the NPS answers to this campaign: % promoters "
        "(9–10) − % detractors (0–6). Empty without an NPS answer.",
    )

    _sql_constraints = [
        (
            "dates_ordered",
            "CHECK(date_end IS NULL OR date_end >= date_start)",
            "A campaign cannot end before it starts.",
        ),
    ]

    # ------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------
    @api.constrains("survey_id", "cadence_days", "contacts_per_account", "company_id")
    def _check_settings(self):
        for campaign in self:
            fatigue = campaign.company_id.sudo().health_survey_fatigue_days
            problem = campaign_problem(
                campaign.cadence_days,
                fatigue,
                campaign.contacts_per_account,
                bool(campaign.sudo().survey_id.question_ids.filtered("health_metric")),
            )
            if problem == "no_metric":
                raise ValidationError(
                    _(
                        "The survey “%(survey)s” has no question measuring satisfaction "
                        "(NPS, CSAT or scale): its answers would not count in any account's "
                        "health.",
                        survey=campaign.sudo().survey_id.title,
                    )
                )
            if problem == "cadence":
                raise ValidationError(
                    _(
                        "“%(name)s” asks every %(cadence)s days, more often than a contact "
                        "may be asked (once every %(fatigue)s days, see the settings).",
                        name=campaign.name,
                        cadence=campaign.cadence_days,
                        fatigue=fatigue,
                    )
                )
            if problem == "contacts":
                raise ValidationError(
                    _(
                        "“%(name)s” must ask at least one contact per account.",
                        name=campaign.name,
                    )
                )
            if campaign.cadence_days > MAX_DAYS:
                raise ValidationError(
                    _("A campaign asks once every ten years at the most.")
                )
            campaign._domain()  # a domain that does not parse is refused here

    def _domain(self):
        """The accounts targeted, as a domain on res.partner."""
        self.ensure_one()
        try:
            domain = safe_eval(self.account_domain or "[]")
            self.env["res.partner"]._where_calc(domain)
        except Exception as error:  # noqa: BLE001 - any broken domain, said plainly
            raise ValidationError(
                _(
                    "The accounts of “%(name)s” are not a valid filter: %(error)s",
                    name=self.name,
                    error=error,
                )
            ) from error
        return [
            ("is_company", "=", True),
            ("parent_id", "=", False),
            ("company_id", "in", [False, self.company_id.id]),
            *domain,
        ]

    def _account_ids(self):
        return self.env["res.partner"].sudo()._search(self._domain())

    @api.depends("account_domain", "company_id")
    def _compute_account_count(self):
        for campaign in self:
            try:
                campaign.account_count = (
                    self.env["res.partner"].sudo().search_count(campaign._domain())
                )
            except ValidationError:
                campaign.account_count = 0

    def _compute_figures(self):
        Invitation = self.env["relationship.survey.invitation"]
        counts = {
            (campaign, state): count
            for campaign, state, count in Invitation._read_group(
                [("campaign_id", "in", self.ids)], ["campaign_id", "state"], ["__count"]
            )
        }
        nps = self._read_nps()
        for campaign in self:
            by_state = {
                state: counts.get((campaign, state), 0)
                for state in ("sent", "answered", "declined", "bounced")
            }
            invited = sum(by_state.values())
            campaign.invited_count = invited
            campaign.answered_count = by_state["answered"]
            campaign.declined_count = by_state["declined"]
            campaign.bounced_count = by_state["bounced"]
            campaign.response_rate = (
                100.0 * by_state["answered"] / invited if invited else 0.0
            )
            campaign.nps = nps.get(campaign.id, 0.0)

    def _read_nps(self):
        """``{campaign id: NPS}`` of the NPS answers to these campaigns."""
        if not self.ids:
            return {}
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT i.campaign_id,
                       100.0 * COUNT(*) FILTER (WHERE l.value_scale >= 9) / COUNT(*)
                       - 100.0 * COUNT(*) FILTER (WHERE l.value_scale <= 6) / COUNT(*)
                  FROM relationship_survey_invitation i
                  JOIN survey_user_input_line l ON l.user_input_id = i.user_input_id
                  JOIN survey_question q ON q.id = l.question_id
                 WHERE i.campaign_id = ANY(%(ids)s)
                   AND q.health_metric = 'nps'
                   AND NOT l.skipped
                   AND l.value_scale IS NOT NULL
                 GROUP BY i.campaign_id
                """,
                ids=self.ids,
            )
        )
        return dict(self.env.cr.fetchall())

    # ------------------------------------------------------------------
    # The daily job
    # ------------------------------------------------------------------
    @api.model
    def _cron_send_invitations(self, today=None):
        """Send the invitations due today of every running campaign, batch by
        batch (committed between batches when run by the scheduler), then the
        reminders, the answers and the silence flags. Running it again the
        same day invites nobody twice: the fatigue guard sees today's
        invitations, and one invitation per campaign, contact and day is
        all the database accepts."""
        today = today or health_today()
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        campaigns = self.sudo().search(
            [
                ("date_start", "<=", today),
                "|",
                ("date_end", "=", False),
                ("date_end", ">=", today),
            ]
        )
        invited = 0
        for campaign in campaigns:
            invited += campaign._invite_due(today, auto_commit=auto_commit)
        Invitation = self.env["relationship.survey.invitation"].sudo()
        Invitation._sync_states()
        Invitation._send_reminders(today)
        Invitation._flag_silence(today)
        return invited

    def _invite_due(self, today, auto_commit=False, account_ids=None, force=False):
        """Invite the contacts of this campaign's due accounts (or of
        ``account_ids``; ``force`` ignores the cadence, not the fatigue
        guard). Returns how many invitations were sent."""
        self.ensure_one()
        targeted = self._account_ids()
        if account_ids is not None:
            chosen = set(targeted)
            targeted = [account for account in account_ids if account in chosen]
        else:
            targeted = list(targeted)
        if force:
            due = sorted(targeted)
        else:
            last_sent, postponed = self._read_last_sent(targeted)
            due = due_accounts(targeted, last_sent, today, self.cadence_days, postponed)
        company = self.company_id.sudo()
        sent = 0
        for batch in split_every(INVITATION_BATCH, due, list):
            with self.env.cr.savepoint():
                chosen = choose_invitees(
                    self._read_contacts(batch),
                    self.contacts_per_account,
                    company.health_survey_fatigue_days,
                    today,
                )
                sent += (
                    self.env["relationship.survey.invitation"]
                    .sudo()
                    ._send(self, chosen, today)
                )
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return sent

    def _read_last_sent(self, account_ids):
        """(``{account: last day this campaign asked it}``, ``{account:
        postponed until}``) of ``account_ids``."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT account_id, MAX(date_sent)
                  FROM relationship_survey_invitation
                 WHERE campaign_id = %(campaign)s AND account_id = ANY(%(ids)s)
                 GROUP BY account_id
                """,
                campaign=self.id,
                ids=list(account_ids),
            )
        )
        last_sent = dict(self.env.cr.fetchall())
        self.env.cr.execute(
            SQL(
                """
                SELECT id, health_survey_postponed_until
                  FROM res_partner
                 WHERE id = ANY(%(ids)s) AND health_survey_postponed_until IS NOT NULL
                """,
                ids=list(account_ids),
            )
        )
        return last_sent, dict(self.env.cr.fetchall())

    def _read_contacts(self, account_ids):
        """Rows (account_id, partner_id, flagged, email, last_invited,
        excluded) of the accounts and their active contacts: when each was
        last invited by any campaign, and whether it declined (an address on
        the blacklist, an invitation declined) or bounced."""
        return read_people(
            self.env,
            account_ids,
            SQL("COALESCE(p.survey_recipient, FALSE)"),
            SQL("p.email"),
            SQL(
                """(SELECT MAX(i.date_sent) FROM relationship_survey_invitation i
                     WHERE i.partner_id = p.id)"""
            ),
            SQL(
                """COALESCE(p.message_bounce, 0) > 0
                   OR EXISTS (SELECT 1 FROM mail_blacklist b
                               WHERE b.active AND b.email = p.email_normalized)
                   OR EXISTS (SELECT 1 FROM relationship_survey_invitation i
                               WHERE i.partner_id = p.id
                                 AND i.state IN ('declined', 'bounced'))"""
            ),
        )

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def action_send_now(self):
        """Send the invitations due today of this campaign now."""
        self.ensure_one()
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise UserError(_("Only sales managers run a campaign by hand."))
        count = self.sudo()._invite_due(health_today())
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if count else "warning",
                "message": _("%(count)s invitations sent.", count=count)
                if count
                else _(
                    "Nobody is due today: every account was asked recently, "
                    "or its contacts were (the fatigue guard)."
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
