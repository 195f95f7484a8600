"""Cross-sell and up-sell suggestions of the scoring core on a book computed
by hand.

No database: run with ``python3 -m pytest tests/test_scoring_crosssell.py -p no:odoo``.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "relationship_health"))

from scoring.crosssell import BOOK, cross_sell, peer_groups, up_sell  # noqa: E402

# Ten accounts. Barnacles of industry 1: accounts 1–5 (a peer group of 5);
# the others (6–10) fall back to the book.
ACCOUNTS = [(i, "barnacle", 1) for i in range(1, 6)] + [
    (6, "barnacle", 2),
    (7, "true_friend", 1),
    (8, "true_friend", 1),
    (9, None, None),
    (10, "stranger", 3),
]
# Items: 100 (bought by 3 of the 5 barnacles of industry 1 and nobody else),
# 200 (bought by everybody but 1 and 2), 300 (by 6 only), 400 (not eligible).
PURCHASES = (
    [(3, 100, 1000.0), (4, 100, 3000.0), (5, 100, 2000.0)]
    + [(i, 200, 500.0) for i in range(3, 11)]
    + [(6, 300, 800.0), (1, 400, 50.0), (2, 400, 10.0), (3, 400, 10.0)]
)
ELIGIBLE = (100, 200, 300)


def test_peer_groups_fall_back_to_the_book():
    groups = peer_groups(ACCOUNTS, 5)
    assert {groups[i] for i in range(1, 6)} == {"barnacle|1"}
    assert {groups[i] for i in range(6, 11)} == {BOOK}


def test_suggestions_lifts_and_expected_revenue_by_hand():
    result = cross_sell(ACCOUNTS, PURCHASES, ELIGIBLE, min_peers=5)
    rows = {
        (row.account_id, row.item_id): row for row in result.itertuples(index=False)
    }
    # Account 1: peers 2–5. Item 100: 3 of 4 peers (75 %) vs 3 of 10 overall
    # (30 %): lift 2.5, expected = median(1000, 3000, 2000) = 2000. Item 200:
    # 3 of 4 peers vs 8 of 10: lift 0.9375 < 1, not suggested.
    first = rows[(1, 100)]
    assert (first.rank, first.peers) == (1, 4)
    assert first.share == pytest.approx(0.75)
    assert first.base_share == pytest.approx(0.3)
    assert first.lift == pytest.approx(2.5)
    assert first.expected == pytest.approx(2000.0)
    assert (1, 200) not in rows
    # Account 3 bought 100 and 200 already: nothing to suggest but 300? 300 is
    # bought by account 6 only, which is not its peer: no suggestion.
    assert not [key for key in rows if key[0] == 3]
    # Account 9 (the book, 9 peers): 100 bought by 3 of 9 (33.3 %) vs 30 %:
    # lift 1.11; 300 by 1 of 9 vs 10 %: lift 1.11 too, lower share: second.
    nine = result[result["account_id"] == 9]
    assert nine["item_id"].tolist() == [100, 300]
    assert nine["lift"].tolist() == pytest.approx([10 / 9, 10 / 9])
    # Item 400 is not eligible (archived, not saleable): never suggested.
    assert 400 not in result["item_id"].tolist()


def test_dismissed_pairs_do_not_come_back():
    result = cross_sell(ACCOUNTS, PURCHASES, ELIGIBLE, 5, excluded={(1, 100)})
    assert (1, 100) not in set(zip(result["account_id"], result["item_id"]))


def test_at_most_top_suggestions():
    result = cross_sell(ACCOUNTS, PURCHASES, ELIGIBLE, 5, top=1)
    assert result.groupby("account_id").size().max() == 1


def test_up_sell_gap_against_the_peer_median():
    result = up_sell(ACCOUNTS, PURCHASES, min_peers=5)
    rows = {(r.account_id, r.item_id): r for r in result.itertuples(index=False)}
    # Barnacles of industry 1 on item 100: median(1000, 3000, 2000) = 2000;
    # account 3 spends 1000: a gap of 1000.
    assert rows[(3, 100)].gap == pytest.approx(1000.0)
    assert (4, 100) not in rows and (5, 100) not in rows
    # Item 400 in the group: 50, 10, 10: median 10, nobody below it.
    assert not [key for key in rows if key[1] == 400]


# -- playbooks -----------------------------------------------------------------
from datetime import date, timedelta  # noqa: E402

from scoring.playbooks import plan_playbooks, playbook_for  # noqa: E402

PLAYBOOKS = [
    (1, "barnacle", None, 10),
    (2, "barnacle", "critical", 20),  # more specific: first for critical barnacles
    (3, "true_friend", None, 10),
]
TODAY = date(2027, 1, 1)


def test_the_most_specific_playbook_applies():
    assert playbook_for("barnacle", "critical", PLAYBOOKS) == 2
    assert playbook_for("barnacle", "healthy", PLAYBOOKS) == 1
    assert playbook_for("stranger", "healthy", PLAYBOOKS) is None


def test_once_per_entry_with_cooldown_retention_first_and_the_cap():
    accounts = [
        (10, "barnacle", "healthy", 7, 500.0),  # enters: runs
        (11, "barnacle", "healthy", 7, 900.0),  # stays: nothing new
        (12, "true_friend", "healthy", 7, 100.0),  # owner 7 has no room left
        (13, "barnacle", "watch", 8, 10.0),  # ran 20 days ago: cooldown 30
        (14, "true_friend", "healthy", 8, 10.0),  # open retention work
        (15, "stranger", "healthy", 8, 10.0),  # left its barnacle stay
    ]
    open_stays = {11: 1, 15: 1}
    last_runs = {(1, 13): TODAY - timedelta(days=20)}
    runs, skipped, ended = plan_playbooks(
        accounts,
        PLAYBOOKS,
        open_stays,
        last_runs,
        {1: 30, 2: 30, 3: 365},
        busy={14},
        limits={7: 1, 8: 5},
        today=TODAY,
    )
    assert runs == [(1, 10)]
    assert skipped == [(1, 13, "cooldown"), (3, 14, "retention")]
    assert ended == [15]


def test_a_new_playbook_starts_from_the_accounts_already_there():
    runs, skipped, _ended = plan_playbooks(
        [(10, "barnacle", "healthy", 7, 1.0)],
        PLAYBOOKS,
        {},
        {},
        {1: 30},
        busy=set(),
        limits={7: 5},
        today=TODAY,
        new={1},
    )
    assert runs == [] and skipped == [(1, 10, "baseline")]
