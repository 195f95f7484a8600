"""Production hardening: a poisoned account does not stop the night, money
is counted per company and currency, settings have upper bounds."""

import logging
from datetime import date, datetime, timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from health_common import HealthCase, SALESMAN, SALESMAN_ALL

ENGINE_LOGGER = "odoo.addons.relationship_health.models.relationship_health_engine"


class RobustnessCase(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.home = cls.env.company
        cls.other = cls.env["res.company"].create({"name": "Other Company"})
        cls.Failure = cls.env["relationship.health.failure"]

    def record_failure(self, account, company=None):
        """A scoring failure of ``account`` recorded as the engine does."""
        at = datetime(2026, 3, 2, 4, 0)
        self.Failure.sudo()._record(
            {account.id: "ValueError: boom"},
            {account.id: company and company.id},
            at,
            at,
        )

    def make_critical(self, account):
        """An account healthy before this run whose only signal, an open
        commitment past its deadline, makes it critical (a retention case)."""
        self.sla(account, 3)
        account.write({"health_band": "healthy", "health_score": 90.0})

    def sale(self, partner, company, days_ago, price, currency=None):
        """A confirmed order of 1 unit at ``price`` in ``company``, in
        ``currency`` (default: the company's) through a pricelist."""
        SaleOrder = self.env["sale.order"].with_company(company)
        vals = {
            "partner_id": partner.id,
            "company_id": company.id,
            "order_line": [
                Command.create(
                    {
                        "product_id": self.product.id,
                        "product_uom_qty": 1,
                        "price_unit": price,
                    }
                )
            ],
        }
        currency = currency or company.currency_id
        vals["pricelist_id"] = (
            self.env["product.pricelist"]
            .create(
                {
                    "name": f"{currency.name} prices",
                    "currency_id": currency.id,
                    "company_id": company.id,
                }
            )
            .id
        )
        order = SaleOrder.create(vals)
        order.action_confirm()
        order.date_order = self._days_ago(days_ago)
        return order


class TestPoisonedAccount(RobustnessCase):
    """Two kinds of poisoned accounts. One whose health cannot be written (a
    check constraint of the database refuses its row): its scoring fails.
    One whose retention opportunity crm.lead's company check refuses: its
    salesperson works for another company only, so the work goes to the
    leader of the salesperson's team, a team of that other company, which an
    opportunity of the account's company cannot have."""

    RETENTION_LOGGER = (
        "odoo.addons.relationship_health.models.relationship_health_retention"
    )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.foreign_rep = cls.make_user(
            "rh_foreign_rep",
            "Frank Foreign",
            groups=SALESMAN,
            company_id=cls.other.id,
            company_ids=[Command.set(cls.other.ids)],
        )
        cls.team_leader = cls.make_user(
            "rh_team_leader",
            "Tina Teamlead",
            groups=SALESMAN_ALL,
            company_id=cls.other.id,
            company_ids=[Command.set((cls.home | cls.other).ids)],
        )
        cls.foreign_team = cls.env["crm.team"].create(
            {
                "name": "Other Company Team",
                "company_id": cls.other.id,
                "user_id": cls.team_leader.id,
            }
        )
        cls.foreign_team.member_ids = cls.foreign_rep

    def make_unwritable(self, name):
        """An account whose health the database refuses to store (a check
        constraint, dropped by :meth:`heal`)."""
        account, _c = self.make_account(name, customer_rank=1)
        self.env.flush_all()
        self.env.cr.execute(
            f"ALTER TABLE res_partner ADD CONSTRAINT rh_test_poison_{account.id}"
            f" CHECK (id <> {account.id} OR health_computed_at IS NULL)"
        )
        return account

    def heal(self, account):
        self.env.cr.execute(
            f"ALTER TABLE res_partner DROP CONSTRAINT rh_test_poison_{account.id}"
        )

    def make_poisoned(self, name):
        """An account of the home company whose salesperson works for the
        other company only."""
        account, _c = self.make_account(
            name, company_id=self.home.id, user_id=self.foreign_rep.id, customer_rank=1
        )
        return account

    def critical_around(self, make_poisoned, name):
        """The poisoned account made by ``make_poisoned(name)`` between two
        sound ones (one scored before it, one after), all three made critical:
        before, poisoned, after."""
        before, _c = self.make_account("Before Poison", customer_rank=1)
        poisoned = make_poisoned(name)
        after, _c = self.make_account("After Poison", customer_rank=1)
        for account in (before, poisoned, after):
            self.make_critical(account)
        return before, poisoned, after

    def cases_of(self, account):
        return self.env["relationship.retention.case"].search(
            [("partner_id", "=", account.id)]
        )

    def test_an_account_that_cannot_be_scored_is_skipped_listed_and_retried(self):
        before, poisoned, after = self.critical_around(
            self.make_unwritable, "Poisoned Plastics"
        )

        with self.assertLogs(ENGINE_LOGGER, logging.WARNING) as logs:
            self.env["res.partner"]._cron_relationship_health()
        # Every other account is scored and gets its work.
        for account in (before, after):
            self.assertEqual(account.health_band, "critical")
            self.assertEqual(self.cases_of(account).state, "open")
        # The poisoned one is skipped, nothing of it half made.
        self.assertFalse(poisoned.health_computed_at)
        self.assertEqual(poisoned.health_band, "healthy")
        self.assertFalse(self.cases_of(poisoned))
        self.assertFalse(
            self.env["relationship.health.snapshot"].search(
                [("partner_id", "=", poisoned.id)]
            )
        )
        # Logged with the error...
        self.assertTrue(
            any(
                f"account {poisoned.id} could not be scored" in line
                and "CheckViolation" in line
                for line in logs.output
            )
        )
        self.assertTrue(
            any("1 accounts could not be scored" in line for line in logs.output)
        )
        # ... and listed for managers.
        failure = self.Failure.search([])
        self.assertEqual(failure.partner_id, poisoned)
        self.assertEqual(failure.company_id, self.home)
        self.assertEqual(failure.step, "scoring")
        self.assertRegex(failure.error, r"^CheckViolation: ")
        self.assertEqual(failure.failure_count, 1)
        self.assertTrue(failure.first_failed_at and failure.run_started_at)
        self.assertFalse(
            self.env["ir.config_parameter"].get_param(
                "relationship_health.run_started_at"
            ),
            "the run completed",
        )

        # The next run tries it again: still failing, counted once more.
        self.env["res.partner"]._cron_relationship_health()
        self.assertEqual((len(self.Failure.search([])), failure.failure_count), (1, 2))

        # The cause is fixed: the next run scores it, gives it its work and
        # forgets the failure.
        self.heal(poisoned)
        self.env["res.partner"]._cron_relationship_health()
        self.assertEqual(poisoned.health_band, "critical")
        self.assertTrue(poisoned.health_computed_at)
        self.assertFalse(self.Failure.search([]))
        self.assertEqual(self.cases_of(poisoned).state, "open")

    def test_work_that_cannot_be_created_waits_is_listed_and_retried(self):
        before, poisoned, after = self.critical_around(
            self.make_poisoned, "Poisoned Paper"
        )
        self.assertEqual(self.foreign_rep.sale_team_id, self.foreign_team)

        with self.assertLogs(self.RETENTION_LOGGER, logging.WARNING) as logs:
            self.env["res.partner"]._cron_relationship_health()
        # Every account is scored; the others get their work.
        for account in (before, poisoned, after):
            self.assertEqual(account.health_band, "critical")
        for account in (before, after):
            case = self.cases_of(account)
            self.assertEqual(case.state, "open")
            self.assertTrue(case.activity_id and case.lead_id)
        # The poisoned one's case keeps waiting, with no work half made.
        case = self.cases_of(poisoned)
        self.assertEqual(case.state, "waiting")
        self.assertFalse(case.activity_id or case.lead_id)
        self.assertFalse(
            self.env["crm.lead"].search([("partner_id", "=", poisoned.id)])
        )
        self.assertTrue(
            any(
                f"work of account {poisoned.id} could not be created" in line
                and "Incompatible companies" in line
                for line in logs.output
            )
        )
        failure = self.Failure.search([])
        self.assertEqual(
            (failure.partner_id, failure.company_id, failure.step),
            (poisoned, self.home, "retention_work"),
        )
        self.assertRegex(failure.error, r"^UserError: Incompatible companies")
        self.assertEqual(failure.failure_count, 1)

        # The next run tries again: still waiting, counted once more.
        self.env["res.partner"]._cron_relationship_health()
        self.assertEqual((len(self.Failure.search([])), failure.failure_count), (1, 2))
        self.assertEqual(case.state, "waiting")

        # The cause is fixed (the team is shared between the companies): the
        # next run hands the work out and forgets the failure.
        self.foreign_team.company_id = False
        self.env["res.partner"]._cron_relationship_health()
        self.assertFalse(self.Failure.search([]))
        self.assertEqual(case.state, "open")
        self.assertEqual(
            (case.user_id, case.lead_id.team_id, case.lead_id.company_id),
            (self.team_leader, self.foreign_team, self.home),
        )

    def test_recompute_of_a_poisoned_account_with_others(self):
        poisoned = self.make_unwritable("Poisoned Paper")
        healthy, _c = self.make_account("Fine Fabrics", customer_rank=1)
        self.make_critical(poisoned)
        with self.assertLogs(ENGINE_LOGGER, logging.WARNING):
            action = (poisoned | healthy).action_recompute_health()
        # The user is told what was done, and what was not.
        self.assertEqual(action["params"]["type"], "warning")
        self.assertEqual(
            action["params"]["message"],
            "Relationship health recomputed for 1 accounts; 1 could not be scored "
            "and keep their previous health (see Scoring Failures).",
        )
        self.assertEqual(healthy.health_band, "unknown")
        self.assertTrue(healthy.health_computed_at)
        self.assertFalse(poisoned.health_computed_at)
        self.assertEqual(self.Failure.search([]).partner_id, poisoned)

    def test_failures_are_for_sales_managers(self):
        account, _c = self.make_account("Listed Account")
        self.record_failure(account, self.home)
        self.assertEqual(
            self.Failure.with_user(self.manager).search([]).partner_id, account
        )
        foreign, _c = self.make_account("Foreign Failure", company_id=self.other.id)
        self.record_failure(foreign, self.other)
        self.assertEqual(
            self.Failure.with_user(self.manager).search([]).partner_id,
            account,
            "another company's failures stay with that company",
        )
        portal = new_test_user(
            self.env, login="rh_portal_f", groups="base.group_portal"
        )
        internal = new_test_user(
            self.env, login="rh_internal_f", groups="base.group_user"
        )
        public = self.env.ref("base.public_user")
        for user in (self.salesman, internal, portal, public):
            with self.assertRaises(AccessError):
                self.Failure.with_user(user).search([])
        failure = self.Failure.with_user(self.manager).search([])
        with self.assertRaises(AccessError):
            failure.write({"error": "forged"})
        with self.assertRaises(AccessError):
            failure.unlink()
        # The count in the settings, for sales managers.
        settings = self.env["res.config.settings"].with_user(
            self.env.ref("base.user_admin")
        )
        self.assertEqual(settings.create({}).health_failure_count, 1)
        system = new_test_user(
            self.env, login="rh_system_f", groups="base.group_system"
        )
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(system).create({}).read(
                ["health_failure_count"]
            )
        menu = self.env.ref("relationship_health.relationship_health_menu_failures")
        self.assertEqual(menu.groups_id, self.env.ref("sales_team.group_sale_manager"))


class TestMoneyPerCompany(RobustnessCase):
    """Two companies, two currencies: an account's money counts the orders of
    the company it is scored for, in that company's currency."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.env.ref("base.EUR")
        cls.usd = cls.env.ref("base.USD")
        (cls.eur | cls.usd).active = True
        cls.other.currency_id = cls.eur
        # In the other company: 1 EUR = 1.25 USD.
        cls.env["res.currency.rate"].create(
            [
                {
                    "currency_id": cls.eur.id,
                    "company_id": cls.other.id,
                    "rate": 1.0,
                    "name": date(2000, 1, 1),
                },
                {
                    "currency_id": cls.usd.id,
                    "company_id": cls.other.id,
                    "rate": 1.25,
                    "name": date(2000, 1, 1),
                },
            ]
        )
        for user in (cls.salesman, cls.manager):
            user.company_ids = [Command.link(cls.other.id)]

    def test_shared_account_is_scored_for_its_latest_order_company(self):
        shared, buyer = self.make_account("Shared Steel", company_id=False)
        # The home company: 300 USD 100 days ago.
        self.sale(buyer, self.home, 100, 300.0)
        # The other company: 200 EUR 50 days ago, 250 USD (= 200 EUR) 20 days
        # ago (the latest order), and 999 EUR 400 days ago (too old).
        self.sale(buyer, self.other, 50, 200.0)
        self.sale(buyer, self.other, 20, 250.0, currency=self.usd)
        self.sale(buyer, self.other, 400, 999.0)
        # Home only: scored for the home company.
        home_only, home_buyer = self.make_account("Home Hardware", company_id=False)
        self.sale(home_buyer, self.home, 10, 120.0)
        # No order at all: the main company.
        idle, _c = self.make_account(
            "Idle Industries", company_id=False, customer_rank=1
        )

        # Whoever runs it, in whichever company: the same result.
        (shared | home_only | idle).with_company(self.other).action_recompute_health()
        self.assertEqual(shared.health_revenue_12m, 400.0)
        self.assertEqual(home_only.health_revenue_12m, 120.0)
        snapshots = self.env["relationship.health.snapshot"].search(
            [("partner_id", "in", (shared | home_only | idle).ids)]
        )
        self.assertEqual(
            {s.partner_id: s.company_id for s in snapshots},
            {
                shared: self.other,
                home_only: self.home,
                idle: self.env.ref("base.main_company"),
            },
        )
        # Its signal summary shows the weights of the company it is scored for.
        self.other.health_weight_sla = 77.0
        shared.invalidate_recordset(["health_summary"])
        self.assertIn("77", shared.with_company(self.home).health_summary)
        self.assertNotIn("77", home_only.with_company(self.other).health_summary)
        # The engine's reading, as any user in any company would get it.
        engine = self.engine.with_company(self.home)
        accounts = engine._read_accounts([shared.id, home_only.id], self.today)
        self.assertEqual(
            accounts["company_id"].to_dict(),
            {shared.id: self.other.id, home_only.id: self.home.id},
        )

    def test_retention_and_digest_count_the_same_money(self):
        self.other.health_retention_create_lead = True
        account, buyer = self.make_account("Euro Engines", company_id=self.other.id)
        self.sale(buyer, self.other, 80, 250.0, currency=self.usd)  # 200 EUR
        self.sale(buyer, self.other, 110, 100.0)  # 100 EUR
        self.sale(buyer, self.other, 140, 100.0)
        self.sale(buyer, self.other, 170, 100.0)
        account.write({"health_band": "healthy", "health_score": 90.0})
        account.action_recompute_health()
        self.assertEqual(account.health_band, "critical")
        self.assertEqual(account.health_revenue_12m, 500.0)
        case = self.env["relationship.retention.case"].search(
            [("partner_id", "=", account.id)]
        )
        self.assertEqual(
            (case.revenue_12m, case.lead_id.expected_revenue), (500.0, 500.0)
        )
        self.assertEqual(case.lead_id.company_id, self.other)
        Digest = self.env["relationship.health.digest"]
        other_digest = Digest._digest_data(self.other, self.today)
        self.assertEqual(other_digest["revenue_at_risk_value"], 500.0)
        home_digest = Digest._digest_data(self.home, self.today)
        self.assertNotIn(
            "Euro Engines", [entry["name"] for entry in home_digest["entered"]]
        )

    def test_profit_threshold_is_per_company_in_its_currency(self):
        big, big_buyer = self.make_account("Big Buyer", company_id=self.other.id)
        small, small_buyer = self.make_account("Small Buyer", company_id=self.other.id)
        self.sale(big_buyer, self.other, 10, 1250.0, currency=self.usd)  # 1000 EUR
        self.sale(small_buyer, self.other, 10, 10.0)
        thresholds = self.engine._profit_thresholds(self.today)
        # The other company's book: 1000 and 10 EUR; top 30 %: from 1000.
        self.assertEqual(thresholds[self.other.id], 1000.0)


class TestUpperBounds(RobustnessCase):
    def test_company_settings_have_upper_bounds(self):
        company = self.home
        cases = [
            ("health_default_visit_interval", 5000, "default visit cadence.*1098"),
            ("health_visit_reminder_days", 366, "visit reminder.*365"),
            ("health_weight_visits", 1001, "Visits Weight.*cannot be above 1000"),
            ("health_satisfaction_half_life", 3651, "Half-Life.*cannot be above 3650"),
            ("health_sla_half_life", 3651, "cannot be above 3650"),
            ("health_default_purchase_interval", 3651, "Purchase Interval.*above 3650"),
            ("health_visit_mood_weight", 11, "Visit Mood.*cannot be above 10"),
            ("health_retention_critical_days", 3651, "critical cannot be above 3650"),
            ("health_retention_activity_days", 366, "follow-up cannot be above 365"),
            ("health_retention_cooldown_days", 3651, "cooldown cannot be above 3650"),
            (
                "health_retention_winback_factor",
                101,
                "win-back factor cannot be above 100",
            ),
            ("health_profit_top_share", 101, "percentage between 0 and 100"),
            ("health_clv_discount_rate", 100, "percentage between 0 and 100"),
            ("health_threshold_healthy", 101, "strictly decreasing"),
        ]
        for fname, value, pattern in cases:
            with self.subTest(fname), self.assertRefused(pattern):
                company.write({fname: value})
                self.env.flush_all()
        # At the bounds everything still works, partner creation included.
        company.write(
            {
                "health_default_visit_interval": 1098,
                "health_visit_reminder_days": 365,
                "health_weight_visits": 1000,
                "health_satisfaction_half_life": 3650,
                "health_retention_cooldown_days": 3650,
                "health_retention_winback_factor": 100,
            }
        )
        account, _contact = self.make_account("Bounded Bakery", customer_rank=1)
        self.assertEqual(account.visit_interval_days, 1098)
        account.action_recompute_health()
        self.assertEqual(
            account.health_band, "unknown", "a plan of today is not due yet"
        )
        self.assertEqual(account.visit_due_date, self.today + timedelta(days=1098))

    def test_settings_form_refuses_a_huge_cadence(self):
        with self.assertRefused("default visit cadence"):
            self.env["res.config.settings"].create(
                {
                    "health_default_visit_interval": 5000,
                }
            ).execute()
        self.assertEqual(self.home.health_default_visit_interval, 0)

    def test_cadences_and_targets_have_upper_bounds(self):
        tier = self.env["relationship.visit.tier"].create(
            {"name": "Rare", "visit_interval_days": 1098}
        )
        with self.assertRefused("between 0 \\(no plan\\) and 1098 days"):
            tier.visit_interval_days = 1099
        account, _c = self.make_account("Own Cadence", visit_interval_days=1098)
        with self.assertRefused("between 0 \\(no plan\\) and 1098 days"):
            account.visit_interval_days = 5000
        Policy = self.env["relationship.sla.policy"]
        with self.assertRefused("cannot be more than 87600 hours"):
            Policy.create(
                {
                    "name": "Forever",
                    "metric": "custom",
                    "target_type": "hours",
                    "target_value": 1e12,
                }
            )
        with self.assertRefused("cannot be more than 3650 days"):
            Policy.create(
                {
                    "name": "Decade",
                    "metric": "custom",
                    "target_type": "days",
                    "target_value": 3651,
                }
            )
        policy = Policy.create(
            {
                "name": "Ten years",
                "metric": "custom",
                "target_type": "days",
                "target_value": 3650,
            }
        )
        start = self._days_ago(0)
        self.assertEqual(
            (policy._deadline_from(start, None, self.home) - start).days, 3650
        )


class TestMergeAndArchive(RobustnessCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fallback = cls.make_user("rh_fallback_owner", "Fiona Fallback", SALESMAN)
        cls.home.health_retention_default_user_id = cls.fallback

    def snapshot(self, account, days_ago, score):
        return self.env["relationship.health.snapshot"].create(
            {
                "partner_id": account.id,
                "company_id": self.home.id,
                "score": score,
                "snapshot_date": self.today - timedelta(days=days_ago),
                "band": "watch",
            }
        )

    def open_case(self, account):
        """Today's run opens the account's retention work."""
        self.make_critical(account)
        account.action_recompute_health()
        case = self.env["relationship.retention.case"].search(
            [("partner_id", "=", account.id), ("state", "=", "open")]
        )
        self.assertTrue(case.activity_id and case.lead_id)
        return case

    def test_merging_partners_keeps_history_cases_and_commitments(self):
        survivor, _c = self.make_account("Survivor Systems", customer_rank=1)
        merged, _c = self.make_account("Merged Machines", customer_rank=1)
        survivor_case = self.open_case(survivor)
        merged_case = self.open_case(merged)
        self.snapshot(survivor, 40, 61.0)
        self.snapshot(merged, 40, 42.0)  # same day: the survivor's is kept
        old = self.snapshot(merged, 70, 55.0)
        commitments = merged.sla_event_ids
        self.assertTrue(commitments)
        merged_snapshots = self.snapshots(merged)

        self.env["base.partner.merge.automatic.wizard"]._merge(
            (survivor | merged).ids, dst_partner=survivor
        )

        self.assertFalse(merged.exists())
        snapshots = self.snapshots(survivor)
        by_date = {s.snapshot_date: s.score for s in snapshots}
        self.assertEqual(by_date[self.today - timedelta(days=40)], 61.0)
        self.assertEqual(by_date[self.today - timedelta(days=70)], 55.0)
        self.assertIn(old, snapshots)
        self.assertEqual(len(snapshots), len(set(by_date)), "one snapshot per day")
        self.assertEqual(len(snapshots), 3, "today, 40 and 70 days ago")
        self.assertTrue(set(merged_snapshots.exists().ids) <= set(snapshots.ids))
        self.assertEqual(commitments.partner_id, survivor)
        cases = self.env["relationship.retention.case"].search(
            [("partner_id", "=", survivor.id)]
        )
        self.assertEqual(cases, survivor_case | merged_case)
        self.assertEqual(
            (survivor_case.state, merged_case.state, merged_case.close_reason),
            ("open", "closed", "merged"),
        )
        self.assertEqual(merged_case.lead_id.partner_id, survivor)

    def test_merged_partner_open_case_moves_when_the_survivor_has_none(self):
        survivor, _c = self.make_account("Quiet Survivor", customer_rank=1)
        merged, _c = self.make_account("Busy Merged", customer_rank=1)
        case = self.open_case(merged)
        self.env["base.partner.merge.automatic.wizard"]._merge(
            (survivor | merged).ids, dst_partner=survivor
        )
        self.assertEqual((case.partner_id, case.state), (survivor, "open"))

    def test_archiving_an_account_closes_its_work_and_drops_it_from_the_digest(self):
        account, _c = self.make_account("Archived Alloys", customer_rank=1)
        self.snapshot(account, 2, 60.0)  # watch two days ago, critical today
        case = self.open_case(account)
        activity, lead = case.activity_id, case.lead_id
        digest = self.env["relationship.health.digest"]._digest_data(
            self.home, self.today
        )
        self.assertIn("Archived Alloys", [entry["name"] for entry in digest["entered"]])
        self.record_failure(account)
        account.action_archive()
        self.assertFalse(
            self.env["relationship.health.failure"].search(
                [("partner_id", "=", account.id)]
            ),
            "an archived account is not retried",
        )
        self.assertEqual((case.state, case.close_reason), ("closed", "archived"))
        self.assertFalse(activity.exists() and activity.active, "the activity is done")
        self.assertIn("was archived", lead.message_ids[:1].body)
        digest = self.env["relationship.health.digest"]._digest_data(
            self.home, self.today
        )
        self.assertNotIn(
            "Archived Alloys", [entry["name"] for entry in digest["entered"]]
        )
        self.assertFalse(
            any(entry["name"] == "Archived Alloys" for entry in digest["overdue"])
        )

    def test_archived_salesperson_hands_open_cases_to_the_fallback_owner(self):
        rep = self.make_user("rh_leaving_rep", "Lou Leaving", groups=SALESMAN)
        account, _c = self.make_account(
            "Orphan Optics", customer_rank=1, user_id=rep.id
        )
        case = self.open_case(account)
        self.assertEqual(case.user_id, rep)
        rep.action_archive()
        self.assertEqual(case.user_id, self.fallback)
        self.assertEqual(case.activity_id.user_id, self.fallback)
        self.assertEqual(case.lead_id.user_id, self.fallback)
