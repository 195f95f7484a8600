from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..scoring import ScoringConfigError
from ..scoring.scorecards import (
    THRESHOLDS,
    match_scorecards,
    scorecard_clashes,
    scorecard_config,
)
from ..scoring.vocabulary import QUADRANT_LABELS, QUADRANTS, SIGNALS, selection
from .health_actions import filtered_action, linked_counts
from .health_scorecard_readers import read_scorecards, read_segments

WEIGHT_FIELDS = tuple(f"health_weight_{name}" for name in SIGNALS)
THRESHOLD_FIELDS = tuple(f"health_{name}" for name in THRESHOLDS)
CRITERIA_FIELDS = ("tier_ids", "industry_ids", "category_ids", "quadrant")
#: Fields whose change changes which accounts a scorecard scores, or how.
SCORING_FIELDS = frozenset(
    {
        *WEIGHT_FIELDS,
        *THRESHOLD_FIELDS,
        *CRITERIA_FIELDS,
        "sequence",
        "active",
        "company_id",
    }
)


class RelationshipHealthScorecard(models.Model):
    """The weights and band thresholds of a segment of accounts.

    A scorecard scores the accounts of its company that meet its criteria
    (tiers, industries, tags, quadrant: an empty criterion matches any
    account, a filled one any of its values, all filled ones must match);
    the one of lowest priority number wins, and accounts that none matches
    are scored with the company's settings (the default scorecard). Its
    changes mark the accounts it scores, before and after, for the next
    refresh.
    """

    _name = "relationship.health.scorecard"
    _description = "Relationship Health Scorecard"
    _inherit = ["mail.thread", "relationship.health.scoring.mixin"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    sequence = fields.Integer(
        string="Priority",
        default=lambda self: self._default_sequence(),
        tracking=True,
        help="When several scorecards match an account, the one with the lowest "
        "number scores it.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    tier_ids = fields.Many2many(
        "relationship.visit.tier",
        "relationship_health_scorecard_tier_rel",
        "scorecard_id",
        "tier_id",
        string="Tiers",
        check_company=True,
        tracking=True,
        help="Accounts of any of these tiers; empty: any tier.",
    )
    industry_ids = fields.Many2many(
        "res.partner.industry",
        "relationship_health_scorecard_industry_rel",
        "scorecard_id",
        "industry_id",
        string="Industries",
        tracking=True,
        help="Accounts of any of these industries; empty: any industry.",
    )
    category_ids = fields.Many2many(
        "res.partner.category",
        "relationship_health_scorecard_category_rel",
        "scorecard_id",
        "category_id",
        string="Tags",
        tracking=True,
        help="Accounts with any of these tags; empty: any tags.",
    )
    quadrant = fields.Selection(
        selection(QUADRANTS, QUADRANT_LABELS),
        string="Loyalty × Profitability",
        tracking=True,
        help="Accounts in this quadrant at their last scoring; empty: any quadrant.",
    )
    partner_count = fields.Integer(string="Accounts", compute="_compute_partner_count")

    def _default_sequence(self):
        """The next free priority of the company."""
        company = self.env.company
        last = (
            self.sudo()
            .with_context(active_test=False)
            .search([("company_id", "=", company.id)], order="sequence desc", limit=1)
        )
        return last.sequence + 1 if last else 10

    def _compute_partner_count(self):
        counts = linked_counts(self, "res.partner", "health_scorecard_id")
        for scorecard in self:
            scorecard.partner_count = counts.get(scorecard, 0)

    def action_view_partners(self):
        """The accounts this scorecard scored at their last scoring."""
        self.ensure_one()
        return filtered_action(
            self.env,
            "relationship_health.res_partner_action_relationship_health",
            [("health_scorecard_id", "=", self.id)],
            {"create": False},
        )

    def _scoring_config(self):
        """The company's settings with this scorecard's weights and
        thresholds, validated (see :func:`..scoring.scorecards.scorecard_config`)."""
        self.ensure_one()
        return scorecard_config(
            self.company_id.sudo()._health_scoring_config(),
            {name: self[f"health_weight_{name}"] for name in SIGNALS},
            {name: self[f"health_{name}"] for name in THRESHOLDS},
        )

    # ------------------------------------------------------------------
    # Refusals
    # ------------------------------------------------------------------
    @api.constrains(*WEIGHT_FIELDS, *THRESHOLD_FIELDS, "company_id")
    def _check_numbers(self):
        for scorecard in self:
            try:
                scorecard._scoring_config()
            except ScoringConfigError as error:
                raise ValidationError(
                    _(
                        "The scorecard %(name)s cannot be saved: %(error)s",
                        name=scorecard.name,
                        error=scorecard.company_id._health_config_error_text(error),
                    )
                ) from error

    @api.constrains("sequence", "company_id", "active", *CRITERIA_FIELDS)
    def _check_equal_priorities(self):
        """Two active scorecards of one company and priority may not match
        the same account."""
        mine = set(self.filtered("active").ids)
        if not mine:
            return
        self.env.flush_all()
        scorecards = read_scorecards(self.env.cr, self.company_id.ids)
        ours = {
            (card["company_id"], card["sequence"])
            for card in scorecards
            if card["id"] in mine
        }
        scorecards = [
            card
            for card in scorecards
            if (card["company_id"], card["sequence"]) in ours
        ]
        if len(scorecards) == len(ours):
            return  # each alone at its priority: no query of the accounts
        accounts = self._company_segments({card["company_id"] for card in scorecards})
        for first, second, partner_id in scorecard_clashes(accounts, scorecards):
            if mine.intersection((first, second)):
                cards = self.browse([first, second]).sudo()
                raise ValidationError(
                    _(
                        "The scorecards %(first)s and %(second)s have the same "
                        "priority (%(priority)s) and both match the account "
                        "%(account)s: give one of them another priority, or "
                        "criteria that do not overlap.",
                        first=cards[0].display_name,
                        second=cards[1].display_name,
                        priority=cards[0].sequence,
                        account=self.env["res.partner"]
                        .sudo()
                        .browse(partner_id)
                        .display_name,
                    )
                )

    # ------------------------------------------------------------------
    # Rescoring what changed
    # ------------------------------------------------------------------
    @api.model
    def _company_segments(self, company_ids):
        """The segment of every account scored for ``company_ids`` (see
        :func:`.health_scorecard_readers.read_segments`): one query."""
        engine = self.env["relationship.health.engine"]
        self.env.flush_all()
        company_sql = engine._account_company_sql("p")
        return read_segments(
            self.env.cr,
            [
                *engine._account_conditions(),
                SQL("%s = ANY(%s)", company_sql, [int(c) for c in company_ids]),
            ],
            company_sql,
        )

    def _scored_accounts(self, company_ids, segments=None):
        """The accounts of ``company_ids`` these scorecards score: those
        they match now and those they scored at their last scoring. Returns
        the companies' segments (read unless given) and the accounts' ids."""
        if not company_ids:
            return segments, []
        self.env.flush_all()
        if segments is None:
            segments = self._company_segments(company_ids)
        if segments.empty:
            return segments, []
        now = match_scorecards(segments, read_scorecards(self.env.cr, company_ids))
        mine = now.isin(self.ids) | segments["scorecard_before"].isin(self.ids)
        return segments, segments.index[mine.to_numpy()].tolist()

    def _mark(self, partner_ids):
        self.env["relationship.health.pending"]._mark_accounts(partner_ids)

    @api.model_create_multi
    def create(self, vals_list):
        scorecards = super().create(vals_list)
        scorecards._mark(scorecards._scored_accounts(set(scorecards.company_id.ids))[1])
        return scorecards

    def write(self, vals):
        """Mark the accounts these scorecards score before and after a change
        of what scores them (an account whose scorecard changes was scored
        by one of these before or is after)."""
        if not SCORING_FIELDS.intersection(vals):
            return super().write(vals)
        companies = set(self.company_id.ids)
        segments, before = self._scored_accounts(companies)
        result = super().write(vals)
        if "company_id" in vals:
            companies, segments = companies | set(self.company_id.ids), None
        self._mark([*before, *self._scored_accounts(companies, segments)[1]])
        return result

    def unlink(self):
        self._mark(self._scored_accounts(set(self.company_id.ids))[1])
        return super().unlink()
