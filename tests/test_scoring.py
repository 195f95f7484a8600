"""The scoring core's formulas on hand-computed cases.

These tests need neither Odoo nor a database: the ``scoring`` package is
loaded straight from the addon directory.
"""

import json
import math
import sys
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "relationship_health"))

from scoring.components import ANSWER_COLUMNS  # noqa: E402
from scoring import (  # noqa: E402
    BANDS,
    COMPONENTS,
    RESULT_COLUMNS,
    ScoringConfig,
    ScoringConfigError,
    band_for,
    compute_health,
    recency_component,
    satisfaction_component,
    sla_component,
    visits_component,
)

TODAY = date(2025, 6, 30)


def ago(days, hour=0):
    """The timestamp ``days`` days before TODAY, at ``hour`` o'clock."""
    return pd.Timestamp(TODAY) - pd.Timedelta(days=days) + pd.Timedelta(hours=hour)


def accounts(*partner_ids, **columns):
    return pd.DataFrame({"partner_id": list(partner_ids), **columns})


def dated(column, rows):
    """rows: (partner_id, days ago), the day in ``column``."""
    return pd.DataFrame(
        {"partner_id": [p for p, _ in rows], column: [ago(d) for _, d in rows]}
    )


def orders(*rows):
    """rows: (partner_id, days ago)."""
    return dated("order_date", rows)


def answers(*rows):
    """rows: (partner_id, days ago, metric, value[, scale_min, scale_max])."""
    frame = [
        {
            "partner_id": row[0],
            "answer_date": ago(row[1]),
            "metric": row[2],
            "value": row[3],
            "scale_min": row[4] if len(row) > 4 else None,
            "scale_max": row[5] if len(row) > 5 else None,
        }
        for row in rows
    ]
    return pd.DataFrame(frame, columns=list(ANSWER_COLUMNS))


def visits(*rows):
    """rows: (partner_id, days ago)."""
    return dated("visit_date", rows)


def sla_events(*rows):
    """rows: (partner_id, deadline, done or None)."""
    return pd.DataFrame(
        {
            "partner_id": [row[0] for row in rows],
            "deadline": [row[1] for row in rows],
            "done": pd.to_datetime(pd.Series([row[2] for row in rows], dtype=object)),
        }
    )


def health(
    account_frame, orders=None, answers=None, visits=None, sla_events=None, **kwargs
):
    return compute_health(
        account_frame, orders, answers, visits, sla_events, TODAY, **kwargs
    )


def row(result, partner_id=1):
    return result.loc[partner_id]


def reason(component, points, code, **params):
    """One of an account's reasons: what costs ``points``, and why."""
    return {"component": component, "points": points, "code": code, "params": params}


def answered(*rows):
    """The health of the accounts that gave these answers (rows as in
    :func:`answers`), and of no others."""
    partner_ids = sorted({answer[0] for answer in rows})
    return health(accounts(*partner_ids), answers=answers(*rows))


# ----------------------------------------------------------------------------
# Nothing known
# ----------------------------------------------------------------------------
def test_no_data_at_all_is_unknown_never_zero():
    result = health(accounts(1))
    assert list(result.columns) == list(RESULT_COLUMNS)
    assert result.index.name == "partner_id" and result.index.dtype == np.int64
    account = row(result)
    assert math.isnan(account.score)
    assert account.band == "unknown"
    assert account.confidence == 0.0
    assert math.isnan(account.trend)
    assert account.reasons == []
    for name in (*COMPONENTS, "nps", "days_since_order", "days_since_visit"):
        assert math.isnan(account[name]), name
    for name in (
        "order_count",
        "answer_count",
        "visit_count_365",
        "sla_event_count",
        "sla_met_count",
        "sla_breached_count",
    ):
        assert account[name] == 0, name
    for name in ("last_order_date", "last_answer_date", "last_visit_date"):
        assert pd.isna(account[name]), name


# ----------------------------------------------------------------------------
# Purchase recency
# ----------------------------------------------------------------------------
def test_single_order_uses_default_interval():
    result = health(accounts(1, 2), orders=orders((1, 45), (2, 180)))
    # 45 / 90 = 0.5 <= 1 -> 100
    assert row(result, 1).recency == 100.0
    # 180 / 90 = 2 -> 100 * (3 - 2) / 2 = 50
    assert row(result, 2).recency == 50.0
    account = row(result, 2)
    assert account.order_interval_days == 90.0
    assert account.order_interval_is_default
    assert account.order_count == 1
    assert account.days_since_order == 180
    assert account.last_order_date == ago(180)
    # Recency is the only component: the score is recency, confidence 25 %.
    assert account.score == 50.0 and account.confidence == 25.0
    assert account.band == "watch"


def test_rhythm_is_median_gap_of_order_days():
    # Order days 75, 95, 125, 165 days ago: gaps 20, 30, 40 -> median 30.
    # x = 75 / 30 = 2.5 -> 100 * 0.5 / 2 = 25.
    result = health(accounts(1), orders=orders((1, 75), (1, 95), (1, 125), (1, 165)))
    account = row(result)
    assert account.order_interval_days == 30.0
    assert not account.order_interval_is_default
    assert account.order_count == 4
    assert account.recency == 25.0
    assert account.reasons == [
        reason("recency", 75.0, "recency_rhythm", days=75, interval=30)
    ]


def test_rhythm_median_of_an_even_number_of_gaps():
    # Days 40, 50, 70, 100, 140: gaps 10, 20, 30, 40 -> median 25; x = 1.6 -> 70.
    result = health(
        accounts(1), orders=orders((1, 40), (1, 50), (1, 70), (1, 100), (1, 140))
    )
    assert row(result).order_interval_days == 25.0
    assert row(result).recency == 70.0


def test_same_day_orders_are_one_purchase_occasion():
    frame = pd.DataFrame(
        {
            "partner_id": [1, 1, 1, 1],
            "order_date": [ago(100, 9), ago(100, 11), ago(100, 17), ago(40)],
        }
    )
    account = row(health(accounts(1), orders=frame))
    # Two distinct days only: no rhythm (a 0-day gap would have made it 1 day).
    assert account.order_count == 2
    assert account.order_interval_is_default
    assert account.order_interval_days == 90.0
    assert account.recency == 100.0  # 40 / 90 < 1


def test_rhythm_window_and_future_orders():
    # Three order days older than 730 days do not make a rhythm; the order of
    # tomorrow does not count; the last order is 10 days ago.
    frame = orders((1, 800), (1, 760), (1, 740), (1, 10), (1, -1))
    account = row(health(accounts(1), orders=frame))
    assert account.order_count == 1
    assert account.order_interval_is_default
    assert account.days_since_order == 10
    # An order placed late today still counts.
    late_today = pd.DataFrame({"partner_id": [1], "order_date": [ago(0, 23)]})
    assert row(health(accounts(1), orders=late_today)).days_since_order == 0


def test_expected_interval_is_at_least_one_day():
    config = ScoringConfig(default_purchase_interval=0.5)
    account = row(health(accounts(1), orders=orders((1, 2)), config=config))
    assert account.order_interval_days == 1.0
    assert account.recency == 50.0  # x = 2 / 1 = 2


def test_rhythm_over_three_days_with_fractional_score():
    # Days 40, 70, 100: gaps 30, 30; x = 40 / 30 -> 100 * (3 - 4/3) / 2 = 83.33...
    account = row(health(accounts(1), orders=orders((1, 40), (1, 70), (1, 100))))
    assert account.recency == 83.3
    assert account.order_count == 3


# ----------------------------------------------------------------------------
# Satisfaction
# ----------------------------------------------------------------------------
def test_metric_normalisation():
    frame = answers(
        (1, 0, "csat", 4),  # (4 - 1) / (5 - 1) = 75
        (2, 0, "nps", 8),  # 8 / 10 = 80
        (3, 0, "scale", 4, 1, 7),  # (4 - 1) / (7 - 1) = 50
        (4, 0, "csat", 6),  # 125 -> clipped to 100
        (5, 0, "scale", 3, 5, 5),  # max <= min: ignored
        (5, 0, "other", 3),  # unknown metric: ignored
    )
    result = health(accounts(1, 2, 3, 4, 5), answers=frame)
    assert list(result.satisfaction.iloc[:4]) == [75.0, 80.0, 50.0, 100.0]
    assert math.isnan(row(result, 5).satisfaction)
    assert row(result, 5).answer_count == 0
    assert row(result, 1).answer_count == 1
    assert row(result, 1).last_answer_date == ago(0)


def test_answers_older_than_max_age_or_in_the_future_are_ignored():
    frame = answers((1, 730, "csat", 5), (1, 731, "csat", 1), (1, -1, "csat", 1))
    account = row(health(accounts(1), answers=frame))
    assert account.answer_count == 1
    assert account.satisfaction == 100.0
    assert account.last_answer_date == ago(730)


@pytest.mark.parametrize(
    "rows, satisfaction",
    [
        # 100 today (weight 1) and 0 180 days ago (weight 0.5): 100 / 1.5 = 66.67.
        ([(1, 0, "csat", 5), (1, 180, "nps", 0)], 66.7),
        # 100 at 90 days (weight 0.5 ** 0.5 = 0.70711) and 20 at 360 days
        # (weight 0.25): (70.711 + 5) / 0.95711 = 79.10
        ([(1, 90, "nps", 10), (1, 360, "nps", 2)], 79.1),
    ],
)
def test_half_life_weighting(rows, satisfaction):
    account = row(answered(*rows))
    assert account.satisfaction == satisfaction
    assert account.answer_count == 2


def test_visit_mood_is_a_lighter_satisfaction_input():
    # CSAT 1 (0/100, weight 1) and a visit mood of 5 (100/100, weight 0.5):
    # 50 / 1.5 = 33.3. With a mood weight of 0 the mood is left out entirely.
    frame = answers((1, 0, "csat", 1), (1, 0, "mood", 5), (2, 0, "mood", 3))
    result = health(accounts(1, 2), answers=frame)
    assert row(result, 1).satisfaction == 33.3
    assert row(result, 2).satisfaction == 50.0
    assert math.isnan(row(result, 2).nps), "a rep's impression is not an NPS answer"
    silent = health(accounts(1, 2), answers=frame, config=ScoringConfig(mood_weight=0))
    assert row(silent, 1).satisfaction == 0.0
    assert math.isnan(row(silent, 2).satisfaction)
    with pytest.raises(ScoringConfigError, match="mood"):
        ScoringConfig(mood_weight=-1).validate()


def test_visit_due_date_and_adherence():
    # Cadence 30, plan 400 days old: 12 visits were due over the last year,
    # 6 were held (the last 10 days ago): adherence 50 %, next due in 20 days.
    # A plan started 45 days ago asked for 1 visit; none was held: 0 %, due
    # 30 days after the plan started. No plan: no due date, no adherence.
    frame = visits(*[(1, 10 + 50 * k) for k in range(6)], (1, 400))
    result = health(
        accounts(
            1,
            2,
            3,
            visit_interval_days=[30, 30, 0],
            visit_plan_start=[ago(400), ago(45), ago(400)],
        ),
        visits=frame,
    )
    assert row(result, 1).visit_due_date == ago(-20)
    assert row(result, 1).visits_planned_365 == 12
    assert row(result, 1).visit_adherence == 50.0
    assert row(result, 2).visit_due_date == ago(15)
    assert row(result, 2).visits_planned_365 == 1
    assert row(result, 2).visit_adherence == 0.0
    assert pd.isna(row(result, 3).visit_due_date)
    assert math.isnan(row(result, 3).visit_adherence)


def test_nps():
    result = answered(
        # 2 promoters, 2 detractors, 1 passive: 40 % - 40 % = 0
        (1, 1, "nps", 10),
        (1, 2, "nps", 9),
        (1, 3, "nps", 8),
        (1, 4, "nps", 6),
        (1, 5, "nps", 3),
        # 2 promoters out of 3 in the last 365 days; the old detractor is out
        # of the NPS window (but still in the satisfaction score).
        (2, 10, "nps", 10),
        (2, 20, "nps", 9),
        (2, 30, "nps", 7),
        (2, 400, "nps", 0),
        # No NPS answer at all.
        (3, 10, "csat", 5),
    )
    assert row(result, 1).nps == 0.0
    assert row(result, 2).nps == 66.7
    assert row(result, 2).answer_count == 4
    assert math.isnan(row(result, 3).nps)


def test_answers_outside_their_scale_are_clipped_and_are_no_nps_response():
    result = answered(
        # NPS 1000 typed in a numerical box: clipped to 10 in the score (100),
        # but no promoter: the account has no NPS response at all.
        (1, 0, "nps", 1000),
        # NPS -5 clipped to 0 (score 0), no detractor; the 9 is the only
        # response: NPS 100. Score: (0 + 90) / 2 = 45.
        (2, 0, "nps", -5),
        (2, 0, "nps", 9),
        # A 1–7 scale answered 12 and a CSAT of 0: clipped to 7 and 1.
        (3, 0, "scale", 12, 1, 7),
        (3, 0, "csat", 0),
    )
    assert row(result, 1).satisfaction == 100.0
    assert math.isnan(row(result, 1).nps), "1000 is not a promoter"
    assert row(result, 2).satisfaction == 45.0
    assert row(result, 2).nps == 100.0, "-5 is not a detractor"
    assert row(result, 3).satisfaction == 50.0
    assert row(result, 3).answer_count == 2


# ----------------------------------------------------------------------------
# Visits
# ----------------------------------------------------------------------------
def test_visits():
    frame = accounts(
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        visit_interval_days=[30, 30, 30, 30, 30, 0, 30, 30],
        visit_plan_start=[
            ago(10),
            ago(30),
            ago(31),
            pd.NaT,
            ago(400),
            ago(400),
            ago(400),
            ago(400),
        ],
    )
    result = health(
        frame,
        visits=visits((5, 45), (6, 45), (7, 20), (8, 60), (7, 200), (7, 366), (7, -2)),
    )
    assert math.isnan(row(result, 1).visits)  # young plan, not due yet
    assert math.isnan(row(result, 2).visits)  # exactly one cadence old: not due yet
    assert row(result, 3).visits == 0.0  # plan older than one cadence
    assert row(result, 4).visits == 0.0  # no plan start: long ago
    assert row(result, 5).visits == 50.0  # x = 45 / 30 = 1.5
    assert math.isnan(row(result, 6).visits)  # no plan
    assert row(result, 6).days_since_visit == 45  # facts are kept anyway
    assert row(result, 7).visits == 100.0  # x = 20 / 30; the future visit is ignored
    assert row(result, 7).visit_count_365 == 2
    assert row(result, 7).last_visit_date == ago(20)
    assert row(result, 8).visits == 0.0  # x = 2
    assert row(result, 3).reasons == [
        reason("visits", 100.0, "visits_never", cadence=30)
    ]
    assert row(result, 5).reasons[0]["code"] == "visits_overdue"
    assert row(result, 5).reasons[0]["params"] == {"days": 45, "cadence": 30}


def test_visit_later_today_does_not_count_before_it_happens():
    frame = visits((1, 0))
    frame["visit_date"] = [ago(0, 15)]
    account_frame = accounts(1, visit_interval_days=[30], visit_plan_start=[ago(100)])
    noon = health(account_frame, visits=frame, now=ago(0, 12))
    assert row(noon).visits == 0.0
    evening = health(account_frame, visits=frame, now=ago(0, 18))
    assert row(evening).visits == 100.0


# ----------------------------------------------------------------------------
# SLA
# ----------------------------------------------------------------------------
def test_sla_statuses_and_window():
    frame = sla_events(
        (1, ago(10), ago(11)),  # met
        (1, ago(10), ago(8)),  # done late: breached
        (1, ago(10), None),  # open and overdue: breached
        (1, ago(-1), None),  # open, not yet due: ignored
        (1, ago(400), ago(401)),  # older than 365 days: ignored
    )
    account = row(health(accounts(1), sla_events=frame))
    # Three events of the same age: 1 met out of 3.
    assert account.sla == 33.3
    assert (
        account.sla_event_count,
        account.sla_met_count,
        account.sla_breached_count,
    ) == (3, 1, 2)
    assert account.reasons == [
        reason("sla", 66.7, "sla_breaches", breached=2, total=3, score=33.3)
    ]


def test_sla_reason_names_the_service_level_with_most_breaches():
    frame = sla_events(
        (1, ago(10), ago(8)),
        (1, ago(20), ago(15)),
        (1, ago(30), None),  # policy 7: 3 breaches
        (1, ago(12), ago(11)),  # policy 9: 1 breach
        (1, ago(40), ago(41)),  # policy 9: met
        (2, ago(10), ago(8)),
        (2, ago(11), ago(9)),
        (2, ago(12), ago(9)),  # 1 each: 7, 9, none
        (3, ago(10), ago(8)),  # no policy
    )
    frame["policy_id"] = [7, 7, 7, 9, 9, 7, 9, None, None]
    result = health(accounts(1, 2, 3), sla_events=frame)
    params = row(result, 1).reasons[0]["params"]
    assert (params["breached"], params["total"], params["policy"]) == (4, 5, 7)
    # Account 2: policy 7 holds a third of the breaches only: not "most of them".
    assert "policy" not in row(result, 2).reasons[0]["params"]
    assert "policy" not in row(result, 3).reasons[0]["params"]
    # Without the column (hand-made inputs, older callers): no policy either.
    plain = health(accounts(1), sla_events=frame.drop(columns="policy_id"))
    assert "policy" not in row(plain, 1).reasons[0]["params"]


def test_sla_weighted_share():
    frame = sla_events(
        (1, ago(0), ago(1)),
        (1, ago(90), None),  # 1 / (1 + 0.5) = 66.7
        (2, ago(180), ago(181)),
        (2, ago(0), None),  # 0.25 / 1.25 = 20
    )
    result = health(accounts(1, 2), sla_events=frame, now=ago(0, 12))
    assert row(result, 1).sla == 66.7
    assert row(result, 2).sla == 20.0


def test_sla_deadline_against_now():
    frame = sla_events(
        (1, ago(0, 10), None),  # overdue since 10:00: breached at noon
        (1, ago(0, 14), None),  # due at 14:00: not yet counted
        (1, ago(0, 11), ago(0, 9)),  # met
    )
    account = row(health(accounts(1), sla_events=frame, now=ago(0, 12)))
    assert (
        account.sla_event_count,
        account.sla_met_count,
        account.sla_breached_count,
    ) == (2, 1, 1)
    assert account.sla == 50.0
    # Without ``now``, the end of the day: the 14:00 commitment is overdue too.
    account = row(health(accounts(1), sla_events=frame))
    assert account.sla_breached_count == 2


# ----------------------------------------------------------------------------
# Combination, bands, trend, reasons
# ----------------------------------------------------------------------------
def test_weights_are_renormalised_over_components_with_data():
    result = health(
        accounts(1),
        orders=orders((1, 10)),  # recency 100
        sla_events=sla_events((1, ago(5), None)),  # sla 0
    )
    account = row(result)
    assert (account.recency, account.sla) == (100.0, 0.0)
    assert account.score == 50.0  # 25 * 100 / (25 + 25)
    assert account.confidence == 50.0
    assert account.band == "watch"


def test_all_four_components_default_weights():
    frame = accounts(1, visit_interval_days=[30], previous_score=[70.0])
    result = health(
        frame,
        orders=orders((1, 124), (1, 154), (1, 184), (1, 214)),  # recency 0
        answers=answers((1, 0, "nps", 10), (1, 0, "csat", 5)),  # satisfaction 100
        visits=visits((1, 45)),  # visits 50
        sla_events=sla_events((1, ago(10), ago(11)), (1, ago(10), ago(8))),  # sla 50
    )
    account = row(result)
    # (30 * 100 + 25 * 50 + 20 * 50 + 25 * 0) / 100
    assert account.score == 52.5
    assert account.confidence == 100.0
    assert account.band == "watch"
    assert account.trend == -17.5
    assert [reason["component"] for reason in account.reasons] == [
        "recency",
        "sla",
        "visits",
    ]
    assert [reason["points"] for reason in account.reasons] == [25.0, 12.5, 10.0]


def test_custom_weights():
    config = ScoringConfig(
        weight_satisfaction=0, weight_sla=10, weight_visits=0, weight_recency=30
    )
    result = health(
        accounts(1),
        orders=orders((1, 10)),  # recency 100
        answers=answers((1, 0, "csat", 1)),  # satisfaction 0, weight 0
        sla_events=sla_events((1, ago(5), None)),  # sla 0
        config=config,
    )
    account = row(result)
    assert account.score == 75.0  # (30 * 100 + 10 * 0) / 40
    assert account.confidence == 100.0  # 40 of 40
    assert account.satisfaction == 0.0
    # A weightless component costs no points.
    assert [reason["component"] for reason in account.reasons] == ["sla"]
    assert account.reasons[0]["points"] == 25.0


def test_only_weightless_components_with_data_is_unknown():
    config = ScoringConfig(weight_satisfaction=0)
    account = row(
        health(accounts(1), answers=answers((1, 0, "csat", 5)), config=config)
    )
    assert math.isnan(account.score)
    assert account.band == "unknown"
    assert account.confidence == 0.0
    assert account.satisfaction == 100.0


@pytest.mark.parametrize(
    "score, band",
    [
        (100, "healthy"),
        (70, "healthy"),
        (69.95, "healthy"),
        (69.9, "watch"),
        (50, "watch"),
        (49.9, "at_risk"),
        (30, "at_risk"),
        (29.9, "critical"),
        (0, "critical"),
        (None, "unknown"),
        (float("nan"), "unknown"),
    ],
)
def test_band_edges(score, band):
    assert band_for(score) == band
    assert band in BANDS


def test_band_is_decided_on_the_rounded_score():
    # Recency alone with a 1000-day default interval: x = days / 1000.
    config = ScoringConfig(default_purchase_interval=1000)
    result = health(
        accounts(1, 2, 3), orders=orders((1, 1600), (2, 1601), (3, 1602)), config=config
    )
    assert list(result.score) == [70.0, 70.0, 69.9]  # 70, 69.95, 69.9
    assert list(result.band) == ["healthy", "healthy", "watch"]


def test_custom_thresholds():
    config = ScoringConfig(
        threshold_healthy=90, threshold_watch=60, threshold_at_risk=40
    )
    assert [band_for(s, config) for s in (90, 89.9, 60, 40, 39.9)] == [
        "healthy",
        "watch",
        "watch",
        "at_risk",
        "critical",
    ]


def test_trend():
    frame = accounts(1, 2, 3, previous_score=[60.0, np.nan, 50.0])
    result = health(frame, orders=orders((1, 180), (2, 180)))
    assert row(result, 1).score == 50.0
    assert row(result, 1).trend == -10.0
    assert math.isnan(row(result, 2).trend)  # no old snapshot
    assert math.isnan(row(result, 3).trend)  # no score today


def test_reasons_order_ties_and_cap():
    frame = accounts(
        1, 2, visit_interval_days=[30, 30], visit_plan_start=[ago(400)] * 2
    )
    result = health(
        frame,
        # 1: recency 0 (x = 4); 2: recency 50 (x = 2)
        orders=orders((1, 360), (2, 180)),
        # 1: satisfaction 100; 2: satisfaction 50 (csat 3) and NPS undefined
        answers=answers((1, 0, "nps", 10), (2, 0, "csat", 3)),
        # 1: visits 50; 2: never visited, visits 0
        visits=visits((1, 45)),
        # both: sla 0
        sla_events=sla_events((1, ago(1), None), (2, ago(1), None)),
    )
    # 1: sla and recency both cost 25 points: the fixed order puts sla first;
    # satisfaction at 100 costs nothing.
    assert row(result, 1).reasons == [
        reason("sla", 25.0, "sla_breaches", breached=1, total=1, score=0.0),
        reason("recency", 25.0, "recency_default", days=360, interval=90),
        reason("visits", 10.0, "visits_overdue", days=45, cadence=30),
    ]
    # 2: sla 25, visits 20, satisfaction 15, recency 12.5: capped at three.
    assert row(result, 2).reasons == [
        reason("sla", 25.0, "sla_breaches", breached=1, total=1, score=0.0),
        reason("visits", 20.0, "visits_never", cadence=30),
        reason("satisfaction", 15.0, "satisfaction", score=50.0, answers=1, nps=None),
    ]
    assert row(result, 2).score == 27.5  # (30 * 50 + 0 + 0 + 25 * 50) / 100
    assert row(result, 2).band == "critical"
    json.dumps(result.reasons.tolist())  # plain python values only


def test_satisfaction_reason_quotes_nps_and_tiny_costs_are_not_reasons():
    result = health(
        accounts(1, 2),
        answers=answers((1, 0, "nps", 6), (2, 0, "nps", 10)),
        orders=orders((2, 1)),
    )
    assert row(result, 1).reasons == [
        reason("satisfaction", 40.0, "satisfaction", score=60.0, answers=1, nps=-100.0)
    ]
    assert row(result, 2).reasons == []


# ----------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------
def test_default_config_is_valid():
    config = ScoringConfig()
    assert config.validate() is config
    assert config.weights == {
        "satisfaction": 30,
        "sla": 25,
        "visits": 20,
        "recency": 25,
    }


@pytest.mark.parametrize(
    "values, message",
    [
        ({"threshold_watch": 70}, "strictly decreasing"),
        ({"threshold_at_risk": 60}, "strictly decreasing"),
        ({"threshold_healthy": 101}, "strictly decreasing"),
        ({"threshold_at_risk": 0}, "strictly decreasing"),
        (
            {
                "weight_satisfaction": 0,
                "weight_sla": 0,
                "weight_visits": 0,
                "weight_recency": 0,
            },
            "At least one signal weight",
        ),
        ({"weight_visits": -1}, "cannot be negative"),
        ({"satisfaction_half_life_days": -10}, "half-life must be above zero"),
        ({"sla_half_life_days": 0}, "half-life must be above zero"),
        ({"default_purchase_interval": 0}, "default purchase interval"),
        ({"sla_window_days": 0}, "window must be above zero"),
        ({"recency_min_orders": 1}, "At least 2 order days"),
        ({"weight_sla": float("nan")}, "must be a number"),
    ],
)
def test_config_validation_errors(values, message):
    with pytest.raises(ScoringConfigError, match=message):
        ScoringConfig(**values).validate()
    assert issubclass(ScoringConfigError, ValueError)


@pytest.mark.parametrize(
    "setting, limit",
    [
        ("weight_satisfaction", 1000),
        ("weight_recency", 1000),
        ("mood_weight", 10),
        ("satisfaction_half_life_days", 3650),
        ("sla_half_life_days", 3650),
        ("default_purchase_interval", 3650),
        ("recency_window_days", 3650),
    ],
)
def test_every_setting_has_an_upper_bound(setting, limit):
    assert ScoringConfig(**{setting: limit}).validate()
    with pytest.raises(ScoringConfigError, match=f"cannot be above {limit}") as caught:
        ScoringConfig(**{setting: limit + 1}).validate()
    assert (caught.value.kind, caught.value.setting, caught.value.limit) == (
        "too_large",
        setting,
        limit,
    )


def test_compute_health_rejects_an_invalid_config():
    with pytest.raises(ScoringConfigError):
        health(accounts(1), config=ScoringConfig(threshold_watch=80))


# ----------------------------------------------------------------------------
# Robustness
# ----------------------------------------------------------------------------
def test_empty_and_none_inputs():
    empty_frames = {
        "orders": pd.DataFrame(columns=["partner_id", "order_date"]),
        "answers": pd.DataFrame(),
        "visits": None,
        "sla_events": pd.DataFrame(columns=["partner_id", "deadline", "done"]),
    }
    account = row(compute_health(accounts(1), today=TODAY, **empty_frames))
    assert account.band == "unknown" and account.reasons == []

    result = compute_health(
        pd.DataFrame(columns=["partner_id"]), None, None, None, None, TODAY
    )
    assert len(result) == 0
    assert list(result.columns) == list(RESULT_COLUMNS)
    assert compute_health(None, None, None, None, None, TODAY).empty


def test_rows_of_unknown_partners_are_ignored():
    result = health(
        accounts(1),
        orders=orders((1, 45), (99, 1), (99, 2), (99, 3)),
        answers=answers((99, 0, "csat", 1)),
        visits=visits((99, 1)),
        sla_events=sla_events((99, ago(1), None)),
    )
    assert list(result.index) == [1]
    account = row(result)
    assert account.recency == 100.0 and account.order_count == 1
    assert math.isnan(account.satisfaction) and account.sla_event_count == 0
    assert pd.isna(account.last_visit_date)


def test_accounts_indexed_by_partner_id_and_dates_as_python_dates():
    frame = pd.DataFrame(
        {"visit_interval_days": [30], "visit_plan_start": [date(2025, 1, 1)]},
        index=pd.Index([7], name="partner_id"),
    )
    order_frame = pd.DataFrame({"partner_id": [7], "order_date": [date(2025, 5, 16)]})
    result = compute_health(
        frame, order_frame, None, None, None, today=datetime(2025, 6, 30)
    )
    account = row(result, 7)
    assert account.days_since_order == 45
    assert account.visits == 0.0
    assert account.last_order_date == pd.Timestamp("2025-05-16")


def test_component_functions():
    frame = accounts(1, 2, visit_interval_days=[30, 0])
    recency = recency_component(frame, orders((1, 180)), TODAY)
    assert recency.index.name == "partner_id"
    assert recency.loc[1, "recency"] == 50.0 and math.isnan(recency.loc[2, "recency"])
    satisfaction = satisfaction_component([1, 2], answers((2, 0, "nps", 9)), TODAY)
    assert (
        satisfaction.loc[2, "satisfaction"] == 90.0
        and satisfaction.loc[2, "nps"] == 100.0
    )
    visit_scores = visits_component(frame, visits((1, 45)), TODAY)
    assert visit_scores.loc[1, "visits"] == 50.0
    sla = sla_component(frame, sla_events((2, ago(3), ago(4))), TODAY)
    assert sla.loc[2, "sla"] == 100.0 and sla.loc[2, "sla_met_count"] == 1


def test_many_accounts_at_once():
    rng = np.random.default_rng(42)
    size = 20_000
    ids = np.arange(1, size + 1)
    frame = pd.DataFrame(
        {
            "partner_id": ids,
            "visit_interval_days": rng.choice([0, 30, 60, 90], size),
            "visit_plan_start": pd.Timestamp(TODAY)
            - pd.to_timedelta(rng.integers(0, 400, size), "D"),
            "previous_score": np.where(
                rng.random(size) < 0.5, np.nan, rng.uniform(0, 100, size)
            ),
        }
    )
    today = np.datetime64(TODAY)
    order_frame = pd.DataFrame(
        {
            "partner_id": np.repeat(ids, 10),
            "order_date": today
            - rng.integers(0, 1000, size * 10).astype("timedelta64[D]"),
        }
    )
    answer_frame = pd.DataFrame(
        {
            "partner_id": rng.choice(ids, size),
            "answer_date": today - rng.integers(0, 800, size).astype("timedelta64[D]"),
            "metric": rng.choice(["nps", "csat", "scale"], size),
            "value": rng.integers(0, 11, size).astype(float),
            "scale_min": 0.0,
            "scale_max": 10.0,
        }
    )
    visit_frame = pd.DataFrame(
        {
            "partner_id": rng.choice(ids, size),
            "visit_date": today - rng.integers(0, 400, size).astype("timedelta64[D]"),
        }
    )
    deadlines = today - rng.integers(-30, 400, size).astype("timedelta64[D]")
    done = deadlines + rng.integers(-5, 5, size).astype("timedelta64[D]")
    sla_frame = pd.DataFrame(
        {
            "partner_id": rng.choice(ids, size),
            "deadline": deadlines,
            "done": np.where(rng.random(size) < 0.2, np.datetime64("NaT"), done),
        }
    )
    result = compute_health(
        frame, order_frame, answer_frame, visit_frame, sla_frame, TODAY
    )

    assert result.shape == (size, len(RESULT_COLUMNS))
    assert list(result.index) == list(ids)
    assert result.order_count.between(0, 10).all()
    assert result.order_count.sum() > 0
    for name in ("score", "confidence", *COMPONENTS):
        values = result[name].dropna()
        assert len(values) and values.between(0, 100).all(), name
    assert result.nps.dropna().between(-100, 100).all()
    assert set(result.band) <= set(BANDS)
    assert (result.band == "unknown").eq(result.score.isna()).all()
    assert result.reasons.map(len).le(3).all()
    assert result.recency.notna().all()
