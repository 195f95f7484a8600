"""The pure rules of the scoring core that the Odoo shell applies: settings
defaults, ramp ends, override precedence, visit dates, revenue at risk.

No database: run with ``python3 -m pytest tests/test_scoring_rules.py -p no:odoo``.
"""

import math
import os
import sys
import unittest
from dataclasses import replace
from datetime import date

import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "relationship_health"))

from scoring import ScoringConfig, ScoringConfigError  # noqa: E402
from scoring.components import recency_component, visits_component  # noqa: E402

TODAY = date(2026, 3, 2)


class TestRampEnds(unittest.TestCase):
    """The recency and visits ramps end where the config says."""

    def test_defaults(self):
        config = ScoringConfig()
        self.assertEqual(config.recency_zero_at, 3.0)
        self.assertEqual(config.visits_zero_at, 2.0)

    def assertRampEnd(self, component, accounts, events, **wider):
        """Account 1 scores 50 on the component's default ramp and 75 on the
        ramp ending where ``wider`` (one setting) says."""
        column = component.__name__.removesuffix("_component")
        default = component(accounts, events, TODAY)
        self.assertEqual(default.loc[1, column], 50.0)
        config = replace(ScoringConfig(), **wider)
        self.assertEqual(
            component(accounts, events, TODAY, config).loc[1, column], 75.0
        )

    def test_recency_zero_at(self):
        # Interval 90 days (default); last order 180 days ago: x = 2.
        orders = {"partner_id": [1], "order_date": [pd.Timestamp("2025-09-03")]}
        self.assertRampEnd(
            recency_component,
            pd.DataFrame(index=pd.Index([1], name="partner_id")),
            pd.DataFrame(orders),
            recency_zero_at=5.0,
        )

    def test_visits_zero_at(self):
        # Last visit 45 days ago with a 30-day cadence: x = 1.5.
        accounts = {"visit_interval_days": [30]}
        visits = {"partner_id": [1], "visit_date": [pd.Timestamp("2026-01-16")]}
        self.assertRampEnd(
            visits_component,
            pd.DataFrame(accounts, index=pd.Index([1], name="partner_id")),
            pd.DataFrame(visits),
            visits_zero_at=3.0,
        )

    def test_ramp_end_must_be_above_one(self):
        for name in ("recency_zero_at", "visits_zero_at"):
            with self.assertRaises(ScoringConfigError) as caught:
                replace(ScoringConfig(), **{name: 1.0}).validate()
            self.assertEqual(
                (caught.exception.kind, caught.exception.setting), ("ramp", name)
            )
        self.assertTrue(math.isclose(ScoringConfig().validate().recency_zero_at, 3.0))


# -- rules the shell applies to the results (scoring/rules.py) ---------------
from scoring.rules import (  # noqa: E402
    commitment_state,
    next_visit_dates,
    revenue_at_risk,
    running_overrides,
    shown_bands,
    visits_overdue,
)

INDEX = pd.Index([1, 2, 3, 4], name="partner_id")


class TestOverride(unittest.TestCase):
    def test_override_runs_up_to_its_last_day(self):
        overrides = pd.Series(["healthy", "critical", None, "watch"], index=INDEX)
        until = pd.Series([date(2026, 3, 2), date(2026, 3, 1), None, None], index=INDEX)
        running = running_overrides(overrides, until, TODAY)
        # Last day today: runs; ended yesterday: does not; no end day: does not.
        self.assertEqual(running.tolist(), ["healthy", None, None, None])
        self.assertEqual(running.index.tolist(), [1, 2, 3, 4])

    def test_band_shown_is_the_override_the_computed_band_is_kept(self):
        computed = pd.Series(["critical", "at_risk", "unknown", "watch"], index=INDEX)
        running = pd.Series(["healthy", None, "watch", None], index=INDEX)
        shown = shown_bands(computed, running)
        self.assertEqual(shown.tolist(), ["healthy", "at_risk", "watch", "watch"])
        self.assertEqual(computed.tolist(), ["critical", "at_risk", "unknown", "watch"])

    def test_no_override_at_all(self):
        computed = pd.Series(["critical", "healthy"], index=INDEX[:2])
        running = running_overrides(
            pd.Series([None, None], index=INDEX[:2]),
            pd.Series([None, None], index=INDEX[:2]),
            TODAY,
        )
        self.assertEqual(
            shown_bands(computed, running).tolist(), ["critical", "healthy"]
        )


class TestVisitDates(unittest.TestCase):
    NOW = pd.Timestamp("2026-03-02 10:00")

    def test_next_visit_is_the_first_after_now(self):
        visits = pd.DataFrame(
            {
                "partner_id": [1, 1, 1, 2, 3],
                "visit_date": pd.to_datetime(
                    [
                        "2026-02-01 09:00",
                        "2026-03-20 09:00",
                        "2026-03-05 14:00",
                        "2026-03-02 10:00",  # at now exactly: held, not next
                        "2026-04-01 08:00",
                    ]
                ),
            }
        )
        next_dates = next_visit_dates(visits, INDEX, self.NOW)
        self.assertEqual(next_dates.index.tolist(), [1, 2, 3, 4])
        self.assertEqual(next_dates[1], pd.Timestamp("2026-03-05 14:00"))
        self.assertTrue(pd.isna(next_dates[2]))
        self.assertEqual(next_dates[3], pd.Timestamp("2026-04-01 08:00"))
        self.assertTrue(pd.isna(next_dates[4]))

    def test_no_visit_at_all(self):
        visits = pd.DataFrame(columns=["partner_id", "visit_date"])
        next_dates = next_visit_dates(visits, INDEX, self.NOW)
        self.assertEqual(next_dates.isna().tolist(), [True] * 4)

    def test_overdue_only_before_the_day_scored(self):
        due = pd.Series(
            pd.to_datetime(["2026-03-01", "2026-03-02", "2026-03-03", None]),
            index=INDEX,
        )
        self.assertEqual(
            visits_overdue(due, TODAY).tolist(), [True, False, False, False]
        )


class TestRevenueAtRisk(unittest.TestCase):
    def test_revenue_of_the_risk_bands_only(self):
        amounts = revenue_at_risk(
            [1000.0, 2500.5, 300.0, float("nan"), 50.0, 70.0],
            ["at_risk", "critical", "watch", "critical", "healthy", "unknown"],
        )
        self.assertEqual(amounts.tolist(), [1000.0, 2500.5, 0.0, 0.0, 0.0, 0.0])

    def test_series_and_plain_lists(self):
        bands = pd.Series(["critical", "healthy"], index=INDEX[:2])
        revenue = pd.Series([12.34, 56.78], index=INDEX[:2])
        self.assertEqual(revenue_at_risk(revenue, bands).tolist(), [12.34, 0.0])
        self.assertEqual(revenue_at_risk([], []).tolist(), [])


class TestCommitmentState(unittest.TestCase):
    DEADLINE = pd.Timestamp("2026-03-02 12:00")

    def test_done_by_the_deadline_is_met_after_it_breached(self):
        for done, state in (
            (self.DEADLINE, "met"),
            (self.DEADLINE - pd.Timedelta(hours=1), "met"),
            (self.DEADLINE + pd.Timedelta(minutes=1), "breached"),
        ):
            self.assertEqual(commitment_state(self.DEADLINE, done), state)
            later = self.DEADLINE + pd.Timedelta(days=9)
            self.assertEqual(commitment_state(self.DEADLINE, done, later), state)

    def test_open_is_breached_only_past_the_deadline_at_now(self):
        before, after = (
            self.DEADLINE - pd.Timedelta(hours=1),
            self.DEADLINE + pd.Timedelta(hours=1),
        )
        self.assertEqual(commitment_state(self.DEADLINE, None), "open")
        self.assertEqual(commitment_state(self.DEADLINE, None, before), "open")
        self.assertEqual(commitment_state(self.DEADLINE, None, self.DEADLINE), "open")
        self.assertEqual(commitment_state(self.DEADLINE, None, after), "breached")


class TestFirstFreeSlot(unittest.TestCase):
    def test_first_free_working_hour_in_the_users_zone(self):
        import pytz
        from datetime import datetime, timedelta
        from scoring.rules import first_free_slot

        tz = pytz.timezone("America/Sao_Paulo")  # UTC−3
        friday = date(2026, 3, 6)
        # 9:00 and 10:00 local (12:00, 13:00 UTC) taken, 11:00 free.
        busy = [(datetime(2026, 3, 6, 12, 0), datetime(2026, 3, 6, 14, 0))]
        self.assertEqual(
            first_free_slot(busy, tz, friday, 21), datetime(2026, 3, 6, 14, 0)
        )
        # A full Friday: the next Monday, the weekend is skipped.
        full = [(datetime(2026, 3, 6, 11, 0), datetime(2026, 3, 6, 21, 0))]
        self.assertEqual(
            first_free_slot(full, tz, friday, 21), datetime(2026, 3, 9, 12, 0)
        )
        # Every hour taken: 9:00 of the first day.
        everything = [(datetime(2026, 3, 1), datetime(2026, 3, 1) + timedelta(days=60))]
        self.assertEqual(
            first_free_slot(everything, tz, friday, 21), datetime(2026, 3, 6, 12, 0)
        )
