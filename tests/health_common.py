"""Shared fixtures for the Odoo tests: real orders, answers, visits and
service commitments, created through the ORM the way users create them."""

import os
import unittest
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

import psycopg2

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, new_test_user
from odoo.tools import SQL

from odoo.addons.relationship_health.models.health_clock import health_today

#: The time zone of the test users: not UTC, so that a day counted in the
#: user's zone instead of UTC (the product's day, see README) shows up as a
#: failure around midnight UTC (see README, Tests: running at chosen instants).
TEST_USER_TZ = "Europe/Brussels"

#: The sales groups of the test users.
SALESMAN = "sales_team.group_sale_salesman"
SALESMAN_ALL = "sales_team.group_sale_salesman_all_leads"
SALES_MANAGER = "sales_team.group_sale_manager"

#: Set (to a UTC instant) when the suite runs with the clock started at a
#: chosen instant (tests/conftest.py, --rh-now or RH_NOW).
CHOSEN_INSTANT = os.environ.get("RH_NOW") or None


class HealthCase(TransactionCase):
    # These tests live outside the addon package, where Odoo's test metaclass
    # does not tag them: tag them as the addon's own tests would be.
    test_tags = {"standard", "at_install"}
    test_module = "relationship_health"
    test_sequence = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Pinned, whatever the database's demo data says.
        cls.env.user.tz = TEST_USER_TZ
        cls.env = cls.env(
            context=dict(
                cls.env.context,
                tracking_disable=True,
                tz=TEST_USER_TZ,
                mail_create_nolog=True,
                no_mail_to_attendees=True,
            )
        )
        # The product's "today": the UTC day (README, The score).
        cls.today = health_today()
        cls.engine = cls.env["relationship.health.engine"]
        cls.salesman = cls.make_user(
            "rh_salesman",
            "Rita Rep",
            tz=TEST_USER_TZ,
            groups=SALESMAN,
        )
        cls.manager = cls.make_user(
            "rh_manager",
            "Max Manager",
            tz=TEST_USER_TZ,
            groups=SALES_MANAGER,
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "Industrial valve",
                "list_price": 120.0,
                "type": "consu",
            }
        )
        cls.visit_type = cls.env.ref(
            "relationship_health.calendar_event_type_customer_visit"
        )
        cls.survey = cls.env["survey.survey"].create(
            {
                "title": "Customer satisfaction",
                "question_and_page_ids": [
                    Command.create(
                        {
                            "title": "How likely are you to recommend us?",
                            "question_type": "scale",
                            "scale_min": 0,
                            "scale_max": 10,
                            "health_metric": "nps",
                        }
                    ),
                    Command.create(
                        {
                            "title": "How satisfied are you with our service?",
                            "question_type": "scale",
                            "scale_min": 1,
                            "scale_max": 5,
                            "health_metric": "csat",
                        }
                    ),
                ],
            }
        )
        cls.q_nps, cls.q_csat = cls.survey.question_ids

    # -- builders --------------------------------------------------------------
    @classmethod
    def make_user(cls, login, name, groups, **vals):
        """A user of the tests with these groups (comma-separated xml ids)."""
        return new_test_user(cls.env, login=login, name=name, groups=groups, **vals)

    @classmethod
    def _days_ago(cls, days):
        return fields.Datetime.now().replace(microsecond=0) - timedelta(days=days)

    @classmethod
    def make_account(cls, name, **vals):
        account = cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "user_id": cls.salesman.id,
                **vals,
            }
        )
        contact = cls.env["res.partner"].create(
            {
                "name": f"Buyer at {name}",
                "parent_id": account.id,
                "email": "buyer@example.com",
            }
        )
        return account, contact

    @classmethod
    def order(cls, partner, days_ago, price=None):
        line = {"product_id": cls.product.id, "product_uom_qty": 2}
        if price is not None:
            line["price_unit"] = price
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [Command.create(line)],
            }
        )
        order.action_confirm()
        order.date_order = cls._days_ago(days_ago)
        return order

    @classmethod
    def answer(cls, contact, question, value, days_ago=0):
        user_input = cls.env["survey.user_input"].create(
            {
                "survey_id": cls.survey.id,
                "partner_id": contact.id,
            }
        )
        user_input._save_lines(question, str(value))
        user_input._mark_done()
        user_input.end_datetime = cls._days_ago(days_ago)
        return user_input

    @classmethod
    def visit(cls, contact, days_ago, declined=False):
        start = cls._days_ago(days_ago)
        event = cls.env["calendar.event"].create(
            {
                "name": f"Visit {contact.commercial_partner_id.name}",
                "start": start,
                "stop": start + timedelta(hours=1),
                "categ_ids": [Command.link(cls.visit_type.id)],
                "user_id": cls.salesman.id,
                "partner_ids": [
                    Command.link(cls.salesman.partner_id.id),
                    Command.link(contact.id),
                ],
            }
        )
        if declined:
            event.attendee_ids.filtered(
                lambda a: a.partner_id == contact
            ).state = "declined"
        return event

    @classmethod
    def sla(cls, account, deadline_days_ago, done_late_days=None):
        """A commitment due ``deadline_days_ago``; done ``done_late_days`` after
        the deadline (negative = early), or still open when None."""
        deadline = cls._days_ago(deadline_days_ago)
        return cls.env["relationship.sla.event"].create(
            {
                "name": "Deliver on time",
                "partner_id": account.id,
                "date_start": deadline - timedelta(days=5),
                "date_deadline": deadline,
                "date_done": deadline + timedelta(days=done_late_days)
                if done_late_days is not None
                else False,
            }
        )

    @classmethod
    def make_scored_account(cls, name, price=None):
        """An account visited every 30 days, with an order 20 days ago and a
        service commitment done a day late 5 days ago, scored: the account and
        its buyer."""
        account, buyer = cls.make_account(name, visit_interval_days=30)
        cls.order(buyer, 20, price=price)
        cls.sla(account, 5, done_late_days=1)
        account.action_recompute_health()
        return account, buyer

    @contextmanager
    def assertRefused(self, pattern, exception=ValidationError):
        """The block raises ``exception`` with a message matching ``pattern``,
        and its changes are rolled back."""
        with self.assertRaises(exception) as caught:
            yield
        self.assertRegex(str(caught.exception), pattern)

    def raw_health(self, partner, column="health_score"):
        """The stored column as PostgreSQL has it (None stays None)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT %s FROM res_partner WHERE id = %s",
                SQL.identifier(column),
                partner.id,
            )
        )
        return self.env.cr.fetchone()[0]

    def snapshots(self, partner):
        return self.env["relationship.health.snapshot"].search(
            [("partner_id", "=", partner.id)]
        )

    def batch_query_count(self, account_ids):
        """The queries of scoring one batch of ``account_ids``, caches
        emptied first."""
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.engine._compute_batch(account_ids)
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def run_cron_until_crash(self, target, replacement, message):
        """Run the daily job with ``target`` patched by ``replacement``, which
        must stop it with a lost connection (else the test fails with
        ``message``). Not assertRaises: it would roll back what the batches
        before the crash did."""
        with patch(target, replacement):
            try:
                self.env["res.partner"]._cron_relationship_health()
            except psycopg2.OperationalError:
                pass
            else:
                self.fail(message)


class ServiceLevelCase(HealthCase):
    """Tests of service levels: only the test's own service levels count (the
    demo book has its own, archived here)."""

    #: The bridge module whose commitments the tests record: they are skipped
    #: where it is not installed.
    bridge = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.bridge and not cls.env["ir.module.module"].search_count(
            [("name", "=", cls.bridge), ("state", "=", "installed")]
        ):
            raise unittest.SkipTest(f"{cls.bridge} is not installed")
        cls.Policy = cls.env["relationship.sla.policy"]
        cls.Event = cls.env["relationship.sla.event"]
        cls.breach_type = cls.env.ref(
            "relationship_health.mail_activity_type_sla_breach"
        )
        cls.Policy.search([]).write({"active": False})
