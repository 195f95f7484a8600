"""Fresh within minutes: every change that feeds a signal marks its account,
the frequent refresh rescores exactly the marked accounts as the nightly job
would, and the night after a refresh duplicates no retention work."""

from contextlib import closing
from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.sql_db import db_connect
from odoo.tests import new_test_user
from odoo.tools import SQL

from odoo.addons.relationship_health.models.health_writers import (
    PARTNER_COLUMNS,
    SNAPSHOT_COLUMNS,
)

from health_common import HealthCase


class FreshnessCase(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Pending = cls.env["relationship.health.pending"]
        cls.account, cls.contact = cls.make_account("Freshwater Pumps")
        cls.other, cls.other_contact = cls.make_account("Steady Valves")
        cls.order(cls.contact, 20)
        cls.order(cls.other_contact, 10)

    def pending(self):
        """The accounts waiting for the refresh (partners that are no account,
        such as a salesperson attending a visit, are dropped by the refresh)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT DISTINCT account_id FROM relationship_health_pending")
        )
        marked = [row[0] for row in self.env.cr.fetchall()]
        return set(self.engine._account_ids(partner_ids=marked)) if marked else set()

    def empty_queue(self):
        self.env.flush_all()
        self.env.cr.execute(SQL("DELETE FROM relationship_health_pending"))

    def assertMarks(self, accounts, message):
        self.assertEqual(self.pending(), set(accounts.ids), message)
        self.empty_queue()

    def health_row(self, account):
        """Every column the engine writes, as PostgreSQL has it."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT %s FROM res_partner WHERE id = %s",
                SQL(", ").join(SQL.identifier(name) for name in PARTNER_COLUMNS),
                account.id,
            )
        )
        return dict(zip(PARTNER_COLUMNS, self.env.cr.fetchone()))

    def snapshot_row(self, account):
        snapshot = self.snapshots(account).filtered(
            lambda s: s.snapshot_date == self.today
        )
        self.assertEqual(len(snapshot), 1, "one snapshot per account and day")
        return {name: snapshot[name] for name in SNAPSHOT_COLUMNS}


class TestChangesMarkTheirAccount(FreshnessCase):
    def setUp(self):
        super().setUp()
        self.empty_queue()

    def test_sale_orders_confirmed_cancelled_or_redated(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.contact.id,
                "order_line": [Command.create({"product_id": self.product.id})],
            }
        )
        self.assertMarks(self.env["res.partner"], "a quotation changes nothing")
        order.action_confirm()
        self.assertMarks(self.account, "a confirmed order marks its account")
        order.date_order = self._days_ago(3)
        self.assertMarks(self.account, "a confirmed order re-dated")
        order.partner_id = self.other_contact
        self.assertMarks(self.account | self.other, "both accounts of a moved order")
        order._action_cancel()
        self.assertMarks(self.other, "a cancelled order")

    def test_orders_confirmed_together_mark_in_one_statement(self):
        orders = self.env["sale.order"].create(
            [
                {
                    "partner_id": partner.id,
                    "order_line": [Command.create({"product_id": self.product.id})],
                }
                for partner in (self.contact, self.other_contact, self.account)
            ]
        )
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT COALESCE(MAX(id), 0) FROM relationship_health_pending")
        )
        before = self.env.cr.fetchone()[0]
        orders.action_confirm()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT account_id, marked_at FROM relationship_health_pending WHERE id > %s",
                before,
            )
        )
        rows = self.env.cr.fetchall()
        self.assertEqual(
            sorted(account for account, _marked in rows),
            sorted((self.account | self.other).ids),
            "one row per account, whatever the number of its orders",
        )
        self.assertEqual(len({marked for _account, marked in rows}), 1, "one statement")

    def test_survey_answers_completed(self):
        user_input = self.env["survey.user_input"].create(
            {"survey_id": self.survey.id, "partner_id": self.contact.id}
        )
        user_input._save_lines(self.q_nps, "3")
        self.assertMarks(self.env["res.partner"], "an answer under way changes nothing")
        user_input._mark_done()
        self.assertMarks(self.account, "a completed answer marks the account")

    def test_customer_visits_created_moved_answered_deleted(self):
        event = self.visit(self.contact, 2)
        self.assertMarks(self.account, "a visit created")
        event.start = self._days_ago(1)
        self.assertMarks(self.account, "a visit moved")
        event.attendee_ids.filtered(
            lambda a: a.partner_id == self.contact
        ).state = "declined"
        self.assertMarks(self.account, "an attendee's answer")
        event.partner_ids = [Command.unlink(self.contact.id)]
        self.assertMarks(self.account, "the account's contact removed from the visit")
        event.partner_ids = [Command.link(self.other_contact.id)]
        self.assertMarks(self.other, "another account's contact added")
        event.unlink()
        self.assertMarks(self.other, "a visit deleted")
        start = self._days_ago(1)
        self.env["calendar.event"].create(
            {
                "name": "Lunch",
                "start": start,
                "stop": start + timedelta(hours=1),
                "partner_ids": [Command.link(self.contact.id)],
            }
        )
        self.assertMarks(self.env["res.partner"], "a meeting that is no visit")

    def test_service_commitments_recorded_done_archived(self):
        event = self.sla(self.account, 2)
        self.assertMarks(self.account, "a commitment recorded")
        event.date_done = self._days_ago(1)
        self.assertMarks(self.account, "a commitment done")
        event.name = "Deliver within the week"
        self.assertMarks(self.env["res.partner"], "a new name changes nothing")
        event.with_user(self.manager).action_archive()
        self.assertMarks(self.account, "a commitment archived")

    def test_overrides_set_and_ended(self):
        wizard = (
            self.env["relationship.health.override.wizard"]
            .with_user(self.manager)
            .create(
                {
                    "partner_ids": [Command.set(self.contact.ids)],
                    "band": "at_risk",
                    "reason": "Their buyer left",
                    "date_until": self.today + timedelta(days=30),
                }
            )
        )
        wizard.action_apply()
        self.assertMarks(self.account, "an override set")
        self.account.with_user(self.manager).action_clear_health_override()
        self.assertMarks(self.account, "an override ended")

    def test_tiers_and_cadences(self):
        tier = self.env["relationship.visit.tier"].create(
            {"name": "Key accounts (test)", "visit_interval_days": 60}
        )
        self.account.visit_tier_id = tier
        self.assertMarks(self.account, "a tier given")
        tier.visit_interval_days = 45
        self.assertMarks(self.account, "the tier's cadence changed")
        self.other.visit_interval_days = 20
        self.assertMarks(self.other, "an account's own cadence")
        self.contact.parent_id = self.other
        self.env.cr.execute(
            SQL("SELECT DISTINCT account_id FROM relationship_health_pending")
        )
        self.assertEqual(
            {row[0] for row in self.env.cr.fetchall()},
            {self.account.id, self.other.id},
            "a contact moving to another account marks both",
        )

    def test_scoring_settings_mark_the_company_accounts(self):
        company = self.env.company
        company.name = f"{company.name} "
        self.assertMarks(self.env["res.partner"], "a setting that is not scored")
        company.health_weight_visits += 5
        marked = self.pending()
        self.assertTrue({self.account.id, self.other.id} <= marked)
        outsider = self.env["res.company"].create({"name": "Other Ltd (test)"})
        foreign = self.env["res.partner"].create(
            {"name": "Foreign buyer", "company_id": outsider.id, "customer_rank": 1}
        )
        self.empty_queue()
        company.health_weight_visits += 5
        self.assertNotIn(foreign.id, self.pending(), "another company's accounts")
        self.empty_queue()
        outsider.health_threshold_watch = 45
        self.assertIn(foreign.id, self.pending())
        self.assertIn(
            self.account.id, self.pending(), "an account shared between companies too"
        )


class TestRefresh(FreshnessCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.partner"]._cron_relationship_health()

    def test_refresh_scores_exactly_the_pending_accounts(self):
        self.empty_queue()
        other_before = self.health_row(self.other)
        other_computed = self.other.health_computed_at
        self.answer(self.contact, self.q_nps, 0)
        self.answer(self.contact, self.q_csat, 1)
        self.assertEqual(self.pending(), {self.account.id})
        scored = self.env["res.partner"]._cron_relationship_health_pending()
        self.assertEqual(scored, 1, "the pending account only")
        self.assertEqual(self.account.health_satisfaction, 0.0)
        self.assertEqual(self.snapshot_row(self.account)["satisfaction"], 0.0)
        self.assertEqual(self.health_row(self.other), other_before)
        self.assertEqual(self.other.health_computed_at, other_computed)
        self.assertEqual(self.pending(), set(), "the rows it handled are cleared")
        self.assertEqual(
            self.env["res.partner"]._cron_relationship_health_pending(),
            0,
            "nothing pending, nothing scored",
        )

    def test_refresh_equals_a_full_run(self):
        third, third_contact = self.make_account("Brand New Fittings")
        self.order(third_contact, 100)
        self.answer(self.contact, self.q_nps, 2)
        self.sla(self.other, 3, done_late_days=2)
        self.visit(self.other_contact, 1)
        self.other.visit_interval_days = 30
        self.env["res.partner"]._cron_relationship_health_pending()
        accounts = self.account | self.other | third
        refreshed = {a.id: (self.health_row(a), self.snapshot_row(a)) for a in accounts}
        self.assertTrue(refreshed[third.id][0]["health_score"] is not None)
        self.engine._run_nightly()
        full = {a.id: (self.health_row(a), self.snapshot_row(a)) for a in accounts}
        self.assertEqual(refreshed, full, "every field and snapshot as a full run's")

    def test_rows_marked_during_a_refresh_stay_pending(self):
        self.empty_queue()
        self.order(self.contact, 1)
        upto, account_ids = self.Pending._read_queue()
        self.assertEqual(account_ids, self.account.ids)
        # A change lands while the refresh runs (after it read the queue).
        self.answer(self.contact, self.q_nps, 9)
        self.order(self.other_contact, 1)
        self.engine.with_context(health_pending_upto=upto)._compute_in_batches(
            account_ids
        )
        self.assertEqual(
            self.pending(), {self.account.id, self.other.id}, "marked later: kept"
        )

    def test_the_night_clears_what_it_scores(self):
        self.order(self.contact, 1)
        self.assertIn(self.account.id, self.pending())
        self.engine._run_nightly()
        self.assertEqual(self.pending(), set())

    def test_the_night_writes_only_what_changed(self):
        computed = {a: a.health_computed_at for a in (self.account, self.other)}
        snapshot = self.snapshots(self.other).filtered(
            lambda s: s.snapshot_date == self.today
        )
        written = snapshot.write_date
        self.order(self.contact, 1)
        self.engine._run_nightly()
        self.assertGreater(self.account.health_computed_at, computed[self.account])
        self.assertEqual(self.account.health_recency, 100.0)
        self.assertEqual(
            self.other.health_computed_at,
            computed[self.other],
            "a health that did not move is not written again",
        )
        self.assertEqual(snapshot.write_date, written, "nor its snapshot of the day")

    def test_partners_that_are_no_account_leave_the_queue(self):
        vendor = self.env["res.partner"].create(
            {"name": "A vendor", "is_company": True}
        )
        self.empty_queue()
        self.Pending._mark_accounts(vendor.ids)
        self.assertEqual(self.env["res.partner"]._cron_relationship_health_pending(), 0)
        self.assertEqual(self.pending(), set())

    def test_no_refresh_while_the_night_runs(self):
        self.order(self.contact, 1)
        self.env["ir.config_parameter"].sudo().set_param(
            "relationship_health.run_started_at", str(self.env.cr.now())
        )
        night = self.env.ref("relationship_health.ir_cron_relationship_health")
        with closing(db_connect(self.env.cr.dbname).cursor()) as scheduler:
            # The scheduler holds the nightly job while it runs.
            scheduler.execute(
                "SELECT id FROM ir_cron WHERE id = %s FOR NO KEY UPDATE", [night.id]
            )
            self.assertEqual(
                self.env["res.partner"]._cron_relationship_health_pending(), 0
            )
            self.assertIn(self.account.id, self.pending(), "left to the night")
            scheduler.rollback()
        # A run of today that stopped half-way does not hold the refresh back.
        self.assertEqual(self.env["res.partner"]._cron_relationship_health_pending(), 1)
        self.assertEqual(self.pending(), set())

    def test_refresh_then_night_no_duplicate_retention_work(self):
        """An account falls during the day: the refresh opens its retention
        work once; the night that follows adds nothing."""
        self.env.company.health_automation_enabled = True
        fading, fading_contact = self.make_account("Fading Gaskets")
        for index in range(4):
            self.order(fading_contact, 5 + index * 30)
        self.env["res.partner"]._cron_relationship_health()
        self.assertEqual(fading.health_band, "healthy")
        self.answer(fading_contact, self.q_nps, 0)
        self.answer(fading_contact, self.q_csat, 1)
        self.sla(fading, 3, done_late_days=2)
        self.env["res.partner"]._cron_relationship_health_pending()
        self.assertIn(fading.health_band, ("at_risk", "critical"))
        Case = self.env["relationship.retention.case"]
        cases = Case.search([("partner_id", "=", fading.id)])
        self.assertEqual(len(cases), 1, "the refresh opens the work")
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", fading.id)]
        )
        leads = self.env["crm.lead"].search([("partner_id", "=", fading.id)])
        notes = self.env["mail.message"].search_count(
            [("model", "=", "crm.lead"), ("res_id", "in", leads.ids)]
        )
        self.engine._run_nightly()
        self.assertEqual(Case.search([("partner_id", "=", fading.id)]), cases)
        self.assertEqual(
            self.env["mail.activity"].search(
                [("res_model", "=", "res.partner"), ("res_id", "=", fading.id)]
            ),
            activities,
        )
        self.assertEqual(
            self.env["crm.lead"].search([("partner_id", "=", fading.id)]), leads
        )
        self.assertEqual(
            self.env["mail.message"].search_count(
                [("model", "=", "crm.lead"), ("res_id", "in", leads.ids)]
            ),
            notes,
            "no note added by the night",
        )


class TestQueueAccess(FreshnessCase):
    def test_only_sales_managers_read_and_nobody_writes(self):
        self.Pending._mark_accounts(self.account.ids)
        row = self.Pending.search([("account_id", "=", self.account.id)], limit=1)
        self.assertTrue(row)
        users = {
            "portal": new_test_user(
                self.env, login="rh_fresh_portal", groups="base.group_portal"
            ),
            "internal": new_test_user(
                self.env, login="rh_fresh_internal", groups="base.group_user"
            ),
            "salesman": self.salesman,
        }
        for label, user in users.items():
            with self.subTest(user=label), self.assertRaises(AccessError):
                self.Pending.with_user(user).search([]).read(["account_id"])
        self.assertEqual(
            self.Pending.with_user(self.manager).browse(row.id).account_id, self.account
        )
        for label, user in {**users, "manager": self.manager}.items():
            with (
                self.subTest(user=label, operation="write"),
                self.assertRaises(AccessError),
            ):
                self.Pending.with_user(user).browse(row.id).write({"marked_at": False})
            with (
                self.subTest(user=label, operation="create"),
                self.assertRaises(AccessError),
            ):
                self.Pending.with_user(user).create({"account_id": self.other.id})
            with (
                self.subTest(user=label, operation="unlink"),
                self.assertRaises(AccessError),
            ):
                self.Pending.with_user(user).browse(row.id).unlink()


class TestRefreshSetting(FreshnessCase):
    def settings(self, minutes, user=None):
        Settings = self.env["res.config.settings"]
        if user:
            Settings = Settings.with_user(user)
        Settings.create({"health_refresh_minutes": minutes}).execute()

    def test_interval_setting_writes_the_scheduled_action(self):
        cron = self.env.ref("relationship_health.ir_cron_relationship_health_pending")
        self.assertEqual((cron.interval_number, cron.interval_type), (10, "minutes"))
        self.assertTrue(cron.active)
        self.assertEqual(
            self.env["res.config.settings"].create({}).health_refresh_minutes, 10
        )
        self.settings(30)
        self.assertEqual((cron.interval_number, cron.interval_type), (30, "minutes"))
        self.settings(0)
        self.assertFalse(cron.active, "0 turns the refresh off")
        self.assertEqual(
            self.env["res.config.settings"].create({}).health_refresh_minutes, 0
        )
        self.settings(15)
        self.assertTrue(cron.active)
        with self.assertRefused("1 to 1440 minutes"):
            self.settings(2000)
        with self.assertRefused("1 to 1440 minutes"):
            self.settings(-5)

    def test_only_administrators_change_it(self):
        with self.assertRaises(AccessError):
            self.settings(30, user=self.manager)
        cron = self.env.ref("relationship_health.ir_cron_relationship_health_pending")
        self.assertEqual(cron.interval_number, 10)

    def test_refresh_cron_is_shipped(self):
        cron = self.env.ref("relationship_health.ir_cron_relationship_health_pending")
        self.assertEqual(cron.code, "model._cron_relationship_health_pending()")
        self.assertEqual(cron.model_id.model, "res.partner")
