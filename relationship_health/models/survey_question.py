from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

HEALTH_METRICS = [
    ("nps", "NPS (0–10)"),
    ("csat", "CSAT (1–5)"),
    ("scale", "Other scale"),
]


class SurveyQuestion(models.Model):
    _inherit = "survey.question"

    health_metric = fields.Selection(
        HEALTH_METRICS,
        string="Health Metric",
        help="Answers to this question feed the satisfaction signal of the "
        "customer's relationship health. NPS is read on 0–10, CSAT on 1–5, "
        "other scales on the question's own minimum and maximum.",
    )

    @api.constrains("health_metric", "question_type", "scale_min", "scale_max")
    def _check_health_metric(self):
        for question in self.filtered("health_metric"):
            if question.question_type not in ("scale", "numerical_box"):
                raise ValidationError(
                    _("The question “%(title)s” feeds the health score: it must be a scale "
                      "or a numerical value question.", title=question.title)
                )
            if question.health_metric == "scale" and question.scale_min >= question.scale_max:
                raise ValidationError(
                    _("The question “%(title)s” needs a scale minimum below its maximum to "
                      "feed the health score.", title=question.title)
                )
