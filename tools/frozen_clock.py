"""Run with the clock started at a chosen UTC instant (``RH_NOW``).

``start(instant)`` starts freezegun's clock at ``instant`` (ticking: time
goes on from there) and makes Odoo's ``cr.now()`` (records' ``create_date``
and ``write_date``) read that clock instead of PostgreSQL's ``now()``, as
Odoo's own test cursor does. The test suite uses it (tests/conftest.py), and
``python3 tools/frozen_clock.py <odoo arguments>`` runs Odoo's command line
with it, so that ``RH_NOW=... make test`` installs its database, demo data
included, at the same instant as the tests run.
"""

import os
import runpy
import sys


def start(instant):
    """Start the clock at ``instant`` (UTC, e.g. "2026-03-29 00:30:00");
    returns the freezer (``.stop()`` ends it)."""
    # pandas' C extensions must see the real datetime type when imported: a
    # pandas imported after the clock is frozen crashes the interpreter.
    import pandas  # noqa: F401
    from freezegun import freeze_time

    freezer = freeze_time(instant, tick=True)
    freezer.start()
    try:
        from odoo import sql_db
    except ImportError:  # the scoring core alone, without Odoo
        return freezer
    from datetime import datetime, timezone

    def now(cursor):
        if cursor._now is None:
            cursor._now = datetime.now(timezone.utc).replace(tzinfo=None)
        return cursor._now

    sql_db.Cursor.now = now
    return freezer


if __name__ == "__main__":
    if os.environ.get("RH_NOW"):
        start(os.environ["RH_NOW"])
    sys.argv[0] = "odoo"
    runpy.run_module("odoo", run_name="__main__", alter_sys=True)
