"""Retention automation: transitions become follow-ups and retention
opportunities for the right owner, once, explained, closed on recovery."""

import logging
from contextlib import closing
from datetime import timedelta
from unittest.mock import patch

import pandas as pd
import psycopg2

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import AccessError
from odoo.sql_db import db_connect
from odoo.tests import new_test_user
from odoo.tools import SQL, format_amount, mute_logger

from health_common import HealthCase

RETENTION = (
    "odoo.addons.relationship_health.models.relationship_health_retention"
    ".RelationshipHealthRetention"
)
CASE = (
    "odoo.addons.relationship_health.models.relationship_retention_case"
    ".RelationshipRetentionCase"
)
RETENTION_LOGGER = (
    "odoo.addons.relationship_health.models.relationship_health_retention"
)


class RetentionCase(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.followup_type = cls.env.ref(
            "relationship_health.mail_activity_type_retention_followup"
        )
        cls.winback_type = cls.env.ref(
            "relationship_health.mail_activity_type_retention_winback"
        )
        cls.tag = cls.env.ref("relationship_health.crm_tag_retention")
        cls.leader = new_test_user(
            cls.env,
            login="rh_leader",
            name="Lea Leader",
            groups="sales_team.group_sale_salesman_all_leads",
        )
        cls.fallback_owner = new_test_user(
            cls.env,
            login="rh_fallback",
            name="Fred Fallback",
            groups="sales_team.group_sale_salesman",
        )

    # -- builders ----------------------------------------------------------------
    @classmethod
    def rhythm_account(cls, name, last_order_days, interval=30, orders=4, **vals):
        """An account ordering every ``interval`` days, last ``last_order_days`` ago.

        With no other signal, its score is its purchase recency: last order
        5 days ago → 100 (healthy), 66 → 40 (at risk), 80 → 16.7 (critical),
        130 → 0 (critical, and more than 4 usual intervals: win-back).
        """
        account, contact = cls.make_account(name, **vals)
        for index in range(orders):
            cls.order(contact, last_order_days + index * interval)
        return account

    def set_health(self, account, band, score):
        """What the account looked like before this run."""
        account.write({"health_band": band, "health_score": score})

    def snapshot(self, account, days_ago, score, band):
        return self.env["relationship.health.snapshot"].create(
            {
                "partner_id": account.id,
                "company_id": self.company.id,
                "snapshot_date": self.today - timedelta(days=days_ago),
                "score": score,
                "band": band,
            }
        )

    def cases(self, account, state=None):
        domain = [("partner_id", "=", account.id)]
        if state:
            domain.append(("state", "=", state))
        return self.env["relationship.retention.case"].search(domain, order="id")

    def activities(self, account, include_done=False):
        return (
            self.env["mail.activity"]
            .with_context(active_test=not include_done)
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", account.id),
                    (
                        "activity_type_id",
                        "in",
                        (self.followup_type | self.winback_type).ids,
                    ),
                ],
                order="id",
            )
        )

    def followup_by_hand(self, account, **vals):
        """A follow-up activity of the account's salesman, not made by a run."""
        return self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": account.id,
                "activity_type_id": self.followup_type.id,
                "user_id": self.salesman.id,
                **vals,
            }
        )

    def leads(self, account, include_closed=False):
        """Retention opportunities of the account: the open ones (neither lost
        nor won) unless ``include_closed``."""
        domain = [("partner_id", "=", account.id), ("is_retention", "=", True)]
        if not include_closed:
            domain.append(("stage_id.is_won", "=", False))
        return (
            self.env["crm.lead"]
            .with_context(active_test=not include_closed)
            .search(domain, order="id")
        )

    def today_snapshot(self, account):
        return self.env["relationship.health.snapshot"].search(
            [
                ("partner_id", "=", account.id),
                ("snapshot_date", "=", self.today),
            ]
        )

    def assertWork(self, account, cases=1, activities=1, leads=1):
        self.assertEqual(len(self.cases(account, "open")), cases, "open cases")
        self.assertEqual(len(self.activities(account)), activities, "open activities")
        self.assertEqual(len(self.leads(account)), leads, "retention opportunities")


class TestRetentionTransitions(RetentionCase):
    def test_entering_at_risk_opens_followup_and_opportunity(self):
        account = self.rhythm_account("Falling Forge", 66)
        self.set_health(account, "healthy", 85.0)
        mails = self.env["mail.mail"].search_count([])
        account.with_env(self.env(context={})).action_recompute_health()
        self.assertEqual(
            self.env["mail.mail"].search_count([]), mails, "no e-mail sent"
        )
        self.assertEqual((account.health_band, account.health_score), ("at_risk", 40.0))

        case = self.cases(account)
        self.assertEqual(len(case), 1)
        self.assertEqual(
            (
                case.state,
                case.trigger,
                case.kind,
                case.user_id,
                case.band,
                case.band_before,
            ),
            ("open", "band_entry", "followup", self.salesman, "at_risk", "healthy"),
        )
        self.assertEqual((case.score_before, case.score), (85.0, 40.0))
        snapshot = self.today_snapshot(account)
        self.assertTrue(snapshot)
        self.assertEqual(case.snapshot_id, snapshot)

        activity = self.activities(account)
        self.assertEqual(len(activity), 1)
        self.assertEqual(case.activity_id, activity)
        self.assertEqual(activity.activity_type_id, self.followup_type)
        self.assertEqual(activity.user_id, self.salesman)
        self.assertEqual(activity.date_deadline, self.today + timedelta(days=3))
        self.assertEqual(activity.health_snapshot_id, snapshot)
        note = str(activity.note)
        self.assertIn("Health entered At Risk (was Healthy).", note)
        self.assertIn("Health score: 85.0 → 40.0 (Healthy → At Risk).", note)
        self.assertIn(
            "No order for 66 days; this customer usually orders every 30 days.", note
        )

        lead = self.leads(account)
        self.assertEqual(len(lead), 1)
        self.assertEqual(case.lead_id, lead)
        self.assertEqual(lead.name, "Retention: Falling Forge")
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.user_id, self.salesman)
        self.assertEqual(lead.tag_ids, self.tag)
        self.assertTrue(lead.is_retention)
        self.assertEqual(lead.health_snapshot_id, snapshot)
        # Four orders of 2 × 120 in the last 12 months: the revenue at risk.
        self.assertEqual(lead.expected_revenue, 960.0)
        self.assertEqual(case.revenue_12m, 960.0)
        self.assertIn("No order for 66 days", str(lead.description))
        self.assertEqual(
            lead.partner_health_band, "at_risk", "the card shows the health"
        )

    def test_entering_critical_from_at_risk_and_what_is_not_a_transition(self):
        critical = self.rhythm_account("Critical Cast", 80)
        self.set_health(critical, "at_risk", 35.0)
        first_score = self.rhythm_account("Never Scored", 80)
        unchanged = self.rhythm_account("Still At Risk", 66)
        self.set_health(unchanged, "at_risk", 41.0)
        unknown = self.rhythm_account("Was Unknown", 66)
        self.set_health(unknown, "unknown", 0.0)
        self.env["res.partner"]._cron_relationship_health()
        self.assertEqual(critical.health_band, "critical")
        self.assertEqual(self.cases(critical).trigger, "band_entry")
        self.assertIn(
            "Health entered Critical (was At Risk).",
            str(self.activities(critical).note),
        )
        for account in (first_score, unchanged, unknown):
            self.assertWork(account, cases=0, activities=0, leads=0)

    def test_score_drop_against_thirty_days_ago(self):
        dropped = self.rhythm_account("Dropped Dyes", 66)
        self.set_health(dropped, "at_risk", 41.0)
        self.snapshot(dropped, 31, 58.0, "watch")
        small = self.rhythm_account("Small Dip", 66)
        self.set_health(small, "at_risk", 41.0)
        self.snapshot(small, 31, 50.0, "watch")
        too_old = self.rhythm_account("Ancient History", 66)
        self.set_health(too_old, "at_risk", 41.0)
        self.snapshot(too_old, 75, 90.0, "healthy")
        self.env["res.partner"]._cron_relationship_health()

        case = self.cases(dropped)
        self.assertEqual((case.trigger, case.score_reference), ("score_drop", 58.0))
        self.assertIn(
            "The score fell 18.0 points in 30 days, from 58.0 to 40.0.",
            str(case.activity_id.note),
        )
        self.assertIn("Score 30 days ago: 58.0.", str(case.lead_id.description))
        self.assertWork(small, 0, 0, 0)
        self.assertWork(too_old, 0, 0, 0)

        # The threshold is a setting.
        self.company.health_retention_drop_points = 10.0
        small.action_recompute_health()
        self.assertEqual(self.cases(small).trigger, "score_drop")

    def test_score_drop_window_is_30_to_60_days(self):
        # Each falls from 58 to 40 (18 ≥ 15 points) against a snapshot of the
        # given age: only a snapshot 30 to 60 days old is "30 days ago".
        accounts = {}
        for days_ago in (29, 30, 60, 61):
            account = self.rhythm_account(f"Window {days_ago}", 66)
            self.set_health(account, "at_risk", 41.0)
            self.snapshot(account, days_ago, 58.0, "watch")
            accounts[days_ago] = account
        self.env["res.partner"]._cron_relationship_health()
        self.assertWork(accounts[29], 0, 0, 0)
        self.assertWork(accounts[61], 0, 0, 0)
        for days_ago in (30, 60):
            case = self.cases(accounts[days_ago])
            self.assertEqual((case.trigger, case.score_reference), ("score_drop", 58.0))
            self.assertIn(
                "The score fell 18.0 points in 30 days, from 58.0 to 40.0.",
                str(case.activity_id.note),
            )

    def test_critical_for_too_long_with_nothing_open(self):
        stale = self.rhythm_account("Stale Steel", 80)
        self.set_health(stale, "critical", 16.7)
        self.snapshot(stale, 50, 35.0, "at_risk")
        self.snapshot(stale, 40, 20.0, "critical")
        self.snapshot(stale, 20, 18.0, "critical")
        recent = self.rhythm_account("Recently Critical", 80)
        self.set_health(recent, "critical", 16.7)
        self.snapshot(recent, 40, 30.0, "at_risk")
        self.snapshot(recent, 20, 18.0, "critical")
        self.env["res.partner"]._cron_relationship_health()

        case = self.cases(stale)
        self.assertEqual(
            (case.trigger, case.critical_since),
            ("critical_stale", self.today - timedelta(days=40)),
        )
        self.assertIn("Critical for 40 days", str(case.activity_id.note))
        self.assertWork(recent, 0, 0, 0)

        # Once its work is done and the cooldown over, it gets new work again.
        case.activity_id.action_feedback(feedback="Called, no answer")
        case.lead_id.action_set_lost()
        self.company.health_retention_cooldown_days = 0
        stale.action_recompute_health()
        self.assertEqual((case.state, case.close_reason), ("closed", "handled"))
        self.assertWork(stale, 0, 0, 0)
        stale.action_recompute_health()
        self.assertEqual(self.cases(stale, "open").trigger, "critical_stale")
        self.assertWork(stale, 1, 1, 1)
        self.assertEqual(len(self.leads(stale, include_closed=True)), 2)

    def test_winback_instead_of_followup(self):
        account = self.rhythm_account("Gone Quiet", 130)
        self.set_health(account, "watch", 55.0)
        account.action_recompute_health()
        case = self.cases(account)
        self.assertEqual(case.kind, "winback")
        activity = self.activities(account)
        self.assertEqual(activity.activity_type_id, self.winback_type)
        self.assertEqual(activity.summary, "Win-back: Gone Quiet")
        self.assertIn(
            "No order for 130 days, more than 4 times the usual interval of 30 "
            "days: time to win this customer back.",
            str(activity.note),
        )
        # Within four intervals, a plain follow-up.
        near = self.rhythm_account("Late But Not Gone", 110)
        self.set_health(near, "watch", 55.0)
        near.action_recompute_health()
        self.assertEqual(self.activities(near).activity_type_id, self.followup_type)
        # The factor is a setting.
        self.company.health_retention_winback_factor = 3.0
        later = self.rhythm_account("Three Times Late", 110)
        self.set_health(later, "watch", 55.0)
        later.action_recompute_health()
        self.assertEqual(self.activities(later).activity_type_id, self.winback_type)


class TestRetentionOwners(RetentionCase):
    def test_team_leader_then_default_owner(self):
        team = self.env["crm.team"].create(
            {"name": "Key Accounts", "user_id": self.leader.id}
        )
        # No salesperson: the leader of the team of the account's latest order.
        led = self.rhythm_account("Led By Team", 66, user_id=False)
        self.env["sale.order"].search(
            [("partner_id", "child_of", led.id)]
        ).team_id = team
        self.set_health(led, "healthy", 80.0)
        # A salesperson who left: the leader of their team.
        gone_rep = new_test_user(
            self.env,
            login="rh_gone",
            name="Gus Gone",
            groups="sales_team.group_sale_salesman",
        )
        team.member_ids = [Command.link(gone_rep.id)]
        former = self.rhythm_account("Former Rep", 66, user_id=gone_rep.id)
        self.set_health(former, "healthy", 80.0)
        gone_rep.active = False
        # Neither: the default owner of the settings.
        orphan = self.rhythm_account("Orphan Mills", 66, user_id=False)
        self.set_health(orphan, "healthy", 80.0)
        self.company.health_retention_default_user_id = self.fallback_owner
        self.env["res.partner"]._cron_relationship_health()

        self.assertEqual(self.cases(led).user_id, self.leader)
        self.assertEqual(self.activities(led).user_id, self.leader)
        self.assertEqual(self.leads(led).user_id, self.leader)
        self.assertEqual(self.leads(led).team_id, team)
        self.assertEqual(
            self.cases(former).user_id, self.leader, "archived salesperson"
        )
        self.assertEqual(self.cases(orphan).user_id, self.fallback_owner)
        self.assertEqual(self.activities(orphan).user_id, self.fallback_owner)
        self.assertEqual(self.leads(orphan).user_id, self.fallback_owner)

    def test_account_without_any_owner_is_skipped_and_logged(self):
        orphan = self.rhythm_account("Nobody's Account", 66, user_id=False)
        self.set_health(orphan, "healthy", 80.0)
        owned = self.rhythm_account("Somebody's Account", 66)
        self.set_health(owned, "healthy", 80.0)
        with self.assertLogs(RETENTION_LOGGER, logging.INFO) as logs:
            self.env["res.partner"]._cron_relationship_health()
        self.assertTrue(
            any(
                "Nobody's Account" in line and "no salesperson" in line
                for line in logs.output
            ),
            logs.output,
        )
        self.assertEqual(orphan.health_band, "at_risk", "scored all the same")
        self.assertWork(orphan, 0, 0, 0)
        self.assertWork(owned, 1, 1, 1)


class OneAccountCase(RetentionCase):
    """Tests of one account at risk (last order 66 days ago): ``account``,
    named ``account_name``, and its ``buyer``."""

    account_name = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account = cls.rhythm_account(cls.account_name, 66)
        cls.buyer = cls.account.child_ids


class TestRetentionDedupe(OneAccountCase):
    account_name = "Repeat Rivets"

    def test_repeated_runs_and_recomputes_create_work_once(self):
        self.set_health(self.account, "healthy", 85.0)
        self.env["res.partner"]._cron_relationship_health()
        self.env["res.partner"]._cron_relationship_health()
        self.account.action_recompute_health()
        self.account.with_user(self.salesman).action_recompute_health()
        self.env["relationship.health.engine"]._compute_in_batches([self.account.id])
        self.assertWork(self.account, 1, 1, 1)
        case = self.cases(self.account)
        self.assertEqual(case.update_count, 0, "the same state is not news")

        # The account gets worse: a note on its open work, nothing new.
        latest = self.env["sale.order"].search(
            [("partner_id", "=", self.buyer.id)], order="date_order desc", limit=1
        )
        latest._action_cancel()
        self.account.action_recompute_health()
        self.assertEqual(self.account.health_band, "critical")
        self.assertWork(self.account, 1, 1, 1)
        self.assertEqual(
            (case.update_count, case.last_band, case.last_score), (1, "critical", 0.0)
        )
        note = str(case.activity_id.note)
        self.assertIn("Health entered At Risk (was Healthy).", note, "first note kept")
        self.assertIn("Health entered Critical (was At Risk).", note)
        self.assertIn(
            "The score fell 40.0 points since the last report, from 40.0 to 0.0.", note
        )
        self.assertIn("Since the last report: 40.0 → 0.0 (At Risk → Critical).", note)
        lead_notes = case.lead_id.message_ids.filtered(
            lambda m: "Health entered Critical" in str(m.body)
        )
        self.assertEqual(len(lead_notes), 1)

        # A transition seen again (the band before reset) is not news either.
        self.set_health(self.account, "healthy", 85.0)
        self.env["res.partner"]._cron_relationship_health()
        self.account.action_recompute_health()
        self.assertWork(self.account, 1, 1, 1)
        self.assertEqual(case.update_count, 1)

        # A partial recovery is remembered silently; falling again is news.
        again = self.order(self.buyer, 66)
        self.account.action_recompute_health()
        self.assertEqual((case.update_count, case.last_band), (1, "at_risk"))
        again._action_cancel()
        self.account.action_recompute_health()
        self.assertEqual((case.update_count, case.last_band), (2, "critical"))
        self.assertWork(self.account, 1, 1, 1)

    def test_open_work_made_by_hand_is_reused(self):
        self.set_health(self.account, "healthy", 85.0)
        activity = self.followup_by_hand(self.account, summary="Call them")
        lead = self.env["crm.lead"].create(
            {
                "name": "Keep them",
                "type": "opportunity",
                "partner_id": self.account.id,
                "is_retention": True,
            }
        )
        self.account.action_recompute_health()
        self.assertWork(self.account, 1, 1, 1)
        case = self.cases(self.account)
        self.assertEqual((case.activity_id, case.lead_id), (activity, lead))
        self.assertIn("Health entered At Risk", str(activity.note))
        self.assertTrue(
            lead.message_ids.filtered(lambda m: "Health entered" in str(m.body))
        )

    def test_unique_index_allows_one_waiting_or_open_case(self):
        Case = self.env["relationship.retention.case"]
        values = {
            "partner_id": self.account.id,
            "company_id": self.company.id,
            "trigger": "band_entry",
            "date_opened": self.today,
        }
        Case.create(values)
        for state in ("open", "waiting"):
            with (
                mute_logger("odoo.sql_db"),
                self.assertRaises(psycopg2.errors.UniqueViolation),
            ):
                with self.env.cr.savepoint():
                    Case.create({**values, "state": state})
        Case.create({**values, "state": "closed"})

    def test_race_between_detection_and_creation_becomes_a_note(self):
        """Another run opens the case (and its activity) after this run read
        the open work and before it inserts its case: the unique index refuses
        the second case and the transition is noted on the other run's work."""
        self.set_health(self.account, "healthy", 85.0)
        original = type(self.env["relationship.health.retention"])._insert_cases
        others = []

        def concurrent_run_first(retention, rows, as_of):
            activity = self.followup_by_hand(
                self.account, note="<p>Opened by the other run</p>"
            )
            others.append(
                self.env["relationship.retention.case"].create(
                    {
                        "partner_id": self.account.id,
                        "company_id": self.company.id,
                        "user_id": self.salesman.id,
                        "trigger": "band_entry",
                        "date_opened": self.today,
                        "activity_id": activity.id,
                    }
                )
            )
            return original(retention, rows, as_of)

        with patch(f"{RETENTION}._insert_cases", concurrent_run_first):
            self.account.action_recompute_health()
        other = others[0]
        self.assertEqual(self.cases(self.account), other, "no second case")
        self.assertEqual(
            self.activities(self.account), other.activity_id, "no second activity"
        )
        self.assertFalse(
            self.leads(self.account), "the transition became a note, not new work"
        )
        note = str(other.activity_id.note)
        self.assertIn("Opened by the other run", note)
        self.assertIn("Health entered At Risk (was Healthy).", note)
        self.assertEqual(other.update_count, 1)


class TestRetentionTwoCursors(RetentionCase):
    """Two real database connections run the automation on the same account.

    The second run took its snapshot before the first one committed, so it
    cannot see the first run's case: only the unique index stands between
    them and a duplicate."""

    def test_two_concurrent_runs_open_one_case(self):
        dbname = self.env.cr.dbname
        admin_id = self.env.ref("base.user_admin").id
        with closing(db_connect(dbname).cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner_id = (
                env["res.partner"]
                .create(
                    {
                        "name": "Race Condition Ltd",
                        "is_company": True,
                        "user_id": admin_id,
                    }
                )
                .id
            )
            cr.commit()
        results = pd.DataFrame(
            {
                "company_id": [self.company.id],
                "user_id": [admin_id],
                "band": ["at_risk"],
                "band_before": ["healthy"],
                "score": [40.0],
                "score_before": [80.0],
                "trend": [-40.0],
                "days_since_order": [66.0],
                "order_interval_days": [30.0],
                "reasons": [[]],
            },
            index=pd.Index([partner_id], name="partner_id"),
        )
        try:
            with (
                closing(db_connect(dbname).cursor()) as cr1,
                closing(db_connect(dbname).cursor()) as cr2,
            ):
                env1 = api.Environment(cr1, SUPERUSER_ID, {})
                env2 = api.Environment(cr2, SUPERUSER_ID, {})
                cr2.execute("SELECT 1")  # the second run's snapshot starts now
                retention = env1["relationship.health.retention"]
                first = retention._process_batch(results, self.today)
                queued = env1["relationship.retention.case"].search(
                    [("partner_id", "=", partner_id)]
                )
                opened = retention._hand_out_cases(queued.ids, self.today)
                cr1.commit()
                with self.assertLogs(RETENTION_LOGGER, logging.INFO) as logs:
                    second = env2["relationship.health.retention"]._process_batch(
                        results, self.today
                    )
                cr2.commit()
                self.assertEqual((first["queued"], opened), (1, 1))
                self.assertEqual(second["queued"], 0)
                self.assertTrue(any("concurrent run" in line for line in logs.output))
            with closing(db_connect(dbname).cursor()) as cr:
                cr.execute(
                    SQL(
                        """SELECT (SELECT count(*) FROM relationship_retention_case
                                WHERE partner_id = %(p)s),
                              (SELECT count(*) FROM mail_activity
                                WHERE res_model = 'res.partner' AND res_id = %(p)s),
                              (SELECT count(*) FROM crm_lead WHERE partner_id = %(p)s)""",
                        p=partner_id,
                    )
                )
                self.assertEqual(cr.fetchone(), (1, 1, 1))
        finally:
            with closing(db_connect(dbname).cursor()) as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["crm.lead"].with_context(active_test=False).search(
                    [("partner_id", "=", partner_id)]
                ).unlink()
                env["mail.activity"].with_context(active_test=False).search(
                    [("res_model", "=", "res.partner"), ("res_id", "=", partner_id)]
                ).unlink()
                env["relationship.retention.case"].search(
                    [("partner_id", "=", partner_id)]
                ).unlink()
                env["res.partner"].browse(partner_id).unlink()
                cr.commit()


class TestRetentionLifecycle(OneAccountCase):
    account_name = "Bouncing Bolts"

    def open_case(self):
        self.set_health(self.account, "healthy", 85.0)
        self.account.action_recompute_health()
        case = self.cases(self.account)
        self.assertEqual(len(case), 1)
        return case

    def test_recovery_closes_the_activity_and_notes_the_opportunity(self):
        case = self.open_case()
        activity, lead = case.activity_id, case.lead_id
        recent = self.order(self.buyer, 2)
        mails = self.env["mail.mail"].search_count([])
        self.account.with_env(self.env(context={})).action_recompute_health()
        self.assertEqual(
            self.env["mail.mail"].search_count([]), mails, "no e-mail sent"
        )
        self.assertEqual(self.account.health_band, "healthy")
        self.assertEqual(
            (case.state, case.close_reason, case.date_closed),
            ("closed", "recovered", self.today),
        )
        self.assertEqual(case.cooldown_until, self.today + timedelta(days=14))
        self.assertFalse(activity.active, "marked done")
        done = self.account.message_ids.filtered(lambda m: "Recovered" in str(m.body))
        self.assertEqual(len(done), 1)
        self.assertTrue(lead.active, "the rep decides the outcome of the opportunity")
        self.assertTrue(
            lead.message_ids.filtered(lambda m: "healthy again" in str(m.body))
        )
        self.assertWork(self.account, 0, 0, 1)

        # Flip-flop within the cooldown: no new work.
        recent._action_cancel()
        self.account.action_recompute_health()
        self.assertEqual(self.account.health_band, "at_risk")
        self.assertWork(self.account, 0, 0, 1)
        self.assertEqual(len(self.cases(self.account)), 1)

        # After the cooldown, a new transition opens a new case; the open
        # retention opportunity is reused, not duplicated.
        case.cooldown_until = self.today
        self.set_health(self.account, "healthy", 85.0)
        self.account.action_recompute_health()
        new_case = self.cases(self.account, "open")
        self.assertEqual(len(new_case), 1)
        self.assertNotEqual(new_case, case)
        self.assertEqual(new_case.lead_id, lead)
        self.assertWork(self.account, 1, 1, 1)
        self.assertEqual(len(self.activities(self.account, include_done=True)), 2)

    def test_drop_while_healthy_recovers_when_the_score_is_back(self):
        slipping = self.rhythm_account("Slipping Screws", 42)  # x = 1.4: score 80
        self.set_health(slipping, "healthy", 82.0)
        self.snapshot(slipping, 31, 95.0, "healthy")
        slipping.action_recompute_health()
        case = self.cases(slipping)
        self.assertEqual(
            (slipping.health_band, case.trigger, case.band),
            ("healthy", "score_drop", "healthy"),
        )
        slipping.action_recompute_health()
        self.assertEqual(
            case.state, "open", "still healthy, but not back from the drop"
        )
        self.order(slipping.child_ids, 1)
        slipping.action_recompute_health()
        self.assertEqual((case.state, case.close_reason), ("closed", "recovered"))

    def test_cooldown_is_a_setting(self):
        self.company.health_retention_cooldown_days = 0
        case = self.open_case()
        recent = self.order(self.buyer, 2)
        self.account.action_recompute_health()
        self.assertEqual(case.cooldown_until, self.today)
        recent._action_cancel()
        self.set_health(self.account, "healthy", 85.0)
        self.account.action_recompute_health()
        self.assertEqual(len(self.cases(self.account)), 2)

    def test_work_done_by_the_team_closes_the_case(self):
        case = self.open_case()
        case.activity_id.with_user(self.salesman).action_feedback(
            feedback="Visited them"
        )
        self.account.action_recompute_health()
        self.assertEqual(case.state, "open", "the opportunity is still open")
        case.lead_id.with_user(self.salesman).action_set_lost()
        self.account.action_recompute_health()
        self.assertEqual((case.state, case.close_reason), ("closed", "handled"))
        # A new transition within the cooldown: nothing new.
        self.set_health(self.account, "healthy", 85.0)
        self.account.action_recompute_health()
        self.assertWork(self.account, 0, 0, 0)
        self.assertEqual(len(self.cases(self.account)), 1)

    def test_without_opportunities(self):
        self.company.health_retention_create_lead = False
        case = self.open_case()
        self.assertTrue(case.activity_id)
        self.assertFalse(case.lead_id)
        self.assertWork(self.account, 1, 1, 0)

    def test_automation_off_creates_nothing(self):
        self.company.health_automation_enabled = False
        self.set_health(self.account, "healthy", 85.0)
        self.snapshot(self.account, 31, 90.0, "healthy")
        self.env["res.partner"]._cron_relationship_health()
        self.account.action_recompute_health()
        self.assertEqual(self.account.health_band, "at_risk")
        self.assertWork(self.account, 0, 0, 0)
        self.assertFalse(self.cases(self.account))
        self.assertEqual(
            self.env["relationship.health.retention"]._cron_weekly_digest(), 0
        )

    def test_crash_leaves_no_half_made_work_and_rerun_completes(self):
        second = self.rhythm_account("Second Sprockets", 66)
        self.set_health(self.account, "healthy", 85.0)
        self.set_health(second, "healthy", 85.0)
        self.env["ir.config_parameter"].set_param("relationship_health.batch_size", 1)
        original = type(self.env["relationship.retention.case"])._link_cases

        def crash_with_second_account(case_model, links):
            cases = case_model.browse(list(links))
            if second in cases.partner_id:
                # A lost connection stops the run (an account's own error
                # would only skip that account).
                raise psycopg2.OperationalError(
                    "server closed the connection unexpectedly"
                )
            return original(case_model, links)

        self.run_cron_until_crash(
            f"{CASE}._link_cases",
            crash_with_second_account,
            "the day's work should have crashed",
        )
        # The batches are kept (scores, the queue); the day's work is not
        # half made: no case opened without its activity and opportunity.
        for account in (self.account, second):
            self.assertEqual(account.health_band, "at_risk")
            self.assertWork(account, 0, 0, 0)
            self.assertEqual(len(self.cases(account, "waiting")), 1)

        self.env["res.partner"]._cron_relationship_health()
        self.assertWork(self.account, 1, 1, 1)
        self.assertWork(second, 1, 1, 1)
        self.env["res.partner"]._cron_relationship_health()
        self.account.action_recompute_health()
        second.action_recompute_health()
        self.assertWork(self.account, 1, 1, 1)
        self.assertWork(second, 1, 1, 1)
        self.assertEqual(len(self.cases(second)), 1)


class TestRetentionDigest(RetentionCase):
    """The digest of a company of its own, whatever else the database holds."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.digest_company = cls.env["res.company"].create({"name": "Digest Company"})
        for user in (cls.salesman, cls.leader, cls.manager):
            user.company_ids = [Command.link(cls.digest_company.id)]
        cls.manager.email = "max.manager@example.com"

    def digest_account(
        self,
        name,
        last_order_days,
        user,
        band_before,
        score_before,
        snapshot_days_ago,
        snapshot_band,
    ):
        """An account of the digest company ordering monthly; its band before
        this run and one older snapshot."""
        company = self.digest_company
        account = self.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "user_id": user.id,
                "company_id": company.id,
            }
        )
        contact = self.env["res.partner"].create(
            {
                "name": f"Buyer at {name}",
                "parent_id": account.id,
                "company_id": company.id,
            }
        )
        SaleOrder = self.env["sale.order"].with_company(company)
        for index in range(4):
            order = SaleOrder.create(
                {
                    "partner_id": contact.id,
                    "company_id": company.id,
                    "order_line": [
                        Command.create(
                            {"product_id": self.product.id, "product_uom_qty": 2}
                        )
                    ],
                }
            )
            order.action_confirm()
            order.date_order = self._days_ago(last_order_days + 30 * index)
        self.env["relationship.health.snapshot"].create(
            {
                "partner_id": account.id,
                "company_id": company.id,
                "snapshot_date": self.today - timedelta(days=snapshot_days_ago),
                "score": score_before,
                "band": snapshot_band,
            }
        )
        self.set_health(account, band_before, score_before)
        return account

    def test_weekly_digest_content(self):
        company = self.digest_company
        fallen = self.digest_account(
            "Fallen Foundry", 66, self.salesman, "healthy", 80.0, 3, "healthy"
        )
        overdue = self.digest_account(
            "Overdue Ovens", 80, self.leader, "watch", 60.0, 20, "watch"
        )
        quiet = self.digest_account(
            "Quiet Quarry", 5, self.salesman, "healthy", 90.0, 3, "healthy"
        )
        (fallen | overdue | quiet).action_recompute_health()
        self.assertEqual(
            (fallen.health_band, overdue.health_band, quiet.health_band),
            ("at_risk", "critical", "healthy"),
        )
        late = self.cases(overdue).activity_id
        late.date_deadline = self.today - timedelta(days=4)

        data = self.env["relationship.health.digest"]._digest_data(company, self.today)
        # Entered this week: the fallen account (healthy three days ago, at
        # risk today) and the overdue one (watch 20 days ago, critical today).
        self.assertEqual(
            [entry["name"] for entry in data["entered"]],
            ["Fallen Foundry", "Overdue Ovens"],
        )
        self.assertEqual(
            (data["entered"][0]["band_before"], data["entered"][0]["band"]),
            ("Healthy", "At Risk"),
        )
        # Revenue at risk: both accounts' last 12 months (4 orders of 240).
        self.assertEqual(
            (data["at_risk_count"], data["revenue_at_risk_value"]), (2, 1920.0)
        )
        self.assertEqual(data["overdue_count"], 1)
        self.assertEqual(
            (data["overdue"][0]["name"], data["overdue"][0]["days"]),
            ("Overdue Ovens", 4),
        )
        work = {entry["salesperson"]: entry for entry in data["work"]}
        self.assertEqual(set(work), {"Rita Rep", "Lea Leader"})
        self.assertEqual(
            (
                work["Rita Rep"]["activities"],
                work["Rita Rep"]["overdue"],
                work["Rita Rep"]["leads"],
            ),
            (1, 0, 1),
        )
        self.assertEqual(
            (
                work["Lea Leader"]["activities"],
                work["Lea Leader"]["overdue"],
                work["Lea Leader"]["leads"],
            ),
            (1, 1, 1),
        )

        mails_before = self.env["mail.mail"].search([])
        sent = self.env["relationship.health.retention"]._cron_weekly_digest()
        mails = self.env["mail.mail"].search([]) - mails_before
        self.assertEqual(sent, len(mails))
        mail = mails.filtered(lambda m: "Digest Company" in (m.subject or ""))
        self.assertEqual(
            mail.recipient_ids,
            self.manager.partner_id,
            "the sales managers of the company, one e-mail each",
        )
        body = str(mail.body_html)
        currency = company.currency_id
        self.assertIn("Fallen Foundry", body)
        self.assertIn("Healthy → At Risk", body)
        self.assertIn("Watch → Critical", body)
        self.assertNotIn("Quiet Quarry", body)
        self.assertIn(format_amount(self.env, 960.0, currency), body)
        self.assertIn(format_amount(self.env, 1920.0, currency), body)
        self.assertIn("Rita Rep", body)
        self.assertIn("Lea Leader", body)
        self.assertIn(fields.Date.to_string(self.today - timedelta(days=4)), body)

    def test_digest_cron_is_shipped_active_and_weekly(self):
        cron = self.env.ref("relationship_health.ir_cron_relationship_retention_digest")
        self.assertTrue(cron.active)
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "weeks"))


class TestRetentionSettingsAndAccess(RetentionCase):
    def test_bad_settings_are_refused(self):
        company = self.env.company
        with self.assertRefused("days ahead"):
            company.health_retention_activity_days = -1
        with self.assertRefused("cooldown"):
            company.health_retention_cooldown_days = -3
        with self.assertRefused("critical"):
            company.health_retention_critical_days = 0
        with self.assertRefused("score drop"):
            company.health_retention_drop_points = 0
        with self.assertRefused("win-back"):
            company.health_retention_winback_factor = 0.5
        portal = new_test_user(self.env, login="rh_portal", groups="base.group_portal")
        with self.assertRefused("internal user"):
            company.health_retention_default_user_id = portal
        settings = self.env["res.config.settings"].create(
            {
                "health_retention_activity_days": 5,
                "health_automation_enabled": False,
            }
        )
        settings.execute()
        self.assertEqual(company.health_retention_activity_days, 5)
        self.assertFalse(company.health_automation_enabled)

    def test_salesmen_read_their_cases_managers_all(self):
        mine = self.rhythm_account("Mine Metals", 66)
        theirs = self.rhythm_account("Their Timber", 66, user_id=self.leader.id)
        for account in (mine, theirs):
            self.set_health(account, "healthy", 85.0)
        self.env["res.partner"]._cron_relationship_health()
        Case = self.env["relationship.retention.case"]
        as_salesman = Case.with_user(self.salesman).search([])
        self.assertEqual(as_salesman.partner_id, mine)
        self.assertEqual(
            as_salesman.activity_id.health_snapshot_id, self.today_snapshot(mine)
        )
        as_manager = Case.with_user(self.manager).search([])
        self.assertLessEqual(mine | theirs, as_manager.partner_id)
        with self.assertRaises(AccessError):
            as_salesman.with_user(self.salesman).write({"state": "closed"})
        with self.assertRaises(AccessError):
            Case.with_user(self.salesman).browse(self.cases(theirs).id).read(["state"])

    def test_reads_do_not_grow_with_the_batch(self):
        accounts = [self.rhythm_account(f"Steady {index}", 5) for index in range(20)]
        ids = [account.id for account in accounts]
        engine = self.env["relationship.health.engine"]
        results = engine._compute_batch(ids)
        retention = self.env["relationship.health.retention"]

        def count(frame):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            retention._process_batch(frame, self.today)
            return self.env.cr.sql_log_count - before

        count(results.iloc[:1])  # warm the caches
        small = count(results.iloc[:2])
        large = count(results)
        self.assertEqual(small, large)
        self.assertLessEqual(large, 4, "the settings and one read of the whole batch")

    def test_switch_per_company_and_multi_company_isolation(self):
        other = self.env["res.company"].create({"name": "Other Company"})
        other_rep = new_test_user(
            self.env,
            login="rh_other_rep",
            name="Olga Other",
            groups="sales_team.group_sale_salesman",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        foreign, _buyer = self.make_account(
            "Foreign Account",
            company_id=other.id,
            customer_rank=1,
            user_id=other_rep.id,
        )
        self.sla(foreign, 3).company_id = other  # open and overdue: critical
        self.set_health(foreign, "healthy", 90.0)
        home = self.rhythm_account("Home Account", 66)
        self.set_health(home, "healthy", 90.0)
        other.health_automation_enabled = False
        self.env["res.partner"]._cron_relationship_health()
        self.assertEqual(foreign.health_band, "critical")
        self.assertWork(foreign, 0, 0, 0)
        self.assertWork(home, 1, 1, 1)

        other.health_automation_enabled = True
        self.set_health(foreign, "healthy", 90.0)
        foreign.action_recompute_health()
        case = self.cases(foreign)
        self.assertEqual((case.company_id, case.user_id), (other, other_rep))
        self.assertEqual(case.lead_id.company_id, other)
        visible = (
            self.env["relationship.retention.case"].with_user(self.leader).search([])
        )
        self.assertIn(self.cases(home), visible)
        self.assertNotIn(case, visible, "another company's case")
        self.assertEqual(
            self.env["relationship.retention.case"].with_user(other_rep).search([]),
            case,
        )
