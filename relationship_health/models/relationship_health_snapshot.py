from odoo import fields, models

from ..scoring.vocabulary import BAND_LABELS, BANDS, selection
from .partner_health_fields import account_field

HEALTH_BANDS = selection(BANDS, BAND_LABELS)


def cause_snapshot_field(help_text):
    """The daily health snapshot of the account that caused a record of the
    retention automation (an opportunity, an activity): set once, kept when
    the snapshot is deleted."""
    return fields.Many2one(
        "relationship.health.snapshot",
        readonly=True,
        copy=False,
        ondelete="set null",
        index="btree_not_null",
        help=help_text,
    )


def score_column(**kwargs):
    """A read-only value on the 0–100 scale of the score (a score, an
    adherence) in a report: one decimal, averaged when grouped."""
    return fields.Float(readonly=True, aggregator="avg", digits=(5, 1), **kwargs)


class RelationshipHealthSnapshot(models.Model):
    """One row per account and day the health was computed.

    Rows are written in bulk by the health engine (one upsert per batch);
    users only read them.
    """

    _name = "relationship.health.snapshot"
    _description = "Relationship Health Snapshot"
    _order = "snapshot_date desc, id desc"
    _rec_name = "partner_id"

    partner_id = account_field(readonly=True)
    snapshot_date = fields.Date(string="Date", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    score = score_column()
    band = fields.Selection(
        HEALTH_BANDS, readonly=True, required=True, default="unknown"
    )
    confidence = score_column()
    satisfaction = score_column()
    visits = score_column()
    sla = score_column(string="SLA Adherence")
    recency = score_column(string="Purchase Recency")
    nps = score_column(string="NPS")
    scorecard_id = fields.Many2one(
        "relationship.health.scorecard",
        readonly=True,
        ondelete="set null",
        help="The scorecard that scored the account that day; empty: the company's "
        "settings.",
    )

    _sql_constraints = [
        (
            "partner_date_uniq",
            "UNIQUE(partner_id, snapshot_date)",
            "An account has one health snapshot per day.",
        ),
    ]
