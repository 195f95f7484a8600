"""The survey campaigns of an account, as res.partner shows them: which
contacts are asked, when the next survey is due, its postponement, and the
silence of an account that stopped answering. Inherited by res.partner."""

from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_date

from ..scoring.campaigns import SILENCE_INVITATIONS, next_due_date
from .health_clock import health_today
from .partner_health_fields import engine_result, health_field


#: The longest postponement of an account's survey (days).
MAX_POSTPONE_DAYS = 366


class RelationshipSurveyAccountMixin(models.AbstractModel):
    _name = "relationship.survey.account.mixin"
    _description = "Survey Campaigns of an Account"

    survey_recipient = fields.Boolean(
        groups="base.group_user",
        help="This contact is asked the satisfaction surveys of its company's "
        "campaigns. When no contact of a company has it, its main contact is asked.",
    )
    health_survey_silent_on = engine_result(
        fields.Date,
        string="Stopped Answering",
        index="btree_not_null",
        help="The day of the last of the unanswered invitations after which the "
        "account counts as silent. Silence is shown, not scored.",
    )
    # Set by the sales rep (Postpone), cleared by Send now; never copied.
    health_survey_postponed_until = health_field(
        fields.Date,
        "Survey Postponed Until",
        copy=False,
        tracking=True,
        help="No campaign asks this account before the day after this date.",
    )
    health_survey_postpone_reason = health_field(
        fields.Char, "Postponement Reason", copy=False
    )
    health_survey_next_date = health_field(
        fields.Date,
        string="Next Survey",
        compute="_compute_health_survey_next",
        help="When the next campaign asks this account.",
    )
    health_survey_campaign_id = health_field(
        fields.Many2one,
        "relationship.survey.campaign",
        string="Next Campaign",
        compute="_compute_health_survey_next",
    )

    @api.depends("health_survey_postponed_until")
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_health_survey_next(self):
        """For the accounts shown (a form): the running campaign that asks each
        next, and when."""
        today = health_today()
        Campaign = self.env["relationship.survey.campaign"].sudo()
        campaigns = Campaign.search(
            [
                ("company_id", "in", self.env.companies.ids),
                ("date_start", "<=", today),
                "|",
                ("date_end", "=", False),
                ("date_end", ">=", today),
            ]
        )
        if not campaigns:
            self.health_survey_next_date = False
            self.health_survey_campaign_id = False
            return
        accounts = self.commercial_partner_id
        Partner = self.env["res.partner"].sudo()
        targets = {
            campaign: set(
                Partner.search(campaign._domain() + [("id", "in", accounts.ids)]).ids
            )
            for campaign in campaigns
        }
        last_sent = {
            (campaign.id, account.id): day
            for campaign, account, day in self.env["relationship.survey.invitation"]
            .sudo()
            ._read_group(
                [
                    ("campaign_id", "in", campaigns.ids),
                    ("account_id", "in", accounts.ids),
                ],
                ["campaign_id", "account_id"],
                ["date_sent:max"],
            )
        }
        for partner in self:
            account = partner.commercial_partner_id
            best = None
            for campaign, targeted in targets.items():
                if account.id not in targeted:
                    continue
                due = max(
                    next_due_date(
                        last_sent.get((campaign.id, account.id)),
                        campaign.cadence_days,
                        today,
                        account.health_survey_postponed_until or None,
                    ),
                    campaign.date_start,
                )
                if best is None or due < best[0]:
                    best = (due, campaign)
            partner.health_survey_next_date = best[0] if best else False
            partner.health_survey_campaign_id = best[1].id if best else False

    def _check_survey_rights(self):
        """A rep acts on the surveys of their own accounts; salesmen with
        access to all documents, on any account of their companies."""
        self.check_access("write")
        if self.env.su or self.env.user.has_group(
            "sales_team.group_sale_salesman_all_leads"
        ):
            return
        if any(account.user_id != self.env.user for account in self):
            raise AccessError(
                _("You can postpone or send the surveys of your own accounts only.")
            )

    @api.constrains("health_survey_postponed_until")
    def _check_health_survey_postponed_until(self):
        limit = health_today() + timedelta(days=MAX_POSTPONE_DAYS)
        for partner in self:
            if (
                partner.health_survey_postponed_until
                and partner.health_survey_postponed_until > limit
            ):
                raise ValidationError(
                    _(
                        "A survey is postponed by %(days)s days at the most.",
                        days=MAX_POSTPONE_DAYS,
                    )
                )

    def _survey_silence_text(self):
        """The reason line of an account that stopped answering, or ""."""
        self.ensure_one()
        if not self.health_survey_silent_on:
            return ""
        return _(
            "No answer to the last %(count)s surveys (sent up to %(date)s).",
            count=SILENCE_INVITATIONS,
            date=format_date(self.env, self.health_survey_silent_on),
        )

    def action_postpone_survey(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Postpone the Survey"),
            "res_model": "relationship.survey.postpone.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }

    def action_send_survey_now(self):
        """Ask this account now, in the campaign that asks it next (the
        fatigue guard, declines and bounces still apply)."""
        self.ensure_one()
        account = self.commercial_partner_id
        account._check_survey_rights()
        campaign = account.health_survey_campaign_id
        if not campaign:
            raise UserError(_("No running survey campaign targets this account."))
        count = campaign.sudo()._invite_due(
            health_today(), account_ids=[account.id], force=True
        )
        if not count:
            raise UserError(
                _(
                    "Nobody of %(account)s can be asked now: its contacts were asked "
                    "recently (the fatigue guard), declined, bounced or have no email.",
                    account=account.name,
                )
            )
        account.sudo().write(
            {
                "health_survey_postponed_until": False,
                "health_survey_postpone_reason": False,
            }
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _(
                    "%(count)s contacts of %(account)s invited to “%(survey)s”.",
                    count=count,
                    account=account.name,
                    survey=campaign.sudo().survey_id.title,
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
