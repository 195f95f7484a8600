"""Playbooks: what happens when an account enters a quadrant (and band).

Pure functions, called by ``relationship.playbook``; days are UTC days.

- :func:`playbook_for`: the playbook that applies to an account.
- :func:`plan_playbooks`: today's runs, the stays that ended, and the runs
  skipped (cooldown, retention work first), within each owner's daily cap.
"""

from datetime import timedelta

#: Why a run was skipped: it ran lately, the account has open retention
#: work, or the account was already in scope when the playbook started.
SKIP_REASONS = ("cooldown", "retention", "baseline")


def playbook_for(quadrant, band, playbooks):
    """The playbook of an account in ``quadrant`` and ``band``: among
    ``playbooks`` (rows (id, quadrant, band or None, sequence)) those of its
    quadrant whose band is its band or empty; a band-specific one first,
    then the lowest sequence and id. None when no playbook applies."""
    matching = [
        row
        for row in playbooks
        if row[1] == quadrant and (row[2] is None or row[2] == band)
    ]
    if not matching:
        return None
    return min(matching, key=lambda row: (row[2] is None, row[3], row[0]))[0]


def plan_playbooks(
    accounts, playbooks, open_stays, last_runs, cooldowns, busy, limits, today, new=()
):
    """Today's playbook work.

    ``accounts``: rows (account_id, quadrant, band, owner_id, value) of the
    accounts scored; ``playbooks``: rows (id, quadrant, band, sequence);
    ``open_stays``: ``{account_id: playbook_id}`` of the stays not ended
    (the playbook ran, or was skipped, since the account entered);
    ``last_runs``: ``{(playbook_id, account_id): day of its last run}``;
    ``cooldowns``: ``{playbook_id: days}``; ``busy``: accounts with open
    retention work; ``limits``: ``{owner_id: work they may still get today}``;
    ``new``: playbooks running for the first time, whose accounts already in
    scope are recorded as there (skipped, ``baseline``) without work: only
    later entries get work, not the whole book at once.

    An account whose playbook differs from its open stay's (it left the
    quadrant or band) ends that stay. An account entering a playbook's
    scope (no open stay for it) gets a run, unless the playbook ran for it
    less than its cooldown ago or it has open retention work (a skipped
    stay: it runs again only at the next entry), or its owner has no room
    left today (it waits for another day). Most valuable accounts first.
    Returns ``(runs, skipped, ended)``: lists of (playbook_id, account_id),
    of (playbook_id, account_id, reason), and of account ids.
    """
    runs, skipped, ended = [], [], []
    room = dict(limits)
    for account, quadrant, band, owner, _value in sorted(
        accounts, key=lambda row: (-(row[4] or 0.0), row[0])
    ):
        playbook = playbook_for(quadrant, band, playbooks)
        stay = open_stays.get(account)
        if stay is not None and stay != playbook:
            ended.append(account)
            stay = None
        if playbook is None or stay is not None:
            continue
        last = last_runs.get((playbook, account))
        if playbook in new:
            skipped.append((playbook, account, "baseline"))
        elif (
            last is not None
            and last + timedelta(days=cooldowns.get(playbook, 0)) > today
        ):
            skipped.append((playbook, account, "cooldown"))
        elif account in busy:
            skipped.append((playbook, account, "retention"))
        elif owner is not None and room.get(owner, 0) > 0:
            room[owner] -= 1
            runs.append((playbook, account))
    return runs, skipped, ended
