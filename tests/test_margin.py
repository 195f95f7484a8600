"""Profitability on margins when sale_margin tracks them (README, Loyalty ×
profitability). Runs in a database with sale_margin installed: `make test`
installs relationship_health with sale_margin into one of its own for this
file; in the main test database (without sale_margin, where the revenue path
is tested) it is skipped, and that skip is on the allow-list."""

import unittest

from odoo import Command

from health_common import HealthCase

NO_SALE_MARGIN = (
    "sale_margin is not installed: the margin path runs in its own database"
)


class TestMarginPath(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "margin" not in cls.env["sale.order"]._fields:
            raise unittest.SkipTest(NO_SALE_MARGIN)
        cls.valve = cls.env["product.product"].create(
            {
                "name": "Margin valve",
                "list_price": 120.0,
                "standard_price": 50.0,
                "type": "consu",
            }
        )
        cls.pump = cls.env["product.product"].create(
            {
                "name": "Thin-margin pump",
                "list_price": 1000.0,
                "standard_price": 990.0,
                "type": "consu",
            }
        )
        cls.rich, cls.rich_buyer = cls.make_account("Rich Margins")
        cls.thin, cls.thin_buyer = cls.make_account("Thin Margins")
        for buyer, product in ((cls.rich_buyer, cls.valve), (cls.thin_buyer, cls.pump)):
            order = cls.env["sale.order"].create(
                {
                    "partner_id": buyer.id,
                    "order_line": [
                        Command.create({"product_id": product.id, "product_uom_qty": 2})
                    ],
                }
            )
            order.action_confirm()
            order.date_order = cls._days_ago(3)
        (cls.rich | cls.thin).action_recompute_health()

    def test_profit_is_the_margin(self):
        self.assertEqual(self.rich.health_profit_basis, "Margin")
        # 2 × (120 − 50) and 2 × (1,000 − 990), untaxed.
        self.assertEqual(
            (self.rich.health_revenue_12m, self.rich.health_margin_12m), (240.0, 140.0)
        )
        self.assertEqual(
            (self.thin.health_revenue_12m, self.thin.health_margin_12m), (2000.0, 20.0)
        )

    def test_lifetime_value_on_the_margin(self):
        # Ordered 3 days ago: recency 100, the only signal; r = 0.95.
        self.assertEqual(self.rich.health_score, 100.0)
        # 140 × 0.95 / (1 + 0.10 − 0.95) and 20 × 0.95 / 0.15
        self.assertEqual(self.rich.health_clv, 886.67)
        self.assertEqual(self.thin.health_clv, 126.67)
