"""Retention work opened on an account: one open case per account at most."""

from odoo import api, fields, models
from odoo.tools import SQL

from .relationship_health_snapshot import HEALTH_BANDS

OPEN_CASE_INDEX = "relationship_retention_case_open_partner_uniq"

RETENTION_TRIGGERS = [
    ("band_entry", "Entered a risk band"),
    ("score_drop", "Score drop"),
    ("critical_stale", "Critical for too long"),
]


class RelationshipRetentionCase(models.Model):
    """The retention work of an account: its follow-up activity, its retention
    opportunity and what caused them.

    Cases are opened and closed by the retention automation only. A partial
    unique index allows a single open case per account, so that concurrent or
    repeated runs can never open the same work twice.
    """

    _name = "relationship.retention.case"
    _description = "Retention Case"
    _order = "date_opened desc, id desc"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Account",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        readonly=True,
        index=True,
        help="Who got the retention work: the salesperson, else the sales team leader, "
        "else the default owner of the settings.",
    )
    state = fields.Selection(
        [("open", "Open"), ("closed", "Closed")],
        required=True,
        default="open",
        readonly=True,
        index=True,
    )
    kind = fields.Selection(
        [("followup", "Retention follow-up"), ("winback", "Win-back")],
        required=True,
        default="followup",
        readonly=True,
    )
    trigger = fields.Selection(RETENTION_TRIGGERS, required=True, readonly=True)
    band = fields.Selection(HEALTH_BANDS, string="Band When Opened", readonly=True)
    band_before = fields.Selection(HEALTH_BANDS, readonly=True)
    score = fields.Float(string="Score When Opened", readonly=True, digits=(5, 1))
    score_before = fields.Float(readonly=True, digits=(5, 1))
    score_reference = fields.Float(
        string="Score 30 Days Before",
        readonly=True,
        digits=(5, 1),
    )
    critical_since = fields.Date(readonly=True)
    last_band = fields.Selection(
        HEALTH_BANDS,
        string="Last Reported Band",
        readonly=True,
        help="The band last reported on the retention work; a worse band adds a note.",
    )
    last_score = fields.Float(
        string="Last Reported Score", readonly=True, digits=(5, 1)
    )
    revenue_12m = fields.Monetary(
        string="Revenue at Risk",
        readonly=True,
        currency_field="currency_id",
        help="Revenue of the confirmed orders of the last 12 months when the case was opened.",
    )
    activity_id = fields.Many2one(
        "mail.activity",
        readonly=True,
        ondelete="set null",
    )
    lead_id = fields.Many2one(
        "crm.lead",
        string="Retention Opportunity",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
    )
    snapshot_id = fields.Many2one(
        "relationship.health.snapshot",
        string="Health Snapshot",
        readonly=True,
        ondelete="set null",
        help="The daily health snapshot that opened the case.",
    )
    date_opened = fields.Date(
        string="Opened On", required=True, readonly=True, index=True
    )
    date_closed = fields.Date(string="Closed On", readonly=True)
    close_reason = fields.Selection(
        [
            ("recovered", "Recovered"),
            ("handled", "Work done"),
            ("merged", "Merged"),
            ("archived", "Account archived"),
        ],
        readonly=True,
        help="Recovered: the account is healthy again. Work done: its activity and "
        "opportunity were both closed by the team. Merged: the account was merged into "
        "another one that had retention work open already. Account archived: the "
        "account was archived.",
    )
    cooldown_until = fields.Date(
        readonly=True,
        help="No new retention work is opened on the account before this day.",
    )
    update_count = fields.Integer(
        string="Updates",
        readonly=True,
        help="How many later changes of the account were noted on the open work.",
    )

    def init(self):
        result = super().init()
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (partner_id) WHERE state = 'open'",
                SQL.identifier(OPEN_CASE_INDEX),
                SQL.identifier(self._table),
            )
        )
        return result

    @api.depends("partner_id", "date_opened")
    def _compute_display_name(self):
        for case in self:
            case.display_name = self.env._(
                "Retention: %(account)s", account=case.partner_id.display_name or ""
            )
