"""Suggested weights applied from the score validation, and undone.

A small book of one scorecard whose lapses follow the purchase recency of
its accounts and not their satisfaction: the regression suggests weighing
recency, a sales manager applies the suggestion to the scorecard in one
click (written in its chatter, its accounts marked for the refresh) and
undoes it; the company's own settings take an administrator; nobody else
applies anything.
"""

import hashlib
from unittest.mock import patch

from odoo.addons.relationship_health.scoring.validation import (
    auc,
    suggested_weights,
    weighted_scores,
)
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from health_common import SALES_MANAGER
from test_score_validation import FIGURE, VALIDATION, ValidationCase

#: (recency, satisfaction, lapsed) of each account of the scorecard, the
#: same at every date: lapses follow recency (one exception each way), and
#: the more satisfied lapse rather more.
BOOK = (
    (100.0, 40.0, False),
    (95.0, 45.0, False),
    (90.0, 50.0, False),
    (30.0, 40.0, False),
    (10.0, 60.0, True),
    (20.0, 55.0, True),
    (5.0, 50.0, True),
    (90.0, 60.0, True),
)
SIGNALS = ("satisfaction", "sla", "visits", "recency")


class WeightsBookCase(ValidationCase):
    """The book, validated: one run whose Key Industry scorecard figure
    suggests weighing recency alone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.scorecard, key = cls.industry_scorecard(
            "Key Industry", satisfaction=50, sla=0, visits=0, recency=50
        )
        # The same book twice: in the scorecard, and on the company's settings.
        cls.accounts = []
        for index, (recency, satisfaction, lapsed) in enumerate(BOOK + BOOK):
            make = cls.lost_buyer if lapsed else cls.steady_buyer
            industry = key.id if index < len(BOOK) else False
            account = make(f"Key account {index}", cls.salesman, industry_id=industry)
            score = (recency + satisfaction) / 2
            for day in cls.dates:
                cls.env.cr.execute(
                    SQL(
                        """
                        INSERT INTO relationship_health_snapshot
                               (partner_id, snapshot_date, company_id, user_id, score,
                                band, satisfaction, recency)
                        VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                        """,
                        account.id,
                        day,
                        cls.company.id,
                        cls.salesman.id,
                        score,
                        "healthy" if score >= 70 else "watch",
                        satisfaction,
                        recency,
                    )
                )
            cls.accounts.append(account)
        cls.weights_run = (
            cls.env[VALIDATION]
            .sudo()
            .create({"company_id": cls.company.id, "date": cls.today})
        )
        cls.weights_run._run([a.id for a in cls.accounts], cls.now)


class TestSuggestedWeights(WeightsBookCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.make_user(
            "rh_settings_admin", "Ada Admin", f"{SALES_MANAGER},base.group_system"
        )

    def figure(self, user, scorecard):
        return (
            self.env[FIGURE]
            .with_user(user)
            .search(
                [
                    ("run_id", "=", self.weights_run.id),
                    ("kind", "=", "scorecard"),
                    ("scorecard_id", "=", scorecard.id),
                ]
            )
        )

    def weights(self, record):
        return {name: record[f"health_weight_{name}"] for name in SIGNALS}

    def pending_ids(self):
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT account_id FROM relationship_health_pending"))
        return {row[0] for row in self.env.cr.fetchall()}

    def test_the_suggestion_weighs_recency(self):
        figure = self.figure(self.manager, self.scorecard)
        self.assertTrue(figure.has_suggested)
        suggested = self.shares(figure)
        self.assertEqual(suggested["recency"], 1.0)
        self.assertEqual(suggested["satisfaction"], 0.0)
        # Of the 16 (lapsed, not lapsed) pairs, the current 50/50 weights
        # rank 10.5 right and recency alone 14.5.
        self.assertAlmostEqual(figure.auc_current, 0.656, places=3)
        self.assertAlmostEqual(figure.auc_suggested, 0.906, places=3)
        self.assertTrue(figure.can_apply)

    def test_a_manager_applies_then_undoes(self):
        figure = self.figure(self.manager, self.scorecard)
        before = self.weights(self.scorecard)
        self.env["relationship.health.pending"].sudo().search([]).unlink()
        figure.action_apply_suggested_weights()
        applied = {
            name: round(100 * share, 1) for name, share in self.shares(figure).items()
        }
        self.assertEqual(self.weights(self.scorecard), applied)
        self.assertNotEqual(applied, before)
        message = self.scorecard.message_ids[0]
        self.assertIn("Weights suggested by the score validation", message.body)
        self.assertIn("AUC", message.body)
        self.assertEqual(message.author_id, self.manager.partner_id)
        # The scorecard's accounts are scored with them at the next refresh.
        in_scorecard = {a.id for a in self.accounts[: len(BOOK)]}
        self.assertLessEqual(in_scorecard, self.pending_ids())
        self.assertTrue(figure.applied_at)
        self.assertEqual(figure.applied_uid, self.manager)
        # Applied once: the button gives way to Undo.
        with self.assertRaises(UserError):
            figure.action_apply_suggested_weights()

        figure.action_undo_suggested_weights()
        self.assertEqual(self.weights(self.scorecard), before)
        self.assertIn("undone", self.scorecard.message_ids[0].body)
        self.assertFalse(figure.applied_at)
        with self.assertRaises(UserError):
            figure.action_undo_suggested_weights()

    def test_no_undo_over_a_change_by_hand(self):
        figure = self.figure(self.manager, self.scorecard)
        figure.action_apply_suggested_weights()
        self.scorecard.with_user(self.manager).health_weight_sla = 12.0
        with self.assertRaises(UserError):
            figure.action_undo_suggested_weights()
        self.assertEqual(self.scorecard.health_weight_sla, 12.0)

    def test_an_older_run_applies_nothing(self):
        figure = self.figure(self.manager, self.scorecard)
        self.weights_run.is_latest = False
        figure.invalidate_recordset()
        self.assertFalse(figure.can_apply)
        with self.assertRaises(UserError):
            figure.action_apply_suggested_weights()

    def test_the_company_settings_take_an_administrator(self):
        Scorecard = self.env["relationship.health.scorecard"]
        default = self.figure(self.manager, Scorecard)
        self.assertTrue(default.has_suggested)
        self.assertFalse(default.can_apply)
        with self.assertRaises(AccessError):
            default.action_apply_suggested_weights()

        default = self.figure(self.admin, Scorecard)
        self.assertTrue(default.can_apply)
        before = self.weights(self.company)
        default.action_apply_suggested_weights()
        self.assertEqual(
            self.weights(self.company),
            {
                name: round(100 * share, 1)
                for name, share in self.shares(default).items()
            },
        )
        # The company has no chatter: the run's tells.
        self.assertIn(
            "Weights suggested by the score validation",
            self.weights_run.message_ids[0].body,
        )
        default.action_undo_suggested_weights()
        self.assertEqual(self.weights(self.company), before)

    def test_only_managers_apply(self):
        # A salesperson reads no scorecard figure at all, and cannot apply
        # from their own salesperson figure.
        self.assertFalse(self.figure(self.salesman, self.scorecard))
        figure = self.figure(self.manager, self.scorecard)
        with self.assertRaises(AccessError):
            figure.with_user(self.salesman).action_apply_suggested_weights()
        own = (
            self.env[FIGURE]
            .with_user(self.salesman)
            .search(
                [("run_id", "=", self.weights_run.id), ("kind", "=", "salesperson")]
            )
        )
        self.assertEqual(own.user_id, self.salesman)
        self.assertFalse(own.can_apply)
        with self.assertRaises(AccessError):
            own.action_apply_suggested_weights()
        with self.assertRaises(AccessError):
            own.applied_at  # noqa: B018 - a manager's field
        self.assertEqual(self.scorecard.health_weight_recency, 50)


class TestRegressionSample(WeightsBookCase):
    """A scorecard with more points than the regression takes: its figures
    count every point, its suggested weights rest on a sample."""

    MODULE = (
        "odoo.addons.relationship_health.models.relationship_health_validation_figure"
    )

    WEIGHTS = {"satisfaction": 50, "sla": 0, "visits": 0, "recency": 50}

    def build(self):
        figures = (
            self.env[FIGURE]
            .sudo()
            ._build(self.weights_run, {self.scorecard.id: self.WEIGHTS})
        )
        return figures.filtered(lambda f: f.scorecard_id == self.scorecard)

    def test_the_suggestion_rests_on_a_sample_the_figures_on_every_point(self):
        whole = self.build()
        with patch(f"{self.MODULE}.REGRESSION_POINTS", 100):
            sampled, again = self.build(), self.build()
        # 8 accounts at 24 dates: 192 points, of which 100 in the sample.
        self.assertEqual(whole.accounts, 192)
        for name in ("accounts", "lapsed", "auc"):
            self.assertEqual(sampled[name], whole[name], name)
        self.assertEqual(self.band_rates(sampled), self.band_rates(whole))
        self.assertEqual(
            sampled.decile_ids.mapped("rate"), whole.decile_ids.mapped("rate")
        )
        # The sample: the first 100 by md5 of account and date, each run alike.
        lines = self.env["relationship.health.validation.line"].search(
            [
                ("run_id", "=", self.weights_run.id),
                ("scorecard_id", "=", self.scorecard.id),
            ]
        )
        sample = sorted(
            lines,
            key=lambda line: (
                hashlib.md5(f"{line.partner_id.id}/{line.as_of}".encode()).hexdigest(),
                line.id,
            ),
        )[:100]
        expected = suggested_weights(
            [[line[name] for name in SIGNALS] for line in sample],
            [line.lapsed for line in sample],
        )
        self.assertTrue(sampled.has_suggested)
        suggested = self.shares(sampled)
        self.assertEqual(self.shares(again), suggested)
        for name in SIGNALS:
            self.assertAlmostEqual(suggested[name], expected[name], 3)
        self.assertEqual(again.auc_suggested, sampled.auc_suggested)
        # The AUC of the current weights beside them: on the sample too.
        current = auc(
            weighted_scores(
                [[line[name] for name in SIGNALS] for line in sample], self.WEIGHTS
            ),
            [line.lapsed for line in sample],
        )
        self.assertAlmostEqual(sampled.auc_current, current, 3)
        self.assertNotAlmostEqual(sampled.auc_current, whole.auc_current, 3)
