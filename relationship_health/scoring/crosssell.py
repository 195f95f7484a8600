"""Cross-sell and up-sell suggestions: what accounts like this one buy and
this one does not, ranked by lift, with the figures that explain them.

Pure functions on pandas frames, called by ``relationship.crosssell.suggestion``:

- :func:`peer_groups`: each account's peer group (same quadrant and same
  industry), or the whole book when that group is too small.
- :func:`cross_sell`: up to N products per account, by lift over the base rate.
- :func:`up_sell`: the categories an account buys below its peers' median.

Each is a book-wide statistics step (``*_stats``, once) and a per-account
step (``*_batch``) that runs batch by batch of accounts against them.
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
#: The least lift of a suggestion within a peer group.
MIN_LIFT = 1.2
#: The least share of the book that bought an item suggested to an account
#: compared with the whole book (its peer group too small).
MIN_BOOK_SHARE = 0.1


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


def _in_groups(groups, purchases):
    bought = _bought(purchases)
    bought["group"] = bought["account_id"].map(groups)
    return bought[bought["group"].notna()]


def group_sizes(groups):
    """``{group: accounts}``; :data:`BOOK` counts every account of the book."""
    sizes = pd.Series(list(groups.values()), dtype=object).value_counts().to_dict()
    sizes[BOOK] = len(groups)
    return sizes


def cross_sell_stats(groups, purchases):
    """Book-wide figures of the cross-sell, once for the whole book: a frame
    (group, item_id, buyers, expected) with, per peer group and item, the
    accounts who bought it and the median of their yearly spend. The
    :data:`BOOK` group counts every account's purchases (its buyers over the
    book's size is the item's base rate)."""
    bought = _in_groups(groups, purchases)
    in_groups = bought[bought["group"] != BOOK]
    return (
        pd.concat([in_groups, bought.assign(group=BOOK)])
        .groupby(["group", "item_id"])
        .agg(buyers=("account_id", "nunique"), expected=("spend", "median"))
        .reset_index()
    )


def up_sell_stats(groups, purchases):
    """Book-wide figures of the up-sell: a frame (group, item_id, median,
    peers) with, per peer group and item, the median yearly spend of the
    group's accounts who buy it and how many they are."""
    return (
        _in_groups(groups, purchases)
        .groupby(["group", "item_id"])
        .agg(median=("spend", "median"), peers=("account_id", "nunique"))
        .reset_index()
    )


def cross_sell(accounts, purchases, eligible, min_peers, top=DEFAULT_TOP, excluded=()):
    """Up to ``top`` suggestions per account, as a frame (account_id,
    item_id, rank, share, peers, base_share, lift, expected) sorted by
    account and rank.

    For an account, a candidate is an ``eligible`` item it did not buy that
    at least one of its peers (:func:`peer_groups`, the account itself left
    out) bought. ``share`` = peers who bought it / peers; ``base_share`` =
    accounts of the book who bought it / accounts; ``lift`` = share /
    base_share; only lifts of at least :data:`MIN_LIFT` are suggested (for
    an account compared with the whole book, whose lifts are about 1 by
    construction: items bought by at least :data:`MIN_BOOK_SHARE` of the
    book), the highest first (ties:
    the higher share, then the lower item id). ``expected`` = the median
    yearly spend on it of the peers who bought it. ``excluded``: (account,
    item) pairs never suggested (dismissed lately)."""
    groups = peer_groups(accounts, min_peers)
    stats = cross_sell_stats(groups, purchases)
    return cross_sell_batch(
        groups, purchases, stats, group_sizes(groups), eligible, top, excluded
    )


def cross_sell_batch(
    groups, purchases, stats, sizes, eligible, top=DEFAULT_TOP, excluded=()
):
    """:func:`cross_sell` for a batch of accounts (``groups``: their peer
    groups, ``purchases``: theirs) against the book's figures
    (:func:`cross_sell_stats`, :func:`group_sizes`)."""
    bought = _in_groups(groups, purchases)
    book = stats[stats["group"] == BOOK].set_index("item_id")["buyers"]
    base = book / max(sizes[BOOK], 1)
    # The figures of a candidate depend on its group and item only.
    stats = stats[stats["item_id"].isin(set(eligible))].copy()
    peers = stats["group"].map(sizes).astype("float64") - 1.0
    stats["peers"] = peers.astype("int64")
    stats["share"] = np.where(peers > 0, stats["buyers"] / peers.clip(lower=1), 0.0)
    stats["base_share"] = stats["item_id"].map(base).astype("float64")
    stats["lift"] = stats["share"] / stats["base_share"]
    # In a peer group, a real lift; an account compared with the whole book
    # has lifts of about 1 by construction: there, what is widely bought.
    in_book = stats["group"] == BOOK
    stats = stats[
        (stats["share"] > 0)
        & (
            (~in_book & (stats["lift"] >= MIN_LIFT))
            | (in_book & (stats["share"] >= MIN_BOOK_SHARE))
        )
    ]
    members = pd.DataFrame({"account_id": list(groups), "group": list(groups.values())})
    candidates = members.merge(stats, on="group")
    own = pd.concat(
        [
            bought[["account_id", "item_id"]],
            pd.DataFrame(list(excluded), columns=["account_id", "item_id"]),
        ]
    )
    own = own.astype("int64").drop_duplicates()
    candidates = candidates.merge(own, how="left", indicator=True)
    candidates = candidates[candidates["_merge"] == "left_only"].copy()
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
    return up_sell_batch(groups, purchases, up_sell_stats(groups, purchases))


def up_sell_batch(groups, purchases, stats):
    """:func:`up_sell` for a batch of accounts against the book's figures
    (:func:`up_sell_stats`)."""
    frame = _in_groups(groups, purchases).merge(stats, on=["group", "item_id"])
    frame = frame[(frame["peers"] >= 2) & (frame["spend"] < frame["median"])].copy()
    frame["gap"] = frame["median"] - frame["spend"]
    frame = frame.sort_values(
        ["account_id", "gap", "item_id"], ascending=[True, False, True]
    )
    return frame[
        ["account_id", "item_id", "spend", "median", "gap", "peers"]
    ].reset_index(drop=True)
