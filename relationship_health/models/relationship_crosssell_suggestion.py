import functools
from datetime import timedelta

import pandas as pd

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_amount

from ..scoring.crosssell import (
    BOOK,
    cross_sell_batch,
    group_sizes,
    peer_groups,
    up_sell_batch,
)
from ..scoring.vocabulary import QUADRANT_LABELS, QUADRANTS, selection
from .health_clock import health_today
from .health_readers import read_quadrant_accounts
from .partner_health_fields import account_field

#: How far back purchases count (days): 24 months.
LOOKBACK_DAYS = 730
#: Accounts whose suggestions are computed and written together.
BATCH = 5000

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
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    quadrant = fields.Selection(selection(QUADRANTS, QUADRANT_LABELS), readonly=True)
    kind = fields.Selection(
        [("crosssell", "Cross-sell"), ("upsell", "Up-sell")],
        required=True,
        readonly=True,
    )
    product_id = fields.Many2one("product.product", readonly=True)
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
        the accounts, the book's figures once (in SQL), then per batch of
        :data:`BATCH` accounts one read of their purchases, the core and one
        insert."""
        accounts = self._read_accounts(company)
        if not accounts:
            return 0
        min_peers = company.health_crosssell_min_peers
        groups = peer_groups([row[:3] for row in accounts], min_peers)
        sizes = group_sizes(groups)
        by_category = company.health_crosssell_by == "category"
        purchases = functools.partial(self._purchases, company, today)
        self._tag_accounts(groups)
        cross_stats, up_stats = self._book_stats(purchases(SQL("TRUE")), by_category)
        eligible = self._eligible(company, by_category)
        excluded = self._read_dismissed(company, today)
        self.env.cr.execute(
            SQL(
                "DELETE FROM relationship_crosssell_suggestion"
                " WHERE company_id = %s AND state = 'active'",
                company.id,
            )
        )
        written = 0
        for start in range(0, len(accounts), BATCH):
            batch = accounts[start : start + BATCH]
            ids = [row[0] for row in batch]
            members = {account: groups[account] for account in ids}
            self.env.cr.execute(
                purchases(SQL("p.commercial_partner_id = ANY(%s)", ids))
            )
            products, categories = self._levels(self.env.cr.fetchall())
            suggested = cross_sell_batch(
                members,
                categories if by_category else products,
                cross_stats,
                sizes,
                eligible,
                excluded=excluded,
            )
            gaps = up_sell_batch(members, categories, up_stats)
            written += self._insert(
                company,
                batch,
                by_category,
                suggested,
                gaps.groupby("account_id").head(1),
            )
        self.env.cr.execute(SQL("DROP TABLE health_crosssell_peer"))
        self.invalidate_model()
        # The suggestions shown on accounts and opportunities are tonight's.
        for model in ("res.partner", "crm.lead"):
            self.env[model].invalidate_model(["health_suggestion_ids"])
        return written

    def _read_accounts(self, company):
        """Rows (account, quadrant, industry, salesperson) of the company's
        scored accounts."""
        self.env.flush_all()
        return [
            (account, quadrant, industry, user)
            for account, quadrant, _band, user, _revenue, industry in (
                read_quadrant_accounts(self.env.cr, company.id)
            )
        ]

    def _tag_accounts(self, groups):
        """The accounts' peer groups in a temporary table, for the book's
        figures."""
        self.env.cr.execute(
            SQL(
                """
                CREATE TEMPORARY TABLE health_crosssell_peer ON COMMIT DROP AS
                SELECT * FROM unnest(%s::int4[], %s::varchar[]) AS t(account_id, grp)
                """,
                list(groups),
                list(groups.values()),
            )
        )
        self.env.cr.execute(
            SQL("ALTER TABLE health_crosssell_peer ADD PRIMARY KEY (account_id)")
        )

    def _purchases(self, company, today, among):
        """The query of the yearly spend of the tagged accounts ``among`` (a
        condition) in the confirmed orders of the last 24 months: rows
        (account, product, category, spend) per account and product (no
        category) and per account and category (no product), spend above
        zero."""
        return SQL(
            """
            SELECT p.commercial_partner_id AS account_id, l.product_id, t.categ_id,
                   (SUM(l.price_subtotal) / 2.0)::float8 AS spend
              FROM sale_order_line l
              JOIN sale_order o ON o.id = l.order_id
              JOIN res_partner p ON p.id = o.partner_id
              JOIN product_product pp ON pp.id = l.product_id
              JOIN product_template t ON t.id = pp.product_tmpl_id
             WHERE o.state = 'sale'
               AND o.company_id = %(company)s
               AND o.date_order >= %(since)s
               AND p.commercial_partner_id IN (SELECT account_id FROM health_crosssell_peer)
               AND %(among)s
             GROUP BY GROUPING SETS ((p.commercial_partner_id, l.product_id),
                                     (p.commercial_partner_id, t.categ_id))
            HAVING SUM(l.price_subtotal) > 0
            """,
            company=company.id,
            since=today - timedelta(days=LOOKBACK_DAYS),
            among=among,
        )

    @staticmethod
    def _levels(rows):
        """The rows of :meth:`_purchases` as the core's purchases (account,
        item, spend): per product, and per category."""
        frame = pd.DataFrame(
            rows, columns=["account_id", "product_id", "categ_id", "spend"]
        )
        products = frame["product_id"].notna()
        return tuple(
            frame.loc[mask, ["account_id", item, "spend"]]
            .astype({item: "int64"})
            .rename(columns={item: "item_id"})
            for mask, item in ((products, "product_id"), (~products, "categ_id"))
        )

    def _book_stats(self, query, by_category):
        """The book's figures of the purchases of ``query`` in one query: the
        core's ``cross_sell_stats`` (of the categories ``by_category``, else
        of the products) and ``up_sell_stats`` (of the categories)."""
        self.env.cr.execute(
            SQL(
                """
                WITH bought AS (%(query)s),
                tagged AS (
                    SELECT g.grp, COALESCE(b.product_id, b.categ_id) AS item_id,
                           b.product_id IS NULL AS by_category, b.spend
                      FROM bought b JOIN health_crosssell_peer g USING (account_id))
                SELECT 'cross', grp, item_id, count(*),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY spend)
                  FROM tagged WHERE by_category = %(by_category)s AND grp <> %(book)s
                 GROUP BY 2, 3
                 UNION ALL
                SELECT 'cross', %(book)s, item_id, count(*),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY spend)
                  FROM tagged WHERE by_category = %(by_category)s
                 GROUP BY 3
                 UNION ALL
                SELECT 'up', grp, item_id, count(*),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY spend)
                  FROM tagged WHERE by_category
                 GROUP BY 2, 3
                """,
                query=query,
                by_category=by_category,
                book=BOOK,
            )
        )
        frame = pd.DataFrame(
            self.env.cr.fetchall(),
            columns=["figure", "group", "item_id", "count", "median"],
        )
        cross = frame[frame["figure"] == "cross"]
        up = frame[frame["figure"] == "up"]
        return (
            cross.rename(columns={"count": "buyers", "median": "expected"})[
                ["group", "item_id", "buyers", "expected"]
            ].reset_index(drop=True),
            up.rename(columns={"count": "peers"})[
                ["group", "item_id", "median", "peers"]
            ].reset_index(drop=True),
        )

    def _insert(self, company, batch, by_category, suggested, gaps):
        """Insert the suggestions of a batch of accounts in one statement:
        the cross-sells (``suggested``) and the up-sells (``gaps``); the
        figures rounded to their fields' digits, as the ORM stores them."""
        quadrants = {row[0]: row[1] for row in batch}
        owners = {row[0]: row[3] for row in batch}
        cross = len(suggested)
        accounts = suggested["account_id"].tolist() + gaps["account_id"].tolist()
        items = suggested["item_id"].tolist() + gaps["item_id"].tolist()
        products = [None] * len(accounts)
        categories = list(items)
        if not by_category:
            products[:cross] = items[:cross]
            categories[:cross] = [None] * cross
        padding = [None] * len(gaps)
        columns = [
            ("partner_id", "int4", accounts),
            ("user_id", "int4", [owners.get(a) for a in accounts]),
            ("quadrant", "varchar", [quadrants.get(a) for a in accounts]),
            ("kind", "varchar", ["crosssell"] * cross + ["upsell"] * len(gaps)),
            ("product_id", "int4", products),
            ("categ_id", "int4", categories),
            ("rank", "int4", suggested["rank"].tolist() + [1] * len(gaps)),
            ("share", "float8", (100.0 * suggested["share"]).tolist() + padding),
            (
                "base_share",
                "float8",
                (100.0 * suggested["base_share"]).tolist() + padding,
            ),
            ("peers", "int4", suggested["peers"].tolist() + gaps["peers"].tolist()),
            ("lift", "float8", suggested["lift"].tolist() + padding),
            (
                "expected_revenue",
                "float8",
                suggested["expected"].tolist() + gaps["gap"].tolist(),
            ),
        ]
        values = SQL(", ").join(
            SQL(f"%s::{kind}[]", data) for _name, kind, data in columns
        )
        selected = SQL(", ").join(
            SQL("round(%s::numeric, %s)", SQL.identifier(name), digits[1])
            if kind == "float8" and (digits := self._fields[name].get_digits(self.env))
            else SQL.identifier(name)
            for name, kind, _data in columns
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO relationship_crosssell_suggestion (
                    %(names)s, company_id, state, create_uid, write_uid,
                    create_date, write_date)
                SELECT %(selected)s, %(company)s, 'active', %(uid)s, %(uid)s,
                       %(now)s, %(now)s
                  FROM unnest(%(values)s) AS v(%(names)s)
                """,
                names=SQL(", ").join(SQL.identifier(name) for name, *_ in columns),
                selected=selected,
                values=values,
                company=company.id,
                uid=self.env.uid,
                now=fields.Datetime.now(),
            )
        )
        return self.env.cr.rowcount

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
