"""Who may see and change what."""

from datetime import timedelta

from odoo.exceptions import AccessError

from health_common import HealthCase


class TestHealthSecurity(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account, cls.buyer = cls.make_scored_account("Secure Parts")

    def test_salesman_reads_health_and_history(self):
        account = self.account.with_user(self.salesman)
        self.assertEqual(account.health_band, self.account.health_band)
        self.assertTrue(account.health_reasons)
        self.assertIn("Service levels", account.health_summary)
        snapshots = (
            self.env["relationship.health.snapshot"]
            .with_user(self.salesman)
            .search([("partner_id", "=", self.account.id)])
        )
        self.assertEqual(len(snapshots), 1)
        self.assertEqual(snapshots.score, self.account.health_score)
        # The workspace's grouped views work for a salesman too.
        groups = (
            self.env["res.partner"]
            .with_user(self.salesman)
            .read_group(
                [("health_band", "!=", False)], ["health_score:avg"], ["health_band"]
            )
        )
        self.assertTrue(groups)

    def test_snapshots_cannot_be_edited_by_users(self):
        snapshot = self.snapshots(self.account)
        for user in (self.salesman, self.manager):
            with self.assertRaises(AccessError):
                snapshot.with_user(user).write({"score": 100.0})
            with self.assertRaises(AccessError):
                snapshot.with_user(user).unlink()
            with self.assertRaises(AccessError):
                self.env["relationship.health.snapshot"].with_user(user).create(
                    {
                        "partner_id": self.account.id,
                        "snapshot_date": "2020-01-01",
                        "band": "healthy",
                    }
                )

    def test_salesman_recomputes_and_records_commitments(self):
        self.assertEqual(
            self.account.health_sla, 0.0, "its one commitment was breached"
        )
        # Due when the breached one was (5 days ago), done an hour early.
        deadline = self._days_ago(5)
        event = (
            self.env["relationship.sla.event"]
            .with_user(self.salesman)
            .create(
                {
                    "name": "Call back within 4 hours",
                    "partner_id": self.buyer.id,
                    "date_start": deadline - timedelta(hours=4),
                    "date_deadline": deadline,
                    "date_done": deadline - timedelta(hours=1),
                }
            )
        )
        self.assertEqual(
            event.partner_id, self.account, "a contact's commitment is its company's"
        )
        self.assertEqual(event.state, "met")
        self.account.with_user(self.salesman).action_recompute_health()
        # One met, one breached, deadlines of the same age: 100 × 1 / 2.
        self.assertEqual(self.account.health_sla, 50.0)
        with self.assertRaises(AccessError):
            event.with_user(self.salesman).unlink()
        event.with_user(self.manager).unlink()
        self.account.with_user(self.salesman).action_recompute_health()
        self.assertEqual(self.account.health_sla, 0.0)

    def test_salesman_cannot_change_settings(self):
        with self.assertRaises(AccessError):
            self.env.company.with_user(self.salesman).write({"health_weight_sla": 10.0})

    def test_multi_company_isolation(self):
        other = self.env["res.company"].create({"name": "Other Company"})
        foreign, _buyer = self.make_account(
            "Foreign Account", company_id=other.id, customer_rank=1
        )
        foreign.user_id = False
        self.sla(foreign, 3, done_late_days=0).company_id = other
        foreign.action_recompute_health()
        self.assertTrue(self.snapshots(foreign))
        self.assertEqual(self.snapshots(foreign).company_id, other)
        snapshots = self.env["relationship.health.snapshot"].with_user(self.salesman)
        self.assertFalse(snapshots.search([("partner_id", "=", foreign.id)]))
        events = self.env["relationship.sla.event"].with_user(self.salesman)
        self.assertFalse(events.search([("partner_id", "=", foreign.id)]))
