"""Cross-sell and up-sell suggestions: what accounts like this one buy and
this one does not, ranked by lift, with the figures that explain them.

Pure functions on pandas frames, called by ``relationship.crosssell.suggestion``:

- :func:`peer_groups`: each account's peer group (same quadrant and same
  industry), or the whole book when that group is too small.
- :func:`cross_sell`: up to N products per account, by lift over the base rate.
- :func:`up_sell`: the categories an account buys below its peers' median.
"""

import numpy as np
import pandas as pd

#: Columns of the accounts frame.
ACCOUNT_COLUMNS = ("account_id", "quadrant", "industry_id")
#: Columns of the purchases frame: yearly spend of an account on an item
#: (a product, or a product category) over the look-back window.
PURCHASE_COLUMNS = ("account_id", "item_id", "spend")

#: Defaults of the settings.
DEFAULT_MIN_PEERS = 20
DEFAULT_TOP = 3
#: The group of the accounts that fall back to the whole book.
BOOK = "book"


def peer_groups(accounts, min_peers):
    """``{account_id: group key}``: same quadrant and same industry when at
    least ``min_peers`` accounts share them (the account included), else
    :data:`BOOK` (every account)."""
    frame = pd.DataFrame(accounts, columns=list(ACCOUNT_COLUMNS))
    industry = pd.to_numeric(frame["industry_id"], errors="coerce").astype("Int64")
    key = frame["quadrant"].astype(str) + "|" + industry.astype(str)
    known = frame["quadrant"].notna() & industry.notna()
    size = key.map(key[known].value_counts()).fillna(0)
    group = np.where(known & (size >= min_peers), key, BOOK)
    return dict(zip(frame["account_id"].tolist(), group.tolist()))


def _bought(purchases):
    frame = pd.DataFrame(purchases, columns=list(PURCHASE_COLUMNS))
    frame = frame[frame["spend"].fillna(0) > 0]
    return frame.groupby(["account_id", "item_id"], as_index=False)["spend"].sum()


def cross_sell(accounts, purchases, eligible, min_peers, top=DEFAULT_TOP, excluded=()):
    """Up to ``top`` suggestions per account, as a frame (account_id,
    item_id, rank, share, peers, base_share, lift, expected) sorted by
    account and rank.

    For an account, a candidate is an ``eligible`` item it did not buy that
    at least one of its peers (:func:`peer_groups`, the account itself left
    out) bought. ``share`` = peers who bought it / peers; ``base_share`` =
    accounts of the book who bought it / accounts; ``lift`` = share /
    base_share; only lifts above 1 are suggested, the highest first (ties:
    the higher share, then the lower item id). ``expected`` = the median
    yearly spend on it of the peers who bought it. ``excluded``: (account,
    item) pairs never suggested (dismissed lately)."""
    groups = peer_groups(accounts, min_peers)
    bought = _bought(purchases)
    eligible = set(eligible)
    bought["group"] = bought["account_id"].map(groups)
    bought = bought[bought["group"].notna()]
    book_size = len(groups)
    group_sizes = pd.Series(list(groups.values())).value_counts()
    group_sizes[BOOK] = book_size
    base = bought.groupby("item_id")["account_id"].nunique() / max(book_size, 1)

    # Per peer group and item: buyers and the median spend. The book group
    # counts every account's purchases.
    in_groups = bought[bought["group"] != BOOK]
    by_book = bought.assign(group=BOOK)
    stats = (
        pd.concat([in_groups, by_book])
        .groupby(["group", "item_id"])
        .agg(buyers=("account_id", "nunique"), expected=("spend", "median"))
        .reset_index()
    )
    stats = stats[stats["item_id"].isin(eligible)]
    members = pd.DataFrame({"account_id": list(groups), "group": list(groups.values())})
    candidates = members.merge(stats, on="group")
    own = set(zip(bought["account_id"].tolist(), bought["item_id"].tolist()))
    own.update(excluded)
    pairs = list(zip(candidates["account_id"].tolist(), candidates["item_id"].tolist()))
    keep = [pair not in own for pair in pairs]
    candidates = candidates[keep].copy()
    peers = candidates["group"].map(group_sizes).astype("float64") - 1.0
    candidates["peers"] = peers.astype("int64")
    candidates["share"] = np.where(
        peers > 0, candidates["buyers"] / peers.clip(lower=1), 0.0
    )
    candidates["base_share"] = candidates["item_id"].map(base).astype("float64")
    candidates["lift"] = candidates["share"] / candidates["base_share"]
    candidates = candidates[(candidates["share"] > 0) & (candidates["lift"] > 1.0)]
    candidates = candidates.sort_values(
        ["account_id", "lift", "share", "item_id"], ascending=[True, False, False, True]
    )
    candidates["rank"] = candidates.groupby("account_id").cumcount() + 1
    chosen = candidates[candidates["rank"] <= top]
    return chosen[
        [
            "account_id",
            "item_id",
            "rank",
            "share",
            "peers",
            "base_share",
            "lift",
            "expected",
        ]
    ].reset_index(drop=True)


def up_sell(accounts, purchases, min_peers):
    """The items (categories) an account buys for less than the median of
    its peers who buy them: a frame (account_id, item_id, spend, median,
    gap, peers) sorted by account and gap (largest first). Peers as in
    :func:`peer_groups`; an item needs at least two buyers in the group."""
    groups = peer_groups(accounts, min_peers)
    bought = _bought(purchases)
    bought["group"] = bought["account_id"].map(groups)
    bought = bought[bought["group"].notna()]
    stats = (
        bought.groupby(["group", "item_id"])
        .agg(median=("spend", "median"), peers=("account_id", "nunique"))
        .reset_index()
    )
    frame = bought.merge(stats, on=["group", "item_id"])
    frame = frame[(frame["peers"] >= 2) & (frame["spend"] < frame["median"])].copy()
    frame["gap"] = frame["median"] - frame["spend"]
    frame = frame.sort_values(
        ["account_id", "gap", "item_id"], ascending=[True, False, True]
    )
    return frame[
        ["account_id", "item_id", "spend", "median", "gap", "peers"]
    ].reset_index(drop=True)
