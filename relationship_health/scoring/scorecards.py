"""Scorecards: the weights and band thresholds of a segment of accounts.

A scorecard belongs to a company and applies to the accounts of that company
that meet its criteria: tiers, industries, tags and quadrants. A criterion
left empty matches any account; a filled one matches an account that has any
of its values; every filled criterion must match. A scorecard without any
criterion matches every account of its company. When several scorecards
match an account, the one with the lowest ``(sequence, id)`` scores it; an
account that no scorecard matches is scored with the company's settings (the
default scorecard, id 0).
"""

import dataclasses

import numpy as np
import pandas as pd

from .config import COMPONENTS

#: The criteria of a scorecard: its key, and the account column it reads.
CRITERIA = {
    "tier_ids": "tier_id",
    "industry_ids": "industry_id",
    "tag_ids": "tag_ids",
    "quadrants": "quadrant",
}
#: The band thresholds a scorecard sets.
THRESHOLDS = ("threshold_healthy", "threshold_watch", "threshold_at_risk")
#: The id standing for the company's own settings (the default scorecard).
DEFAULT_SCORECARD = 0


def _priority(scorecard):
    return (scorecard["sequence"], scorecard["id"])


def _account_tags(accounts):
    """The accounts' tags, one row per (account, tag): an index of account
    ids and their tag values."""
    if "tag_ids" not in accounts.columns or accounts.empty:
        return pd.Series([], dtype="float64")
    tags = accounts["tag_ids"].map(
        lambda value: list(value) if isinstance(value, (list, tuple, set)) else []
    )
    return tags.explode().dropna()


def scorecard_mask(accounts, scorecard, tags=None):
    """Boolean array: which rows of ``accounts`` ``scorecard`` matches (its
    company and every filled criterion). ``tags`` is the exploded tag series
    of :func:`_account_tags`, computed once by callers looping over
    scorecards."""
    mask = (accounts["company_id"] == scorecard["company_id"]).to_numpy(copy=True)
    for key, column in CRITERIA.items():
        values = list(scorecard.get(key) or ())
        if not values:
            continue
        if key == "tag_ids":
            tags = _account_tags(accounts) if tags is None else tags
            tagged = tags.index[tags.isin(values).to_numpy()]
            mask &= accounts.index.isin(tagged)
        else:
            mask &= accounts[column].isin(values).to_numpy()
    return mask


def match_scorecards(accounts, scorecards):
    """The scorecard of each account: a Series of scorecard ids indexed like
    ``accounts`` (0: no scorecard matches, the company's settings apply).

    :param accounts: DataFrame indexed by partner id with the columns
        ``company_id``, ``tier_id``, ``industry_id``, ``tag_ids`` (a list or
        tuple of tag ids) and ``quadrant``.
    :param scorecards: dicts with ``id``, ``company_id``, ``sequence`` and the
        criteria ``tier_ids``, ``industry_ids``, ``tag_ids``, ``quadrants``
        (empty: any value).
    """
    result = np.full(len(accounts), DEFAULT_SCORECARD, dtype="int64")
    if len(accounts) and scorecards:
        tags = _account_tags(accounts)
        free = np.ones(len(accounts), dtype=bool)
        for scorecard in sorted(scorecards, key=_priority):
            mask = free & scorecard_mask(accounts, scorecard, tags)
            result[mask] = scorecard["id"]
            free &= ~mask
            if not free.any():
                break
    return pd.Series(result, index=accounts.index, name="scorecard_id")


def scorecard_clashes(accounts, scorecards):
    """Pairs of scorecards of one company and one sequence that both match an
    account: a list of ``(first id, second id, partner id)``, one per pair
    (the account with the lowest id), pairs in id order."""
    clashes = []
    groups = {}
    for scorecard in scorecards:
        key = (scorecard["company_id"], scorecard["sequence"])
        groups.setdefault(key, []).append(scorecard)
    tags = None
    for group in groups.values():
        if len(group) < 2:
            continue
        if tags is None:
            tags = _account_tags(accounts)
        group = sorted(group, key=_priority)
        masks = [scorecard_mask(accounts, scorecard, tags) for scorecard in group]
        for i, first in enumerate(group):
            for second, mask in zip(group[i + 1 :], masks[i + 1 :]):
                both = accounts.index[masks[i] & mask]
                if len(both):
                    clashes.append((first["id"], second["id"], int(both.min())))
    return clashes


def scorecard_config(base_config, weights, thresholds):
    """The company's :class:`~.config.ScoringConfig` with a scorecard's
    ``weights`` (``{signal: weight}``, a weight of 0 turns the signal off)
    and ``thresholds`` (``{"threshold_healthy": …, …}``), validated.

    :raises ScoringConfigError: when the scorecard's numbers are inconsistent
        (``no_weight``: every weight is 0; ``thresholds``: out of order).
    """
    changes = {
        f"weight_{name}": weights[name] for name in COMPONENTS if name in weights
    }
    changes.update(
        {name: thresholds[name] for name in THRESHOLDS if name in thresholds}
    )
    return dataclasses.replace(base_config, **changes).validate()
