import logging
from collections import defaultdict

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..scoring.incidents import notice_recipients
from .health_actions import linked_counts
from .health_sql import read_people
from .relationship_service_incident import INCIDENT_MANAGERS, split_accounts
from .partner_health_fields import parent_field

_logger = logging.getLogger(__name__)

KINDS = [("declared", "Declared"), ("update", "Update"), ("resolved", "Resolved")]


class RelationshipServiceIncidentUpdate(models.Model):
    """One customer-facing message of an incident: the declaration, an
    update, or the closing notice. Posted once; its notices go to the
    contacts of every affected account, each in the contact's language."""

    _name = "relationship.service.incident.update"
    _description = "Service Incident Update"
    _order = "date_posted desc, id desc"

    incident_id = parent_field("relationship.service.incident")
    company_id = fields.Many2one(related="incident_id.company_id", store=True)
    kind = fields.Selection(KINDS, required=True, default="update")
    body = fields.Text(string="Message", required=True, translate=True)
    date_posted = fields.Datetime(string="Posted On", readonly=True)
    author_id = fields.Many2one("res.users", string="Posted By", readonly=True)
    notices_done = fields.Boolean(
        readonly=True,
        help="Every notice of this update is queued. A run stopped half-way leaves "
        "it unset, and the next run completes it.",
    )
    notice_count = fields.Integer(compute="_compute_notice_count")

    def _compute_notice_count(self):
        counts = linked_counts(
            self, "relationship.service.incident.notice", "update_id"
        )
        for update in self:
            update.notice_count = counts.get(update, 0)

    @api.model_create_multi
    def create(self, vals_list):
        self._check_poster()
        return super().create(vals_list)

    def write(self, vals):
        self._check_poster()
        return super().write(vals)

    def _check_poster(self):
        if not self.env.su and not self.env.user.has_group(INCIDENT_MANAGERS):
            raise AccessError(_("Only incident managers can post incident updates."))

    # ------------------------------------------------------------------
    # Notices
    # ------------------------------------------------------------------
    def _send_notices(self, auto_commit=False):
        """Queue the notices of these updates: one e-mail per affected account
        and language, to its recipients (see
        :func:`..scoring.incidents.notice_recipients`), through the mail queue,
        and one line on the account's chatter. A contact is never sent the
        same update twice: the notices recorded (one per update and contact)
        are skipped, so a rerun sends only what is missing. Batch by batch;
        ``auto_commit`` commits each (the scheduled job)."""
        for update in self.sudo():
            incident = update.incident_id
            accounts = incident.partner_ids.ids
            recipients, unreached = notice_recipients(update._read_contacts(accounts))
            by_account = recipients.groupby("account_id")["partner_id"].apply(list)
            for batch in split_accounts(by_account.index.tolist()):
                pairs = [
                    (account_id, partner_id)
                    for account_id in batch
                    for partner_id in by_account[account_id]
                ]
                with self.env.cr.savepoint():
                    update._queue(pairs)
                if auto_commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
            if set(unreached) != set(incident.unreached_partner_ids.ids):
                incident.write({"unreached_partner_ids": [(6, 0, unreached)]})
            update.notices_done = True
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit

    def _read_contacts(self, account_ids):
        """Rows (account_id, partner_id, flagged, email) of the accounts and
        their active contacts."""
        return read_people(
            self.env,
            account_ids,
            SQL("COALESCE(p.incident_notices, FALSE)"),
            SQL("p.email"),
        )

    def _queue(self, pairs):
        """Record the notices of (account, contact) ``pairs`` not recorded
        yet, then queue their e-mails and log them on the accounts."""
        self.ensure_one()
        if not pairs:
            return
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO relationship_service_incident_notice
                       (update_id, incident_id, company_id, account_id, partner_id,
                        create_uid, create_date, write_uid, write_date)
                SELECT %(update)s, %(incident)s, %(company)s,
                       pair.account_id, pair.partner_id,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(accounts)s::int[], %(partners)s::int[])
                       AS pair(account_id, partner_id)
                    ON CONFLICT (update_id, partner_id) DO NOTHING
                RETURNING id, account_id, partner_id
                """,
                update=self.id,
                incident=self.incident_id.id,
                company=self.incident_id.company_id.id,
                uid=self.env.uid,
                now=self.env.cr.now(),
                accounts=[account for account, _partner in pairs],
                partners=[partner for _account, partner in pairs],
            )
        )
        new = self.env.cr.fetchall()
        if not new:
            return
        Partner = self.env["res.partner"].sudo()
        langs = dict(
            (partner.id, partner.lang or "en_US")
            for partner in Partner.browse([row[2] for row in new])
        )
        groups = defaultdict(list)  # (account, lang): [(notice, partner)]
        for notice_id, account_id, partner_id in new:
            groups[(account_id, langs[partner_id])].append((notice_id, partner_id))
        contents = {lang: self._content(lang) for lang in {key[1] for key in groups}}
        author = self.author_id or self.env.user
        email_from = (
            author.email_formatted or self.incident_id.company_id.email_formatted
        )
        mails = (
            self.env["mail.mail"]
            .sudo()
            .create(
                [
                    {
                        "subject": contents[lang][0],
                        "body_html": contents[lang][1],
                        "email_from": email_from,
                        "author_id": author.partner_id.id,
                        "recipient_ids": [
                            (6, 0, [partner for _notice, partner in rows])
                        ],
                        "auto_delete": False,
                    }
                    for (_account, lang), rows in groups.items()
                ]
            )
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE relationship_service_incident_notice n
                   SET mail_id = v.mail_id, lang = v.lang
                  FROM unnest(%(notices)s::int[], %(mails)s::int[], %(langs)s::varchar[])
                       AS v(notice_id, mail_id, lang)
                 WHERE n.id = v.notice_id
                """,
                notices=[notice for rows in groups.values() for notice, _p in rows],
                mails=[
                    mail.id
                    for mail, rows in zip(mails, groups.values())
                    for _row in rows
                ],
                langs=[key[1] for key, rows in groups.items() for _row in rows],
            )
        )
        self.env["relationship.service.incident.notice"].invalidate_model()
        self._log_on_accounts(groups, Partner)

    def _log_on_accounts(self, groups, Partner):
        """One line on the chatter of each account told: who was told of what."""
        told = defaultdict(list)
        for (account_id, _lang), rows in groups.items():
            told[account_id].extend(partner for _notice, partner in rows)
        names = {
            partner.id: partner.email_formatted
            for partner in Partner.browse(
                [partner for rows in told.values() for partner in rows]
            )
        }
        kind = dict(self._fields["kind"]._description_selection(self.env))[self.kind]
        bodies = {
            account_id: Markup("<p>%s</p>")
            % _(
                "Informed of the incident “%(incident)s” (%(kind)s): %(contacts)s.",
                incident=self.incident_id.name,
                kind=kind.lower(),
                contacts=", ".join(names[partner] for partner in partners),
            )
            for account_id, partners in told.items()
        }
        Partner.browse(list(bodies))._message_log_batch(
            bodies, author_id=(self.author_id or self.env.user).partner_id.id
        )

    def _content(self, lang):
        """(subject, HTML body) of this update's notice in ``lang``."""
        update = self.with_context(lang=lang)
        incident = update.incident_id.with_context(lang=lang)
        company = incident.company_id
        env = update.env
        if self.kind == "declared":
            subject = env._(
                "[%(company)s] Service incident: %(title)s",
                company=company.name,
                title=incident.name,
            )
        elif self.kind == "resolved":
            subject = env._(
                "[%(company)s] Resolved: %(title)s",
                company=company.name,
                title=incident.name,
            )
        else:
            subject = env._(
                "[%(company)s] Update on %(title)s",
                company=company.name,
                title=incident.name,
            )
        body = env["ir.qweb"]._render(
            "relationship_health.incident_notice_body",
            {
                "update": update,
                "incident": incident,
                "company": company,
                "state": dict(incident._fields["state"]._description_selection(env))[
                    incident.state
                ],
            },
        )
        return subject, body
