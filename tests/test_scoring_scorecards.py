"""Scorecards in the scoring core: which scorecard scores an account, equal
priorities that clash, and a scorecard's settings, by hand."""

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "relationship_health"))

from scoring import ScoringConfig, ScoringConfigError  # noqa: E402
from scoring.scorecards import (  # noqa: E402
    match_scorecards,
    scorecard_clashes,
    scorecard_config,
)


def accounts(*rows):
    """rows: (partner_id, company_id, tier_id, industry_id, tag_ids, quadrant)."""
    frame = pd.DataFrame(
        rows,
        columns=[
            "partner_id",
            "company_id",
            "tier_id",
            "industry_id",
            "tag_ids",
            "quadrant",
        ],
    )
    return frame.set_index("partner_id")


def card(card_id, sequence=10, company_id=1, **criteria):
    return {
        "id": card_id,
        "company_id": company_id,
        "sequence": sequence,
        "tier_ids": criteria.get("tier_ids", []),
        "industry_ids": criteria.get("industry_ids", []),
        "tag_ids": criteria.get("tag_ids", []),
        "quadrants": criteria.get("quadrants", []),
    }


BOOK = accounts(
    (1, 1, 7, 3, [20, 21], "true_friend"),
    (2, 1, 8, 4, [], "stranger"),
    (3, 1, None, None, (21,), None),
    (4, 2, 7, 3, [20], "true_friend"),
)


def test_no_scorecard_is_the_company_default():
    matched = match_scorecards(BOOK, [])
    assert matched.tolist() == [0, 0, 0, 0]
    assert list(matched.index) == [1, 2, 3, 4]


def test_each_criterion_matches_any_of_its_values():
    assert match_scorecards(BOOK, [card(5, tier_ids=[7])]).tolist() == [5, 0, 0, 0]
    assert match_scorecards(BOOK, [card(5, industry_ids=[4, 9])]).tolist() == [
        0,
        5,
        0,
        0,
    ]
    assert match_scorecards(BOOK, [card(5, tag_ids=[21])]).tolist() == [5, 0, 5, 0]
    assert match_scorecards(BOOK, [card(5, quadrants=["stranger"])]).tolist() == [
        0,
        5,
        0,
        0,
    ]


def test_filled_criteria_must_all_match():
    both = card(5, tier_ids=[7], tag_ids=[21])
    assert match_scorecards(BOOK, [both]).tolist() == [5, 0, 0, 0]
    neither = card(5, tier_ids=[8], tag_ids=[21])
    assert match_scorecards(BOOK, [neither]).tolist() == [0, 0, 0, 0]


def test_a_scorecard_without_criteria_matches_its_company_only():
    assert match_scorecards(BOOK, [card(5)]).tolist() == [5, 5, 5, 0]
    assert match_scorecards(BOOK, [card(6, company_id=2)]).tolist() == [0, 0, 0, 6]


def test_the_lowest_sequence_then_id_wins():
    cards = [card(9, sequence=5), card(5, sequence=20, tier_ids=[7]), card(4, 5)]
    assert match_scorecards(BOOK, cards).tolist() == [4, 4, 4, 0]
    cards = [card(9, sequence=30), card(5, sequence=20, tier_ids=[7])]
    assert match_scorecards(BOOK, cards).tolist() == [5, 9, 9, 0]


def test_clashes_of_equal_priority():
    cards = [
        card(5, sequence=10, tier_ids=[7]),
        card(6, sequence=10, tag_ids=[21]),
        card(7, sequence=11),
        card(8, sequence=10, company_id=2),
    ]
    assert scorecard_clashes(BOOK, cards) == [(5, 6, 1)]
    cards[1] = card(6, sequence=10, tier_ids=[8])
    assert scorecard_clashes(BOOK, cards) == []
    assert scorecard_clashes(BOOK.iloc[:0], [card(1), card(2)]) == []


def test_the_scorecard_config_replaces_weights_and_thresholds():
    base = ScoringConfig(satisfaction_half_life_days=60)
    config = scorecard_config(
        base,
        {"satisfaction": 0, "sla": 1, "visits": 0, "recency": 3},
        {"threshold_healthy": 80, "threshold_watch": 60, "threshold_at_risk": 20},
    )
    assert config.weights == {"satisfaction": 0, "sla": 1, "visits": 0, "recency": 3}
    assert (config.threshold_healthy, config.threshold_watch) == (80, 60)
    assert config.threshold_at_risk == 20
    assert config.satisfaction_half_life_days == 60, "the company's other settings"
    assert base.weight_satisfaction == 30, "the company's config is left alone"


def test_the_scorecard_config_refuses_inconsistent_numbers():
    zero = dict.fromkeys(("satisfaction", "sla", "visits", "recency"), 0)
    with pytest.raises(ScoringConfigError) as caught:
        scorecard_config(ScoringConfig(), zero, {})
    assert caught.value.kind == "no_weight"
    with pytest.raises(ScoringConfigError) as caught:
        scorecard_config(
            ScoringConfig(),
            {},
            {"threshold_healthy": 50, "threshold_watch": 60, "threshold_at_risk": 20},
        )
    assert caught.value.kind == "thresholds"


def test_matching_a_large_book_is_vectorised():
    size = 100_000
    rng = np.random.default_rng(7)
    book = pd.DataFrame(
        {
            "company_id": rng.integers(1, 3, size),
            "tier_id": rng.integers(1, 5, size),
            "industry_id": rng.integers(1, 20, size),
            "tag_ids": [tuple(rng.integers(1, 30, 2)) for _ in range(size)],
            "quadrant": rng.choice(["true_friend", "stranger", None], size),
        },
        index=pd.RangeIndex(1, size + 1, name="partner_id"),
    )
    cards = [
        card(i, sequence=i, company_id=1 + i % 2, tier_ids=[i % 4 + 1], tag_ids=[i])
        for i in range(1, 21)
    ]
    started = time.perf_counter()
    matched = match_scorecards(book, cards)
    assert time.perf_counter() - started < 5
    first = book.iloc[0]
    expected = min(
        (
            (c["sequence"], c["id"])
            for c in cards
            if c["company_id"] == first["company_id"]
            and first["tier_id"] in c["tier_ids"]
            and set(first["tag_ids"]) & set(c["tag_ids"])
        ),
        default=(0, 0),
    )[1]
    assert matched.iloc[0] == expected
    assert (matched > 0).any()
