"""Service levels: policies, commitments recorded from documents, breach notices."""

from datetime import timedelta

from unittest import mock

import psycopg2
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tools import mute_logger

from health_common import ServiceLevelCase


class SlaCase(ServiceLevelCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key_tag = cls.env["res.partner.category"].create({"name": "Key account"})
        cls.account, cls.buyer = cls.make_account("Valve Works")
        cls.key_account, cls.key_buyer = cls.make_account(
            "Pump Partners", category_id=[Command.link(cls.key_tag.id)]
        )
        cls.every = cls.Policy.create(
            {
                "name": "Answer within 4 hours",
                "metric": "first_response",
                "target_type": "hours",
                "target_value": 4,
                "company_id": False,
            }
        )
        cls.key_only = cls.Policy.create(
            {
                "name": "Key accounts: deliver in 2 days",
                "metric": "delivery",
                "target_type": "days",
                "target_value": 2,
                "scope": "tags",
                "category_ids": [Command.link(cls.key_tag.id)],
            }
        )
        # A document standing in for a delivery or a ticket: any record will do.
        cls.doc_model = "res.partner"

    def source(
        self,
        policy,
        res_id,
        deadline_days_ago,
        done_late_days=None,
        partner=None,
        **extra,
    ):
        deadline = self._days_ago(deadline_days_ago)
        return {
            "res_model": self.doc_model,
            "res_id": res_id,
            "policy_id": policy.id,
            "partner_id": (partner or self.buyer).id,
            "company_id": self.env.company.id,
            "name": f"Document {res_id}",
            "date_start": deadline - timedelta(days=2),
            "date_deadline": deadline,
            "date_done": deadline + timedelta(days=done_late_days)
            if done_late_days is not None
            else False,
            **extra,
        }

    def other_company_policy(self):
        """A service level of another company than the user's."""
        other = self.env["res.company"].create({"name": "Other Co"})
        return self.Policy.create(
            {
                "name": "Theirs",
                "metric": "custom",
                "target_type": "days",
                "target_value": 1,
                "company_id": other.id,
            }
        )

    def breach_activities(self, events=None):
        domain = [("activity_type_id", "=", self.breach_type.id)]
        if events is not None:
            domain += [
                ("res_model", "=", "relationship.sla.event"),
                ("res_id", "in", events.ids),
            ]
        return self.env["mail.activity"].search(domain)


class TestSlaPolicy(SlaCase):
    def test_bad_policies_are_refused_and_nothing_is_saved(self):
        before = self.Policy.search_count([])
        cases = [
            (
                {"metric": "delivery", "target_type": "days", "target_value": 0},
                "positive number",
            ),
            (
                {"metric": "delivery", "target_type": "hours", "target_value": -3},
                "positive number",
            ),
            ({"metric": False, "target_type": "days", "target_value": 2}, "measures"),
            (
                {"metric": "custom", "target_type": "field", "deadline_field": False},
                "holds the deadline",
            ),
            (
                {
                    "metric": "custom",
                    "target_type": "days",
                    "target_value": 1,
                    "scope": "tags",
                },
                "at least one tag",
            ),
            (
                {
                    "metric": "custom",
                    "target_type": "days",
                    "target_value": 1,
                    "scope": "partners",
                },
                "at least one account",
            ),
        ]
        for vals, message in cases:
            with self.subTest(vals=vals), self.assertRefused(message):
                self.Policy.create({"name": "Broken promise", **vals})
        self.assertEqual(self.Policy.search_count([]), before)
        # An existing policy cannot be broken either.
        with self.assertRefused("positive number"):
            self.every.target_value = 0
        self.assertEqual(self.every.target_value, 4)

    def test_deadline_before_the_start_is_refused(self):
        start = self._days_ago(1)
        with self.assertRefused("cannot be before the date it was committed"):
            self.Event.create(
                {
                    "name": "Deliver",
                    "partner_id": self.account.id,
                    "date_start": start,
                    "date_deadline": start - timedelta(hours=1),
                }
            )
        self.assertFalse(self.Event.search([("partner_id", "=", self.account.id)]))

    def test_which_policies_cover_which_account(self):
        chosen = self.Policy.create(
            {
                "name": "Valve Works only",
                "metric": "custom",
                "target_type": "days",
                "target_value": 1,
                "scope": "partners",
                "partner_ids": [Command.link(self.account.id)],
            }
        )
        covered = self.Policy._policies_by_account(self.account | self.key_account)
        self.assertEqual(covered[self.account.id], self.every | chosen)
        self.assertEqual(covered[self.key_account.id], self.every | self.key_only)
        by_metric = self.Policy._policies_by_account(
            self.key_buyer, metrics={"delivery"}
        )
        self.assertEqual(by_metric[self.key_account.id], self.key_only)
        # A contact shows its company's service levels.
        self.assertEqual(self.key_buyer.sla_policy_ids, self.every | self.key_only)
        self.key_only.active = False
        self.key_account.invalidate_recordset(["sla_policy_ids"])
        self.assertEqual(self.key_account.sla_policy_ids, self.every)

    def test_deadline_from_the_target(self):
        start = fields.Datetime.to_datetime("2026-03-02 09:00:00")
        self.assertEqual(
            self.every._deadline_from(start, False, self.env.company),
            start + timedelta(hours=4),
        )
        self.assertEqual(
            self.key_only._deadline_from(start, False, self.env.company),
            start + timedelta(days=2),
        )

    def test_whole_day_deadlines_across_daylight_saving_changes(self):
        """A whole-day deadline ends at midnight of its day in the company's
        time zone: 22:00 UTC in Brussels' summer, 23:00 in its winter."""
        self.env.company.partner_id.tz = "Europe/Brussels"
        promised = self.Policy.create(
            {
                "name": "Delivered on the promised day",
                "metric": "delivery",
                "target_type": "field",
                "deadline_field": "manual",
                "whole_day": True,
            }
        )
        at = fields.Datetime.to_datetime
        for document_date, deadline in (
            # Summer time ends on 25 October 2026 at 01:00 UTC.
            ("2026-10-24 10:00:00", "2026-10-24 21:59:59"),
            ("2026-10-25 00:30:00", "2026-10-25 22:59:59"),  # 02:30 summer time
            ("2026-10-25 10:00:00", "2026-10-25 22:59:59"),
            # Summer time starts on 28 March 2027 at 01:00 UTC.
            ("2027-03-27 23:30:00", "2027-03-28 21:59:59"),  # 00:30 winter time
            ("2027-03-28 10:00:00", "2027-03-28 21:59:59"),
            ("2027-03-27 10:00:00", "2027-03-27 22:59:59"),
        ):
            with self.subTest(document_date=document_date):
                self.assertEqual(
                    promised._deadline_from(False, at(document_date), self.env.company),
                    at(deadline),
                )
        # Not whole days: the document's instant itself.
        promised.whole_day = False
        self.assertEqual(
            promised._deadline_from(False, at("2026-10-25 00:30:00"), self.env.company),
            at("2026-10-25 00:30:00"),
        )


class TestSlaSources(SlaCase):
    def test_recording_twice_updates_the_same_commitment(self):
        first = self.Event._record_from_sources(
            [self.source(self.key_only, 7, 3, -1, self.key_buyer)]
        )
        self.assertEqual(
            first.partner_id, self.key_account, "a contact counts as its company"
        )
        self.assertEqual(first.state, "met")
        again = self.Event._record_from_sources(
            [self.source(self.key_only, 7, 3, -1, self.key_buyer)]
        )
        self.assertEqual(again, first)
        # The document moved: the same commitment follows it.
        moved = self.Event._record_from_sources(
            [self.source(self.key_only, 7, 3, 2, self.key_buyer)]
        )
        self.assertEqual(moved, first)
        self.assertEqual(first.state, "breached")
        self.assertEqual(
            self.Event.search_count(
                [("res_model", "=", self.doc_model), ("res_id", "=", 7)]
            ),
            1,
        )

    def test_one_batch_one_create_and_one_commitment_per_policy(self):
        vals = [
            self.source(self.every, 11, 3, -1, self.key_buyer),
            self.source(self.key_only, 11, 3, -1, self.key_buyer),
            self.source(self.every, 12, 2, -1),
        ]
        events = self.Event._record_from_sources(vals)
        self.assertEqual(len(events), 3)
        self.assertEqual(
            events.filtered(lambda e: e.res_id == 11).policy_id,
            self.every | self.key_only,
        )
        with self.assertQueryCount(__system__=4):
            # already recorded, nothing changed: one search, one read, no write
            self.Event._record_from_sources(vals)

    def test_a_cancelled_source_is_archived_and_can_come_back(self):
        event = self.Event._record_from_sources([self.source(self.every, 21, 4, -1)])
        gone = self.Event._record_from_sources(
            [self.source(self.every, 21, 4, -1, active=False)]
        )
        self.assertEqual(gone, event)
        self.assertFalse(event.active)
        back = self.Event._record_from_sources(
            [self.source(self.every, 21, 4, -1, active=True)]
        )
        self.assertEqual(back, event)
        self.assertTrue(event.active)
        # A source cancelled before it was ever recorded records nothing.
        self.assertFalse(
            self.Event._record_from_sources(
                [self.source(self.every, 22, 4, active=False)]
            )
        )
        self.assertFalse(
            self.Event.with_context(active_test=False).search(
                [("res_id", "=", 22), ("res_model", "=", self.doc_model)]
            )
        )

    def test_the_database_refuses_a_duplicate(self):
        vals = self.source(self.every, 31, 4, -1)
        self.Event.create(vals)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.IntegrityError),
            self.cr.savepoint(),
        ):
            self.Event.create(vals)

    def test_a_policy_of_another_company_is_refused(self):
        theirs = self.other_company_policy()
        with self.assertRaises(UserError):
            self.Event.create(self.source(theirs, 41, 2, -1))
        mine_only = self.account.with_context(allowed_company_ids=[self.env.company.id])
        self.assertNotIn(theirs, mine_only.sla_policy_ids)


class TestSlaBreachNotice(SlaCase):
    def test_a_late_commitment_asks_the_salesperson_to_inform_the_customer_once(self):
        event = self.Event._record_from_sources(
            [self.source(self.key_only, 51, 2, 3, self.key_buyer)]
        )
        activity = self.breach_activities(event)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.salesman)
        self.assertIn(
            "Promised: Document 51 (Key accounts: deliver in 2 days)", activity.note
        )
        self.assertIn("3 days late", activity.note)
        self.assertTrue(event.breach_noticed_on)
        # Recording the same document again, and the hourly job, never repeat it.
        self.Event._record_from_sources(
            [self.source(self.key_only, 51, 2, 4, self.key_buyer)]
        )
        for _run in range(3):
            self.Event._cron_notify_breaches()
        self.assertEqual(len(self.breach_activities(event)), 1)
        # Done even after the salesperson closed it: no second notice.
        activity.action_feedback(feedback="Called the buyer")
        self.Event._cron_notify_breaches()
        self.assertFalse(self.breach_activities(event))
        self.assertEqual(event.activity_ids, self.env["mail.activity"])

    def test_an_open_commitment_past_its_deadline_is_found_by_the_job_once(self):
        on_time = self.Event._record_from_sources(
            [self.source(self.every, 61, 1, -0.5)]
        )
        still_open = self.Event._record_from_sources([self.source(self.every, 62, 1)])
        not_due = self.Event._record_from_sources([self.source(self.every, 63, -2)])
        self.assertFalse(self.breach_activities(on_time | still_open | not_due))
        for _run in range(3):
            self.Event._cron_notify_breaches()
        self.assertEqual(len(self.breach_activities(still_open)), 1)
        self.assertFalse(self.breach_activities(on_time | not_due))
        self.assertIn("Still not done", self.breach_activities(still_open).note)
        # Done late later on: the breach was already announced.
        self.Event._record_from_sources([self.source(self.every, 62, 1, 0.5)])
        self.assertEqual(len(self.breach_activities(still_open)), 1)

    def test_the_job_works_in_batches_and_a_failed_batch_keeps_the_others(self):
        # Only this test's breaches are pending (the demo book has its own).
        self.Event.search(
            [("breach_noticed_on", "=", False)]
        ).breach_noticed_on = fields.Datetime.now()
        events = self.Event._record_from_sources(
            [self.source(self.every, res_id, 2) for res_id in range(101, 106)]
        )
        original = type(self.Event)._notify_breaches
        calls = []

        def failing_second_batch(records, now=None):
            calls.append(len(records))
            if len(calls) == 2:
                raise ValueError("mail server down")
            return original(records, now)

        # (not assertRaises: it would roll back the whole block)
        failure = None
        with mock.patch.object(
            type(self.Event), "_notify_breaches", failing_second_batch
        ):
            try:
                self.Event._cron_notify_breaches(batch_size=2)
            except ValueError as error:
                failure = error
        self.assertEqual(str(failure), "mail server down")
        self.assertEqual(calls, [2, 2])
        self.assertEqual(
            len(self.breach_activities(events)), 2, "the first batch stays done"
        )
        # The next run gives the other notices, none twice.
        self.Event._cron_notify_breaches(batch_size=2)
        self.assertEqual(len(self.breach_activities(events)), 5)
        self.assertEqual(len(self.breach_activities(events).mapped("res_id")), 5)

    def test_history_is_not_announced(self):
        old = self.Event._record_from_sources([self.source(self.every, 71, 45, 2)])
        # Delivered today, 40 days late: a fresh breach, announced.
        fresh = self.Event._record_from_sources([self.source(self.every, 73, 40, 40)])
        self.assertEqual(len(self.breach_activities(fresh)), 1)
        self.assertIn("40 days late", self.breach_activities(fresh).note)
        backfilled = self.Event._record_from_sources(
            [self.source(self.every, 72, 5, 2)], notify=False
        )
        self.Event._cron_notify_breaches()
        self.assertFalse(self.breach_activities(old | backfilled))

    def test_a_breach_of_an_account_nobody_owns_is_noted_on_the_commitment(self):
        orphan, orphan_buyer = self.make_account("Nobody's Valves", user_id=False)
        self.env.company.health_retention_default_user_id = False
        owned = self.Event._record_from_sources([self.source(self.every, 91, 2)])
        alone = self.Event._record_from_sources(
            [self.source(self.every, 92, 3, partner=orphan_buyer)]
        )
        # The job, run without a language in its context (as the scheduler may).
        noticed = self.Event.with_context(lang=None)._cron_notify_breaches()
        self.assertEqual(noticed & (owned | alone), owned | alone)
        self.assertEqual(len(self.breach_activities(owned)), 1)
        self.assertFalse(self.breach_activities(alone))
        self.assertIn(
            "no salesperson to inform the customer", alone.message_ids[0].body
        )

    def test_backfilled_open_commitments_past_due_are_never_announced(self):
        # Backfilled: still open 3 days after its deadline (history), and one
        # due in 2 days (the future).
        overdue, upcoming = self.Event._record_from_sources(
            [
                self.source(self.every, 74, 3),
                self.source(self.every, 75, -2),
            ],
            notify=False,
        )
        self.assertEqual((overdue.state, overdue.is_overdue), ("open", True))
        self.assertTrue(
            overdue.breach_noticed_on, "marked as history, never to be announced"
        )
        self.assertFalse(upcoming.breach_noticed_on)
        # (the demo book's own open breaches are announced by the same run)
        self.assertFalse(self.Event._cron_notify_breaches() & (overdue | upcoming))
        self.assertFalse(self.breach_activities(overdue | upcoming))
        # Two days later the upcoming one is past its deadline: a new breach.
        with freeze_time(fields.Datetime.now() + timedelta(days=2, hours=1)):
            self.assertEqual(
                self.Event._cron_notify_breaches() & (overdue | upcoming), upcoming
            )
        self.assertEqual(len(self.breach_activities(upcoming)), 1)
        self.assertFalse(self.breach_activities(overdue))

    def test_the_breach_email_tells_the_customer_what_happened(self):
        event = self.Event._record_from_sources([self.source(self.every, 81, 2, 1)])
        action = event.with_user(self.salesman).action_inform_customer()
        template = self.env.ref("relationship_health.mail_template_sla_breach")
        self.assertEqual(action["context"]["default_template_id"], template.id)
        composer = (
            self.env["mail.compose.message"]
            .with_user(self.salesman)
            .with_context(action["context"])
            .create({})
        )
        self.assertIn("Document 81", composer.body)
        self.assertIn("we did not keep that promise", composer.body)
        self.assertEqual(
            composer.partner_ids, self.buyer, "the buyer with an email hears of it"
        )
        composer._action_send_mail()
        self.assertIn("we did not keep that promise", event.message_ids[0].body)


class TestSlaAccount(SlaCase):
    def test_adherence_over_90_and_365_days(self):
        # Within 90 days: 2 met, 1 breached, 1 open past its deadline, 1 not yet due.
        self.sla(self.account, 10, done_late_days=-1)
        self.sla(self.account, 20, done_late_days=0)
        self.sla(self.account, 30, done_late_days=2)
        self.sla(self.account, 40)
        self.sla(self.account, -5)
        # 91 to 365 days ago: 3 met, 1 breached; and one archived, one older than a year.
        for days in (100, 150, 200):
            self.sla(self.account, days, done_late_days=-1)
        self.sla(self.account, 300, done_late_days=1)
        self.sla(self.account, 120, done_late_days=5).active = False
        self.sla(self.account, 400, done_late_days=-1)
        self.assertEqual(self.buyer.sla_due_90, 4)
        self.assertAlmostEqual(self.buyer.sla_adherence_90, 50.0)
        self.assertEqual(self.account.sla_due_365, 8)
        self.assertAlmostEqual(self.account.sla_adherence_365, 62.5)
        self.assertEqual(self.account.sla_open_breach_count, 1)
        self.assertEqual(self.account.sla_event_count, 10)
        action = self.buyer.action_view_sla_events()
        self.assertEqual(
            self.Event.search(action["domain"]), self.account.sla_event_ids
        )

    def test_the_score_names_the_service_level_most_breached(self):
        self.key_account.customer_rank = 1  # a customer: scored
        for res_id, late in ((91, 2), (92, 3), (93, 1)):
            self.Event._record_from_sources(
                [self.source(self.key_only, res_id, 10, late, self.key_buyer)]
            )
        self.Event._record_from_sources(
            [self.source(self.every, 94, 10, 1, self.key_buyer)]
        )
        self.Event._record_from_sources(
            [self.source(self.every, 95, 12, -1, self.key_buyer)]
        )
        self.key_account.action_recompute_health()
        self.key_account.invalidate_recordset()
        self.assertIn(
            "4 of 5 service commitments breached in the last year, most of them under "
            "“Key accounts: deliver in 2 days”",
            self.key_account.health_reasons,
        )

    def test_adherence_of_many_accounts_costs_a_fixed_number_of_queries(self):
        accounts = self.env["res.partner"].create(
            [{"name": f"Account {i}", "is_company": True} for i in range(30)]
        )
        for account in accounts[:10]:
            self.sla(account, 5, done_late_days=-1)
        accounts.invalidate_recordset()
        with self.assertQueryCount(__system__=5):
            accounts.mapped("sla_adherence_90")
        self.assertEqual(accounts[:10].mapped("sla_adherence_90"), [100.0] * 10)


class TestSlaAccess(SlaCase):
    def test_salesmen_read_policies_managers_change_them(self):
        policy = self.every.with_user(self.salesman)
        self.assertEqual(policy.name, "Answer within 4 hours")
        with self.assertRaises(AccessError):
            policy.write({"target_value": 8})
        with self.assertRaises(AccessError):
            self.Policy.with_user(self.salesman).create(
                {
                    "name": "Mine",
                    "metric": "custom",
                    "target_type": "days",
                    "target_value": 1,
                }
            )
        self.every.with_user(self.manager).write({"target_value": 8})
        self.assertEqual(self.every.target_value, 8)

    def test_salesman_sees_coverage_and_adherence_on_the_form(self):
        self.sla(self.key_account, 5, done_late_days=1)
        account = self.key_account.with_user(self.salesman)
        self.assertEqual(account.sla_policy_ids, self.every | self.key_only)
        self.assertEqual(account.sla_adherence_90, 0.0)
        self.assertEqual(account.sla_due_90, 1)

    def test_policies_stay_in_their_company(self):
        theirs = self.other_company_policy()
        visible = self.Policy.with_user(self.manager).search([])
        self.assertNotIn(theirs, visible)
        self.assertIn(self.every, visible, "a policy without company is shared")
        self.assertEqual(
            self.Policy._policies_by_account(self.account, companies=self.env.company)[
                self.account.id
            ],
            self.every,
        )
