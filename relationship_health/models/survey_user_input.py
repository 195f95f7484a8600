from odoo import api, models


class SurveyUserInput(models.Model):
    _inherit = "survey.user_input"

    @api.model_create_multi
    def create(self, vals_list):
        answers = super().create(vals_list)
        answers.filtered(lambda a: a.state == "done")._mark_health_accounts()
        return answers

    def write(self, vals):
        if not {"state", "partner_id", "test_entry"}.intersection(vals):
            return super().write(vals)
        before = self.filtered(lambda a: a.state == "done").partner_id.ids
        result = super().write(vals)
        self.filtered(lambda a: a.state == "done")._mark_health_accounts(before)
        return result

    def unlink(self):
        self.filtered(lambda a: a.state == "done")._mark_health_accounts()
        return super().unlink()

    def _mark_health_accounts(self, partner_ids=()):
        """Completed answers (or answers that were) change their customers'
        satisfaction: their accounts are rescored by the next refresh."""
        self.env["relationship.health.pending"]._mark_accounts(
            [*partner_ids, *self.partner_id.ids]
        )
