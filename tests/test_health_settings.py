"""Settings change the score; bad settings and bad input are refused clearly."""

from health_common import HealthCase


class TestHealthSettings(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account, cls.buyer = cls.make_account("Settings Check")
        cls.order(cls.buyer, 180)  # one order: default interval 90, x = 2 → 50
        cls.sla(cls.account, 3, done_late_days=None)  # open and overdue → 0

    def test_weights_and_thresholds_apply(self):
        self.account.action_recompute_health()
        self.assertEqual(self.account.health_recency, 50.0)
        self.assertEqual(self.account.health_sla, 0.0)
        self.assertEqual(self.account.health_score, 25.0)  # (25 × 50 + 25 × 0) / 50
        self.assertEqual(self.account.health_confidence, 50.0)
        self.assertEqual(self.account.health_band, "critical")
        settings = self.env["res.config.settings"].create(
            {
                "health_weight_recency": 75.0,
                "health_threshold_at_risk": 20.0,
                "health_default_purchase_interval": 180,
            }
        )
        settings.execute()
        self.account.action_recompute_health()
        self.assertEqual(self.account.health_recency, 100.0)
        self.assertEqual(self.account.health_score, 75.0)  # (75 × 100 + 25 × 0) / 100
        self.assertEqual(self.account.health_band, "healthy")

    def test_bad_thresholds_are_refused(self):
        company = self.env.company
        with self.assertRefused("(?i)threshold|band"):
            company.health_threshold_watch = 80.0
        with self.assertRefused("(?i)threshold|band"):
            company.health_threshold_at_risk = 0.0
        self.assertEqual(company.health_threshold_watch, 50.0)

    def test_bad_weights_and_half_lives_are_refused(self):
        company = self.env.company
        with self.assertRefused("(?i)weight"):
            company.write(
                {
                    "health_weight_satisfaction": 0,
                    "health_weight_sla": 0,
                    "health_weight_visits": 0,
                    "health_weight_recency": 0,
                }
            )
        for field, value, message in (
            ("health_weight_sla", -5, "(?i)weight"),
            ("health_satisfaction_half_life", 0, "(?i)half"),
            ("health_default_purchase_interval", -1, "(?i)interval"),
            ("health_default_visit_interval", -30, "cadence"),
            ("health_profit_top_share", 0, "Highly Profitable Accounts.*percentage"),
            ("health_clv_discount_rate", 120, "Discount Rate.*percentage"),
        ):
            with self.subTest(field=field), self.assertRefused(message):
                company[field] = value

    def test_bad_cadence_is_refused(self):
        with self.assertRefused("cadence"):
            self.account.visit_interval_days = -7
        with self.assertRefused("cadence"):
            self.account.visit_interval_days = 2000

    def test_visit_plan_starts_when_a_cadence_is_set(self):
        self.assertFalse(self.account.visit_plan_date)
        self.account.visit_interval_days = 45
        self.assertEqual(self.account.visit_plan_date, self.today)

    def test_commitment_dates_are_checked(self):
        committed = "2026-03-10 10:00:00"
        for message, deadline, done in (
            ("deadline", "2026-03-01 10:00:00", False),  # due before committed
            ("before", "2026-03-12 10:00:00", "2026-03-09 10:00:00"),  # done before
        ):
            with self.subTest(message), self.assertRefused(message):
                self.env["relationship.sla.event"].create(
                    {
                        "name": "Impossible promise",
                        "partner_id": self.account.id,
                        "date_start": committed,
                        "date_deadline": deadline,
                        "date_done": done,
                    }
                )

    def test_health_metric_needs_a_numeric_question(self):
        with self.assertRefused("scale or a numerical"):
            self.env["survey.question"].create(
                {
                    "survey_id": self.survey.id,
                    "title": "Any comment?",
                    "question_type": "text_box",
                    "health_metric": "csat",
                }
            )
