"""pytest configuration shared by the test suite.

The scoring core's tests run without Odoo; every other test runs inside a
real Odoo database through pytest-odoo (see README, Tests).
"""
import sys
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))
