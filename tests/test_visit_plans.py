"""Visit plans: tier cadences, planning, visit reports, due dates, adherence, follow-ups."""

from datetime import timedelta

from odoo import Command

from health_common import HealthCase


class TestVisitPlans(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tier = cls.env["relationship.visit.tier"].create(
            {"name": "Test tier", "visit_interval_days": 45}
        )
        cls.plan_type = cls.env.ref("relationship_health.mail_activity_type_plan_visit")

    def plan_activities(self, account):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", account.id),
                ("activity_type_id", "=", self.plan_type.id),
            ]
        )

    def test_tier_cadence_inherited_and_overridden(self):
        follower, _c1 = self.make_account("Follows Tier", visit_tier_id=self.tier.id)
        own, _c2 = self.make_account("Own Cadence", visit_tier_id=self.tier.id)
        self.assertEqual(follower.visit_interval_days, 45)
        own.visit_interval_days = 20
        self.assertTrue(
            own.visit_interval_override, "a typed cadence becomes the account's own"
        )
        self.tier.visit_interval_days = 30
        self.assertEqual(
            follower.visit_interval_days, 30, "tier change reaches its followers"
        )
        self.assertEqual(own.visit_interval_days, 20, "an own cadence is kept")
        own.visit_interval_override = False
        self.assertEqual(own.visit_interval_days, 30, "back to the tier's cadence")
        with self.assertRefused("cadence"):
            self.tier.visit_interval_days = 5000
        with self.assertRefused("cadence"):
            self.tier.visit_interval_days = -1

    def test_plan_a_visit_as_salesman(self):
        account, contact = self.make_account(
            "Plan Me", visit_interval_days=30, customer_rank=1
        )
        action = account.with_user(self.salesman).action_plan_visit()
        event = self.env["calendar.event"].browse(action["res_id"])
        self.assertEqual(event.user_id, self.salesman)
        self.assertIn(self.visit_type, event.categ_ids)
        self.assertEqual(event.partner_ids, self.salesman.partner_id | contact)
        self.assertGreater(event.start, self._days_ago(0))
        self.assertLess(event.start.weekday(), 5)
        # The next plan avoids the slot just taken.
        second = self.env["calendar.event"].browse(
            account.with_user(self.salesman).action_plan_visit()["res_id"]
        )
        self.assertNotEqual(second.start, event.start)
        account.action_recompute_health()
        self.assertEqual(account.visit_next_date, event.start.date())

    def test_due_overdue_and_adherence(self):
        account, contact = self.make_account("Due Soon", visit_interval_days=30)
        account.visit_plan_date = self.today - timedelta(days=400)
        for days in (10, 60, 110, 160, 210, 260):
            self.visit(contact, days)
        self.order(contact, 5)
        account.action_recompute_health()
        self.assertEqual(
            account.health_last_visit_date, self.today - timedelta(days=10)
        )
        self.assertEqual(account.visit_due_date, self.today + timedelta(days=20))
        self.assertFalse(account.visit_overdue)
        self.assertEqual((account.visit_held_12m, account.visit_planned_12m), (6, 12))
        self.assertEqual(account.visit_adherence, 50.0)
        self.assertEqual(account.health_visits, 100.0)

    def test_adherence_is_capped_at_100(self):
        # Plan of 60 days started 200 days ago: floor(200 / 60) = 3 visits asked
        # for; 5 held (one a month) → 5 / 3, capped at 100 %.
        account, contact = self.make_account(
            "Visited Often", visit_interval_days=60, customer_rank=1
        )
        account.visit_plan_date = self.today - timedelta(days=200)
        for days in (5, 35, 65, 95, 125):
            self.visit(contact, days)
        account.action_recompute_health()
        self.assertEqual((account.visit_held_12m, account.visit_planned_12m), (5, 3))
        self.assertEqual(account.visit_adherence, 100.0)
        # Without the cap it would read 166.7; at exactly the asked-for count
        # it is 100 too: 3 held of 3.
        exact, exact_contact = self.make_account(
            "Visited Enough", visit_interval_days=60, customer_rank=1
        )
        exact.visit_plan_date = self.today - timedelta(days=200)
        for days in (5, 65, 125):
            self.visit(exact_contact, days)
        exact.action_recompute_health()
        self.assertEqual(
            (exact.visit_held_12m, exact.visit_planned_12m, exact.visit_adherence),
            (3, 3, 100.0),
        )
        # One fewer: 2 / 3.
        short, short_contact = self.make_account(
            "Visited Less", visit_interval_days=60, customer_rank=1
        )
        short.visit_plan_date = self.today - timedelta(days=200)
        for days in (5, 65):
            self.visit(short_contact, days)
        short.action_recompute_health()
        self.assertEqual(short.visit_adherence, 66.7)

    def test_follow_up_created_once_and_closed_when_a_visit_is_planned(self):
        account, contact = self.make_account("Needs Visit", visit_interval_days=30)
        account.visit_plan_date = self.today - timedelta(days=100)
        self.visit(contact, 25)  # due in 5 days, within the 14-day reminder window
        self.order(contact, 3)
        for _run in range(3):
            account.action_recompute_health()
            self.env["res.partner"]._cron_relationship_health()
        activity = self.plan_activities(account)
        self.assertEqual(len(activity), 1, "one follow-up, however many runs")
        self.assertEqual(activity.user_id, self.salesman)
        self.assertEqual(activity.date_deadline, self.today + timedelta(days=5))
        self.visit(contact, -7)  # a visit gets planned
        self.assertFalse(
            self.plan_activities(account), "planning the visit closes the follow-up"
        )
        account.action_recompute_health()
        self.assertFalse(
            self.plan_activities(account), "and no new one while a visit is planned"
        )

    def test_no_follow_up_when_reminders_are_off(self):
        self.env.company.health_visit_reminder_days = 0
        account, contact = self.make_account("Quiet", visit_interval_days=30)
        account.visit_plan_date = self.today - timedelta(days=100)
        self.order(contact, 3)
        account.action_recompute_health()
        self.assertTrue(account.visit_overdue)
        self.assertFalse(self.plan_activities(account))

    def test_visit_report_mood_feeds_satisfaction(self):
        account, contact = self.make_account("Moody", customer_rank=1)
        event = self.visit(contact, 0)
        event.write(
            {
                "visit_outcome": "Complaints about delays",
                "visit_mood": "1",
                "visit_next_steps": "Call the logistics manager",
            }
        )
        self.answer(contact, self.q_csat, 5)
        account.action_recompute_health()
        # CSAT 5 → 100 (weight 1), mood 1 → 0 (weight 0.5): 100 / 1.5
        self.assertEqual(account.health_satisfaction, 66.7)
        self.assertIsNone(self.raw_health(account, "health_nps"))

    def test_search_filters(self):
        account, contact = self.make_account("Filtered", visit_interval_days=30)
        account.visit_plan_date = self.today - timedelta(days=100)
        self.order(contact, 3)
        account.action_recompute_health()
        Partner = self.env["res.partner"].with_user(self.salesman)
        self.assertIn(account, Partner.search([("visit_overdue", "=", True)]))
        self.assertIn(
            account,
            Partner.search(
                [("visit_interval_days", ">", 0), ("visit_next_date", "=", False)]
            ),
        )
        event = self.env["calendar.event"].create(
            {
                "name": "Visit",
                "start": self._days_ago(-3),
                "stop": self._days_ago(-3) + timedelta(hours=1),
                "categ_ids": [Command.link(self.visit_type.id)],
                "partner_ids": [Command.link(contact.id)],
            }
        )
        account.action_recompute_health()
        self.assertEqual(account.visit_next_date, event.start.date())
