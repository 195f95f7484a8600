"""The partner form and the Accounts views read in a number of queries that
does not grow with the book: what the web client asks (the fields of the real
views, as a sales manager), counted on a small book, then on a larger one."""

import sys
from pathlib import Path

from health_common import HealthCase

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.bench.screens import Action, read_groups  # noqa: E402

ACTION = "relationship_health.res_partner_action_relationship_health"
# Budgets of today's views, with every addon of this repository installed
# (the form reads the whole partner form, the Relationship Health tab
# included: 41 queries, one each for its open incidents, its next survey and
# its suggestions; the list's first page 8; a grouped read 2).
FORM_QUERY_BUDGET = 42
LIST_QUERY_BUDGET = 9
GROUPED_QUERY_BUDGET = 2


class CountingClient:
    """Calls as the web client's RPCs do, counting the queries of each call
    after a first one (which fills the registry's caches)."""

    def __init__(self, env):
        self.env = env
        self.queries = []

    def call(self, model, method, *args, ids=(), context=None, **kwargs):
        env = self.env(context={**self.env.context, **(context or {})})
        records = env[model].browse(ids)
        getattr(records, method)(*args, **kwargs)
        env.invalidate_all()
        before = env.cr.sql_log_count
        result = getattr(records, method)(*args, **kwargs)
        self.queries.append(env.cr.sql_log_count - before)
        env.invalidate_all()
        return result


class TestScreenQueries(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.small = cls.make_book("Small", accounts=2, each=1)

    @classmethod
    def make_book(cls, prefix, accounts, each):
        """Scored accounts, each with ``each`` orders, answers, visits and
        service commitments."""
        partners = cls.env["res.partner"]
        for i in range(accounts):
            account, contact = cls.make_account(f"{prefix} account {i}")
            for k in range(each):
                cls.order(contact, 20 + 30 * k)
                cls.answer(contact, cls.q_nps, 6 + k % 4, days_ago=10 + k)
                cls.visit(contact, 15 + 40 * k)
                cls.sla(account, 5 + 20 * k, done_late_days=k % 2)
            partners |= account
        partners.action_recompute_health()
        cls.env.flush_all()
        return partners

    def setUp(self):
        super().setUp()
        self.menv = self.env(user=self.manager)
        self.accounts = Action(self.menv, ACTION)

    def form_queries(self, account):
        client = CountingClient(self.menv)
        spec = dict(self.accounts.spec("form"), display_name={})
        client.call(
            "res.partner", "web_read", spec, ids=account.ids, context={"bin_size": True}
        )
        return client.queries[0]

    def list_queries(self):
        client = CountingClient(self.menv)
        client.call(
            "res.partner",
            "web_search_read",
            domain=self.accounts.domain,
            specification=self.accounts.spec("list"),
            offset=0,
            limit=80,
            order=self.accounts.order("list"),
            count_limit=10001,
            context={"bin_size": True},
        )
        read_groups(client, self.accounts, "list", "health_band")
        read_groups(client, self.accounts, "kanban", "health_band")
        return client.queries

    def test_the_form_reads_in_a_bounded_number_of_queries(self):
        small = self.form_queries(self.small[0])
        self.assertLessEqual(small, FORM_QUERY_BUDGET)
        busy = self.make_book("Busy", accounts=1, each=4)
        self.assertEqual(
            self.form_queries(busy),
            small,
            "an account with more history costs more queries",
        )

    def test_the_accounts_views_read_in_a_bounded_number_of_queries(self):
        page, by_band_list, by_band_kanban = self.list_queries()
        self.assertLessEqual(page, LIST_QUERY_BUDGET)
        self.assertLessEqual(by_band_list, GROUPED_QUERY_BUDGET)
        self.assertLessEqual(by_band_kanban, GROUPED_QUERY_BUDGET)
        self.make_book("More", accounts=4, each=2)
        self.assertEqual(
            self.list_queries(),
            [page, by_band_list, by_band_kanban],
            "more accounts cost more queries",
        )
