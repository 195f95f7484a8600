"""Upper bounds of every number a user can type into the settings.

A setting beyond its bound is refused with a clear message instead of
breaking later (a cadence no date can hold, a target no ``timedelta`` can
hold, a weight that drowns the others by accident). Days are bounded to ten
years: far beyond any sensible rhythm, far within what dates can hold.
"""

#: Longest period in days of any half-life, window, interval or delay.
MAX_DAYS = 3650
#: Highest signal weight (weights are relative; only their ratios matter).
MAX_WEIGHT = 1000
#: Highest weight of a visit mood against a survey answer (1).
MAX_MOOD_WEIGHT = 10
#: Longest visit cadence of an account, a tier or the default (three years).
MAX_VISIT_CADENCE_DAYS = 3 * 366
#: Longest visit reminder window and retention follow-up delay.
MAX_REMINDER_DAYS = 365
#: Most new retention cases an owner may get a day.
MAX_DAILY_CASES = 1000
#: Highest win-back factor (times the usual order interval).
MAX_WINBACK_FACTOR = 100
#: Longest service-level target.
MAX_TARGET_DAYS = MAX_DAYS
MAX_TARGET_HOURS = MAX_DAYS * 24


def within(value, low, high):
    """Whether ``value`` lies in [low, high]."""
    return low <= value <= high
