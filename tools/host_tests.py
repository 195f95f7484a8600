"""Odoo's own tests of the host modules, run on a database where every module
is already installed (``make test-host``, see README, Tests).

Two entry points:

``python3 -m tools.host_tests odoo <odoo arguments>``
    Odoo's server command, except that the selected tests, ``at_install`` and
    ``post_install`` alike, all run once the whole registry is loaded. Run by
    Odoo itself on an installed database, a host module's ``at_install``
    tests would run while the registry holds only the modules loaded before
    it: never with our addons' code (which comes later in the dependency
    graph), and against tables where modules loaded later have added
    required columns. Here every test runs with every installed module's
    code, which is what a customer's database runs.

``python3 -m tools.host_tests check BASELINE LOG... [--write]``
    Reads the failing tests of Odoo's logs (one per parallel job) and compares them with the
    baseline file: the failures that also happen without our addons, one test
    id a line (``/module:Class.method``, as ``--test-tags`` takes it) with its
    reason after ``#``. Exit status 1 on any failure not in the baseline, on a
    run that did not finish or ran no test. ``--write`` replaces the baseline
    with the log's failures (reasons kept for ids already listed).
"""

import re
import sys

#: A failing test as Odoo's test result logs it:
#: ``... ERROR db odoo.addons.crm.tests.test_crm_lead: FAIL: TestCRMLead.test_x``
#: (``Subtest Class.method (params)`` for a subtest, ``setUpClass
#: (odoo.addons.crm.tests.test_x.TestClass)`` for a class that failed to set up).
FAILURE_LINE = re.compile(
    r"^\S+ \S+ \d+ ERROR \S+ (?P<logger>[\w.]+): (?P<flavour>FAIL|ERROR): (?P<what>.*)$"
)
TEST_MODULE = re.compile(r"^odoo\.addons\.(?P<addon>\w+)\.tests\.")
CLASS_FIXTURE = re.compile(
    r"^(?P<fixture>setUpClass|tearDownClass) \(odoo\.addons\.(?P<addon>\w+)\.tests\.[\w.]*?\.?(?P<cls>\w+)\)$"
)
#: ``... INFO db odoo.addons.crm.tests.test_crm_lead: Starting TestCRMLead.test_x ...``
STARTED_LINE = re.compile(
    r"^\S+ \S+ \d+ INFO \S+ odoo\.addons\.(?P<addon>\w+)\.tests\.[\w.]+: "
    r"Starting (?P<test>\w+\.\w+) \.\.\."
)
#: ``... odoo.tests.result: 0 failed, 1 error(s) of 1 tests when loading database 'db'``
SUMMARY_LINE = re.compile(
    r"odoo\.tests\.result: (?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<run>\d+) tests"
)


def failing_tests(lines):
    """The ids (``/module:Class.method``) of the tests that failed or erred."""
    failed = []
    for line in lines:
        match = FAILURE_LINE.match(line.rstrip("\n"))
        if not match:
            continue
        what = match["what"].strip()
        fixture = CLASS_FIXTURE.match(what)
        if fixture:
            test_id = f"/{fixture['addon']}:{fixture['cls']}.{fixture['fixture']}"
        else:
            module = TEST_MODULE.match(match["logger"])
            if not module:
                continue
            if what.startswith("Subtest "):
                what = what[len("Subtest ") :].split(" ", 1)[0]
            test_id = f"/{module['addon']}:{what.split(' ', 1)[0]}"
        if test_id not in failed:
            failed.append(test_id)
    return failed


def started_tests(lines):
    """The ids of the tests that started."""
    started = set()
    for line in lines:
        match = STARTED_LINE.match(line)
        if match:
            started.add(f"/{match['addon']}:{match['test']}")
    return started


def summary(lines):
    """(tests run, failed, errors) of the run's final line, or None when the
    run did not get that far."""
    found = None
    for line in lines:
        match = SUMMARY_LINE.search(line)
        if match:
            found = (int(match["run"]), int(match["failed"]), int(match["errors"]))
    return found


def read_baseline(path):
    """{test id: reason} of the baseline file."""
    baseline = {}
    try:
        with open(path) as lines:
            for line in lines:
                test_id, _, reason = line.partition("#")
                if test_id.strip():
                    baseline[test_id.strip()] = reason.strip()
    except FileNotFoundError:
        pass
    return baseline


BASELINE_HEADER = """\
# Odoo's own tests of the host modules that fail on a database with the same
# host modules and WITHOUT relationship_health's addons (make test-host-baseline).
# make test-host tolerates these failures only; any other fails the run.
# One test id a line (as --test-tags takes it), its reason after '#'.
"""


def write_baseline(path, failed, previous):
    with open(path, "w") as out:
        out.write(BASELINE_HEADER)
        for test_id in sorted(failed):
            reason = (
                previous.get(test_id)
                or "fails without our addons (reason to be written)"
            )
            out.write(f"{test_id}  # {reason}\n")


def check(baseline_path, log_paths, write=False):
    failed, started, run, failures, errors = [], set(), 0, 0, 0
    for log_path in log_paths:
        with open(log_path, errors="replace") as log:
            lines = log.readlines()
        failed += [test_id for test_id in failing_tests(lines) if test_id not in failed]
        started |= started_tests(lines)
        totals = summary(lines)
        if totals is None:
            print(f"The tests did not run to the end: no summary line in {log_path}")
            return 1
        run, failures, errors = (
            run + totals[0],
            failures + totals[1],
            errors + totals[2],
        )
    baseline = read_baseline(baseline_path)
    if write:
        write_baseline(baseline_path, failed, baseline)
        print(
            f"{run} host tests without our addons: {failures} failed, {errors} in error;"
            f" {len(failed)} test ids written to {baseline_path}"
        )
        return 0 if run else 1
    known = [test_id for test_id in failed if test_id in baseline]
    new = [test_id for test_id in failed if test_id not in baseline]
    # Baseline entries that ran and passed (a run of a subset skips the others).
    fixed = sorted((set(baseline) & started) - set(failed))
    print(
        f"{run} host tests run: {failures} failed, {errors} in error; "
        f"{len(known)} of them in the baseline ({len(baseline)} entries), {len(new)} new"
    )
    for test_id in known:
        print(f"    baseline  {test_id}  # {baseline[test_id]}")
    for test_id in fixed:
        print(f"    passes now (remove it from the baseline)  {test_id}")
    for test_id in new:
        print(f"    FAILS     {test_id}")
    if failures + errors and not failed:
        print(f"Odoo counted failures the logs do not name: see {' '.join(log_paths)}")
        return 1
    if not run:
        print("No host test ran.")
        return 1
    return 1 if new else 0


def odoo_main(argv):
    import odoo  # noqa: PLC0415
    from odoo.tests import loader  # noqa: PLC0415
    from odoo.tests.suite import OdooSuite  # noqa: PLC0415

    make_suite = loader.make_suite

    def make_suite_after_loading(module_names, position="at_install"):
        # Odoo asks for the "at_install" tests of each module as it loads it
        # and for the "post_install" ones once every module is loaded: give
        # none in the first case, both kinds in the second.
        if position == "at_install":
            return OdooSuite([])
        return OdooSuite(
            list(make_suite(module_names, "at_install"))
            + list(make_suite(module_names, "post_install"))
        )

    loader.make_suite = make_suite_after_loading
    sys.argv = ["odoo", *argv]
    odoo.cli.main()


def main(argv):
    if argv[:1] == ["odoo"]:
        return odoo_main(argv[1:])
    if argv[:1] == ["check"] and len(argv) >= 3:
        write = "--write" in argv
        args = [arg for arg in argv[1:] if arg != "--write"]
        return check(args[0], args[1:], write=write)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
