"""One account at one date of a score validation: its score then, and
whether it lapsed in the horizon that followed."""

from odoo import fields, models
from odoo.tools import SQL

from ..scoring.vocabulary import SIGNALS
from .partner_health_fields import account_field, parent_field
from .relationship_health_snapshot import HEALTH_BANDS, score_column

#: The columns a batch inserts, in order, with their PostgreSQL array types.
LINE_COLUMNS = (
    ("partner_id", "int4"),
    ("as_of", "date"),
    ("scorecard_id", "int4"),
    ("user_id", "int4"),
    ("company_id", "int4"),
    ("score", "float8"),
    ("band", "varchar"),
    *((name, "float8") for name in SIGNALS),
    ("lapsed", "bool"),
    ("source", "varchar"),
)

ARRAY_CASTS = {
    "int4": "%s::int4[]",
    "date": "%s::date[]",
    "float8": "%s::float8[]",
    "varchar": "%s::varchar[]",
    "bool": "%s::bool[]",
}


class RelationshipHealthValidationLine(models.Model):
    """Written by the validation job only, one INSERT per batch of accounts
    (:meth:`_insert`); users read them."""

    _name = "relationship.health.validation.line"
    _description = "Relationship Health Score Validation Point"
    _order = "as_of desc, id"
    _rec_name = "partner_id"
    _log_access = False

    run_id = parent_field("relationship.health.validation", string="Validation")
    partner_id = account_field(readonly=True)
    as_of = fields.Date(string="Date", required=True, readonly=True)
    # The scorecard the account was scored with (0: the company's default
    # settings), an id until scorecards are records.
    scorecard_id = fields.Integer(readonly=True, default=0)
    user_id = fields.Many2one(
        "res.users", string="Salesperson", readonly=True, index="btree_not_null"
    )
    company_id = fields.Many2one("res.company", readonly=True)
    score = score_column()
    band = fields.Selection(HEALTH_BANDS, readonly=True, required=True)
    satisfaction = score_column()
    sla = score_column(string="SLA Adherence")
    visits = score_column()
    recency = score_column(string="Purchase Recency")
    lapsed = fields.Boolean(
        readonly=True,
        help="No confirmed order for more than twice the account's usual interval, "
        "or 12-month revenue down by more than half, in the 180 days after the date.",
    )
    source = fields.Selection(
        [("snapshot", "Snapshot"), ("backtest", "Backtest")],
        readonly=True,
        required=True,
        help="Snapshot: the score the nightly job recorded the day before. "
        "Backtest: the score recomputed from what was known before the date.",
    )

    _sql_constraints = [
        (
            "run_partner_date_uniq",
            "UNIQUE(run_id, partner_id, as_of)",
            "An account has one point per date in a validation.",
        ),
    ]

    def _insert(self, run_id, points):
        """Insert the rows of ``points`` (a frame with the columns of
        :data:`LINE_COLUMNS`) into the validation ``run_id``: one statement,
        the rows already there kept. Returns the number of rows inserted."""
        if points.empty:
            return 0
        names = [name for name, _type in LINE_COLUMNS]
        arrays = [
            points[name].astype(object).where(points[name].notna(), None).tolist()
            for name in names
        ]
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO relationship_health_validation_line (run_id, %(names)s)
                SELECT %(run)s, * FROM unnest(%(arrays)s)
                ON CONFLICT (run_id, partner_id, as_of) DO NOTHING
                """,
                names=SQL(", ").join(SQL.identifier(name) for name in names),
                run=run_id,
                arrays=SQL(", ").join(
                    SQL(ARRAY_CASTS[array_type], values)
                    for (_name, array_type), values in zip(LINE_COLUMNS, arrays)
                ),
            )
        )
        return self.env.cr.rowcount

    def _done_partner_ids(self, run_id):
        """The accounts that already have their points in ``run_id``."""
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT partner_id FROM relationship_health_validation_line"
                " WHERE run_id = %s",
                run_id,
            )
        )
        return {row[0] for row in self.env.cr.fetchall()}
