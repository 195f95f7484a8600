from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..models.health_clock import health_today
from ..models.relationship_health_snapshot import HEALTH_BANDS


class RelationshipHealthOverrideWizard(models.TransientModel):
    """A sales manager sets the band of accounts by hand, with a reason and
    an expiry; the computed score keeps being computed and shown beside it."""

    _name = "relationship.health.override.wizard"
    _description = "Override Relationship Health Band"

    partner_ids = fields.Many2many("res.partner", string="Accounts", required=True)
    band = fields.Selection(HEALTH_BANDS[:4], required=True)
    reason = fields.Text(
        required=True, help="Why the computed band does not tell the truth."
    )
    date_until = fields.Date(
        string="Until",
        required=True,
        default=lambda self: fields.Date.add(health_today(), months=1),
        help="The override ends by itself after this date.",
    )

    @api.constrains("date_until")
    def _check_date_until(self):
        today = health_today()
        for wizard in self:
            if wizard.date_until < today:
                raise ValidationError(_("An override must end today or later."))

    def action_apply(self):
        self.ensure_one()
        accounts = self.partner_ids.commercial_partner_id
        accounts._check_health_override_rights()
        if not self.reason.strip():
            raise ValidationError(_("Say why the band is overridden."))
        accounts.sudo().write(
            {
                "health_band": self.band,
                "health_override_band": self.band,
                "health_override_reason": self.reason,
                "health_override_until": self.date_until,
                "health_override_user_id": self.env.uid,
            }
        )
        label = accounts._health_band_label(self.band)
        for account in accounts:
            account.message_post(
                body=_(
                    "Health band overridden to %(band)s until %(date)s by %(user)s: %(reason)s",
                    band=label,
                    date=self.date_until,
                    user=self.env.user.name,
                    reason=self.reason,
                ),
            )
        return {"type": "ir.actions.act_window_close"}
