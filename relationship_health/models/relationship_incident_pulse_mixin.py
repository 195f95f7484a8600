"""Afterwards, ask: the one-question pulse survey sent to the contacts
informed of a service incident once it is resolved. Inherited by
relationship.service.incident."""

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class RelationshipIncidentPulseMixin(models.AbstractModel):
    _name = "relationship.incident.pulse.mixin"
    _description = "Pulse Survey after an Incident"

    pulse_survey_id = fields.Many2one(
        "survey.survey",
        default=lambda self: self.env.ref(
            "relationship_health.survey_incident_pulse", raise_if_not_found=False
        ),
        help="When the incident is resolved, the informed contacts are invited to "
        "this survey; their answers count in their account's satisfaction. Empty: "
        "no survey.",
    )
    pulse_sent = fields.Boolean(readonly=True, copy=False)

    @api.constrains("pulse_survey_id")
    def _check_pulse_survey(self):
        for incident in self.sudo().filtered("pulse_survey_id"):
            if not incident.pulse_survey_id.question_ids.filtered("health_metric"):
                raise ValidationError(
                    _(
                        "The pulse survey “%(survey)s” has no question measuring "
                        "satisfaction (NPS, CSAT or scale): its answers would not count.",
                        survey=incident.pulse_survey_id.title,
                    )
                )

    def _send_pulse(self):
        """Invite the contacts informed of these resolved incidents to their
        pulse survey: one answer (with its token) per incident and contact,
        its invitation through the mail queue in the contact's language.
        Contacts already invited for the incident are skipped (a unique index
        guards it too), so a rerun invites only the missing ones."""
        template = self.env.ref(
            "survey.mail_template_user_input_invite", raise_if_not_found=False
        )
        Answer = self.env["survey.user_input"].sudo()
        for incident in self.sudo():
            survey = incident.pulse_survey_id
            if incident.state != "resolved" or not survey or incident.pulse_sent:
                continue
            informed = (
                self.env["relationship.service.incident.notice"]
                .sudo()
                .search([("incident_id", "=", incident.id)])
                .partner_id.filtered("active")
            )
            asked = Answer.search(
                [("incident_id", "=", incident.id), ("partner_id", "in", informed.ids)]
            ).partner_id
            contacts = (informed - asked).sorted("id")
            answers = Answer.create(
                [
                    {
                        "survey_id": survey.id,
                        "partner_id": contact.id,
                        "email": contact.email,
                        "incident_id": incident.id,
                    }
                    for contact in contacts
                ]
            )
            if answers and template:
                template.sudo().send_mail_batch(answers.ids)
            incident.pulse_sent = True
