"""The Odoo shell end to end: real documents in, scores, reasons, snapshots out."""

import json
import math
from datetime import date, datetime, timedelta

import numpy as np
import psycopg2
from freezegun import freeze_time

from odoo import Command

from odoo.addons.relationship_health.models.health_writers import typed_array
from odoo.tools import SQL

from health_common import HealthCase

ENGINE = "odoo.addons.relationship_health.models.relationship_health_engine.RelationshipHealthEngine"


class TestHealthEngine(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A monthly buyer gone quiet for 124 days, delighted by surveys, half
        # visited, with one of two recent service commitments breached.
        cls.drifting, cls.drifting_buyer = cls.make_account(
            "Drifting Metals", visit_interval_days=30
        )
        for days in (124, 154, 184, 214):
            cls.order(cls.drifting_buyer, days)
        cls.answer(cls.drifting_buyer, cls.q_nps, 10)
        cls.answer(cls.drifting_buyer, cls.q_csat, 5)
        cls.visit(cls.drifting_buyer, 45)
        cls.sla(cls.drifting, 10, done_late_days=-1)
        cls.sla(cls.drifting, 10, done_late_days=2)
        # A customer about whom nothing is known yet.
        cls.silent, _contact = cls.make_account("Silent Trading", customer_rank=1)

    def test_cron_scores_explains_and_snapshots(self):
        self.env["res.partner"]._cron_relationship_health()
        account = self.drifting
        self.assertEqual(account.health_recency, 0.0)
        self.assertEqual(account.health_satisfaction, 100.0)
        self.assertEqual(account.health_visits, 50.0)
        self.assertEqual(account.health_sla, 50.0)
        # (30 × 100 + 25 × 50 + 20 × 50 + 25 × 0) / 100
        self.assertEqual(account.health_score, 52.5)
        self.assertEqual(account.health_band, "watch")
        self.assertEqual(account.health_confidence, 100.0)
        self.assertEqual(account.health_nps, 100.0)
        self.assertEqual(account.health_order_interval, 30)
        self.assertEqual(
            account.health_last_order_date, self.today - timedelta(days=124)
        )
        self.assertEqual(
            account.health_last_visit_date, self.today - timedelta(days=45)
        )
        self.assertTrue(account.health_computed_at)
        reasons = account.health_reasons.split("\n")
        self.assertEqual(len(reasons), 3)
        self.assertEqual(
            reasons[0],
            "No order for 124 days; this customer usually orders every 30 days.",
        )
        self.assertIn("1 of 2 service commitments breached", reasons[1])
        self.assertEqual(
            reasons[2], "Last visit 45 days ago; the plan is a visit every 30 days."
        )
        # Scored, with no component having data: four rows of "No data".
        self.assertEqual(self.silent.health_band, "unknown")
        self.assertEqual(str(self.silent.health_summary).count("No data"), 4)
        self.assertIn("Purchase recency", account.health_summary)

        snapshot = self.snapshots(account)
        self.assertEqual(len(snapshot), 1)
        self.assertEqual(snapshot.snapshot_date, self.today)
        self.assertEqual((snapshot.score, snapshot.band), (52.5, "watch"))
        self.assertEqual(snapshot.user_id, self.salesman)
        self.assertEqual(
            (snapshot.satisfaction, snapshot.sla, snapshot.visits, snapshot.recency),
            (100.0, 50.0, 50.0, 0.0),
        )

    def test_no_data_is_unknown_not_zero(self):
        self.silent.action_recompute_health()
        self.assertEqual(self.silent.health_band, "unknown")
        self.assertIsNone(self.raw_health(self.silent))
        self.assertIsNone(self.raw_health(self.silent, "health_recency"))
        self.assertEqual(self.silent.health_confidence, 0.0)
        self.assertFalse(self.silent.health_reasons)

    def test_only_accounts_are_scored(self):
        prospect = self.env["res.partner"].create(
            {"name": "Prospect Ltd", "is_company": True}
        )
        self.env["res.partner"]._cron_relationship_health()
        self.assertFalse(prospect.health_band)
        self.assertFalse(
            self.drifting_buyer.health_band, "contacts show their company's health"
        )
        self.assertTrue(self.drifting.health_band)
        # Recomputing a contact recomputes its company.
        self.drifting.health_band = False
        self.drifting_buyer.action_recompute_health()
        self.assertEqual(self.drifting.health_band, "watch")

    def test_trend_against_snapshot_four_weeks_old(self):
        self.env["relationship.health.snapshot"].create(
            [
                {
                    "partner_id": self.drifting.id,
                    "snapshot_date": self.today - timedelta(days=20),
                    "score": 10.0,
                    "band": "critical",
                },
                {
                    "partner_id": self.drifting.id,
                    "snapshot_date": self.today - timedelta(days=30),
                    "score": 70.0,
                    "band": "healthy",
                },
                {
                    "partner_id": self.drifting.id,
                    "snapshot_date": self.today - timedelta(days=60),
                    "score": 90.0,
                    "band": "healthy",
                },
            ]
        )
        self.drifting.action_recompute_health()
        self.assertEqual(self.drifting.health_trend, -17.5)
        self.assertIsNone(self.raw_health(self.silent, "health_trend"))

    def test_trend_boundary_is_28_days(self):
        # Score today: 52.5 (see test_cron_scores_explains_and_snapshots).
        snapshots = self.env["relationship.health.snapshot"]
        snapshots.create(
            {
                "partner_id": self.drifting.id,
                "score": 40.0,
                "band": "at_risk",
                "snapshot_date": self.today - timedelta(days=27),
            }
        )
        self.drifting.action_recompute_health()
        self.assertIsNone(
            self.raw_health(self.drifting, "health_trend"),
            "27 days old is not old enough",
        )
        snapshots.create(
            {
                "partner_id": self.drifting.id,
                "score": 60.0,
                "band": "watch",
                "snapshot_date": self.today - timedelta(days=28),
            }
        )
        self.drifting.action_recompute_health()
        self.assertEqual(self.drifting.health_trend, -7.5, "52.5 − 60, 28 days old")

    def test_recomputing_the_same_day_updates_the_snapshot(self):
        self.env["res.partner"]._cron_relationship_health()
        self.order(self.drifting_buyer, 2)
        self.drifting.action_recompute_health()
        self.env["res.partner"]._cron_relationship_health()
        snapshot = self.snapshots(self.drifting)
        self.assertEqual(len(snapshot), 1)
        self.assertEqual(snapshot.recency, 100.0)
        self.assertEqual(self.drifting.health_recency, 100.0)
        self.assertEqual(snapshot.score, self.drifting.health_score)

    def _array_back(self, values, sqltype):
        self.env.cr.execute(
            SQL(
                "SELECT x FROM unnest(%s) WITH ORDINALITY AS t(x, n) ORDER BY n",
                typed_array(values, sqltype),
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def test_written_arrays_keep_every_value(self):
        """The writer's array literals give PostgreSQL the values as they are:
        quotes, backslashes, braces, commas, text reading NULL, NaN, dates."""
        texts = ['say "hi"', "back\\slash", "{brace}, comma", "NULL", "", "é ü", None]
        self.assertEqual(self._array_back(texts, "varchar"), texts)
        details = {"reasons": ['a "quoted" \\ reason, {x}'], "facts": {"n": 1.5}}
        self.assertEqual(
            self._array_back([json.dumps(details), None], "jsonb"), [details, None]
        )
        numbers = self._array_back(
            [1.5, -0.25, 1e-05, None, np.float64(2.5), float("nan")], "float8"
        )
        self.assertEqual(numbers[:5], [1.5, -0.25, 1e-05, None, 2.5])
        self.assertTrue(math.isnan(numbers[5]))
        self.assertEqual(
            self._array_back([0, -7, None, np.int64(3)], "int4"), [0, -7, None, 3]
        )
        self.assertEqual(
            self._array_back(["2026-12-06", None], "date"), [date(2026, 12, 6), None]
        )
        self.assertEqual(
            self._array_back([True, False, None, np.bool_(True)], "bool"),
            [True, False, None, True],
        )

    def test_visits_declined_or_future_do_not_count(self):
        account, contact = self.make_account(
            "Visit Check", visit_interval_days=30, customer_rank=1
        )
        account.visit_plan_date = self.today - timedelta(days=365)
        self.visit(contact, 5, declined=True)
        self.visit(contact, -3)
        account.action_recompute_health()
        self.assertEqual(
            account.health_visits, 0.0, "never visited for real, plan a year old"
        )
        self.assertFalse(account.health_last_visit_date)
        self.visit(contact, 5)
        account.action_recompute_health()
        self.assertEqual(account.health_visits, 100.0)

    def test_answers_older_than_two_years_are_ignored(self):
        account, contact = self.make_account("Old Fans", customer_rank=1)
        self.answer(contact, self.q_nps, 0, days_ago=800)
        account.action_recompute_health()
        self.assertEqual(account.health_band, "unknown")
        self.answer(contact, self.q_csat, 4, days_ago=0)
        account.action_recompute_health()
        self.assertEqual(account.health_satisfaction, 75.0)
        self.assertIsNone(self.raw_health(account, "health_nps"))

    def test_cancelled_orders_do_not_count(self):
        account, contact = self.make_account("Cancelled Co")
        order = self.order(contact, 10)
        order._action_cancel()
        account.customer_rank = 1
        account.action_recompute_health()
        self.assertIsNone(self.raw_health(account, "health_recency"))

    def test_numerical_value_questions_feed_satisfaction(self):
        survey = self.env["survey.survey"].create(
            {
                "title": "Delivery feedback",
                "question_and_page_ids": [
                    Command.create(
                        {
                            "title": "How many days early or late out of 20 did we feel on time?",
                            "question_type": "numerical_box",
                            "health_metric": "scale",
                            "scale_min": 0,
                            "scale_max": 20,
                        }
                    ),
                    Command.create(
                        {
                            "title": "Your satisfaction, from 1 to 5?",
                            "question_type": "numerical_box",
                            "health_metric": "csat",
                        }
                    ),
                ],
            }
        )
        on_twenty, csat = survey.question_ids

        def answer(contact, question, value):
            user_input = self.env["survey.user_input"].create(
                {"survey_id": survey.id, "partner_id": contact.id}
            )
            user_input._save_lines(question, str(value))
            user_input._mark_done()

        account, contact = self.make_account("Numbers People", customer_rank=1)
        answer(contact, on_twenty, 15)  # (15 − 0) / (20 − 0) → 75
        answer(contact, csat, 2)  # (2 − 1) / (5 − 1) → 25
        beyond, beyond_contact = self.make_account("Beyond Scale", customer_rank=1)
        answer(beyond_contact, on_twenty, 30)  # above the maximum: 100
        (account | beyond).action_recompute_health()
        self.assertEqual(account.health_satisfaction, 50.0)  # (75 + 25) / 2, both today
        self.assertEqual(account.health_details["facts"]["answer_count"], 2)
        self.assertEqual(beyond.health_satisfaction, 100.0)
        self.assertEqual(account.health_score, 50.0, "satisfaction is the only signal")

    def test_individuals_without_a_company_are_accounts(self):
        person = self.env["res.partner"].create(
            {"name": "Ivan Solo", "user_id": self.salesman.id}
        )
        self.assertFalse(person.is_company)
        self.order(person, 200)  # default interval 90: x = 200 / 90
        self.env["res.partner"]._cron_relationship_health()
        self.assertEqual(self.engine._account_ids(partner_ids=person.ids), person.ids)
        # 100 × (3 − 200 / 90) / 2 = 38.9
        self.assertEqual(person.health_recency, 38.9)
        self.assertEqual(person.health_score, 38.9)
        self.assertEqual(person.health_band, "at_risk")
        self.assertEqual(len(self.snapshots(person)), 1)
        # Given a company, the person is a contact: the company is the account.
        company = self.env["res.partner"].create(
            {"name": "Solo Holdings", "is_company": True}
        )
        person.parent_id = company
        self.assertEqual(
            self.engine._account_ids(partner_ids=(person | company).ids), company.ids
        )

    def test_queries_do_not_grow_with_accounts(self):
        accounts = self.env["res.partner"]
        for index in range(30):
            account, contact = self.make_account(
                f"Bulk {index}", visit_interval_days=60
            )
            self.order(contact, index + 1)
            self.sla(account, index + 1, done_late_days=index % 3 - 1)
            accounts |= account
        self.answer(contact, self.q_nps, 7)
        self.visit(contact, 3)
        self.batch_query_count(accounts[:1].ids)  # warm the registry caches
        small = self.batch_query_count(accounts[:3].ids)
        large = self.batch_query_count(accounts.ids)
        self.assertEqual(small, large)
        self.assertLessEqual(
            large, 30, "a few reads and writes per batch, whatever its size"
        )

    def test_crashed_run_resumes_without_duplicates(self):
        for index in range(5):
            self.make_account(f"Resume {index}", customer_rank=1)
        accounts = self.engine._account_ids()
        self.assertGreater(len(accounts), 2)
        self.env["ir.config_parameter"].set_param("relationship_health.batch_size", 2)
        original = type(self.engine)._compute_batch
        calls = []

        def crash_on_second_batch(engine, account_ids, as_of=None, now=None):
            calls.append(account_ids)
            if len(calls) == 2:
                # A connection error stops the run (an account's error
                # would only skip that account).
                raise psycopg2.OperationalError("database connection lost")
            return original(engine, account_ids, as_of=as_of, now=now)

        # Accounts the install already scored (demo data) keep their earlier
        # stamp until a run scores them: what a batch did shows as a change.
        all_accounts = self.env["res.partner"].browse(accounts)
        before = dict(zip(accounts, all_accounts.mapped("health_computed_at")))

        self.run_cron_until_crash(
            f"{ENGINE}._compute_batch",
            crash_on_second_batch,
            "the second batch should have crashed the run",
        )
        first_batch = self.env["res.partner"].browse(calls[0])
        self.assertTrue(all(first_batch.mapped("health_computed_at")))
        self.assertEqual(
            self.env["res.partner"].browse(calls[1]).mapped("health_computed_at"),
            [before[pid] for pid in calls[1]],
            "the crashed batch wrote nothing",
        )
        computed_at = first_batch.mapped("health_computed_at")
        self.assertTrue(
            all(
                stamp and stamp > (before[pid] or datetime.min)
                for pid, stamp in zip(calls[0], computed_at)
            )
        )

        self.env["res.partner"]._cron_relationship_health()
        self.assertEqual(
            first_batch.mapped("health_computed_at"),
            computed_at,
            "the resumed run skips what the crashed run finished",
        )
        scored = self.env["res.partner"].browse(accounts)
        self.assertTrue(all(scored.mapped("health_band")))
        self.env.cr.execute(
            SQL(
                """SELECT count(*), count(DISTINCT partner_id) FROM relationship_health_snapshot
                WHERE partner_id = ANY(%s) AND snapshot_date = %s""",
                accounts,
                self.today,
            )
        )
        self.assertEqual(self.env.cr.fetchone(), (len(accounts), len(accounts)))
        self.assertFalse(
            self.env["ir.config_parameter"].get_param(
                "relationship_health.run_started_at"
            )
        )

    def test_cron_is_shipped_active_daily(self):
        cron = self.env.ref("relationship_health.ir_cron_relationship_health")
        self.assertTrue(cron.active)
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "days"))
        self.assertIn("_cron_relationship_health", cron.code)

    def test_history_as_of_a_past_date(self):
        past = self.today - timedelta(days=200)
        self.engine._compute_batch([self.drifting.id], as_of=past)
        snapshot = self.snapshots(self.drifting).filtered(
            lambda s: s.snapshot_date == past
        )
        self.assertEqual(
            snapshot.recency, 100.0, "200 days ago the last order was 14 days old"
        )
        self.assertFalse(
            self.drifting.health_computed_at, "the past does not overwrite today"
        )
        self.assertFalse(self.drifting.health_band)

    def test_sales_team_of_the_salesperson_is_kept(self):
        team = self.env["crm.team"].create({"name": "Northern Accounts"})
        team.member_ids = self.salesman
        self.drifting.action_recompute_health()
        self.assertEqual(self.drifting.health_team_id, team)
        my_team = (
            self.env["res.partner"]
            .with_user(self.salesman)
            .search(
                [
                    "|",
                    ("health_team_id.member_ids", "in", [self.salesman.id]),
                    ("health_team_id.user_id", "=", self.salesman.id),
                ]
            )
        )
        self.assertIn(self.drifting, my_team)


class TestHealthDayCutOff(HealthCase):
    """Every day count is a count of UTC days, whatever the time zone of the
    user the nightly job runs as (README, The score)."""

    def _run_cron_as(self, tz):
        cron = self.env.ref("relationship_health.ir_cron_relationship_health")
        cron.user_id.tz = tz
        env = self.env(user=cron.user_id, context=dict(self.env.context, tz=tz))
        env["res.partner"]._cron_relationship_health()

    def _order_an_hour_ago(self, name):
        account, contact = self.make_account(name)
        order = self.order(contact, 0)
        order.date_order = datetime.now() - timedelta(hours=1)
        return account

    def test_order_confirmed_an_hour_ago_counts_in_every_time_zone(self):
        for tz, instant, day in (
            # 18:00 the day before in Los Angeles (UTC−8).
            ("America/Los_Angeles", "2027-01-15 02:00:00", date(2027, 1, 15)),
            # 01:30 the day after in Moscow (UTC+3).
            ("Europe/Moscow", "2027-01-15 22:30:00", date(2027, 1, 15)),
        ):
            with self.subTest(tz=tz), freeze_time(instant):
                account = self._order_an_hour_ago(f"Fresh order {tz}")
                self._run_cron_as(tz)
                self.assertEqual(account.health_last_order_date, day)
                self.assertEqual(account.health_tenure_days, 0)
                self.assertEqual(account.health_recency, 100.0)
                self.assertEqual(account.health_details["facts"]["days_since_order"], 0)
                self.assertEqual(self.snapshots(account).snapshot_date, day)
                self.assertEqual(
                    account.health_computed_at, datetime.fromisoformat(instant)
                )

    def test_days_since_an_order_are_utc_days(self):
        # 23:30 UTC: already tomorrow in Brussels and Moscow, still today in UTC.
        with freeze_time("2026-06-30 23:30:00"):
            account, contact = self.make_account("Quarter-end buyer")
            self.order(contact, 0).date_order = datetime(2026, 6, 30, 0, 15)
            self.order(contact, 0).date_order = datetime(2026, 3, 31, 23, 45)
            self._run_cron_as("Europe/Moscow")
        # 91 UTC days between the two orders; the last one today. Default
        # interval 90 days (fewer than 3 orders): x = 0, score 100.
        self.assertEqual(account.health_details["facts"]["days_since_order"], 0)
        self.assertEqual(account.health_tenure_days, 91)
        self.assertEqual(account.health_last_order_date, date(2026, 6, 30))
        self.assertEqual(self.snapshots(account).snapshot_date, date(2026, 6, 30))
