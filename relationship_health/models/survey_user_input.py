from odoo import fields, models
from odoo.tools import SQL

#: Answer fields whose change makes an answer count, or stop counting, for
#: its customer's satisfaction.
ANSWER_FIELDS = frozenset({"state", "partner_id", "test_entry"})


class SurveyUserInput(models.Model):
    _name = "survey.user_input"
    _inherit = ["relationship.health.input.mixin", "survey.user_input"]
    _health_input_fields = ANSWER_FIELDS

    incident_id = fields.Many2one(
        "relationship.service.incident",
        string="After Incident",
        index="btree_not_null",
        readonly=True,
        ondelete="set null",
        groups="sales_team.group_sale_salesman",
        help="The service incident this answer was asked about, once resolved.",
    )

    def init(self):
        # One pulse invitation per incident and contact, whatever retries happen.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS survey_user_input_incident_partner_uniq"
                " ON survey_user_input (incident_id, partner_id)"
                " WHERE incident_id IS NOT NULL"
            )
        )

    def _health_input_partner_ids(self):
        """Completed answers (or answers that were) change their customers'
        satisfaction: their accounts are rescored by the next refresh."""
        return self.filtered(lambda a: a.state == "done").partner_id.ids

    def _mark_done(self):
        result = super()._mark_done()
        # The campaign's invitation of this answer is answered at once.
        self.env["relationship.survey.invitation"].sudo()._sync_states(self.ids)
        return result
