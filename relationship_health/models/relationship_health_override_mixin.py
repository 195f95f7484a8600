"""A sales manager's override of an account's health band: its fields, the
actions that set and clear it, and its expiry. Inherited by res.partner."""

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..scoring.vocabulary import BAND_LABELS, SCORED_BANDS, selection
from .partner_health_fields import engine_result


class RelationshipHealthOverrideMixin(models.AbstractModel):
    """The band override of an account (res.partner): the band shown is the
    override until it expires or a manager clears it, then the computed one."""

    _name = "relationship.health.override.mixin"
    _description = "Account Health Band Override"

    health_override_band = engine_result(
        fields.Selection,
        selection(SCORED_BANDS, BAND_LABELS),
        string="Band Override",
        tracking=True,
        help="A sales manager's judgment that replaces the computed band until it expires.",
    )
    health_override_reason = engine_result(fields.Text, string="Override Reason")
    health_override_until = engine_result(
        fields.Date, string="Override Until", tracking=True
    )
    health_override_user_id = engine_result(
        fields.Many2one, "res.users", string="Overridden By"
    )

    def action_open_health_override(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Override Health Band"),
            "res_model": "relationship.health.override.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_ids": self.commercial_partner_id.ids},
        }

    def action_clear_health_override(self):
        """End the override of these accounts now: back to the computed band."""
        self._check_health_override_rights()
        overridden = self.filtered("health_override_band")
        for partner in overridden:
            partner.message_post(
                body=_(
                    "Health band override removed; back to the computed band (%(band)s).",
                    band=partner._health_band_label(partner.health_computed_band),
                ),
            )
        overridden.sudo()._health_end_override()

    def _health_end_override(self):
        for computed_band, partners in self.grouped("health_computed_band").items():
            partners.write(
                {
                    "health_band": computed_band or "unknown",
                    "health_override_band": False,
                    "health_override_reason": False,
                    "health_override_until": False,
                    "health_override_user_id": False,
                }
            )

    def _check_health_override_rights(self):
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(
                _("Only sales managers can override a relationship health band.")
            )

    def _health_band_label(self, band):
        return dict(self._fields["health_band"]._description_selection(self.env)).get(
            band, band
        )

    @api.model
    def _health_expire_overrides(self, as_of):
        """End every override whose expiry date has passed, saying so in the chatter."""
        expired = self.sudo().search(
            [
                ("health_override_band", "!=", False),
                ("health_override_until", "<", as_of),
            ]
        )
        for partner in expired:
            partner.message_post(
                body=_(
                    "The health band override (%(band)s) expired on %(date)s; "
                    "back to the computed band (%(computed)s).",
                    band=partner._health_band_label(partner.health_override_band),
                    date=partner.health_override_until,
                    computed=partner._health_band_label(partner.health_computed_band),
                ),
            )
        expired._health_end_override()
        return expired
