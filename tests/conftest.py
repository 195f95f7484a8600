"""pytest configuration shared by the test suite.

The scoring core's tests run without Odoo; every other test runs inside a
real Odoo database through pytest-odoo (see README, Tests).

Two rules of the suite live here:

- **A chosen instant.** ``--rh-now="2026-03-29 00:30:00"`` (or the environment
  variable ``RH_NOW``), a UTC instant, runs the whole suite with the clock
  started at that instant (freezegun, ticking). Odoo's ``cr.now()`` (the
  ``create_date`` and ``write_date`` of records) follows it too; the product
  never reads the database's clock. The browser tours cannot follow it (the
  browser keeps its own clock): in such a run they are skipped, and that skip
  is on the allow-list.
- **No silent skip.** A skipped test fails the run unless its id and reason
  match a line of ``tests/skip_allowlist.txt``; every skip is listed at the
  end of the run, allowed or not.
"""

import fnmatch
import os
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
for path in (TESTS_DIR, TESTS_DIR.parent / "tools"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import frozen_clock  # noqa: E402  (tools/frozen_clock.py)

ALLOWLIST = TESTS_DIR / "skip_allowlist.txt"


def pytest_addoption(parser):
    parser.addoption(
        "--rh-now",
        default=os.environ.get("RH_NOW") or None,
        metavar="INSTANT",
        help="run the suite with the clock started at this UTC instant, e.g. "
        "'2026-03-29 00:30:00' (default: $RH_NOW, else the real clock)",
    )


def chosen_instant(config):
    """The UTC instant the run was started at (``--rh-now``/``RH_NOW``), or None."""
    return config.getoption("--rh-now", default=None)


#: (node id, reason) of every skipped test of this run.
_SKIPS = []


def pytest_configure(config):
    instant = chosen_instant(config)
    if instant:
        # Read by the tests that cannot follow the clock (browser tours).
        os.environ["RH_NOW"] = instant
        config._rh_freezer = frozen_clock.start(instant)


def pytest_unconfigure(config):
    freezer = getattr(config, "_rh_freezer", None)
    if freezer:
        freezer.stop()


def pytest_report_header(config):
    instant = chosen_instant(config)
    return f"relationship_health: clock started at {instant} UTC" if instant else None


def _allowlist():
    """(node id pattern, reason pattern) pairs of tests/skip_allowlist.txt."""
    entries = []
    if ALLOWLIST.exists():
        for line in ALLOWLIST.read_text().splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            node, _sep, reason = line.partition("::: ")
            entries.append((node.strip(), reason.strip() or "*"))
    return entries


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = (
            report.longrepr[2]
            if isinstance(report.longrepr, tuple)
            else str(report.longrepr)
        )
        reason = reason.removeprefix("Skipped: ")
        _SKIPS.append((report.nodeid, reason))


def _sorted_skips():
    allowed, unexpected = [], []
    entries = _allowlist()
    for nodeid, reason in _SKIPS:
        if any(
            fnmatch.fnmatchcase(nodeid, node) and fnmatch.fnmatchcase(reason, why)
            for node, why in entries
        ):
            allowed.append((nodeid, reason))
        else:
            unexpected.append((nodeid, reason))
    return allowed, unexpected


def pytest_sessionfinish(session, exitstatus):
    _allowed, unexpected = _sorted_skips()
    if unexpected and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    allowed, unexpected = _sorted_skips()
    instant = chosen_instant(config)
    if instant:
        terminalreporter.write_sep(
            "=", f"clock started at {instant} UTC (--rh-now / RH_NOW)"
        )
    if allowed:
        terminalreporter.write_sep(
            "=", f"{len(allowed)} skipped, on tests/skip_allowlist.txt"
        )
        for nodeid, reason in allowed:
            terminalreporter.write_line(f"ALLOWED SKIP {nodeid}: {reason}")
    if unexpected:
        terminalreporter.write_sep(
            "=",
            f"{len(unexpected)} skipped, NOT on tests/skip_allowlist.txt: the run fails",
            red=True,
        )
        for nodeid, reason in unexpected:
            terminalreporter.write_line(f"UNEXPECTED SKIP {nodeid}: {reason}", red=True)
