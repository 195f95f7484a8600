"""The rules of survey campaigns in the scoring core.

No database: run with ``python3 -m pytest tests/test_scoring_campaigns.py -p no:odoo``.
"""

import os
import sys
from datetime import date, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "relationship_health"))

from scoring.campaigns import (  # noqa: E402
    campaign_problem,
    choose_invitees,
    due_accounts,
    next_due_date,
    reminders_due,
    silent_accounts,
)

TODAY = date(2027, 1, 1)  # the first day of a quarter and of a year


def days_ago(days):
    return TODAY - timedelta(days=days)


def test_due_never_asked_or_after_the_cadence_unless_postponed():
    last_sent = {1: days_ago(90), 2: days_ago(89), 4: days_ago(200)}
    postponed = {4: TODAY, 5: days_ago(1)}
    assert due_accounts([1, 2, 3, 4, 5], last_sent, TODAY, 90, postponed) == [1, 3, 5]


def test_next_due_date():
    assert next_due_date(None, 90, TODAY) == TODAY
    assert next_due_date(days_ago(30), 90, TODAY) == TODAY + timedelta(days=60)
    assert next_due_date(days_ago(300), 90, TODAY) == TODAY
    assert next_due_date(
        None, 90, TODAY, TODAY + timedelta(days=9)
    ) == TODAY + timedelta(days=10)


def test_invitees_flagged_at_most_k_within_the_fatigue_guard():
    contacts = [
        # account 1: three flagged contacts, K = 2; one asked 10 days ago by another campaign
        (1, 1, False, "a@one.example", None, False),
        (1, 11, True, "x@one.example", days_ago(10), False),
        (1, 12, True, "y@one.example", None, False),
        (1, 13, True, "z@one.example", None, False),
        # account 2: nobody flagged: the account itself, asked 60 days ago (rested)
        (2, 2, False, "info@two.example", days_ago(60), False),
        # account 3: the flagged contact bounced: the main contact instead
        (3, 3, False, "info@three.example", None, False),
        (3, 31, True, "gone@three.example", None, True),
        # account 4: only an excluded contact: nobody
        (4, 4, False, None, None, False),
        (4, 41, False, "no@four.example", None, True),
    ]
    chosen = choose_invitees(contacts, 2, 60, TODAY)
    # 11 is one of the two (lowest ids) but still tired: 13 is not asked instead.
    assert chosen.values.tolist() == [[1, 12], [2, 2], [3, 3]]


def test_one_reminder_after_r_days():
    invitations = [
        (1, days_ago(7), "sent", None),
        (2, days_ago(6), "sent", None),
        (3, days_ago(30), "sent", days_ago(20)),  # reminded already
        (4, days_ago(30), "answered", None),
        (5, days_ago(30), "bounced", None),
    ]
    assert reminders_due(invitations, 7, TODAY) == [1]
    assert reminders_due(invitations, 0, TODAY) == []


def test_silence_after_two_unanswered_invitation_days():
    invitations = [
        (1, days_ago(200), "answered"),
        (1, days_ago(110), "sent"),
        (1, days_ago(20), "declined"),
        (2, days_ago(110), "sent"),
        (2, days_ago(20), "sent"),
        (2, days_ago(20), "answered"),  # a colleague answered that day
        (3, days_ago(110), "sent"),
        (3, days_ago(3), "sent"),  # too recent to count
        (4, days_ago(20), "sent"),  # one invitation only
    ]
    assert silent_accounts(invitations, TODAY, 14) == {1: days_ago(20)}


def test_campaign_problems():
    assert campaign_problem(90, 60, 2, True) is None
    assert campaign_problem(30, 60, 2, True) == "cadence"
    assert campaign_problem(90, 60, 2, False) == "no_metric"
    assert campaign_problem(90, 60, 0, True) == "contacts"
