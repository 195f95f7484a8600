"""Retention transition rules (scoring/retention.py), by hand, without a database."""

import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "relationship_health"))

from scoring.retention import (  # noqa: E402
    changes_since_report,
    choose_today,
    critical_days,
    decide,
    facts_from_work_data,
    improved_since_report,
    in_cooldown,
    is_recovered,
    is_winback,
    is_worse,
    queue_key,
    queue_ranks,
    reference_score,
    reference_window,
    score_fall,
    triggers,
    work_data,
)

TODAY = date(2025, 6, 30)
CONFIG = {"drop_points": 15, "critical_days": 14, "winback_factor": 2.0}


def ago(days):
    return TODAY - timedelta(days=days)


def facts(
    band="watch", band_before="healthy", score=60.0, reference=None, critical=None
):
    return {
        "band": band,
        "band_before": band_before,
        "score": score,
        "score_reference": reference,
        "critical_days": critical,
    }


# ----------------------------------------------------------------------
# The reference score: the newest of 30 to 60 days ago
# ----------------------------------------------------------------------
def test_reference_window_is_30_to_60_days_ago():
    assert reference_window(TODAY) == (date(2025, 5, 1), date(2025, 5, 31))
    # 2024 is a leap year: 29 days in February.
    assert reference_window(date(2024, 3, 1)) == (date(2024, 1, 1), date(2024, 1, 31))


def test_reference_score_window_edges():
    # 29 days ago is too recent, 61 too old: no reference.
    assert reference_score([(ago(29), 80.0), (ago(61), 90.0)], TODAY) is None
    # Exactly 30 and exactly 60 days ago are inside; the newest wins.
    assert (
        reference_score([(ago(60), 90.0), (ago(30), 80.0), (ago(29), 10.0)], TODAY)
        == 80.0
    )
    assert (
        reference_score([(ago(61), 95.0), (ago(60), 90.0), (ago(29), 10.0)], TODAY)
        == 90.0
    )
    # Unordered history; a snapshot without a score does not count.
    assert (
        reference_score([(ago(45), 70.0), (ago(31), None), (ago(40), 72.5)], TODAY)
        == 72.5
    )
    assert reference_score([], TODAY) is None


# ----------------------------------------------------------------------
# Single rules
# ----------------------------------------------------------------------
def test_is_worse_knows_only_scored_bands():
    assert is_worse("at_risk", "watch")
    assert is_worse("critical", "healthy")
    assert not is_worse("watch", "watch")
    assert not is_worse("watch", "critical")
    assert not is_worse("critical", "unknown")
    assert not is_worse("critical", None)
    assert not is_worse(None, "healthy")


def test_critical_days_and_winback():
    assert critical_days(ago(15), TODAY) == 15
    assert critical_days(None, TODAY) is None
    # 2 × 30 days = 60: 61 days without an order is a win-back, 60 is not.
    assert is_winback(61, 30.0, 2.0) is True
    assert is_winback(60, 30.0, 2.0) is False
    assert is_winback(None, 30.0, 2.0) is False
    assert is_winback(500, None, 2.0) is False
    assert is_winback(500, 0, 2.0) is False


def test_band_entry_only_from_a_better_known_band():
    assert triggers(facts("at_risk", "watch"), CONFIG) == ["band_entry"]
    assert triggers(facts("critical", "at_risk"), CONFIG) == ["band_entry"]
    assert triggers(facts("at_risk", "critical"), CONFIG) == []
    assert triggers(facts("at_risk", "at_risk"), CONFIG) == []
    assert triggers(facts("watch", "healthy"), CONFIG) == []
    # First scored straight into a risk band: no band to come from.
    assert triggers(facts("at_risk", "unknown"), CONFIG) == []
    assert triggers(facts("critical", None), CONFIG) == []


def test_score_drop_of_exactly_n_points_counts():
    # 80 → 65 is 15 points: a drop; 80 → 65.1 is 14.9: not one.
    assert triggers(facts("watch", "watch", 65.0, reference=80.0), CONFIG) == [
        "score_drop"
    ]
    assert triggers(facts("watch", "watch", 65.1, reference=80.0), CONFIG) == []
    assert triggers(facts("watch", "watch", 65.0, reference=None), CONFIG) == []
    assert triggers(facts("watch", "watch", None, reference=80.0), CONFIG) == []
    assert triggers(facts("healthy", "healthy", 70.0, reference=90.0), CONFIG) == [
        "score_drop"
    ]


def test_critical_for_more_than_m_days():
    assert triggers(facts("critical", "critical", 20.0, critical=15), CONFIG) == [
        "critical_stale"
    ]
    assert triggers(facts("critical", "critical", 20.0, critical=14), CONFIG) == []
    assert triggers(facts("critical", "critical", 20.0, critical=None), CONFIG) == []
    # All three at once, in the fixed order.
    assert triggers(
        facts("critical", "at_risk", 20.0, reference=50.0, critical=20), CONFIG
    ) == [
        "band_entry",
        "score_drop",
        "critical_stale",
    ]


def test_changes_since_report():
    existing = {"band": "at_risk", "last_band": "at_risk", "last_score": 45.0}
    assert changes_since_report(facts("critical", score=40.0), existing, CONFIG) == [
        "band_entry"
    ]
    assert changes_since_report(facts("at_risk", score=30.0), existing, CONFIG) == [
        "score_drop"
    ]
    assert changes_since_report(facts("at_risk", score=30.1), existing, CONFIG) == []
    assert changes_since_report(facts("critical", score=25.0), existing, CONFIG) == [
        "band_entry",
        "score_drop",
    ]
    # Nothing reported yet: the band the case was opened with counts.
    assert changes_since_report(facts("critical"), {"band": "at_risk"}, CONFIG) == [
        "band_entry"
    ]
    # A case opened on a drop while healthy: any risk band is news.
    assert changes_since_report(facts("at_risk"), {"band": "healthy"}, CONFIG) == [
        "band_entry"
    ]
    assert changes_since_report(facts("at_risk"), {"band": "unknown"}, CONFIG) == [
        "band_entry"
    ]
    assert (
        changes_since_report(facts("watch", score=60.0), {"band": "healthy"}, CONFIG)
        == []
    )


def test_improved_since_report():
    existing = {"last_band": "critical", "last_score": 20.0}
    assert improved_since_report(facts("at_risk", score=15.0), existing)
    assert improved_since_report(facts("critical", score=20.5), existing)
    assert not improved_since_report(facts("critical", score=20.0), existing)
    assert not improved_since_report(facts("critical", score=None), existing)
    assert not improved_since_report(facts("critical", score=30.0), {})


def test_recovery():
    assert is_recovered(facts("healthy", score=80.0), {"band": "at_risk"}, CONFIG)
    assert not is_recovered(facts("watch", score=80.0), {"band": "at_risk"}, CONFIG)
    # Opened on a drop from 90 while healthy: back above 75 (90 − 15) only.
    opened_healthy = {"band": "healthy", "score_reference": 90.0}
    assert not is_recovered(facts("healthy", score=75.0), opened_healthy, CONFIG)
    assert is_recovered(facts("healthy", score=75.5), opened_healthy, CONFIG)
    assert not is_recovered(facts("healthy", score=None), opened_healthy, CONFIG)
    assert is_recovered(facts("healthy", score=70.0), {"band": "healthy"}, CONFIG)


def test_cooldown_ends_on_its_last_day():
    assert in_cooldown({"cooldown_until": ago(-1)}, TODAY)
    assert not in_cooldown({"cooldown_until": TODAY}, TODAY)
    assert not in_cooldown({"cooldown_until": None}, TODAY)
    assert not in_cooldown({}, TODAY)


# ----------------------------------------------------------------------
# The decision for one account
# ----------------------------------------------------------------------
OPEN_CASE = {
    "case_id": 7,
    "activity_id": 3,
    "lead_id": 4,
    "band": "at_risk",
    "score_reference": None,
    "last_band": "at_risk",
    "last_score": 45.0,
}


@pytest.mark.parametrize(
    ("account", "existing", "expected"),
    [
        # No work open.
        (facts("at_risk", "watch", 45.0), {}, ("open", ["band_entry"])),
        (facts("watch", "watch", 60.0, reference=75.0), {}, ("open", ["score_drop"])),
        (facts("watch", "watch", 60.0, reference=74.9), {}, (None, None)),
        (
            facts("at_risk", "watch", 45.0),
            {"cooldown_until": ago(-3)},
            ("cooldown", ["band_entry"]),
        ),
        (
            facts("at_risk", "watch", 45.0),
            {"cooldown_until": TODAY},
            ("open", ["band_entry"]),
        ),
        (facts("watch", "watch", 60.0), {"cooldown_until": ago(-3)}, (None, None)),
        # Work open.
        (facts("healthy", "at_risk", 80.0), OPEN_CASE, ("recover", None)),
        (
            facts("at_risk", "at_risk", 45.0),
            dict(OPEN_CASE, activity_id=False, lead_id=False),
            ("handle", None),
        ),
        (
            facts("at_risk", "at_risk", 45.0),
            dict(OPEN_CASE, activity_id=False),
            (None, None),
        ),
        (facts("critical", "at_risk", 40.0), OPEN_CASE, ("note", ["band_entry"])),
        (facts("at_risk", "at_risk", 30.0), OPEN_CASE, ("note", ["score_drop"])),
        (facts("watch", "at_risk", 55.0), OPEN_CASE, ("remember", None)),
        (facts("at_risk", "at_risk", 45.0), OPEN_CASE, (None, None)),
        # A waiting case: no work to note on, nothing to close as done.
        (
            facts("healthy", "at_risk", 80.0),
            dict(OPEN_CASE, waiting=True, activity_id=False, lead_id=False),
            ("withdraw", None),
        ),
        (
            facts("at_risk", "at_risk", 45.0),
            dict(OPEN_CASE, waiting=True, activity_id=False, lead_id=False),
            (None, None),
        ),
        (
            facts("critical", "at_risk", 40.0),
            dict(OPEN_CASE, waiting=True, activity_id=False, lead_id=False),
            ("remember", None),
        ),
        (
            facts("watch", "at_risk", 55.0),
            dict(OPEN_CASE, waiting=True, activity_id=False, lead_id=False),
            ("remember", None),
        ),
        # An open case never opens another, whatever its triggers.
        (
            facts("critical", "critical", 20.0, reference=90.0, critical=30),
            dict(OPEN_CASE, last_band="critical", last_score=20.0),
            (None, None),
        ),
    ],
)
def test_decide(account, existing, expected):
    assert decide(account, existing, TODAY, CONFIG) == expected


# ----------------------------------------------------------------------
# The queue: N new cases per owner and day, the most valuable first
# ----------------------------------------------------------------------
def item(case_id, owner="ann", revenue=0.0, fall=0.0, queued_on=TODAY):
    return {
        "id": case_id,
        "owner": owner,
        "revenue": revenue,
        "fall": fall,
        "queued_on": queued_on,
    }


def test_score_fall_is_the_larger_of_both_falls():
    assert score_fall({"score": 40.0, "score_before": 60.0}) == 20.0
    assert (
        score_fall({"score": 40.0, "score_before": 45.0, "score_reference": 75.0})
        == 35.0
    )
    assert score_fall({"score": 70.0, "score_before": 60.0}) == 0.0
    assert score_fall({"score": None, "score_before": 60.0}) == 0.0
    assert score_fall({"score": 40.0}) == 0.0


def test_queue_order_revenue_then_fall_then_oldest():
    items = [
        item(1, revenue=100.0, fall=50.0),
        item(2, revenue=900.0, fall=5.0),
        item(3, revenue=100.0, fall=60.0),
        item(4, revenue=100.0, fall=60.0, queued_on=ago(2)),
        item(5, revenue=None, fall=90.0),
    ]
    assert [i["id"] for i in sorted(items, key=queue_key)] == [2, 4, 3, 1, 5]


def test_choose_today_caps_each_owner_most_valuable_first():
    items = [item(n, "ann", revenue=n * 10.0) for n in range(1, 16)]
    items += [item(n, "bob", revenue=1.0) for n in range(20, 23)]
    chosen = choose_today(items, {}, {"ann": 10, "bob": 10})
    assert chosen[:10] == list(range(15, 5, -1)), "Ann's ten most valuable"
    assert sorted(chosen[10:]) == [20, 21, 22], "Bob has room for all of his"
    assert len(chosen) == 13


def test_choose_today_counts_what_the_owner_got_today():
    items = [item(n, revenue=n) for n in range(1, 6)]
    assert choose_today(items, {"ann": 8}, {"ann": 10}) == [5, 4]
    assert choose_today(items, {"ann": 10}, {"ann": 10}) == []
    assert choose_today(items, {"ann": 12}, {"ann": 10}) == [], "beyond: none"
    assert choose_today(items, {}, {}) == [], "no limit known: nothing"
    assert choose_today([], {}, {"ann": 10}) == []


def test_queue_ranks_per_owner():
    items = [
        item(1, "ann", revenue=5.0),
        item(2, "ann", revenue=50.0),
        item(3, "bob", revenue=1.0),
    ]
    assert queue_ranks(items) == {2: 1, 1: 2, 3: 1}


def test_a_waiting_transition_keeps_its_facts_for_later():
    kept = {
        "band": "critical",
        "band_before": "watch",
        "score": 10.0,
        "critical_since": ago(40),
        "reasons": [{"code": "recency_rhythm", "params": {"days": 80}}],
    }
    data = work_data(kept, ["critical_stale"], 3)
    assert data["critical_since"] == ago(40).isoformat()
    assert (data["triggers"], data["team_id"]) == (["critical_stale"], 3)
    facts = facts_from_work_data(data, 1, None, ago(2), TODAY)
    assert facts["critical_since"] == ago(40)
    assert (facts["company_id"], facts["revenue"]) == (1, 0.0)
    assert facts["waited_since"] == ago(2)
    assert facts_from_work_data(data, 1, 5.0, TODAY, TODAY)["waited_since"] is None
    assert facts["reasons"] == kept["reasons"]
