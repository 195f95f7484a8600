"""SERVQUAL gaps from real survey answers; loyalty × profitability and lifetime value."""

from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command

from health_common import HealthCase


class TestServqual(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.servqual = cls.env.ref("relationship_health.survey_servqual")
        cls.account, cls.buyer = cls.make_account("Gap Analysis Ltd", customer_rank=1)

    def answer_servqual(self, contact, ratings):
        """ratings: {(dimension, side): value}; other items get 4 on both sides."""
        user_input = self.env["survey.user_input"].create(
            {"survey_id": self.servqual.id, "partner_id": contact.id}
        )
        for question in self.servqual.question_ids:
            value = ratings.get(
                (question.servqual_dimension, question.servqual_side), 4
            )
            user_input._save_lines(question, str(value))
        user_input._mark_done()
        return user_input

    def test_template_has_five_dimensions_asked_twice(self):
        questions = self.servqual.question_ids
        self.assertEqual(len(questions), 30)
        self.assertEqual(
            set(questions.mapped("servqual_dimension")),
            {"reliability", "responsiveness", "assurance", "empathy", "tangibles"},
        )
        perceptions = questions.filtered(lambda q: q.servqual_side == "perception")
        self.assertEqual(len(perceptions), 15)
        self.assertEqual(set(perceptions.mapped("health_metric")), {"scale"})
        self.assertFalse((questions - perceptions).filtered("health_metric"))
        self.assertEqual({(q.scale_min, q.scale_max) for q in questions}, {(1, 7)})

    def test_gaps_weakest_dimension_and_reason(self):
        self.answer_servqual(
            self.buyer,
            {
                ("reliability", "expectation"): 7,
                ("reliability", "perception"): 2,
                ("empathy", "expectation"): 3,
                ("empathy", "perception"): 6,
            },
        )
        self.account.action_recompute_health()
        account = self.account
        self.assertEqual(account.health_gap_reliability, -5.0)
        self.assertEqual(account.health_gap_empathy, 3.0)
        self.assertEqual(account.health_gap_assurance, 0.0)
        self.assertEqual(account.health_servqual_gap, -0.4)  # (-5 + 0 + 0 + 3 + 0) / 5
        self.assertEqual(account.health_servqual_weakest, "reliability")
        # Satisfaction reads the perception side only: 3 × 2, 3 × 6, 9 × 4 on 1–7
        # → mean of (1/6, 5/6, 3/6 × 9 items) = (16.67 × 3 + 83.33 × 3 + 50 × 9) / 15
        self.assertEqual(account.health_satisfaction, 50.0)
        self.assertIn(
            "Weakest service dimension: Reliability (perceived 5.0 points below",
            account.health_reasons,
        )

    def test_servqual_rules(self):
        question = self.servqual.question_ids.filtered(
            lambda q: q.servqual_side == "expectation"
        )[:1]
        with self.assertRefused("expectation"):
            question.health_metric = "scale"
        with self.assertRefused("both a dimension and a side"):
            question.servqual_side = False

    def test_send_survey_to_the_contacts(self):
        action = self.account.action_send_servqual_survey()
        self.assertEqual(action["res_model"], "survey.invite")
        self.assertEqual(action["context"]["default_survey_id"], self.servqual.id)
        self.assertEqual(action["context"]["default_partner_ids"], self.buyer.ids)


def one_order_per_quarter(today):
    """Midnights (UTC) of one day in each of the last 8 calendar quarters,
    the current one included: today, the last day of the 3 quarters before,
    the first day of the 4 before those. Exactly the first 4 fall in the 12
    months up to today, whatever the day of the year."""
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    days = [today]
    for back in range(1, 8):
        start = quarter_start - relativedelta(months=3 * back)
        days.append(start + relativedelta(months=3, days=-1) if back < 4 else start)
    return [datetime.combine(day, time.min) for day in days]


class TestLoyaltyProfitability(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.friend, cls.friend_buyer = cls.make_account("True Friend Steel")
        cls.butterfly, cls.butterfly_buyer = cls.make_account("Butterfly Chemicals")
        cls.barnacle, cls.barnacle_buyer = cls.make_account("Barnacle Bolts")
        cls.stranger, cls.stranger_buyer = cls.make_account("Stranger Supplies")
        # Orders in 8, 1, 8 and 1 of the last 8 quarters; big and small spenders.
        for moment in one_order_per_quarter(cls.today):
            cls.order(cls.friend_buyer, 0, price=2_000_000).date_order = moment
            cls.order(cls.barnacle_buyer, 0, price=1).date_order = moment
        cls.order(cls.butterfly_buyer, 20, price=10_000_000)
        cls.order(cls.stranger_buyer, 20, price=1)
        # A book of ten: the top 30 % by 12-month revenue is "highly profitable".
        fillers = cls.env["res.partner"]
        for index in range(6):
            filler, filler_buyer = cls.make_account(f"Average Account {index}")
            cls.order(filler_buyer, 30, price=100)
            fillers |= filler
        cls.accounts = cls.friend | cls.butterfly | cls.barnacle | cls.stranger
        (cls.accounts | fillers).action_recompute_health()

    def test_quadrants_and_strategies(self):
        self.assertEqual(self.friend.health_quadrant, "true_friend")
        self.assertEqual(self.butterfly.health_quadrant, "butterfly")
        self.assertEqual(self.barnacle.health_quadrant, "barnacle")
        self.assertEqual(self.stranger.health_quadrant, "stranger")
        self.assertEqual(self.friend.health_loyalty_regularity, 100.0)
        self.assertEqual(self.butterfly.health_loyalty_regularity, 12.5)
        self.assertEqual(self.butterfly.health_tenure_days, 20)
        self.assertIn("Harvest", self.butterfly.health_quadrant_strategy)
        self.assertIn(
            "Revenue", self.friend.health_profit_basis, "sale_margin is not installed"
        )
        # Quadrant × band matrix, as the pivot asks it, for a salesman.
        groups = (
            self.env["res.partner"]
            .with_user(self.salesman)
            .read_group(
                [("id", "in", self.accounts.ids)],
                ["health_revenue_12m:sum"],
                ["health_quadrant", "health_band"],
                lazy=False,
            )
        )
        self.assertEqual(len(groups), 4)

    def test_revenue_and_lifetime_value(self):
        # The 12-month window holds the orders of this quarter and the 3
        # before: 4 orders × 2 units × 2,000,000.
        self.assertEqual(self.friend.health_revenue_12m, 16_000_000.0)
        # Ordered today: recency 100, the only component with data.
        self.assertEqual(self.friend.health_score, 100.0)
        # r = min(100 / 100, 0.95) = 0.95; CLV = 16,000,000 × 0.95 / (1 + 0.10 − 0.95)
        self.assertEqual(self.friend.health_clv, 101_333_333.33)

    def test_foreign_currency_orders_are_converted(self):
        company = self.env.company
        foreign = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("id", "!=", company.currency_id.id)], limit=1)
        )
        foreign.active = True
        self.env["res.currency.rate"].create(
            {
                "currency_id": foreign.id,
                "company_id": company.id,
                "name": self.today - timedelta(days=400),
                "rate": 4.0,
            }
        )
        pricelist = self.env["product.pricelist"].create(
            {"name": "Foreign", "currency_id": foreign.id}
        )
        account, buyer = self.make_account("Abroad Trading")
        order = self.env["sale.order"].create(
            {
                "partner_id": buyer.id,
                "pricelist_id": pricelist.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": 1,
                            "price_unit": 1000,
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        self.assertEqual(order.currency_id, foreign)
        account.action_recompute_health()
        self.assertAlmostEqual(account.health_revenue_12m, 250.0, places=2)

    def test_single_order_account(self):
        self.assertEqual(self.stranger.health_recency, 100.0)
        self.assertEqual(
            self.stranger.health_order_interval, 90, "the default interval"
        )
        self.assertEqual(self.stranger.health_tenure_days, 20)
