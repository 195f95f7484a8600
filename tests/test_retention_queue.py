"""Retention work sized to the team: at most N new cases per owner and day,
the most valuable first; the others wait in a queue a manager can see and
hand out, and get their work on the next days unless the account recovers."""

from datetime import timedelta

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user

from test_retention import RetentionCase


class TestRetentionQueue(RetentionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.health_retention_daily_cases = 2
        # Three accounts falling to at risk, worth 100, 300 and 200 a year.
        cls.small, cls.large, cls.middle = (
            cls.priced_account(name, price)
            for name, price in (
                ("Small Screws", 50.0),
                ("Large Lathes", 150.0),
                ("Middle Mills", 100.0),
            )
        )
        cls.accounts = cls.small | cls.large | cls.middle

    @classmethod
    def priced_account(cls, name, price):
        """An account ordering every 30 days, last 66 days ago (at risk)."""
        account, contact = cls.make_account(name)
        for index in range(4):
            cls.order(contact, 66 + index * 30, price=price)
        return account

    def fall(self):
        for account in self.accounts:
            self.set_health(account, "healthy", 85.0)
        self.env["res.partner"]._cron_relationship_health()

    def test_daily_limit_most_valuable_first_then_next_days(self):
        self.fall()
        self.assertWork(self.large, 1, 1, 1)
        self.assertWork(self.middle, 1, 1, 1)
        self.assertWork(self.small, 0, 0, 0)
        waiting = self.cases(self.small, "waiting")
        self.assertEqual(len(waiting), 1)
        self.assertEqual(waiting.queue_rank, 1)
        self.assertEqual(waiting.date_queued, self.today)
        self.assertEqual(
            waiting.queue_reason, "Daily limit of 2 new cases of Rita Rep reached"
        )
        self.assertGreater(self.cases(self.large).revenue_12m, waiting.revenue_12m)
        self.assertFalse(waiting.activity_id or waiting.lead_id)

        # A rerun the same day, a recompute: nothing more, nothing twice.
        self.env["res.partner"]._cron_relationship_health()
        self.accounts.action_recompute_health()
        for account in (self.large, self.middle):
            self.assertWork(account, 1, 1, 1)
        self.assertEqual(self.cases(self.small), waiting)
        self.assertEqual(waiting.state, "waiting")

        # The next day, its turn.
        retention = self.env["relationship.health.retention"]
        tomorrow = self.today + timedelta(days=1)
        self.assertGreaterEqual(retention._hand_out(tomorrow), 1)
        self.assertEqual((waiting.state, waiting.date_opened), ("open", tomorrow))
        self.assertFalse(waiting.queue_rank)
        self.assertWork(self.small, 1, 1, 1)
        note = str(waiting.activity_id.note)
        self.assertIn("Health entered At Risk (was Healthy).", note)
        self.assertIn("it waited for room among the owner's new", note)
        self.assertEqual(waiting.lead_id.expected_revenue, waiting.revenue_12m)
        retention._hand_out(tomorrow)
        self.assertWork(self.small, 1, 1, 1)

    def test_a_waiting_account_that_recovers_closes_its_case(self):
        self.fall()
        waiting = self.cases(self.small, "waiting")
        self.order(self.small.child_ids, 1, price=50.0)
        self.small.action_recompute_health()
        self.assertEqual(self.small.health_band, "healthy")
        self.assertEqual(
            (waiting.state, waiting.close_reason), ("closed", "recovered_waiting")
        )
        self.assertFalse(waiting.activity_id)
        self.env["relationship.health.retention"]._hand_out(
            self.today + timedelta(days=1)
        )
        self.assertWork(self.small, 0, 0, 0)

    def test_manager_hands_out_now_others_may_not(self):
        self.fall()
        waiting = self.cases(self.small, "waiting")
        with self.assertRaises(AccessError):
            waiting.with_user(self.salesman).action_hand_out_now()
        with self.assertRaises(UserError):
            self.cases(self.large).with_user(self.manager).action_hand_out_now()
        self.assertEqual(waiting.state, "waiting")
        waiting.with_user(self.manager).action_hand_out_now()
        self.assertEqual(
            (waiting.state, waiting.handed_out_by_id, waiting.user_id),
            ("open", self.manager, self.salesman),
        )
        self.assertWork(self.small, 1, 1, 1)
        self.assertEqual(waiting.activity_id.user_id, self.salesman)

    def test_who_reads_and_writes_waiting_cases(self):
        self.fall()
        waiting = self.cases(self.small, "waiting")
        Case = self.env["relationship.retention.case"]
        other_rep = new_test_user(
            self.env, login="rh_other_rep", groups="sales_team.group_sale_salesman"
        )
        accountant = new_test_user(
            self.env, login="rh_accountant", groups="base.group_user"
        )
        portal = new_test_user(self.env, login="rh_portal", groups="base.group_portal")
        queue = [("state", "=", "waiting")]
        self.assertIn(waiting, Case.with_user(self.salesman).search(queue))
        self.assertIn(waiting, Case.with_user(self.leader).search(queue))
        self.assertIn(waiting, Case.with_user(self.manager).search(queue))
        self.assertNotIn(waiting, Case.with_user(other_rep).search(queue))
        with self.assertRaises(AccessError):
            waiting.with_user(other_rep).read(["queue_rank"])
        for user in (accountant, portal):
            with self.assertRaises(AccessError):
                waiting.with_user(user).read(["queue_rank"])
        for user in (self.salesman, self.leader):
            with self.assertRaises(AccessError):
                waiting.with_user(user).write({"queue_rank": 5})
        with self.assertRaises(AccessError):
            waiting.with_user(self.salesman).read(["work_data"])

    def test_daily_limit_setting_bounds_and_readers(self):
        for value in (0, 1001):
            with self.assertRaises(ValidationError):
                self.company.health_retention_daily_cases = value
        self.company.health_retention_daily_cases = 1000
        self.assertEqual(
            self.company.with_user(self.manager).health_retention_daily_cases, 1000
        )
        with self.assertRaises(AccessError):
            self.company.with_user(self.salesman).read(["health_retention_daily_cases"])
