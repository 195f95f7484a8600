from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date

from ..models.health_clock import health_today


class RelationshipSurveyPostponeWizard(models.TransientModel):
    """A sales rep puts off the next survey of one account (a negotiation
    under way, a bad moment), with a reason kept on the account."""

    _name = "relationship.survey.postpone.wizard"
    _description = "Postpone an Account's Survey"

    partner_id = fields.Many2one("res.partner", string="Account", required=True)
    date_until = fields.Date(
        string="Until",
        required=True,
        default=lambda self: fields.Date.add(health_today(), months=1),
        help="No campaign asks the account before the day after this date.",
    )
    reason = fields.Char(required=True)

    @api.constrains("date_until")
    def _check_date_until(self):
        for wizard in self:
            if wizard.date_until < health_today():
                raise ValidationError(_("A survey is postponed to today or later."))

    def action_apply(self):
        self.ensure_one()
        if not (self.reason or "").strip():
            raise ValidationError(_("Say why the survey is postponed."))
        account = self.partner_id.commercial_partner_id
        account._check_survey_rights()
        account.write(
            {
                "health_survey_postponed_until": self.date_until,
                "health_survey_postpone_reason": self.reason.strip(),
            }
        )
        account.message_post(
            body=_(
                "Next survey postponed until %(date)s by %(user)s: %(reason)s",
                date=format_date(self.env, self.date_until),
                user=self.env.user.name,
                reason=self.reason.strip(),
            )
        )
        return {"type": "ir.actions.act_window_close"}
