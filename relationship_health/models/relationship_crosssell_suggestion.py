from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_amount

from ..scoring.crosssell import cross_sell, up_sell
from ..scoring.vocabulary import QUADRANT_LABELS, QUADRANTS, selection
from .health_clock import health_today
from .partner_health_fields import account_field

#: How far back purchases count (days): 24 months.
LOOKBACK_DAYS = 730

DISMISS_REASONS = [
    ("not_relevant", "Not relevant"),
    ("already_offered", "Already offered"),
    ("refused", "Customer refused"),
]


class RelationshipCrosssellSuggestion(models.Model):
    """What accounts like this one buy and this one does not (cross-sell),
    or buy for less than their peers (up-sell), with the figures that explain
    it. Recomputed each night; dismissed suggestions are kept (and stay away
    for a while)."""

    _name = "relationship.crosssell.suggestion"
    _description = "Cross-sell Suggestion"
    _order = "partner_id, kind, rank, id"
    _rec_name = "product_id"

    partner_id = account_field(index=True, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    user_id = fields.Many2one(
        "res.users", string="Salesperson", index=True, readonly=True
    )
    quadrant = fields.Selection(selection(QUADRANTS, QUADRANT_LABELS), readonly=True)
    kind = fields.Selection(
        [("crosssell", "Cross-sell"), ("upsell", "Up-sell")],
        required=True,
        readonly=True,
    )
    product_id = fields.Many2one("product.product", index=True, readonly=True)
    categ_id = fields.Many2one("product.category", string="Category", readonly=True)
    rank = fields.Integer(readonly=True)
    share = fields.Float(string="Bought by Peers (%)", digits=(5, 1), readonly=True)
    base_share = fields.Float(string="Bought Overall (%)", digits=(5, 1), readonly=True)
    peers = fields.Integer(string="Similar Accounts", readonly=True)
    lift = fields.Float(digits=(6, 2), readonly=True, aggregator="avg")
    expected_revenue = fields.Float(
        string="Expected Revenue (year)", digits="Product Price", readonly=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    explanation = fields.Char(compute="_compute_explanation")
    state = fields.Selection(
        [("active", "Suggested"), ("dismissed", "Dismissed")],
        default="active",
        required=True,
        readonly=True,
        index=True,
    )
    dismiss_reason = fields.Selection(DISMISS_REASONS, readonly=True)
    dismissed_on = fields.Date(readonly=True)
    dismissed_by = fields.Many2one("res.users", readonly=True)

    @api.depends("product_id", "categ_id")
    def _compute_display_name(self):
        # An up-sell suggestion names a category, not a product.
        for suggestion in self:
            item = suggestion.product_id or suggestion.categ_id
            suggestion.display_name = item.display_name

    @api.depends("kind", "share", "peers", "base_share", "expected_revenue")
    @api.depends_context("lang")
    def _compute_explanation(self):
        for suggestion in self:
            amount = format_amount(
                self.env, suggestion.expected_revenue, suggestion.currency_id
            )
            if suggestion.kind == "upsell":
                suggestion.explanation = _(
                    "Similar accounts spend %(amount)s a year more on it (median of "
                    "%(peers)s accounts).",
                    amount=amount,
                    peers=suggestion.peers,
                )
            else:
                suggestion.explanation = _(
                    "Bought by %(share)s%% of %(peers)s similar accounts vs %(base)s%% "
                    "overall; typical spend %(amount)s a year.",
                    share=round(suggestion.share),
                    peers=suggestion.peers,
                    base=round(suggestion.base_share),
                    amount=amount,
                )

    def action_dismiss(self):
        """Open the dismissal dialog for these suggestions."""
        return {
            "type": "ir.actions.act_window",
            "name": _("Dismiss Suggestion"),
            "res_model": "relationship.crosssell.dismiss.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_suggestion_ids": self.ids},
        }

    def _dismiss(self, reason, today=None):
        """Dismiss the suggestions the user may read (their accounts', or all),
        with ``reason``: they do not come back for the company's period."""
        self.check_access("read")
        active = self.filtered(lambda s: s.state == "active")
        if not active:
            raise UserError(_("These suggestions are dismissed already."))
        active.sudo().write(
            {
                "state": "dismissed",
                "dismiss_reason": reason,
                "dismissed_on": today or health_today(),
                "dismissed_by": self.env.uid,
            }
        )
        return active

    # ------------------------------------------------------------------
    # The nightly refresh
    # ------------------------------------------------------------------
    @api.model
    def _cron_refresh(self, today=None):
        """Recompute the suggestions of every company's scored accounts."""
        today = today or health_today()
        for company in self.env["res.company"].sudo().search([]):
            self.sudo()._refresh(company, today)

    def _refresh(self, company, today):
        """Replace the company's live suggestions with tonight's: one read of
        the accounts, one of their purchases, the core, one insert."""
        accounts = self._read_accounts(company)
        if not accounts:
            return 0
        account_ids = [row[0] for row in accounts]
        by_category = company.health_crosssell_by == "category"
        products = self._read_purchases(company, account_ids, today, by_category=False)
        categories = self._read_purchases(company, account_ids, today, by_category=True)
        excluded = self._read_dismissed(company, today)
        suggested = cross_sell(
            [row[:3] for row in accounts],
            categories if by_category else products,
            self._eligible(company, by_category),
            company.health_crosssell_min_peers,
            excluded=excluded,
        )
        gaps = up_sell(
            [row[:3] for row in accounts],
            categories,
            company.health_crosssell_min_peers,
        )
        gaps = gaps.groupby("account_id").head(1)
        owners = {row[0]: row[3] for row in accounts}
        quadrants = {row[0]: row[1] for row in accounts}
        item = "categ_id" if by_category else "product_id"
        rows = [
            {
                "partner_id": int(r.account_id),
                "company_id": company.id,
                "user_id": owners.get(r.account_id),
                "quadrant": quadrants.get(r.account_id),
                "kind": "crosssell",
                item: int(r.item_id),
                "rank": int(r.rank),
                "share": 100.0 * r.share,
                "base_share": 100.0 * r.base_share,
                "peers": int(r.peers),
                "lift": float(r.lift),
                "expected_revenue": float(r.expected),
            }
            for r in suggested.itertuples(index=False)
        ] + [
            {
                "partner_id": int(r.account_id),
                "company_id": company.id,
                "user_id": owners.get(r.account_id),
                "quadrant": quadrants.get(r.account_id),
                "kind": "upsell",
                "categ_id": int(r.item_id),
                "rank": 1,
                "peers": int(r.peers),
                "expected_revenue": float(r.gap),
            }
            for r in gaps.itertuples(index=False)
        ]
        self.env.cr.execute(
            SQL(
                "DELETE FROM relationship_crosssell_suggestion"
                " WHERE company_id = %s AND state = 'active'",
                company.id,
            )
        )
        self.invalidate_model()
        created = self.create(rows)
        # The suggestions shown on accounts and opportunities are tonight's.
        for model in ("res.partner", "crm.lead"):
            self.env[model].invalidate_model(["health_suggestion_ids"])
        return len(created)

    def _read_accounts(self, company):
        """Rows (account, quadrant, industry, salesperson) of the company's
        scored accounts."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT id, health_quadrant, industry_id, user_id
                  FROM res_partner
                 WHERE health_quadrant IS NOT NULL
                   AND id = commercial_partner_id
                   AND (company_id IS NULL OR company_id = %(company)s)
                """,
                company=company.id,
            )
        )
        return self.env.cr.fetchall()

    def _read_purchases(self, company, account_ids, today, by_category):
        """Rows (account, product or category, yearly spend) of the confirmed
        orders of the last 24 months."""
        item = SQL("t.categ_id") if by_category else SQL("l.product_id")
        self.env.cr.execute(
            SQL(
                """
                SELECT p.commercial_partner_id, %(item)s, SUM(l.price_subtotal) / 2.0
                  FROM sale_order_line l
                  JOIN sale_order o ON o.id = l.order_id
                  JOIN res_partner p ON p.id = o.partner_id
                  JOIN product_product pp ON pp.id = l.product_id
                  JOIN product_template t ON t.id = pp.product_tmpl_id
                 WHERE o.state = 'sale'
                   AND o.company_id = %(company)s
                   AND o.date_order >= %(since)s
                   AND p.commercial_partner_id = ANY(%(ids)s)
                 GROUP BY 1, 2
                """,
                item=item,
                company=company.id,
                since=today - timedelta(days=LOOKBACK_DAYS),
                ids=account_ids,
            )
        )
        return self.env.cr.fetchall()

    def _eligible(self, company, by_category):
        """The products (or their categories) that may be suggested: active,
        saleable, of the company or shared."""
        products = (
            self.env["product.product"]
            .sudo()
            .search(
                [
                    ("sale_ok", "=", True),
                    ("company_id", "in", [False, company.id]),
                ]
            )
        )
        return products.categ_id.ids if by_category else products.ids

    def _read_dismissed(self, company, today):
        """(account, item) pairs dismissed within the company's period."""
        since = today - timedelta(days=company.health_crosssell_dismiss_days)
        dismissed = self.search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "dismissed"),
                ("dismissed_on", ">", since),
            ]
        )
        return {
            (
                s.partner_id.id,
                (s.categ_id if s.kind == "upsell" else s.product_id or s.categ_id).id,
            )
            for s in dismissed
        }

    def _as_html(self):
        """These suggestions as an HTML list (an opportunity's description)."""
        items = Markup("").join(
            Markup("<li><strong>%s</strong>: %s</li>")
            % ((s.product_id or s.categ_id).display_name, s.explanation)
            for s in self
        )
        return Markup("<ul>%s</ul>") % items if items else Markup("")
