"""Which service level and which incident explain an account's breaches.

Pure functions on numpy arrays, called by
:func:`..components.compute_sla`: the columns ``sla_worst_policy_id`` and
``sla_worst_incident_id`` the reasons of the score name.
"""

import numpy as np
import pandas as pd


def optional_ids(frame, column, rows):
    """The ids of an optional ``column`` of ``frame`` at ``rows`` (a mask), as
    floats (NaN for none); None when the frame lacks the column."""
    if column not in frame.columns:
        return None
    return pd.to_numeric(frame[column], errors="coerce").to_numpy("float64")[rows]


def worst_policy(positions, policies, breached_count, size):
    """Per account position, the policy with the most breaches when it holds
    at least half of the account's breaches (ties: the lowest id), else NaN."""
    worst = np.full(size, np.nan)
    known = ~np.isnan(policies)
    if not known.any():
        return worst
    counts = (
        pd.DataFrame({"position": positions[known], "policy": policies[known]})
        .groupby(["position", "policy"])
        .size()
        .rename("count")
        .reset_index()
        .sort_values(["position", "count", "policy"], ascending=[True, False, True])
        .drop_duplicates("position")
    )
    position = counts["position"].to_numpy("int64")
    mostly = 2 * counts["count"].to_numpy("int64") >= breached_count[position]
    worst[position[mostly]] = counts["policy"].to_numpy("float64")[mostly]
    return worst


def worst_incident(positions, incidents, lateness, size):
    """Per account position, the incident (id) of its most late breached
    commitment, NaN when none of its breaches comes from an incident.
    ``positions``, ``incidents`` (NaN when not an incident) and ``lateness``
    are parallel arrays of the breached commitments."""
    worst = np.full(size, np.nan)
    known = ~np.isnan(incidents)
    if not known.any():
        return worst
    frame = (
        pd.DataFrame(
            {
                "position": positions[known],
                "incident": incidents[known],
                "late": lateness[known],
            }
        )
        .sort_values(["position", "late", "incident"], ascending=[True, False, True])
        .drop_duplicates("position")
    )
    worst[frame["position"].to_numpy("int64")] = frame["incident"].to_numpy("float64")
    return worst
