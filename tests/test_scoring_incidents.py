"""The rules of service incidents in the scoring core.

No database: run with ``python3 -m pytest tests/test_scoring_incidents.py -p no:odoo``.
"""

import os
import sys
from datetime import date, datetime

import pandas as pd
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "relationship_health"))

from scoring import sla_component  # noqa: E402
from scoring.incidents import (  # noqa: E402
    incident_calls,
    notice_recipients,
    restoration_facts,
)


def test_flagged_contacts_else_main_contact_else_unreached():
    contacts = [
        # account 1: two flagged contacts (one without email), the account's own email
        (1, 1, False, "info@one.example"),
        (1, 11, True, "ops@one.example"),
        (1, 12, True, None),
        (1, 13, False, "buyer@one.example"),
        # account 2: nobody flagged: the account itself has an email
        (2, 2, False, "info@two.example"),
        (2, 21, False, "buyer@two.example"),
        # account 3: nobody flagged, no email of its own: its first contact with one
        (3, 3, False, ""),
        (3, 32, False, "b@three.example"),
        (3, 31, False, "a@three.example"),
        # account 4: flagged contact without email and nothing else: not reached
        (4, 4, False, None),
        (4, 41, True, "  "),
    ]
    recipients, unreached = notice_recipients(contacts)
    assert recipients.values.tolist() == [[1, 11], [2, 2], [3, 31]]
    assert unreached == [4]


def test_no_contact_at_all():
    recipients, unreached = notice_recipients([])
    assert recipients.empty and unreached == []


def test_missing_columns_are_refused():
    with pytest.raises(ValueError, match="email"):
        notice_recipients(pd.DataFrame({"account_id": [1], "partner_id": [1]}))


def test_calls_go_to_key_accounts_by_revenue_within_each_limit():
    accounts = [
        (10, 7, True, 500.0),
        (11, 7, True, 900.0),
        (12, 7, True, 900.0),  # tie with 11: the lowest id first
        (13, 7, False, 5000.0),  # not a key account
        (14, None, True, 9999.0),  # nobody to call
        (15, 8, True, 1.0),
        (16, 9, True, 1.0),  # owner without any room left
    ]
    assert incident_calls(accounts, {7: 2, 8: 5}) == [11, 12, 15]
    assert incident_calls(accounts, {7: 0, 8: 0}) == []


def test_restoration_facts():
    start = datetime(2026, 3, 1, 8, 0)
    assert restoration_facts(start, datetime(2026, 3, 1, 17, 0), 4, None) == {
        "hours": 9.0,
        "promised": 4.0,
        "late": True,
        "restored": True,
    }
    open_facts = restoration_facts(start, None, 24, datetime(2026, 3, 1, 10, 30))
    assert open_facts == {
        "hours": 2.5,
        "promised": 24.0,
        "late": False,
        "restored": False,
    }


def test_worst_incident_is_the_most_late_incident_breach():
    events = pd.DataFrame(
        {
            "partner_id": [1, 1, 1, 2, 3],
            "deadline": [
                datetime(2026, 11, 1, 10),
                datetime(2026, 11, 2, 10),
                datetime(2026, 11, 3, 10),
                datetime(2026, 11, 3, 10),
                datetime(2026, 11, 3, 10),
            ],
            "done": [
                datetime(2026, 11, 1, 12),  # 2 h late, incident 7
                datetime(2026, 11, 2, 20),  # 10 h late, incident 8
                datetime(2026, 11, 5, 10),  # 48 h late, not an incident
                datetime(2026, 11, 3, 9),  # met, incident 9
                pd.NaT,  # still open, incident 5
            ],
            "incident_id": [7, 8, None, 9, 5],
        }
    )
    result = sla_component([1, 2, 3], events, date(2026, 12, 1))
    worst = result["sla_worst_incident_id"]
    assert worst[1] == 8
    assert pd.isna(worst[2])  # met: no breach to explain
    assert worst[3] == 5
