"""OCA Salesperson Planner bridge: planner visits count as visits, once."""

import unittest
from datetime import timedelta

from odoo import Command
from odoo.tools import SQL

from health_common import HealthCase


class TestBridgeSalespersonPlanner(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "crm.salesperson.planner.visit" not in cls.env.registry or not cls.env[
            "ir.module.module"
        ].search_count(
            [
                ("name", "=", "relationship_health_crm_salesperson_planner"),
                ("state", "=", "installed"),
            ]
        ):
            raise unittest.SkipTest(
                "relationship_health_crm_salesperson_planner is not installed"
            )
        cls.Visit = cls.env["crm.salesperson.planner.visit"]
        cls.plan_type = cls.env.ref("relationship_health.mail_activity_type_plan_visit")

    def planner_visit(self, partner, days_ago, state="draft"):
        """A planner visit dated ``days_ago`` days ago (negative: ahead), moved
        to ``state`` through the planner's own actions where it has one."""
        visit = self.Visit.create(
            {
                "partner_id": partner.id,
                "user_id": self.salesman.id,
                "date": self.today - timedelta(days=days_ago),
            }
        )
        if state in ("confirm", "done"):
            visit.action_confirm()
        if state == "done":
            visit.action_done()
        elif state in ("cancel", "incident"):
            visit.write({"state": state})
        return visit

    def test_done_visits_count_as_held(self):
        account, contact = self.make_account("Planner Held", visit_interval_days=30)
        account.visit_plan_date = self.today - timedelta(days=400)
        self.order(contact, 5)
        self.planner_visit(contact, 10, "done")
        self.planner_visit(account, 70, "done")
        self.planner_visit(contact, 400, "done")  # older than 12 months
        # None of these is a visit held.
        self.planner_visit(contact, 5, "cancel")
        self.planner_visit(contact, 3, "incident")
        self.planner_visit(contact, 20, "draft")
        self.planner_visit(contact, 15, "confirm")
        account.action_recompute_health()
        self.assertEqual(
            account.health_last_visit_date, self.today - timedelta(days=10)
        )
        # 12 visits asked for over 365 days at one every 30 days; 2 held.
        self.assertEqual((account.visit_held_12m, account.visit_planned_12m), (2, 12))
        self.assertEqual(account.visit_adherence, 16.7)  # 2 / 12
        self.assertEqual(account.visit_due_date, self.today + timedelta(days=20))
        self.assertFalse(account.visit_overdue)
        self.assertEqual(account.health_visits, 100.0)  # 10 days into a 30-day cadence
        self.assertFalse(account.visit_next_date, "the confirmed visit is in the past")

    def test_planned_visits_are_next_visits(self):
        account, contact = self.make_account("Planner Next", visit_interval_days=30)
        account.visit_plan_date = self.today - timedelta(days=100)
        self.order(contact, 5)
        self.planner_visit(contact, -3, "cancel")
        self.planner_visit(contact, -12, "draft")
        self.planner_visit(contact, -7, "confirm")
        account.action_recompute_health()
        self.assertEqual(account.visit_next_date, self.today + timedelta(days=7))
        self.assertEqual(
            account.visit_held_12m, 0, "a planned visit is not a visit held"
        )
        self.assertFalse(account.health_last_visit_date)

        # A visit validated for today is the next visit until it is done.
        today_visit = self.planner_visit(contact, 0, "confirm")
        account.action_recompute_health()
        self.assertEqual(account.visit_next_date, self.today)
        self.assertEqual(account.visit_held_12m, 0)
        today_visit.action_done()
        account.action_recompute_health()
        self.assertEqual(account.health_last_visit_date, self.today)
        self.assertEqual(account.visit_held_12m, 1)
        self.assertEqual(account.visit_next_date, self.today + timedelta(days=7))

    def test_visit_with_a_customer_visit_event_counts_once(self):
        account, contact = self.make_account("Planner Once", visit_interval_days=30)
        account.visit_plan_date = self.today - timedelta(days=400)
        self.order(contact, 5)
        visit = self.planner_visit(contact, 6, "confirm")
        event = visit.calendar_event_id
        self.assertTrue(event, "validating a planner visit books a calendar event")
        event.categ_ids = [Command.link(self.visit_type.id)]
        visit.action_done()
        self.visit(contact, 40)  # a calendar-only Customer Visit
        account.action_recompute_health()
        self.assertEqual(
            account.visit_held_12m, 2, "the planner visit and its event count once"
        )
        self.assertEqual(account.health_last_visit_date, self.today - timedelta(days=6))
        # Without the Customer Visit tag, the event is not read: the visit is.
        event.categ_ids = [Command.clear()]
        account.action_recompute_health()
        self.assertEqual(account.visit_held_12m, 2)
        self.assertEqual(account.health_last_visit_date, self.today - timedelta(days=6))

    def test_visits_of_other_accounts_do_not_count(self):
        account, contact = self.make_account("Planner Mine", visit_interval_days=30)
        other, other_contact = self.make_account(
            "Planner Theirs", visit_interval_days=30
        )
        self.order(contact, 5)
        self.order(other_contact, 5)
        self.planner_visit(other_contact, 4, "done")
        (account | other).action_recompute_health()
        self.assertEqual(account.visit_held_12m, 0)
        self.assertEqual(other.visit_held_12m, 1)
        self.assertEqual(other.health_last_visit_date, self.today - timedelta(days=4))

    def test_planning_a_visit_closes_the_follow_up(self):
        account, contact = self.make_account(
            "Planner Follow-up", visit_interval_days=30
        )
        account.visit_plan_date = self.today - timedelta(days=100)
        self.visit(contact, 25)  # due in 5 days, within the reminder window
        self.order(contact, 3)
        account.action_recompute_health()
        follow_ups = [
            ("res_model", "=", "res.partner"),
            ("res_id", "=", account.id),
            ("activity_type_id", "=", self.plan_type.id),
        ]
        self.assertEqual(self.env["mail.activity"].search_count(follow_ups), 1)
        self.planner_visit(contact, -4, "draft")
        self.assertFalse(
            self.env["mail.activity"].search_count(follow_ups),
            "planning the visit closes the follow-up",
        )
        account.action_recompute_health()
        self.assertEqual(account.visit_next_date, self.today + timedelta(days=4))
        self.assertFalse(
            self.env["mail.activity"].search_count(follow_ups),
            "and no new one while the visit is planned",
        )

    def test_planner_visits_mark_their_account(self):
        account, contact = self.make_account("Gasket Hall")
        self.env.flush_all()
        self.env.cr.execute(SQL("DELETE FROM relationship_health_pending"))

        def marked():
            self.env.flush_all()
            self.env.cr.execute(
                "SELECT DISTINCT account_id FROM relationship_health_pending"
            )
            ids = {row[0] for row in self.env.cr.fetchall()}
            self.env.cr.execute(SQL("DELETE FROM relationship_health_pending"))
            return ids

        visit = self.planner_visit(contact, -3)
        self.assertIn(account.id, marked(), "a visit planned")
        visit.date = self.today - timedelta(days=1)
        self.assertIn(account.id, marked(), "a visit moved")
        visit.action_confirm()
        visit.action_done()
        self.assertIn(account.id, marked(), "a visit held")
        visit.name = "Quarterly review"
        self.assertEqual(marked(), set(), "a new name changes nothing")
