from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..scoring.vocabulary import (
    DIMENSION_LABELS,
    DIMENSIONS,
    SIDE_LABELS,
    SIDES,
    selection,
)

HEALTH_METRICS = [
    ("nps", "NPS (0–10)"),
    ("csat", "CSAT (1–5)"),
    ("scale", "Other scale"),
]


SERVQUAL_DIMENSIONS = selection(DIMENSIONS, DIMENSION_LABELS)
SERVQUAL_SIDES = selection(SIDES, SIDE_LABELS)


class SurveyQuestion(models.Model):
    _inherit = "survey.question"

    health_metric = fields.Selection(
        HEALTH_METRICS,
        help="Answers to this question feed the satisfaction signal of the "
        "customer's relationship health. NPS is read on 0–10, CSAT on 1–5, "
        "other scales on the question's own minimum and maximum.",
    )

    servqual_dimension = fields.Selection(
        SERVQUAL_DIMENSIONS,
        string="SERVQUAL Dimension",
        help="The service quality dimension this item measures.",
    )
    servqual_side = fields.Selection(
        SERVQUAL_SIDES,
        string="SERVQUAL Side",
        help="Whether the item asks what the customer expects of a supplier like us, "
        "or what they perceive of us. The gap is perception minus expectation.",
    )

    @api.constrains(
        "servqual_dimension", "servqual_side", "question_type", "health_metric"
    )
    def _check_servqual(self):
        for question in self:
            if bool(question.servqual_dimension) != bool(question.servqual_side):
                raise ValidationError(
                    _(
                        "The SERVQUAL item “%(title)s” needs both a dimension and a side.",
                        title=question.title,
                    )
                )
            if question.servqual_dimension and question.question_type not in (
                "scale",
                "numerical_box",
            ):
                raise ValidationError(
                    _(
                        "The SERVQUAL item “%(title)s” must be a scale or a numerical value "
                        "question.",
                        title=question.title,
                    )
                )
            if question.servqual_side == "expectation" and question.health_metric:
                raise ValidationError(
                    _(
                        "The SERVQUAL item “%(title)s” asks for an expectation: it cannot "
                        "measure satisfaction (only perceptions do).",
                        title=question.title,
                    )
                )

    @api.constrains("health_metric", "question_type", "scale_min", "scale_max")
    def _check_health_metric(self):
        for question in self.filtered("health_metric"):
            if question.question_type not in ("scale", "numerical_box"):
                raise ValidationError(
                    _(
                        "The question “%(title)s” feeds the health score: it must be a scale "
                        "or a numerical value question.",
                        title=question.title,
                    )
                )
            if (
                question.health_metric == "scale"
                and question.scale_min >= question.scale_max
            ):
                raise ValidationError(
                    _(
                        "The question “%(title)s” needs a scale minimum below its maximum to "
                        "feed the health score.",
                        title=question.title,
                    )
                )
