"""A manager's band override, its expiry, and the health seen from the pipeline."""

from datetime import timedelta

from odoo.exceptions import AccessError

from health_common import HealthCase


class TestHealthOverride(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account, cls.buyer = cls.make_account("Override Works")
        cls.order(cls.buyer, 270)  # one order long ago: x = 3 → recency 0 → critical
        cls.account.action_recompute_health()

    def _override(
        self, user, band="healthy", days=10, reason="Contract renewed last week"
    ):
        wizard = (
            self.env["relationship.health.override.wizard"]
            .with_user(user)
            .create(
                {
                    "partner_ids": [(6, 0, self.buyer.ids)],
                    "band": band,
                    "reason": reason,
                    "date_until": self.today + timedelta(days=days),
                }
            )
        )
        return wizard.action_apply()

    def test_manager_overrides_and_score_keeps_computing(self):
        self.assertEqual(self.account.health_band, "critical")
        self._override(self.manager)
        self.assertEqual(self.account.health_band, "healthy")
        self.assertEqual(self.account.health_override_user_id, self.manager)
        self.assertIn("Contract renewed", self.account.message_ids[0].body)
        self.env["res.partner"]._cron_relationship_health()
        self.assertEqual(self.account.health_band, "healthy", "the override holds")
        self.assertEqual(self.account.health_computed_band, "critical")
        self.assertEqual(self.account.health_score, 0.0)
        self.assertEqual(self.snapshots(self.account).band, "healthy")
        self.assertEqual(
            self.env["res.partner"].search_count(
                [("id", "=", self.account.id), ("health_band", "=", "healthy")]
            ),
            1,
        )

    def test_salesman_cannot_override(self):
        with self.assertRaises(AccessError):
            self._override(self.salesman)
        with self.assertRaises(AccessError):
            self.account.with_user(self.salesman).action_clear_health_override()

    def test_override_needs_a_future_expiry(self):
        with self.assertRefused("today or later"):
            self._override(self.manager, days=-1)

    def test_expired_override_ends_by_itself(self):
        self._override(self.manager, band="watch", days=0)
        self.account.health_override_until = self.today - timedelta(days=1)
        self.env["res.partner"]._cron_relationship_health()
        self.assertFalse(self.account.health_override_band)
        self.assertEqual(self.account.health_band, "critical")
        self.assertIn("expired", self.account.message_ids[0].body)

    def test_manager_removes_override(self):
        self._override(self.manager)
        self.account.with_user(self.manager).action_clear_health_override()
        self.assertEqual(self.account.health_band, "critical")
        self.assertFalse(self.account.health_override_reason)

    def test_opportunity_shows_customer_health(self):
        lead = (
            self.env["crm.lead"]
            .with_user(self.salesman)
            .create(
                {
                    "name": "New valves",
                    "type": "opportunity",
                    "partner_id": self.buyer.id,
                }
            )
        )
        self.assertEqual(lead.partner_health_band, "critical")
        self.assertEqual(lead.partner_health_score, 0.0)

    def test_revenue_at_risk_follows_the_band(self):
        revenue = self.account.health_revenue_12m
        self.assertEqual(revenue, 240.0, "2 units × 120 untaxed, 270 days ago")
        self.assertEqual(self.account.health_revenue_at_risk, revenue)
        self.assertEqual(
            self.raw_health(self.account, "health_revenue_at_risk"), revenue
        )
        self._override(self.manager, band="watch")
        self.assertEqual(self.account.health_revenue_at_risk, 0.0)
        self.env["res.partner"]._cron_relationship_health()
        self.assertEqual(
            self.raw_health(self.account, "health_revenue_at_risk"),
            0.0,
            "the nightly job keeps the override's band",
        )
        self.account.with_user(self.manager).action_clear_health_override()
        self.assertEqual(self.account.health_revenue_at_risk, revenue)
        healthy, _buyer = self.make_account("Healthy Works")
        self.order(_buyer, 3)
        healthy.action_recompute_health()
        self.assertEqual(healthy.health_band, "healthy")
        self.assertEqual(healthy.health_revenue_at_risk, 0.0)
        [group] = self.env["res.partner"].read_group(
            [("id", "in", (self.account | healthy).ids)],
            ["health_revenue_at_risk:sum"],
            [],
        )
        self.assertEqual(group["health_revenue_at_risk"], revenue)

    def test_accounts_by_band_show_every_band(self):
        groups = self.env["res.partner"].web_read_group(
            [("id", "=", self.account.id)], ["health_band"], ["health_band"]
        )["groups"]
        self.assertEqual(
            [(g["health_band"], g["health_band_count"]) for g in groups],
            [("healthy", 0), ("watch", 0), ("at_risk", 0), ("critical", 1)],
        )
        kanban = self.env.ref("relationship_health.res_partner_view_kanban_health")
        views = (
            self.env["res.partner"]
            .with_user(self.salesman)
            .get_views([(kanban.id, "kanban")])
        )
        self.assertEqual(views["views"]["kanban"]["id"], kanban.id)
        self.assertIn(
            'default_group_by="health_band"', views["views"]["kanban"]["arch"]
        )
        self.assertEqual(
            [
                tuple(option)
                for option in views["models"]["res.partner"]["fields"]["health_band"][
                    "selection"
                ]
            ],
            [
                ("healthy", "Healthy"),
                ("watch", "Watch"),
                ("at_risk", "At Risk"),
                ("critical", "Critical"),
                ("unknown", "Unknown"),
            ],
        )
