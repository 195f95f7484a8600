"""Playbooks per quadrant and cross-sell suggestions, on real orders."""

from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from odoo.addons.relationship_health.models import (
    relationship_crosssell_suggestion as suggestion_module,
)

from health_common import HealthCase

SUGGESTION = "relationship.crosssell.suggestion"


class PlaybookCase(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write(
            {"health_crosssell_min_peers": 4, "health_crosssell_by": "product"}
        )
        cls.industry = cls.env["res.partner.industry"].create({"name": "Valves"})
        Product = cls.env["product.product"]
        cls.gasket, cls.pump, cls.sensor = Product.create(
            [
                {"name": name, "list_price": 100.0, "type": "consu"}
                for name in ("Gasket kit", "Pump", "Sensor")
            ]
        )
        cls.retired = Product.create({"name": "Retired part", "list_price": 10.0})
        cls.not_for_sale = Product.create(
            {"name": "Internal tool", "list_price": 10.0, "sale_ok": False}
        )
        # Four barnacles of one industry: the first bought nothing but the
        # valve; the three others bought gaskets (1, 3 and 2 kits a year ago).
        cls.accounts = cls.env["res.partner"]
        cls.buyers = []
        for index in range(4):
            account, buyer = cls.make_account(
                f"Barnacle {index}", industry_id=cls.industry.id
            )
            cls.accounts |= account
            cls.buyers.append(buyer)
        cls.accounts.sudo().write({"health_quadrant": "barnacle"})
        for buyer, kits in zip(cls.buyers[1:], (1, 3, 2)):
            cls.sell(buyer, cls.gasket, kits * 2, 200.0)  # a yearly spend of 200 × kits
            cls.sell(buyer, cls.retired, 1, 10.0)
            cls.sell(buyer, cls.not_for_sale, 1, 10.0)
        cls.retired.active = False
        cls.first = cls.accounts[0]

    @classmethod
    def sell(cls, partner, product, qty, price, days_ago=30):
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "price_unit": price,
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        order.date_order = cls._days_ago(days_ago)
        return order

    @classmethod
    def run_playbooks(cls, days_later=0):
        today = cls.today + timedelta(days=days_later)
        cls.env[SUGGESTION].sudo()._refresh(cls.company, today)
        return cls.env["relationship.playbook"].sudo()._run_company(cls.company, today)

    @classmethod
    def barnacle_returns(cls):
        """The first run records the accounts already there (the first
        barnacle among them); it leaves, comes back a day later and gets the
        barnacle playbook's cross-sell opportunity."""
        cls.run_playbooks()
        cls.first.sudo().health_quadrant = "stranger"
        cls.run_playbooks(1)
        cls.first.sudo().health_quadrant = "barnacle"
        cls.run_playbooks(2)

    def refresh(self):
        self.env[SUGGESTION].sudo()._refresh(self.company, self.today)

    def suggestions(self, account, **where):
        domain = [("partner_id", "=", account.id)] + [
            (key, "=", value) for key, value in where.items()
        ]
        return self.env[SUGGESTION].search(domain)


class TestSuggestions(PlaybookCase):
    def test_the_hand_computed_suggestion(self):
        self.refresh()
        found = self.suggestions(self.first, kind="crosssell")
        gasket = found.filtered(lambda s: s.product_id == self.gasket)
        self.assertEqual(len(gasket), 1)
        # 3 of its 3 peers bought gaskets; in the book, the same 3 of all the
        # scored accounts of the company (the demo's included) bought them.
        self.assertEqual(gasket.peers, 3)
        self.assertAlmostEqual(gasket.share, 100.0)
        book = self.env["res.partner"].search_count(
            [
                ("health_quadrant", "!=", False),
                ("company_id", "in", [False, self.company.id]),
                ("parent_id", "=", False),
            ]
        )
        self.assertAlmostEqual(gasket.base_share, 100.0 * 3 / book, places=1)
        self.assertAlmostEqual(gasket.lift, book / 3, places=2)
        # Median yearly spend of the peers who bought it: 400, 1200 and 800
        # over two years: 200, 600 and 400 a year.
        self.assertAlmostEqual(gasket.expected_revenue, 400.0)
        self.assertIn("Bought by 100% of 3 similar accounts", gasket.explanation)
        # Never what it bought, an archived product or one not for sale.
        products = found.product_id
        self.assertNotIn(self.product, products)
        self.assertNotIn(self.retired, products)
        self.assertNotIn(self.not_for_sale, products)

    def test_up_sell_below_the_peer_median(self):
        self.refresh()
        # Barnacle 1 spends 200 a year on the gaskets' category, its peers' median is 400.
        upsell = self.suggestions(self.accounts[1], kind="upsell")
        self.assertEqual(upsell.categ_id, self.gasket.categ_id)
        self.assertGreater(upsell.expected_revenue, 0)
        # Named by its category (in the dismissal dialog, for one).
        self.assertEqual(upsell.display_name, self.gasket.categ_id.display_name)

    def test_dismissed_suggestions_stay_away_and_are_counted(self):
        self.refresh()
        gasket = self.suggestions(self.first, product_id=self.gasket.id)
        wizard = (
            self.env["relationship.crosssell.dismiss.wizard"]
            .with_user(self.salesman)
            .create({"suggestion_ids": [(6, 0, gasket.ids)], "reason": "refused"})
        )
        wizard.action_apply()
        self.assertEqual(gasket.state, "dismissed")
        self.assertEqual(gasket.dismissed_by, self.salesman)
        self.refresh()
        self.assertFalse(
            self.suggestions(self.first, product_id=self.gasket.id, state="active")
        )
        counts = dict(
            self.env[SUGGESTION]._read_group(
                [("state", "=", "dismissed")], ["product_id"], ["__count"]
            )
        )
        self.assertEqual(counts[self.gasket], 1)

    def test_queries_grow_with_batches_not_accounts(self):
        def queries(batch):
            self.env.flush_all()
            self.env.invalidate_all()
            with patch.object(suggestion_module, "BATCH", batch):
                before = self.cr.sql_log_count
                self.refresh()
                return self.cr.sql_log_count - before

        queries(10**6)  # the caches warm (the decimal precisions…)
        one_batch = queries(10**6)
        # Four more accounts who buy: the same queries in one batch.
        for index in range(4):
            account, buyer = self.make_account(
                f"Limpet {index}", industry_id=self.industry.id
            )
            account.sudo().health_quadrant = "barnacle"
            self.sell(buyer, self.pump, 1, 100.0)
        self.assertEqual(queries(10**6), one_batch)
        # Each batch adds its read of purchases and its insert.
        book = len(self.env[SUGGESTION]._read_accounts(self.company))
        two_batches = queries(-(-book // 2))
        three_batches = queries(-(-book // 3))
        self.assertEqual(two_batches - one_batch, 2)
        self.assertEqual(three_batches - two_batches, 2)

    def test_salesmen_see_the_suggestions_of_their_accounts(self):
        self.refresh()
        other = new_test_user(
            self.env, login="rh_other_seller", groups="sales_team.group_sale_salesman"
        )
        mine = (
            self.env[SUGGESTION]
            .with_user(self.salesman)
            .search([("partner_id", "in", self.accounts.ids)])
        )
        self.assertTrue(mine)
        self.assertFalse(
            self.env[SUGGESTION]
            .with_user(other)
            .search([("partner_id", "in", self.accounts.ids)])
        )
        with self.assertRaises(AccessError):
            mine.with_user(other)._dismiss("not_relevant")
        portal = new_test_user(
            self.env,
            login="rh_portal_seller",
            groups="base.group_portal",
            partner_id=self.buyers[0].id,
        )
        with self.assertRaises(AccessError):
            self.env[SUGGESTION].with_user(portal).search([])
        with self.assertRaises(AccessError):
            self.first.with_user(portal).read(["health_suggestion_ids"])


class TestPlaybooks(PlaybookCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.health_retention_daily_cases = 10
        cls.barnacle_playbook = cls.env.ref("relationship_health.playbook_barnacle")
        cls.friend_playbook = cls.env.ref("relationship_health.playbook_true_friend")

    def runs(self, account):
        return self.env["relationship.playbook.run"].search(
            [("partner_id", "=", account.id)], order="id"
        )

    def test_first_run_records_who_is_there_then_entries_get_work(self):
        self.run_playbooks()
        baseline = self.runs(self.first)
        self.assertEqual(baseline.skip_reason, "baseline")
        self.assertFalse(baseline.lead_id)
        # It becomes a true friend: a business review with its salesperson.
        self.first.sudo().health_quadrant = "true_friend"
        self.run_playbooks(1)
        run = self.runs(self.first)[-1]
        self.assertEqual((run.playbook_id, run.state), (self.friend_playbook, "done"))
        self.assertEqual(run.activity_id.user_id, self.salesman)
        self.assertEqual(baseline.ended_on, self.today + timedelta(days=1))
        # Once per entry: nothing more while it stays.
        self.run_playbooks(2)
        self.assertEqual(len(self.runs(self.first)), 2)

    def test_a_barnacle_gets_its_cross_sell_opportunity_with_suggestions(self):
        self.barnacle_returns()
        run = self.runs(self.first)[-1]
        self.assertEqual(run.playbook_id, self.barnacle_playbook)
        lead = run.lead_id
        self.assertEqual(lead.partner_id, self.first)
        self.assertIn("Gasket kit", lead.description)
        self.assertAlmostEqual(lead.expected_revenue, 400.0)
        self.assertIn(self.gasket, lead.health_suggestion_ids.product_id)
        # Won: counted in the results.
        won = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        lead.stage_id = won
        self.assertEqual((run.won, run.revenue_won), (1, 400.0))

    def test_cooldown_and_retention_work_come_first(self):
        self.run_playbooks()
        self.first.sudo().health_quadrant = "true_friend"
        self.run_playbooks(1)
        self.first.sudo().health_quadrant = "barnacle"
        self.run_playbooks(2)
        self.first.sudo().health_quadrant = "true_friend"
        self.run_playbooks(3)  # back within the true friends' cooldown of 365 days
        self.assertEqual(self.runs(self.first)[-1].skip_reason, "cooldown")
        second = self.accounts[1]
        self.env["relationship.retention.case"].sudo().create(
            {
                "partner_id": second.id,
                "company_id": self.company.id,
                "state": "open",
                "trigger": "band_entry",
            }
        )
        second.sudo().health_quadrant = "true_friend"
        self.run_playbooks(4)
        self.assertEqual(self.runs(second)[-1].skip_reason, "retention")

    def test_the_daily_cap_of_each_salesperson(self):
        self.company.health_retention_daily_cases = 1
        self.run_playbooks()
        (self.accounts[0] | self.accounts[1]).sudo().write(
            {"health_quadrant": "true_friend"}
        )
        self.run_playbooks(1)
        given = self.env["relationship.playbook.run"].search(
            [("partner_id", "in", self.accounts.ids), ("state", "=", "done")]
        )
        self.assertEqual(len(given), 1)
        self.run_playbooks(2)  # the other one the next day
        self.assertEqual(
            self.env["relationship.playbook.run"].search_count(
                [("partner_id", "in", self.accounts.ids), ("state", "=", "done")]
            ),
            2,
        )

    def test_salesmen_read_playbooks_managers_edit(self):
        playbook = self.barnacle_playbook.with_user(self.salesman)
        self.assertTrue(playbook.name)
        with self.assertRaises(AccessError):
            playbook.write({"cooldown_days": 1})
        self.barnacle_playbook.with_user(self.manager).write({"cooldown_days": 90})
