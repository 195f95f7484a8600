"""Survey campaigns: which accounts are due, which contacts are asked, who
gets a reminder, and which accounts stopped answering.

Pure functions on plain rows and pandas frames, called by
``relationship.survey.campaign``; day counts are UTC days (``date`` values).

- :func:`due_accounts`: the accounts a campaign asks today.
- :func:`choose_invitees`: their contacts asked, within the fatigue guard.
- :func:`reminders_due`: the invitations that get their one reminder.
- :func:`silent_accounts`: the accounts that left their last invitations
  unanswered.
- :func:`campaign_problem`: what is wrong with a campaign's settings.
"""

from datetime import timedelta

import pandas as pd

from .incidents import notice_recipients

#: Defaults of the company settings.
DEFAULT_FATIGUE_DAYS = 60
DEFAULT_REMINDER_DAYS = 7
#: How many unanswered invitations in a row make an account silent.
SILENCE_INVITATIONS = 2

#: States of an invitation.
INVITATION_STATES = ("sent", "answered", "declined", "bounced")

#: Columns of the contacts frame of :func:`choose_invitees`.
INVITEE_COLUMNS = (
    "account_id",
    "partner_id",
    "flagged",
    "email",
    "last_invited",
    "excluded",
)


def due_accounts(account_ids, last_sent, today, cadence_days, postponed=None):
    """The accounts of ``account_ids`` a campaign asks on ``today``: never
    asked by it, or last asked (``last_sent``: ``{account: date}``) at least
    ``cadence_days`` ago; an account postponed (``postponed``: ``{account:
    date}``) is due again the day after its postponement ends. Sorted ids."""
    postponed = postponed or {}
    return sorted(
        account
        for account in set(account_ids)
        if (
            account not in last_sent
            or last_sent[account] + timedelta(days=cadence_days) <= today
        )
        and not (postponed.get(account) and postponed[account] >= today)
    )


def next_due_date(last_sent, cadence_days, today, postponed_until=None):
    """When a campaign asks an account next: today when it never did (or the
    cadence has passed), else ``last_sent`` + cadence; never before the day
    after a postponement."""
    due = (
        today
        if last_sent is None
        else max(today, last_sent + timedelta(days=cadence_days))
    )
    if postponed_until and postponed_until >= due:
        due = postponed_until + timedelta(days=1)
    return due


def choose_invitees(contacts, per_account, fatigue_days, today):
    """The contacts asked, per due account.

    ``contacts``: one row per due account (``partner_id`` equal to
    ``account_id``) and per active contact of it, with ``flagged`` (a
    survey recipient), ``email``, ``last_invited`` (the day of its last
    survey invitation of any campaign, None when never) and ``excluded``
    (declined or bounced: never asked again).

    The rule: leaving the excluded out, the flagged contacts with an email,
    else the main contact (as for incident notices:
    :func:`..incidents.notice_recipients`), at most ``per_account`` per
    account (lowest ids first); then nobody invited less than
    ``fatigue_days`` days ago (the fatigue guard, across campaigns).
    Returns a frame (account_id, partner_id) sorted by account and contact.
    """
    frame = (
        pd.DataFrame(list(contacts), columns=list(INVITEE_COLUMNS))
        if not isinstance(contacts, pd.DataFrame)
        else contacts
    )
    frame = frame[~frame["excluded"].fillna(False).astype(bool)]
    recipients, _unreached = notice_recipients(
        frame[["account_id", "partner_id", "flagged", "email"]]
    )
    recipients = recipients.groupby("account_id").head(max(int(per_account), 0))
    last = dict(zip(frame["partner_id"].tolist(), frame["last_invited"].tolist()))
    limit = today - timedelta(days=fatigue_days)
    rested = [
        not _known(last.get(partner)) or last[partner] <= limit
        for partner in recipients["partner_id"].tolist()
    ]
    return recipients[rested].reset_index(drop=True)


def _known(day):
    return day is not None and not pd.isna(day)


def reminders_due(invitations, reminder_days, today):
    """The ids of the invitations that get their one reminder today: sent at
    least ``reminder_days`` days ago, still unanswered (state ``sent``) and
    never reminded. ``invitations``: rows (id, date_sent, state, date_reminded).
    ``reminder_days`` 0 turns reminders off."""
    if reminder_days <= 0:
        return []
    limit = today - timedelta(days=reminder_days)
    return sorted(
        invitation_id
        for invitation_id, date_sent, state, reminded in invitations
        if state == "sent" and not _known(reminded) and date_sent <= limit
    )


def silent_accounts(invitations, today, wait_days):
    """The accounts whose last :data:`SILENCE_INVITATIONS` invitation days
    were all left unanswered: ``{account: day of the last of them}``.

    ``invitations``: rows (account_id, date_sent, state). Only invitations
    sent at least ``wait_days`` ago count (a survey sent yesterday is not
    ignored yet); an account is answering on a day when any of its contacts
    answered an invitation of that day. Declined and bounced invitations
    count as unanswered."""
    limit = today - timedelta(days=wait_days)
    days = {}
    for account, date_sent, state in invitations:
        if date_sent > limit:
            continue
        answered = days.setdefault(account, {})
        answered[date_sent] = answered.get(date_sent, False) or state == "answered"
    silent = {}
    for account, by_day in days.items():
        last = sorted(by_day)[-SILENCE_INVITATIONS:]
        if len(last) == SILENCE_INVITATIONS and not any(by_day[day] for day in last):
            silent[account] = last[-1]
    return silent


def campaign_problem(cadence_days, fatigue_days, per_account, has_metric):
    """What is wrong with a campaign's settings, as a code (None when
    nothing): ``no_metric`` (its survey measures no satisfaction),
    ``cadence`` (asks more often than the fatigue guard allows), ``contacts``
    (asks nobody)."""
    if not has_metric:
        return "no_metric"
    if cadence_days < fatigue_days:
        return "cadence"
    if per_account < 1:
        return "contacts"
    return None
