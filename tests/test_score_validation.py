"""Score validation: the Odoo job, its figures, what it reads and who sees it.

A hand-made book of ten accounts whose band at every validated date is
known (the nightly snapshots of each date) and whose fate is
known (steady buyers that never lapse, buyers that stopped long before the
first date and lapse at every date): its lapse rates per band, lift, AUC and
deciles are known exactly. Then the backtest, as of a past date, must not
read an order dated after it; snapshots are preferred where they exist; a
run that stops half-way resumes without duplicates; and the access matrix.
"""

from datetime import timedelta
from unittest.mock import patch

import psycopg2

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user
from odoo.tools import SQL

from odoo.addons.relationship_health.scoring.backtest import validation_dates

from health_common import SALES_MANAGER, SALESMAN, HealthCase

VALIDATION = "relationship.health.validation"
LINE = "relationship.health.validation.line"
FIGURE = "relationship.health.validation.figure"
DECILE = "relationship.health.validation.decile"
BAND = "relationship.health.validation.band"
WEIGHT = "relationship.health.validation.weight"
RUN_MODULE = "odoo.addons.relationship_health.models.relationship_health_validation"

#: The book: (band, score, lapsed, salesperson) of each account, the same at
#: every date.
BOOK = (
    ("healthy", 90.0, False, "rita"),
    ("healthy", 85.0, False, "rita"),
    ("healthy", 80.0, False, "rita"),
    ("healthy", 75.0, True, "rita"),
    ("watch", 60.0, False, "sam"),
    ("watch", 55.0, True, "sam"),
    ("at_risk", 40.0, True, "sam"),
    ("at_risk", 35.0, False, "sam"),
    ("critical", 20.0, True, "sam"),
    ("critical", 10.0, True, "sam"),
)


class ValidationCase(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.now = fields.Datetime.now()
        cls.dates = validation_dates(cls.today)
        cls.first_day = (cls.today - cls.dates[0]).days
        cls.company = cls.env.company
        cls.company.health_validation_min_accounts = 1
        cls.other_rep = cls.make_user("rh_rep_sam", "Sam Rep", groups=SALESMAN)

    @classmethod
    def steady_buyer(cls, name, user, **vals):
        """An account that orders every 60 days from before the first date
        until today: it never lapses."""
        account, buyer = cls.make_account(name, user_id=user.id, **vals)
        for days_ago in range(cls.first_day + 120, 0, -60):
            cls.order(buyer, days_ago, price=100.0)
        return account

    @classmethod
    def lost_buyer(cls, name, user, **vals):
        """An account whose three orders are long before the first date: it
        lapsed at every date."""
        account, buyer = cls.make_account(name, user_id=user.id, **vals)
        for days_ago in (cls.first_day + 90, cls.first_day + 75, cls.first_day + 60):
            cls.order(buyer, days_ago, price=100.0)
        return account

    @classmethod
    def snapshot(cls, account, day, band, score):
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL(
                """
                INSERT INTO relationship_health_snapshot
                       (partner_id, snapshot_date, company_id, user_id, score, band,
                        satisfaction, sla, visits, recency)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                """,
                account.id,
                day,
                cls.company.id,
                account.user_id.id,
                score,
                band,
                score,
                score,
                score,
                score,
            )
        )

    @classmethod
    def industry_scorecard(cls, name, **weights):
        """A scorecard for the accounts of a new industry of ``name``, with
        ``weights`` (satisfaction, sla, visits, recency); returns both."""
        industry = cls.env["res.partner.industry"].create({"name": name})
        scorecard = cls.env["relationship.health.scorecard"].create(
            {
                "name": name,
                "industry_ids": [fields.Command.link(industry.id)],
                **{f"health_weight_{signal}": w for signal, w in weights.items()},
            }
        )
        return scorecard, industry

    def new_run(self):
        return (
            self.env[VALIDATION]
            .sudo()
            .create({"company_id": self.company.id, "date": self.today})
        )

    @staticmethod
    def band_rates(figure):
        """``{band: lapse rate}`` of the band rows of ``figure`` that give
        one."""
        return {row.band: row.rate for row in figure.band_ids if row.has_rate}

    @staticmethod
    def shares(figure, column="suggested"):
        """``{signal: share}`` of the weight rows of ``figure``: the
        ``current`` or the ``suggested`` ones."""
        return {row.signal: row[column] for row in figure.weight_ids}

    def lines(self, run, account=None):
        domain = [("run_id", "=", run.id)]
        if account:
            domain.append(("partner_id", "=", account.id))
        return self.env[LINE].sudo().search(domain, order="as_of")


class TestValidationFigures(ValidationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        reps = {"rita": cls.salesman, "sam": cls.other_rep}
        # Rita's accounts are foundries, scored with their own scorecard.
        cls.scorecard, foundries = cls.industry_scorecard(
            "Foundries", satisfaction=10, sla=10, visits=10, recency=70
        )
        cls.accounts = []
        for index, (band, score, lapsed, rep) in enumerate(BOOK):
            make = cls.lost_buyer if lapsed else cls.steady_buyer
            industry = foundries.id if rep == "rita" else False
            account = make(f"Book account {index}", reps[rep], industry_id=industry)
            for day in cls.dates:
                cls.snapshot(account, day, band, score)
            cls.accounts.append(account)
        cls.book_run = (
            cls.env[VALIDATION]
            .sudo()
            .create({"company_id": cls.company.id, "date": cls.today})
        )
        cls.book_run._run([a.id for a in cls.accounts], cls.now, batch_size=4)

    def figure(self, kind, **domain):
        return self.env[FIGURE].search(
            [("run_id", "=", self.book_run.id), ("kind", "=", kind)]
            + [(name, "=", value) for name, value in domain.items()]
        )

    def test_run_is_done_with_every_point(self):
        self.assertEqual(self.book_run.state, "done")
        self.assertTrue(self.book_run.is_latest)
        self.assertEqual(self.book_run.date_count, 24)
        self.assertEqual(self.book_run.accounts_done, 10)
        self.assertEqual(self.book_run.accounts_skipped, 0)
        self.assertEqual(self.book_run.line_count, 240)
        self.assertEqual(len(self.lines(self.book_run)), 240)
        self.assertEqual(set(self.lines(self.book_run).mapped("source")), {"snapshot"})

    def test_lapses_follow_the_orders(self):
        for account, (_band, _score, lapsed, _rep) in zip(self.accounts, BOOK):
            self.assertEqual(
                set(self.lines(self.book_run, account).mapped("lapsed")),
                {lapsed},
                account.name,
            )

    def test_band_rates_lift_and_auc(self):
        company = self.figure("company")
        self.assertEqual(len(company), 1)
        # Ten accounts, 24 points each.
        self.assertEqual((company.account_count, company.accounts), (10, 240))
        self.assertEqual(company.lapsed * 10, company.accounts * 5)
        self.assertEqual(
            company.band_ids.mapped("band"), ["healthy", "watch", "at_risk", "critical"]
        )
        self.assertEqual(company.band_ids.mapped("accounts"), [96, 48, 48, 48])
        self.assertEqual(company.band_ids.mapped("lapsed"), [24, 24, 24, 48])
        rates = self.band_rates(company)
        self.assertEqual(
            rates, {"healthy": 0.25, "watch": 0.5, "at_risk": 0.5, "critical": 1.0}
        )
        # The columns of the figures' list follow the rows.
        for band, rate in rates.items():
            self.assertAlmostEqual(company[f"rate_{band}"], rate)
        self.assertEqual(company.rated_bands, "healthy watch at_risk critical")
        self.assertFalse(company.weight_ids)  # weights are a scorecard's
        self.assertTrue(company.has_lift)
        self.assertAlmostEqual(company.lift, 4.0)
        # 21 of the 25 (lapsed, not lapsed) pairs of accounts rank right.
        self.assertTrue(company.has_auc)
        self.assertAlmostEqual(company.auc, 0.84)

    def test_deciles(self):
        deciles = self.figure("company").decile_ids.sorted("decile")
        self.assertEqual(deciles.mapped("decile"), list(range(1, 11)))
        # Each decile holds one account's 24 points, lowest scores first.
        self.assertEqual(
            deciles.mapped("rate"), [1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0]
        )
        self.assertTrue(all(deciles.mapped("has_rate")))

    def test_scorecard_and_salespeople(self):
        default = self.figure("scorecard", scorecard_id=False)
        self.assertEqual(len(default), 1)
        self.assertEqual(default.name, "Company default")
        # Sam's six accounts: 6 of the 8 (lapsed, not lapsed) pairs rank right.
        self.assertAlmostEqual(default.auc, 0.75)
        self.assertEqual(
            self.lines(self.book_run).filtered("scorecard_id").partner_id.user_id,
            self.salesman,
        )
        foundries = self.figure("scorecard", scorecard_id=self.scorecard.id)
        self.assertEqual(foundries.name, "Foundries")
        self.assertAlmostEqual(self.band_rates(foundries)["healthy"], 0.25)
        self.assertAlmostEqual(foundries.auc, 1.0)
        self.assertEqual(
            foundries.weight_ids.mapped("signal"),
            ["satisfaction", "sla", "visits", "recency"],
        )
        self.assertAlmostEqual(self.shares(foundries, "current")["recency"], 0.7)
        self.assertAlmostEqual(
            self.shares(default, "current")["satisfaction"],
            self.company.health_weight_satisfaction
            / sum(
                self.company[f"health_weight_{name}"]
                for name in ("satisfaction", "sla", "visits", "recency")
            ),
        )
        self.assertEqual((default.account_count, default.accounts), (6, 144))
        self.assertEqual(foundries.account_count, 4)
        rita = self.figure("salesperson", user_id=self.salesman.id)
        self.assertEqual((rita.account_count, rita.accounts), (4, 96))
        self.assertEqual(self.band_rates(rita), {"healthy": 0.25})
        self.assertFalse(rita.has_lift)  # no critical account of hers
        self.assertFalse(rita.weight_ids)
        sam = self.figure("salesperson", user_id=self.other_rep.id)
        self.assertAlmostEqual(self.band_rates(sam)["critical"], 1.0)

    def test_no_figure_under_the_minimum(self):
        self.company.health_validation_min_accounts = 1000
        run = self.new_run()
        run._run([a.id for a in self.accounts], self.now)
        company = run.figure_ids.filtered(lambda f: f.kind == "company")
        self.assertEqual(run.min_accounts, 1000)
        self.assertEqual(company.accounts, self.figure("company").accounts)
        self.assertFalse(company.has_lift)
        self.assertFalse(company.has_auc)
        self.assertFalse(any(company.decile_ids.mapped("has_rate")))
        # The bands' points are counted, their rates not given.
        self.assertEqual(company.band_ids.mapped("accounts"), [96, 48, 48, 48])
        self.assertFalse(self.band_rates(company))
        self.assertFalse(company.rated_bands)
        self.assertFalse(self.book_run.is_latest)
        self.assertTrue(run.is_latest)
        # The points of the earlier run are gone, its figures stay.
        self.assertFalse(self.lines(self.book_run))
        self.assertTrue(self.figure("company"))
        self.assertEqual(len(self.lines(run)), 240)

    def test_minimum_is_positive(self):
        with self.assertRefused("at least one"):
            self.company.health_validation_min_accounts = 0

    # -- access ----------------------------------------------------------------
    def test_salesman_reads_own_points_and_figure(self):
        Line = self.env[LINE].with_user(self.salesman)
        points = Line.search([("run_id", "=", self.book_run.id)])
        self.assertEqual(len(points), 4 * 24)
        self.assertEqual(set(points.mapped("user_id")), {self.salesman})
        figures = self.env[FIGURE].with_user(self.salesman).search([])
        self.assertEqual(figures.mapped("kind"), ["salesperson"])
        self.assertEqual(figures.user_id, self.salesman)
        figures.read(["name", "rate_healthy", "run_date", "min_accounts"])
        self.assertEqual(len(figures.decile_ids), 10)
        # The band rows of his figure, no other figure's; no weight rows.
        bands = self.env[BAND].with_user(self.salesman).search([])
        self.assertEqual(bands.figure_id, figures)
        self.assertEqual(len(bands), 4)
        bands.read(["band", "accounts", "lapsed", "rate", "has_rate"])
        self.assertFalse(self.env[WEIGHT].with_user(self.salesman).search([]))
        company = self.figure("company")
        for rows in (company.band_ids, self.figure("scorecard").weight_ids):
            self.assertTrue(rows)
            with self.assertRaises(AccessError):
                rows.with_user(self.salesman).read(["figure_id"])
        # The screens as the web client opens them.
        for model in (FIGURE, LINE, DECILE, BAND, WEIGHT):
            views = (
                self.env[model]
                .with_user(self.salesman)
                .get_views([(False, "list"), (False, "form"), (False, "search")])
            )
            for view in views["views"].values():
                self.assertTrue(view["arch"])
        form = self.env[FIGURE].with_user(self.salesman).get_views([(False, "form")])
        names = [
            name for name in form["models"][FIGURE]["fields"] if name in figures._fields
        ]
        figures.web_read(
            {name: {} for name in names if figures._fields[name].type != "one2many"}
            | {
                "band_ids": {"fields": {"band": {}, "rate": {}, "has_rate": {}}},
                "weight_ids": {"fields": {"signal": {}, "suggested": {}}},
            }
        )
        action = figures.action_open_deciles()
        self.assertEqual(action["domain"], [("figure_id", "=", figures.id)])
        self.assertEqual(
            len(self.env[DECILE].with_user(self.salesman).search(action["domain"])), 10
        )
        with self.assertRaises(AccessError):
            company.with_user(self.salesman).read(["auc"])
        with self.assertRaises(AccessError):
            self.book_run.with_user(self.salesman).read(["state"])
        with self.assertRaises(AccessError):
            self.env[VALIDATION].with_user(self.salesman).search([])
        with self.assertRaises(AccessError):
            self.lines(self.book_run)[0].with_user(self.salesman).write(
                {"lapsed": True}
            )
        with self.assertRaises(UserError):
            self.env[VALIDATION].with_user(self.salesman).action_run_validation()

    def test_manager_reads_everything(self):
        self.assertEqual(
            len(
                self.env[LINE]
                .with_user(self.manager)
                .search([("run_id", "=", self.book_run.id)])
            ),
            240,
        )
        self.assertEqual(
            len(
                self.env[FIGURE]
                .with_user(self.manager)
                .search([("run_id", "=", self.book_run.id)])
            ),
            5,
        )
        # Every figure's band rows, the scorecards' weight rows.
        domain = [("figure_id.run_id", "=", self.book_run.id)]
        self.assertEqual(
            self.env[BAND].with_user(self.manager).search_count(domain), 5 * 4
        )
        self.assertEqual(
            self.env[WEIGHT].with_user(self.manager).search_count(domain), 2 * 4
        )
        self.env[BAND].with_user(self.manager).get_views(
            [(False, "pivot"), (False, "list"), (False, "search")]
        )
        # The pivot: the rate per figure and band.
        groups = (
            self.env[BAND]
            .with_user(self.manager)
            .read_group(
                domain + [("has_rate", "=", True), ("figure_id.kind", "=", "company")],
                ["rate:avg"],
                ["figure_id", "band"],
                lazy=False,
            )
        )
        self.assertEqual(
            {group["band"]: group["rate"] for group in groups},
            self.band_rates(self.figure("company")),
        )
        self.book_run.with_user(self.manager).read(["state", "progress"])
        self.env[VALIDATION].with_user(self.manager).get_views(
            [(False, "list"), (False, "form")]
        )
        self.book_run.with_user(self.manager).web_read(
            {"name": {}, "figure_ids": {"fields": {"name": {}, "auc": {}}}}
        )
        with self.assertRaises(AccessError):
            self.book_run.with_user(self.manager).write({"state": "failed"})
        with self.assertRaises(AccessError):
            self.figure("company").with_user(self.manager).unlink()

    def test_rows_of_another_company(self):
        other = self.env["res.company"].create({"name": "Other Foundry"})
        manager = self.make_user(
            "rh_val_other_manager",
            "Olga Other",
            SALES_MANAGER,
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        for model in (FIGURE, DECILE, BAND, WEIGHT):
            self.assertFalse(self.env[model].with_user(manager).search([]), model)
        with self.assertRaises(AccessError):
            self.figure("company").band_ids.with_user(manager).read(["rate"])

    def test_no_access_without_sales(self):
        portal = new_test_user(
            self.env, login="rh_val_portal", groups="base.group_portal"
        )
        employee = new_test_user(
            self.env, login="rh_val_employee", groups="base.group_user"
        )
        for user in (portal, employee):
            for model in (VALIDATION, LINE, FIGURE, DECILE, BAND, WEIGHT):
                with self.assertRaises(AccessError, msg=f"{user.login} {model}"):
                    self.env[model].with_user(user).search([])

    def test_run_button_triggers_the_job(self):
        cron = self.env.ref(
            "relationship_health.ir_cron_relationship_health_validation"
        )
        Trigger = self.env["ir.cron.trigger"].sudo()
        before = Trigger.search_count([("cron_id", "=", cron.id)])
        self.env[VALIDATION].with_user(self.manager).action_run_validation()
        queued = self.env[VALIDATION].sudo().search([("state", "=", "queued")])
        self.assertEqual(len(queued), 1)
        self.assertFalse(self.lines(queued))  # nothing ran in the request
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), before + 1)
        # Clicking again queues no second run.
        self.env[VALIDATION].with_user(self.manager).action_run_validation()
        self.assertEqual(
            self.env[VALIDATION].sudo().search_count([("state", "=", "queued")]), 1
        )


class TestBacktest(ValidationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Three orders long before the first date: the recency then is nil.
        cls.account = cls.lost_buyer("Backtest account", cls.salesman)
        cls.watched = cls.steady_buyer("Steady account", cls.salesman)

    def scores(self, run, account):
        return {line.as_of: line.score for line in self.lines(run, account)}

    def test_a_later_order_does_not_leak_into_a_past_score(self):
        before = self.new_run()
        before._run([self.account.id], self.now)
        self.assertEqual(set(self.lines(before).mapped("source")), {"backtest"})
        old = self.scores(before, self.account)
        # An order ten days after the first date.
        buyer = self.account.child_ids[:1]
        self.order(buyer, self.first_day - 10, price=100.0)
        after = self.new_run()
        after._run([self.account.id], self.now)
        new = self.scores(after, self.account)
        first, second = self.dates[0], self.dates[1]
        # The first date was scored before the order: the same score.
        self.assertEqual(new[first], old[first])
        # The order counts from the next date on (else this test could not
        # tell a leak from an order the backtest never reads).
        self.assertNotEqual(new[second], old[second])

    def test_snapshots_preferred_where_they_exist(self):
        day = self.dates[5]
        self.snapshot(self.watched, day, "critical", 12.5)
        # A snapshot of another day is not the score of the date.
        self.snapshot(self.watched, self.dates[6] - timedelta(days=1), "critical", 13.5)
        run = self.new_run()
        run._run([self.watched.id], self.now)
        lines = self.lines(run)
        self.assertEqual(len(lines), 24)
        snapped = lines.filtered(lambda line: line.source == "snapshot")
        self.assertEqual(snapped.as_of, day)
        self.assertEqual((snapped.score, snapped.band), (12.5, "critical"))
        self.assertNotEqual(
            lines.filtered(lambda line: line.as_of == self.dates[6]).score, 13.5
        )

    def test_rerun_resumes_without_duplicates(self):
        run = self.new_run()
        real = type(run)._validate_batch
        calls = []

        def crash_on_second(self, *args):
            calls.append(args[0])
            if len(calls) == 2:
                raise psycopg2.OperationalError("connection lost")
            return real(self, *args)

        ids = [self.account.id, self.watched.id]
        # Not assertRaises: it would roll back what the first batch did.
        with patch.object(type(run), "_validate_batch", crash_on_second):
            try:
                run._run(ids, self.now, batch_size=1)
            except psycopg2.OperationalError:
                pass
            else:
                self.fail("the lost connection must stop the run")
        self.assertEqual(run.state, "running")
        self.assertEqual(len(self.lines(run)), 24)
        # The next call of the job resumes the running run.
        with patch.object(type(self.engine), "_account_ids", lambda self_, **kw: ids):
            self.env[VALIDATION]._cron_run_validation(now=self.now, batch_size=1)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.accounts_done, 2)
        self.assertEqual(len(self.lines(run)), 48)
        self.assertEqual(
            len(set(self.lines(run).mapped(lambda l: (l.partner_id, l.as_of)))), 48
        )

    def test_a_bad_account_is_skipped(self):
        run = self.new_run()
        real = type(run)._validate_batch

        def fail_on_account(self, account_ids, *args):
            if self_account in account_ids and len(account_ids) == 1:
                raise ValueError("bad data")
            if self_account in account_ids:
                raise ValueError("bad batch")
            return real(self, account_ids, *args)

        self_account = self.account.id
        with patch.object(type(run), "_validate_batch", fail_on_account):
            run._run([self.account.id, self.watched.id], self.now)
        self.assertEqual(run.state, "done")
        self.assertEqual((run.accounts_done, run.accounts_skipped), (1, 1))
        self.assertEqual(self.lines(run).partner_id, self.watched)
