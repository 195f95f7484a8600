import html
from datetime import timedelta

from markupsafe import escape

from odoo import api, fields, models
from odoo.tools import SQL, html_sanitize
from odoo.tools.mail import generate_tracking_message_id

from ..scoring.campaigns import SILENCE_INVITATIONS, reminders_due, silent_accounts
from ..scoring.vocabulary import QUADRANT_LABELS, QUADRANTS, selection
from .health_sql import fetch_column
from .partner_health_fields import account_field, parent_field

#: The contact's name while an e-mail of a language is rendered once (see
#: ``_queue_mails``): put back with each contact's name.
NAME_MARK = "rh-survey-contact-name"
#: What ``_queue_mails`` renders once per language.
MAIL_FIELDS = ("subject", "body_html", "email_from", "reply_to", "email_cc")

INVITATION_STATES = [
    ("sent", "Sent"),
    ("answered", "Answered"),
    ("declined", "Declined"),
    ("bounced", "Bounced"),
]


class RelationshipSurveyInvitation(models.Model):
    """One contact asked by one campaign on one day: its survey answer (with
    the token of the link it received), its reminder, and what came of it."""

    _name = "relationship.survey.invitation"
    _description = "Survey Invitation"
    _order = "date_sent desc, id desc"
    _rec_name = "partner_id"

    campaign_id = parent_field("relationship.survey.campaign")
    company_id = fields.Many2one(
        related="campaign_id.company_id", store=True, index=True
    )
    survey_id = fields.Many2one(related="campaign_id.survey_id")
    account_id = account_field(index=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Contact",
        required=True,
        index=True,
        readonly=True,
        ondelete="cascade",
    )
    user_id = fields.Many2one(
        "res.users", string="Salesperson", index=True, readonly=True
    )
    quadrant = fields.Selection(
        selection(QUADRANTS, QUADRANT_LABELS),
        readonly=True,
        help="The account's loyalty × profitability quadrant when it was asked.",
    )
    user_input_id = fields.Many2one(
        "survey.user_input", string="Answer", readonly=True, ondelete="set null"
    )
    date_sent = fields.Date(string="Sent On", required=True, readonly=True, index=True)
    date_reminded = fields.Date(string="Reminded On", readonly=True)
    state = fields.Selection(
        INVITATION_STATES, required=True, default="sent", readonly=True, index=True
    )
    # Stored as 0 while waiting (not NULL): averaged over every invitation.
    answered = fields.Integer(
        default=0,
        readonly=True,
        aggregator="sum",
        help="1 when answered: summed when grouped.",
    )
    response_rate = fields.Float(
        string="Response Rate (%)",
        default=0.0,
        readonly=True,
        digits=(5, 1),
        aggregator="avg",
        help="100 when answered, else 0: averaged when grouped.",
    )

    _sql_constraints = [
        (
            "one_a_day",
            "UNIQUE(campaign_id, partner_id, date_sent)",
            "A campaign invites a contact once a day at the most.",
        ),
    ]

    def action_mark_declined(self):
        """The contact told us they do not want to answer: never asked again.
        For the invitations the user may read (their accounts', or all)."""
        self.check_access("read")
        self.filtered(lambda i: i.state == "sent").sudo().write({"state": "declined"})
        return True

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    @api.model
    def _send(self, campaign, chosen, today):
        """Invite the (account_id, partner_id) rows of ``chosen`` to the
        campaign's survey: one answer with its token each, its invitation
        e-mail through the mail queue in the contact's language. Returns how
        many were invited."""
        if chosen.empty:
            return 0
        Partner = self.env["res.partner"].sudo()
        contacts = Partner.browse(chosen["partner_id"].tolist())
        accounts = Partner.browse(chosen["account_id"].tolist())
        answers = (
            self.env["survey.user_input"]
            .sudo()
            .with_context(tracking_disable=True)
            .create(
                [
                    {
                        "survey_id": campaign.survey_id.id,
                        "partner_id": contact.id,
                        "email": contact.email,
                    }
                    for contact in contacts
                ]
            )
        )
        self.create(
            [
                {
                    "campaign_id": campaign.id,
                    "account_id": account.id,
                    "partner_id": contact.id,
                    "user_id": account.user_id.id,
                    "quadrant": account.health_quadrant or False,
                    "user_input_id": answer.id,
                    "date_sent": today,
                }
                for account, contact, answer in zip(accounts, contacts, answers)
            ]
        )
        self._queue_mails("survey.mail_template_user_input_invite", answers)
        return len(answers)

    @api.model
    def _queue_mails(self, xmlid, answers):
        """Queue the e-mails of the template ``xmlid`` to the contacts of the
        survey ``answers`` in the mail queue, each in its contact's language
        with its own link. The template is rendered once per language, on
        one answer whose contact's name is a stand-in; each contact's name
        and token are then put in (an answer without a contact's name is
        rendered on its own). One INSERT of the messages, one of the mails."""
        template = self.env.ref(xmlid, raise_if_not_found=False)
        if not template or not answers:
            return
        template = template.sudo()
        if (
            template.partner_to
            or template.attachment_ids
            or template.report_template_ids
        ):
            # A template customised beyond one contact, name and link: each
            # e-mail rendered by the template itself.
            template.send_mail_batch(answers.ids)
            return
        by_lang, alone = {}, []
        for answer in answers:
            if answer.partner_id.name:
                lang = answer.partner_id.lang or self.env.lang or "en_US"
                by_lang.setdefault(lang, []).append(answer.id)
            else:
                alone.append(answer.id)
        if alone:
            template.send_mail_batch(alone)
        self.env.flush_all()
        rows = []
        for ids in by_lang.values():
            group = answers.browse(ids)
            sample = group[0]
            contact = sample.partner_id
            contact._update_cache({"name": NAME_MARK}, validate=False)
            values = template._generate_template(sample.ids, MAIL_FIELDS)[sample.id]
            contact.invalidate_recordset()
            body = str(values["body_html"] or "")
            message_body = str(html_sanitize(body))

            def own(text, name, token, mark=sample.access_token):
                return text.replace(NAME_MARK, name).replace(mark, token)

            for answer in group:
                name, token = answer.partner_id.name, answer.access_token
                rows.append(
                    (
                        answer.id,
                        answer.display_name,
                        own(str(values["subject"] or ""), name, token),
                        values["email_from"] or self.env.user.email_formatted,
                        values["reply_to"] or "",
                        # as the sanitizer writes it, as QWeb escapes it
                        own(message_body, html.escape(name, quote=False), token),
                        generate_tracking_message_id(f"{answer.id}-{answers._name}"),
                        own(body, str(escape(name)), token),
                        answer.partner_id.email_formatted or answer.email,
                        values["email_cc"] or "",
                    )
                )
        self._insert_mails(answers._name, template.auto_delete, rows)

    def _insert_mails(self, model, auto_delete, rows):
        """The messages and outgoing mails of ``rows`` (res_id, record_name,
        subject, email_from, reply_to, body, message_id, body_html, email_to,
        email_cc), as ``mail.template.send_mail_batch`` leaves them."""
        if not rows:
            return
        columns = list(zip(*rows))
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO mail_message
                       (model, res_id, record_name, subject, email_from, reply_to,
                        body, message_id, message_type, author_id,
                        email_add_signature, date,
                        create_uid, create_date, write_uid, write_date)
                SELECT %(model)s, v.res_id, v.record_name, v.subject, v.email_from,
                       v.reply_to, v.body, v.message_id, 'email_outgoing', %(author)s,
                       TRUE, %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(res_ids)s::int[], %(names)s::varchar[],
                              %(subjects)s::varchar[], %(froms)s::varchar[],
                              %(replies)s::varchar[], %(bodies)s::text[],
                              %(message_ids)s::varchar[])
                       AS v(res_id, record_name, subject, email_from, reply_to, body,
                            message_id)
                RETURNING id, res_id
                """,
                model=model,
                author=self.env.user.partner_id.id,
                now=self.env.cr.now(),
                uid=self.env.uid,
                res_ids=list(columns[0]),
                names=list(columns[1]),
                subjects=list(columns[2]),
                froms=list(columns[3]),
                replies=list(columns[4]),
                bodies=list(columns[5]),
                message_ids=list(columns[6]),
            )
        )
        messages = dict((res_id, message) for message, res_id in self.env.cr.fetchall())
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO mail_mail
                       (mail_message_id, body_html, email_to, email_cc, state,
                        auto_delete, create_uid, create_date, write_uid, write_date)
                SELECT v.message, v.body_html, v.email_to, v.email_cc, 'outgoing',
                       %(auto_delete)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(messages)s::int[], %(bodies)s::text[],
                              %(tos)s::text[], %(ccs)s::varchar[])
                       AS v(message, body_html, email_to, email_cc)
                """,
                auto_delete=auto_delete,
                uid=self.env.uid,
                now=self.env.cr.now(),
                messages=[messages[res_id] for res_id in columns[0]],
                bodies=list(columns[7]),
                tos=list(columns[8]),
                ccs=list(columns[9]),
            )
        )
        self.env["mail.message"].invalidate_model()
        self.env["mail.mail"].invalidate_model()

    @api.model
    def _sync_states(self, user_input_ids=None):
        """What came of the invitations still waiting: answered (the survey
        completed), bounced (the address bounced) or declined (the address is
        on the blacklist). One UPDATE each."""
        self.env.flush_all()
        only = (
            SQL(" AND i.user_input_id = ANY(%s)", list(user_input_ids))
            if user_input_ids is not None
            else SQL()
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE relationship_survey_invitation i
                   SET state = 'answered', answered = 1, response_rate = 100
                  FROM survey_user_input a
                 WHERE a.id = i.user_input_id AND a.state = 'done'
                   AND i.state != 'answered'%s
                """,
                only,
            )
        )
        if user_input_ids is None:
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE relationship_survey_invitation i
                       SET state = CASE WHEN COALESCE(p.message_bounce, 0) > 0
                                        THEN 'bounced' ELSE 'declined' END
                      FROM res_partner p
                     WHERE p.id = i.partner_id AND i.state = 'sent'
                       AND (COALESCE(p.message_bounce, 0) > 0
                            OR EXISTS (SELECT 1 FROM mail_blacklist b
                                        WHERE b.active AND b.email = p.email_normalized))
                    """
                )
            )
        self.invalidate_model(["state", "answered", "response_rate"])

    @api.model
    def _send_reminders(self, today):
        """One reminder to the contacts who have not answered after the
        company's reminder delay, never two."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT i.id, i.date_sent, i.state, i.date_reminded,
                       COALESCE(c.health_survey_reminder_days, 0)
                  FROM relationship_survey_invitation i
                  JOIN res_company c ON c.id = i.company_id
                  JOIN res_partner a ON a.id = i.account_id
                 WHERE i.state = 'sent' AND i.date_reminded IS NULL
                   -- a week to send a missed reminder, never the invitations of
                   -- years ago when reminders are turned on
                   AND i.date_sent >= %(today)s - COALESCE(c.health_survey_reminder_days, 0) - 7
                   AND (a.health_survey_postponed_until IS NULL
                        OR a.health_survey_postponed_until < %(today)s)
                """,
                today=today,
            )
        )
        by_delay = {}
        for row in self.env.cr.fetchall():
            by_delay.setdefault(row[4], []).append(row[:4])
        ids = [
            invitation_id
            for delay, rows in by_delay.items()
            for invitation_id in reminders_due(rows, delay, today)
        ]
        invitations = self.browse(ids)
        self._queue_mails(
            "relationship_health.mail_template_survey_reminder",
            invitations.user_input_id,
        )
        invitations.write({"date_reminded": today})
        return invitations

    @api.model
    def _flag_silence(self, today):
        """Flag the accounts whose contacts left their last two invitations
        unanswered (:func:`..scoring.campaigns.silent_accounts`), unflag the
        others. Silence is shown on the account, not scored."""
        self.env.flush_all()
        wait = 2 * max(
            self.env["res.company"]
            .sudo()
            .search([])
            .mapped("health_survey_reminder_days")
            or [0]
        )
        # Per account, its last invitation days old enough to count (a few
        # rows per account, whatever the years of history).
        self.env.cr.execute(
            SQL(
                """
                SELECT account_id, date_sent, state
                  FROM (SELECT account_id, date_sent,
                               CASE WHEN bool_or(state = 'answered') THEN 'answered'
                                    ELSE 'sent' END AS state,
                               ROW_NUMBER() OVER (PARTITION BY account_id
                                                  ORDER BY date_sent DESC) AS rank
                          FROM relationship_survey_invitation
                         WHERE date_sent <= %(limit)s
                         GROUP BY account_id, date_sent) AS days
                 WHERE rank <= %(count)s
                """,
                limit=today - timedelta(days=wait),
                count=SILENCE_INVITATIONS,
            )
        )
        silent = silent_accounts(self.env.cr.fetchall(), today, wait)
        flagged = set(
            fetch_column(
                self.env,
                SQL(
                    "SELECT id FROM res_partner WHERE health_survey_silent_on IS NOT NULL"
                ),
            )
        )
        ended = sorted(flagged - set(silent))
        if ended:
            self.env.cr.execute(
                SQL(
                    "UPDATE res_partner SET health_survey_silent_on = NULL WHERE id = ANY(%s)",
                    ended,
                )
            )
        if silent:
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE res_partner p SET health_survey_silent_on = v.day
                      FROM unnest(%(ids)s::int[], %(days)s::date[]) AS v(id, day)
                     WHERE p.id = v.id
                       AND p.health_survey_silent_on IS DISTINCT FROM v.day
                    """,
                    ids=list(silent),
                    days=list(silent.values()),
                )
            )
        self.env["res.partner"].invalidate_model(["health_survey_silent_on"])
        return silent
