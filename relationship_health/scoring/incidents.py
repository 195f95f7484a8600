"""Service incidents: who is told, whose salesperson calls first, and how
long the restoration took against the promise.

Pure functions on pandas frames, called by ``relationship.service.incident``:

- :func:`notice_recipients`: the contacts an incident's notices go to, and
  the affected accounts nobody can be told about.
- :func:`incident_calls`: the key accounts whose salesperson calls first,
  within each salesperson's daily limit of work.
- :func:`restoration_facts`: hours taken against hours promised.
"""

import pandas as pd

#: Columns of the contacts frame of :func:`notice_recipients`.
CONTACT_COLUMNS = ("account_id", "partner_id", "flagged", "email")

#: Columns of the accounts frame of :func:`incident_calls`.
CALL_COLUMNS = ("account_id", "owner_id", "key", "revenue")


def _frame(rows, columns, name):
    """``rows`` (a frame, or tuples in the order of ``columns``) as a frame
    holding at least ``columns``."""
    if not isinstance(rows, pd.DataFrame):
        return pd.DataFrame(list(rows or []), columns=list(columns))
    frame = rows
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the columns {', '.join(missing)}")
    return frame


def notice_recipients(contacts):
    """Who receives the notices of an incident, per affected account.

    ``contacts``: one row per affected account (``partner_id`` equal to
    ``account_id``) and per active contact of it, with ``flagged`` (the
    contact asked to receive service notices) and ``email`` (its address,
    empty or None without one).

    The rule: the flagged contacts that have an email; for an account with
    none of those, its main contact: the account itself when it has an
    email, else its contact with an email of the lowest id.

    Returns ``(recipients, unreached)``: a frame (account_id, partner_id)
    sorted by account and partner, and the sorted ids of the accounts with
    no recipient at all.
    """
    frame = _frame(contacts, CONTACT_COLUMNS, "contacts")
    accounts = sorted(set(frame["account_id"].astype("int64").tolist()))
    has_email = frame["email"].fillna("").astype(str).str.strip() != ""
    reachable = frame[has_email].copy()
    reachable["flagged"] = reachable["flagged"].fillna(False).astype(bool)
    reachable["main"] = reachable["partner_id"] == reachable["account_id"]
    flagged = reachable[reachable["flagged"]]
    others = reachable[~reachable["account_id"].isin(flagged["account_id"])]
    main = (
        others.sort_values(
            ["account_id", "main", "partner_id"], ascending=[True, False, True]
        )
        .drop_duplicates("account_id")
        .loc[:, ["account_id", "partner_id"]]
    )
    recipients = (
        pd.concat([flagged[["account_id", "partner_id"]], main])
        .astype("int64")
        .drop_duplicates()
        .sort_values(["account_id", "partner_id"])
        .reset_index(drop=True)
    )
    reached = set(recipients["account_id"].tolist())
    return recipients, [account for account in accounts if account not in reached]


def incident_calls(accounts, limits):
    """The affected accounts whose salesperson calls the customer first.

    ``accounts``: rows (account_id, owner_id, key, revenue): the owner who
    would call (None or NaN without one), whether the account is a key
    account, and its 12-month revenue. ``limits``: ``{owner_id: n}``, how
    many calls each owner may still get (an owner missing from it gets none).

    Key accounts with an owner get a call, the highest revenue first (ties:
    the lowest account id), up to each owner's limit. Returns the sorted ids
    of the chosen accounts.
    """
    frame = _frame(accounts, CALL_COLUMNS, "accounts")
    frame = frame[frame["key"].fillna(False).astype(bool)]
    frame = frame[pd.to_numeric(frame["owner_id"], errors="coerce").notna()].copy()
    if frame.empty:
        return []
    frame["owner_id"] = frame["owner_id"].astype("int64")
    frame["revenue"] = pd.to_numeric(frame["revenue"], errors="coerce").fillna(0.0)
    frame = frame.sort_values(
        ["owner_id", "revenue", "account_id"], ascending=[True, False, True]
    )
    place = frame.groupby("owner_id").cumcount().to_numpy()
    limit = frame["owner_id"].map(lambda owner: limits.get(owner, 0)).to_numpy()
    return sorted(frame["account_id"].to_numpy()[place < limit].astype(int).tolist())


def restoration_facts(started, restored, promised_hours, now):
    """How long the restoration took (or has taken so far) against what was
    promised: ``{"hours", "promised", "late", "restored"}``, hours rounded to
    one decimal; ``restored`` None while the incident is open."""
    end = restored or now
    hours = max((end - started).total_seconds() / 3600.0, 0.0)
    promised = float(promised_hours or 0.0)
    return {
        "hours": round(hours, 1),
        "promised": round(promised, 1),
        "late": bool(promised and hours > promised),
        "restored": restored is not None,
    }
