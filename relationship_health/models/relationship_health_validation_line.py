"""One account at one date of a score validation: its score then, and
whether it lapsed in the horizon that followed."""

import io

from odoo import fields, models
from odoo.tools import SQL

from ..scoring.vocabulary import SIGNALS
from .partner_health_fields import account_field, parent_field
from .relationship_health_snapshot import HEALTH_BANDS, score_column

#: The columns a batch inserts, in order, with their PostgreSQL types.
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
    scorecard_id = fields.Many2one(
        "relationship.health.scorecard",
        readonly=True,
        ondelete="set null",
        help="The scorecard the account was scored with; empty: the company's "
        "own settings.",
    )
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
        help="Snapshot: the score the nightly job recorded that day. "
        "Backtest: the score recomputed from what was known by the end of that day.",
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
        :data:`LINE_COLUMNS`) into the validation ``run_id``: the rows
        copied into a temporary table (COPY: no Python object per value),
        then one INSERT, the rows already there kept. Returns the number of
        rows inserted."""
        if points.empty:
            return 0
        cr = self.env.cr
        names = [name for name, _type in LINE_COLUMNS]
        cr.execute(
            SQL(
                "CREATE TEMP TABLE IF NOT EXISTS validation_points (%s) ON COMMIT DROP",
                SQL(", ").join(
                    SQL("%s %s", SQL.identifier(name), SQL(column_type))
                    for name, column_type in LINE_COLUMNS
                ),
            )
        )
        cr.execute(SQL("TRUNCATE validation_points"))
        frame = points[names].copy()
        frame["lapsed"] = frame["lapsed"].map({True: "t", False: "f"})
        buffer = io.StringIO()
        frame.to_csv(buffer, header=False, index=False, na_rep="")
        buffer.seek(0)
        cr.copy_expert(
            "COPY validation_points FROM STDIN WITH (FORMAT csv, NULL '')", buffer
        )
        cr.execute(
            SQL(
                """
                INSERT INTO relationship_health_validation_line (run_id, %(names)s)
                SELECT %(run)s, %(names)s FROM validation_points
                ON CONFLICT (run_id, partner_id, as_of) DO NOTHING
                """,
                names=SQL(", ").join(SQL.identifier(name) for name in names),
                run=run_id,
            )
        )
        return cr.rowcount

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
