from odoo import models

#: Answer fields whose change makes an answer count, or stop counting, for
#: its customer's satisfaction.
ANSWER_FIELDS = frozenset({"state", "partner_id", "test_entry"})


class SurveyUserInput(models.Model):
    _name = "survey.user_input"
    _inherit = ["relationship.health.input.mixin", "survey.user_input"]
    _health_input_fields = ANSWER_FIELDS

    def _health_input_partner_ids(self):
        """Completed answers (or answers that were) change their customers'
        satisfaction: their accounts are rescored by the next refresh."""
        return self.filtered(lambda a: a.state == "done").partner_id.ids
