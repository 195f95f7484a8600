"""make test-host's reading of Odoo's log and its baseline (tools/host_tests.py),
on log lines as Odoo 18 writes them. Runs without Odoo too:
``python3 -m pytest tests/test_host_tests_check.py -p no:odoo``."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.host_tests import check, failing_tests, read_baseline, summary  # noqa: E402

HEAD = "2026-12-06 03:04:45,535 15704"
LOG = [
    f"{HEAD} INFO db odoo.addons.crm.tests.test_crm_lead: Starting TestCRMLead.test_a ... \n",
    f"{HEAD} ERROR db odoo.addons.sale_stock.tests.test_sale_stock: "
    "ERROR: TestSaleStock.test_return_with_mto_and_multisteps_old_pull\n",
    "Traceback (most recent call last):\n",
    "AssertionError: FAIL: NotATest.test_in_a_traceback\n",
    f"{HEAD} ERROR db odoo.addons.crm.tests.test_crm_lead: "
    "FAIL: Subtest TestCRMLead.test_phone (login='user_sales_manager')\n",
    f"{HEAD} ERROR db odoo.addons.crm.tests.test_crm_lead: "
    "FAIL: Subtest TestCRMLead.test_phone (login='user_sales_leads')\n",
    f"{HEAD} ERROR db unittest.suite: "
    "ERROR: setUpClass (odoo.addons.survey.tests.test_survey.TestSurveyInternals)\n",
    f"{HEAD} ERROR db odoo.addons.base.models.ir_cron: FAIL: not a test line\n",
    f"{HEAD} ERROR db odoo.tests.result: 2 failed, 2 error(s) of 40 tests "
    "when loading database 'db' \n",
]


def write(path, lines):
    path.write_text("".join(lines))
    return str(path)


def test_failing_tests_are_named_as_test_tags_once_each():
    assert failing_tests(LOG) == [
        "/sale_stock:TestSaleStock.test_return_with_mto_and_multisteps_old_pull",
        "/crm:TestCRMLead.test_phone",
        "/survey:TestSurveyInternals.setUpClass",
    ]


def test_summary_is_the_last_result_line():
    assert summary(LOG) == (40, 2, 2)
    assert summary(LOG[:-1]) is None


def test_a_failure_outside_the_baseline_fails_the_run(tmp_path, capsys):
    baseline = write(
        tmp_path / "baseline.txt",
        [
            "# comment\n",
            "/crm:TestCRMLead.test_phone  # needs phonenumbers\n",
            "/survey:TestSurveyInternals.setUpClass  # needs demo data\n",
            "/calendar:TestX.test_gone  # fixed since\n",
            "/calendar:TestX.test_not_run  # not in this run\n",
        ],
    )
    started = f"{HEAD} INFO db odoo.addons.calendar.tests.test_x: Starting TestX.test_gone ... \n"
    log = write(tmp_path / "a.log", [started, *LOG])
    assert check(baseline, [log]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        "40 host tests run: 2 failed, 2 in error; 2 of them in the baseline (4 entries), 1 new"
    )
    assert (
        "FAILS     /sale_stock:TestSaleStock.test_return_with_mto_and_multisteps_old_pull"
        in out
    )
    assert "passes now (remove it from the baseline)  /calendar:TestX.test_gone" in out
    assert (
        "test_not_run" not in out
    ), "a subset's run says nothing of the tests it left out"


def test_failures_all_in_the_baseline_pass_and_logs_add_up(tmp_path, capsys):
    first = write(tmp_path / "0.log", LOG[4:6] + [LOG[-1]])
    second = write(
        tmp_path / "1.log",
        [
            f"{HEAD} INFO db odoo.tests.result: 0 failed, 0 error(s) of 25 tests when loading\n",
        ],
    )
    baseline = write(
        tmp_path / "baseline.txt", ["/crm:TestCRMLead.test_phone  # phonenumbers\n"]
    )
    assert check(baseline, [first, second]) == 0
    assert capsys.readouterr().out.startswith(
        "65 host tests run: 2 failed, 2 in error; 1 of them in the baseline (1 entries), 0 new"
    )


def test_an_unfinished_or_empty_run_fails(tmp_path):
    baseline = write(tmp_path / "baseline.txt", [])
    assert check(baseline, [write(tmp_path / "cut.log", LOG[:-1])]) == 1
    assert (
        check(
            baseline,
            [
                write(
                    tmp_path / "none.log",
                    [
                        f"{HEAD} WARNING db odoo.tests.result: 0 failed, 0 error(s) of 0 tests when loading\n",
                    ],
                )
            ],
        )
        == 1
    )
    # Odoo counted a failure the log does not name.
    assert check(baseline, [write(tmp_path / "unnamed.log", [LOG[-1]])]) == 1


def test_writing_the_baseline_keeps_known_reasons(tmp_path):
    log = write(tmp_path / "a.log", LOG)
    path = tmp_path / "baseline.txt"
    write(
        path,
        [
            "/crm:TestCRMLead.test_phone  # needs phonenumbers\n",
            "/calendar:TestX.test_gone  # fixed since\n",
        ],
    )
    assert check(str(path), [log], write=True) == 0
    assert read_baseline(str(path)) == {
        "/crm:TestCRMLead.test_phone": "needs phonenumbers",
        "/sale_stock:TestSaleStock.test_return_with_mto_and_multisteps_old_pull": "fails without our addons (reason to be written)",
        "/survey:TestSurveyInternals.setUpClass": "fails without our addons (reason to be written)",
    }
