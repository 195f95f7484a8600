from odoo import api, models

from .relationship_health_pending import marking_accounts

#: Answer fields whose change makes an answer count, or stop counting, for
#: its customer's satisfaction.
ANSWER_FIELDS = frozenset({"state", "partner_id", "test_entry"})


class SurveyUserInput(models.Model):
    _inherit = "survey.user_input"

    @api.model_create_multi
    def create(self, vals_list):
        answers = super().create(vals_list)
        answers.filtered(lambda a: a.state == "done")._mark_health_accounts()
        return answers

    def write(self, vals):
        with marking_accounts(self, _customers_of_done, ANSWER_FIELDS & set(vals)):
            return super().write(vals)

    def unlink(self):
        self.filtered(lambda a: a.state == "done")._mark_health_accounts()
        return super().unlink()

    def _mark_health_accounts(self):
        """Completed answers (or answers that were) change their customers'
        satisfaction: their accounts are rescored by the next refresh."""
        self.env["relationship.health.pending"]._mark_accounts(self.partner_id.ids)


def _customers_of_done(answers):
    return answers.filtered(lambda a: a.state == "done").partner_id.ids
