from odoo import api, fields, models
from odoo.tools import SQL

from .partner_health_fields import account_field, parent_field


class RelationshipPlaybookRun(models.Model):
    """One account's stay in a playbook's scope: the work the playbook gave
    (or why it gave none), and how it ended: opportunities won, revenue."""

    _name = "relationship.playbook.run"
    _description = "Playbook Run"
    _order = "date desc, id desc"
    _rec_name = "playbook_id"

    playbook_id = parent_field("relationship.playbook")
    partner_id = account_field(index=True, readonly=True)
    company_id = fields.Many2one(
        related="playbook_id.company_id", store=True, index=True
    )
    user_id = fields.Many2one(
        "res.users", string="Salesperson", index=True, readonly=True
    )
    quadrant = fields.Selection(related="playbook_id.quadrant", store=True)
    date = fields.Date(required=True, readonly=True, index=True)
    ended_on = fields.Date(
        readonly=True, help="When the account left the playbook's quadrant or band."
    )
    state = fields.Selection(
        [("done", "Done"), ("skipped", "Skipped")],
        default="done",
        required=True,
        readonly=True,
        index=True,
    )
    skip_reason = fields.Selection(
        [
            ("cooldown", "Ran lately (cooldown)"),
            ("retention", "Open retention work first"),
            ("baseline", "In scope when the playbook started"),
        ],
        readonly=True,
    )
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")
    lead_id = fields.Many2one(
        "crm.lead", string="Opportunity", readonly=True, ondelete="set null"
    )
    won = fields.Integer(
        compute="_compute_won",
        store=True,
        aggregator="sum",
        help="1 when its opportunity was won.",
    )
    revenue_won = fields.Float(
        compute="_compute_won", store=True, aggregator="sum", digits="Product Price"
    )

    @api.depends(
        "lead_id.stage_id.is_won", "lead_id.expected_revenue", "lead_id.active"
    )
    def _compute_won(self):
        for run in self:
            won = bool(
                run.lead_id and run.lead_id.active and run.lead_id.stage_id.is_won
            )
            run.won = int(won)
            run.revenue_won = run.lead_id.expected_revenue if won else 0.0

    def init(self):
        # One open stay per account.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS relationship_playbook_run_open_uniq"
                " ON relationship_playbook_run (partner_id) WHERE ended_on IS NULL"
            )
        )

    def _do_work(self):
        """Create the work of these runs, in one ``create`` per kind."""
        partner_model = self.env["ir.model"]._get_id("res.partner")
        activities, leads = [], []
        descriptions = self.playbook_id._opportunity_descriptions(
            self.filtered(lambda r: r.playbook_id.action == "opportunity")
        )
        for run in self:
            account = run.partner_id
            playbook = run.playbook_id
            owner = account.user_id
            run.user_id = owner
            if playbook.action == "activity" and owner:
                activities.append(
                    (
                        run,
                        {
                            "res_model_id": partner_model,
                            "res_id": account.id,
                            "activity_type_id": playbook.activity_type_id.id,
                            "summary": playbook.name,
                            "note": playbook.note or False,
                            "user_id": owner.id,
                            "date_deadline": run.date,
                        },
                    )
                )
            elif playbook.action == "opportunity":
                description, expected = descriptions[run]
                leads.append(
                    (
                        run,
                        {
                            "name": f"{playbook.name}: {account.name}",
                            "type": "opportunity",
                            "partner_id": account.id,
                            "user_id": owner.id or False,
                            "company_id": playbook.company_id.id,
                            "description": description,
                            "expected_revenue": expected,
                        },
                    )
                )
            elif playbook.action == "tier" and playbook.tier_id:
                account.write({"visit_tier_id": playbook.tier_id.id})
        for model, field, work in (
            ("mail.activity", "activity_id", activities),
            ("crm.lead", "lead_id", leads),
        ):
            created = self.env[model].sudo().create([values for _run, values in work])
            for (run, _values), record in zip(work, created):
                run[field] = record
