from markupsafe import Markup

from odoo import api, fields, models

from ..scoring.playbooks import plan_playbooks
from ..scoring.vocabulary import (
    BAND_LABELS,
    QUADRANT_LABELS,
    QUADRANTS,
    SCORED_BANDS,
    selection,
)
from .health_clock import health_today
from .health_readers import read_quadrant_accounts

ACTIONS = [
    ("activity", "Activity for the salesperson"),
    ("opportunity", "Opportunity"),
    ("tier", "Move to a tier"),
    ("nothing", "Nothing"),
]


class RelationshipPlaybook(models.Model):
    """What happens when an account enters a loyalty × profitability
    quadrant (and, optionally, a band): an activity, an up-sell or cross-sell
    opportunity, a tier change, or nothing; once per entry, with a cooldown,
    within each salesperson's daily cap, never over open retention work."""

    _name = "relationship.playbook"
    _description = "Quadrant Playbook"
    _inherit = ["mail.thread"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    quadrant = fields.Selection(
        selection(QUADRANTS, QUADRANT_LABELS), required=True, tracking=True
    )
    band = fields.Selection(
        selection(SCORED_BANDS, BAND_LABELS),
        tracking=True,
        help="Only for the accounts of this band; empty: any band. A playbook of a "
        "band comes before the playbook of its quadrant.",
    )
    action = fields.Selection(ACTIONS, required=True, default="activity", tracking=True)
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        default=lambda self: self.env.ref(
            "mail.mail_activity_data_call", raise_if_not_found=False
        ),
    )
    note = fields.Text(
        translate=True,
        help="What the salesperson is asked to do (activity, opportunity).",
    )
    opportunity_kind = fields.Selection(
        [("crosssell", "Cross-sell"), ("upsell", "Up-sell")], default="crosssell"
    )
    tier_id = fields.Many2one("relationship.visit.tier")
    cooldown_days = fields.Integer(
        string="Cooldown (days)",
        default=180,
        help="An account that enters the quadrant again within this many days of "
        "the last run gets nothing.",
    )
    run_ids = fields.One2many("relationship.playbook.run", "playbook_id")
    started = fields.Boolean(
        readonly=True,
        copy=False,
        help="Set after its first run, which records the accounts already in its "
        "quadrant without giving them work.",
    )
    run_count = fields.Integer(string="Runs", compute="_compute_run_count")

    def _compute_run_count(self):
        counts = dict(
            self.env["relationship.playbook.run"]._read_group(
                [("playbook_id", "in", self.ids), ("state", "=", "done")],
                ["playbook_id"],
                ["__count"],
            )
        )
        for playbook in self:
            playbook.run_count = counts.get(playbook, 0)

    # ------------------------------------------------------------------
    # The nightly run
    # ------------------------------------------------------------------
    @api.model
    def _cron_run(self, today=None):
        """Run the playbooks of every company after the night's scores."""
        today = today or health_today()
        done = 0
        for company in self.env["res.company"].sudo().search([]):
            done += self.sudo()._run_company(company, today)
        return done

    def _run_company(self, company, today):
        playbooks = self.search([("company_id", "=", company.id)])
        if not playbooks:
            return 0
        Run = self.env["relationship.playbook.run"]
        self.env.flush_all()
        accounts = [row[:5] for row in read_quadrant_accounts(self.env.cr, company.id)]
        open_stays = {
            run.partner_id.id: run.playbook_id.id
            for run in Run.search(
                [("company_id", "=", company.id), ("ended_on", "=", False)]
            )
        }
        last_runs = {
            (playbook.id, partner.id): day
            for playbook, partner, day in Run._read_group(
                [("company_id", "=", company.id), ("state", "=", "done")],
                ["playbook_id", "partner_id"],
                ["date:max"],
            )
        }
        busy = set(
            self.env["relationship.retention.case"]
            .sudo()
            .search(
                [("company_id", "=", company.id), ("state", "in", ("waiting", "open"))]
            )
            .partner_id.ids
        )
        owners = {row[3] for row in accounts if row[3]}
        given = dict(
            Run._read_group(
                [
                    ("date", "=", today),
                    ("state", "=", "done"),
                    ("user_id", "in", list(owners)),
                ],
                ["user_id"],
                ["__count"],
            )
        )
        cap = company.sudo().health_retention_daily_cases or 0
        limits = {
            owner: cap - given.get(self.env["res.users"].browse(owner), 0)
            for owner in owners
        }
        runs, skipped, ended = plan_playbooks(
            accounts,
            [(p.id, p.quadrant, p.band or None, p.sequence) for p in playbooks],
            open_stays,
            last_runs,
            {p.id: p.cooldown_days for p in playbooks},
            busy,
            limits,
            today,
            new={p.id for p in playbooks if not p.started},
        )
        if ended:
            Run.search([("partner_id", "in", ended), ("ended_on", "=", False)]).write(
                {"ended_on": today}
            )
            Run.flush_model(["ended_on"])  # before the new stays are inserted
        values = [
            {
                "playbook_id": playbook_id,
                "partner_id": account_id,
                "date": today,
                "state": "skipped",
                "skip_reason": reason,
            }
            for playbook_id, account_id, reason in skipped
        ] + [
            {"playbook_id": playbook_id, "partner_id": account_id, "date": today}
            for playbook_id, account_id in runs
        ]
        created = Run.create(values)
        created.filtered(lambda r: r.state == "done")._do_work()
        playbooks.filtered(lambda p: not p.started).write({"started": True})
        return len(runs)

    def _opportunity_descriptions(self, runs):
        """``{run: (description, expected revenue)}`` of the opportunities of
        these runs: their playbook's note and the account's live suggestions
        of the playbook's kind (one read for all)."""
        suggestions = self.env["relationship.crosssell.suggestion"].search(
            [("partner_id", "in", runs.partner_id.ids), ("state", "=", "active")]
        )
        by_account = suggestions.grouped("partner_id")
        found = {}
        for run in runs:
            kind = run.playbook_id.opportunity_kind
            chosen = by_account.get(run.partner_id, suggestions.browse()).filtered(
                lambda s, kind=kind: s.kind == kind
            )
            note = Markup("<p>%s</p>") % (run.playbook_id.note or "")
            found[run] = (
                note + chosen._as_html(),
                sum(chosen.mapped("expected_revenue")),
            )
        return found
