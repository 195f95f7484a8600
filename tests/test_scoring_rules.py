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

    def test_recency_zero_at(self):
        accounts = pd.DataFrame(index=pd.Index([1], name="partner_id"))
        # Interval 90 days (default); last order 180 days ago: x = 2.
        orders = pd.DataFrame({"partner_id": [1], "order_date": [pd.Timestamp("2025-09-03")]})
        default = recency_component(accounts, orders, TODAY)
        self.assertEqual(default.loc[1, "recency"], 50.0)
        wider = recency_component(accounts, orders, TODAY,
                                  replace(ScoringConfig(), recency_zero_at=5.0))
        self.assertEqual(wider.loc[1, "recency"], 75.0)

    def test_visits_zero_at(self):
        accounts = pd.DataFrame({"visit_interval_days": [30]},
                                index=pd.Index([1], name="partner_id"))
        # Last visit 45 days ago with a 30-day cadence: x = 1.5.
        visits = pd.DataFrame({"partner_id": [1], "visit_date": [pd.Timestamp("2026-01-16")]})
        default = visits_component(accounts, visits, TODAY)
        self.assertEqual(default.loc[1, "visits"], 50.0)
        wider = visits_component(accounts, visits, TODAY,
                                 replace(ScoringConfig(), visits_zero_at=3.0))
        self.assertEqual(wider.loc[1, "visits"], 75.0)

    def test_ramp_end_must_be_above_one(self):
        for name in ("recency_zero_at", "visits_zero_at"):
            with self.assertRaises(ScoringConfigError) as caught:
                replace(ScoringConfig(), **{name: 1.0}).validate()
            self.assertEqual((caught.exception.kind, caught.exception.setting), ("ramp", name))
        self.assertTrue(math.isclose(ScoringConfig().validate().recency_zero_at, 3.0))
