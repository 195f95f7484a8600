"""Who reads and who writes an account's health: the access matrix.

Seven kinds of users meet one real account: the public user, the account's
own customer logged into the portal, an internal user without Sales rights
(an accountant), a salesman who sees his own documents only, a salesman who
sees all documents, a sales manager and the administrator. Each test runs the
operation as that user (``with_user``) on real records.
"""

from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user
from odoo.tests.common import JsonRpcException
from odoo.tools import SQL

from health_common import HealthCase, SALESMAN, SALESMAN_ALL

#: The health fields the customer must never read: score, band, components,
#: trend, confidence, NPS, reasons and summary, facts, visit plan and its
#: facts, SERVQUAL gaps, money, quadrant, the override and its author.
HEALTH_FIELDS = [
    "health_score",
    "health_band",
    "health_computed_band",
    "health_satisfaction",
    "health_visits",
    "health_sla",
    "health_recency",
    "health_trend",
    "health_confidence",
    "health_nps",
    "health_reasons",
    "health_main_reason",
    "health_summary",
    "health_details",
    "health_last_order_date",
    "health_order_interval",
    "health_last_visit_date",
    "visit_interval_days",
    "visit_tier_id",
    "visit_plan_date",
    "visit_next_date",
    "visit_due_date",
    "visit_overdue",
    "visit_held_12m",
    "visit_planned_12m",
    "visit_adherence",
    "health_gap_reliability",
    "health_gap_responsiveness",
    "health_gap_assurance",
    "health_gap_empathy",
    "health_gap_tangibles",
    "health_servqual_gap",
    "health_servqual_weakest",
    "health_revenue_12m",
    "health_margin_12m",
    "health_revenue_at_risk",
    "health_clv",
    "health_quadrant",
    "health_quadrant_strategy",
    "health_loyalty_regularity",
    "health_tenure_days",
    "health_override_band",
    "health_override_reason",
    "health_override_until",
    "health_override_user_id",
    "health_computed_at",
    "health_team_id",
    "health_snapshot_ids",
    "sla_event_ids",
    "sla_adherence_90",
    "sla_adherence_365",
    "sla_open_breach_count",
    "sla_policy_ids",
]

#: Results of the engine: nobody writes them by hand, the administrator included.
ENGINE_VALUES = {
    "health_score": 99.0,
    "health_band": "healthy",
    "health_reasons": "All is well",
    "health_computed_at": "2099-01-01 00:00:00",
    "health_revenue_12m": 1.0,
    "health_override_band": "healthy",
    "health_override_reason": "Trust me",
    "health_override_until": "2099-01-01",
}

SALES_USERS = ("salesman", "salesman_all", "manager", "admin")
OUTSIDERS = ("public", "portal", "internal")


class TestHealthAccess(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account, cls.buyer = cls.make_scored_account("Matrix Metals", price=100.0)
        cls.customer = cls.make_user(
            "rh_portal",
            "Paula Portal",
            groups="base.group_portal",
            email="paula@example.com",
        )
        cls.customer.partner_id.parent_id = cls.account
        cls.users = {
            "public": cls.env.ref("base.public_user"),
            "portal": cls.customer,
            "internal": cls.make_user(
                "rh_accountant",
                "Ada Accountant",
                groups="base.group_user,base.group_partner_manager,account.group_account_invoice",
            ),
            "salesman": cls.salesman,
            "salesman_all": cls.make_user("rh_salesman_all", "Alex All", SALESMAN_ALL),
            "manager": cls.manager,
            "admin": cls.env.ref("base.user_admin"),
        }
        # The administrator of the demo data is a sales manager.
        cls.users["admin"].groups_id |= cls.env.ref("sales_team.group_sale_manager")

    def as_(self, kind, records=None):
        return (records if records is not None else self.account).with_user(
            self.users[kind]
        )

    # -- reading -----------------------------------------------------------------
    def test_customer_reads_their_company_but_not_its_health(self):
        self.assertEqual(self.customer.commercial_partner_id, self.account)
        mine = self.as_("portal")
        self.assertEqual(
            mine.read(["name"])[0]["name"],
            "Matrix Metals",
            "the portal user reads their own company",
        )
        for name in HEALTH_FIELDS:
            with self.subTest(field=name), self.assertRaises(AccessError):
                mine.read([name])
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.customer).search_read(
                [("id", "=", self.account.id)], ["health_score"]
            )
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.customer).search(
                [("health_band", "=", "healthy")]
            )

    def test_no_health_field_without_the_sales_group(self):
        """Every field of ours on res.partner is the sales team's: a new one
        without ``groups=`` fails here."""
        partner_fields = self.env["res.partner"]._fields
        ours = [
            name
            for name, field in partner_fields.items()
            if name.startswith(("health_", "visit_", "sla_"))
        ]
        self.assertGreaterEqual(len(ours), len(HEALTH_FIELDS))
        for name in ours:
            with self.subTest(field=name):
                self.assertEqual(
                    partner_fields[name].groups, "sales_team.group_sale_salesman"
                )

    def test_read_matrix(self):
        for kind in OUTSIDERS:
            with self.subTest(user=kind), self.assertRaises(AccessError):
                self.as_(kind).read(["health_score", "health_band", "health_reasons"])
        for kind in SALES_USERS:
            with self.subTest(user=kind):
                values = self.as_(kind).read(HEALTH_FIELDS)[0]
                self.assertEqual(values["health_band"], self.account.health_band)
                self.assertEqual(values["health_score"], self.account.health_score)

    def test_visit_report_is_not_for_the_attendees(self):
        visit = self.visit(self.buyer, 3)
        visit.partner_ids |= self.customer.partner_id
        visit.write({"visit_mood": "2", "visit_outcome": "Unhappy with prices"})
        as_customer = visit.with_user(self.customer)
        self.assertEqual(
            as_customer.read(["name"])[0]["name"],
            visit.name,
            "the customer reads the meeting they attend",
        )
        for name in ("visit_mood", "visit_outcome", "visit_next_steps"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                as_customer.read([name])
        self.assertEqual(visit.with_user(self.salesman).visit_mood, "2")

    def test_history_and_internal_report_stay_inside(self):
        for kind in OUTSIDERS:
            with self.subTest(user=kind):
                with self.assertRaises(AccessError):
                    self.env["relationship.health.snapshot"].with_user(
                        self.users[kind]
                    ).search([("partner_id", "=", self.account.id)])
                with self.assertRaises(AccessError):
                    self.env["ir.actions.report"].with_user(
                        self.users[kind]
                    )._render_qweb_html(
                        "relationship_health.report_service_level_internal",
                        self.account.ids,
                    )

    # -- views for everybody -------------------------------------------------------
    def test_partner_views_work_without_sales_rights(self):
        """The Contacts app of an accountant: form, list and kanban load, every
        field they show is readable, the health tab is not there, and a
        contact can be created and duplicated."""
        accountant = self.users["internal"]
        Partner = self.env["res.partner"].with_user(accountant)
        views = Partner.get_views([(False, "form"), (False, "list"), (False, "kanban")])
        for view_type, view in views["views"].items():
            with self.subTest(view=view_type):
                self.assertNotIn("health_", view["arch"])
                self.assertNotIn("visit_interval_days", view["arch"])
        shown = set()
        for view in views["views"].values():
            root = etree.fromstring(view["arch"])
            shown.update(
                node.get("name")
                for node in root.iter("field")
                if not any(parent.tag == "field" for parent in node.iterancestors())
            )
        self.assertGreater(len(shown), 20)
        self.assertFalse(
            [name for name in shown if name.startswith(("health_", "visit_", "sla_"))]
        )
        # what the web client reads to show them
        self.as_("internal").read(sorted(shown))
        created = Partner.create({"name": "New Supplier Ltd", "is_company": True})
        copy = created.copy()
        self.assertEqual(
            copy.sudo().visit_interval_days,
            self.env.company.health_default_visit_interval,
        )
        # and the salesman's form has the tab
        arch = (
            self.env["res.partner"]
            .with_user(self.salesman)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertIn('name="relationship_health"', arch)

    # -- writing -------------------------------------------------------------------
    def test_nobody_writes_health_results_by_hand(self):
        for kind in OUTSIDERS + SALES_USERS:
            for name, value in ENGINE_VALUES.items():
                with (
                    self.subTest(user=kind, field=name),
                    self.assertRaises(AccessError),
                ):
                    self.as_(kind).write({name: value})
        self.assertNotEqual(self.raw_health(self.account, "health_score"), 99.0)
        self.assertFalse(self.raw_health(self.account, "health_override_band"))

    def test_the_message_says_why(self):
        with self.assertRefused(
            "computed by the nightly job.*Override band", AccessError
        ):
            self.as_("admin").write({"health_band": "healthy"})

    def test_nobody_creates_or_imports_health_results(self):
        for kind in ("internal",) + SALES_USERS:
            with self.subTest(user=kind), self.assertRaises(AccessError):
                self.env["res.partner"].with_user(self.users[kind]).create(
                    {
                        "name": "Forged Health Inc",
                        "health_score": 100.0,
                        "health_band": "healthy",
                    }
                )
        result = (
            self.env["res.partner"]
            .with_user(self.salesman)
            .load(["name", "health_band"], [["Imported Health Inc", "healthy"]])
        )
        self.assertFalse(result["ids"])
        self.assertTrue(result["messages"])
        self.assertEqual(
            self.env["res.partner"].search_count(
                [("name", "=", "Imported Health Inc")]
            ),
            0,
        )

    def test_visit_plan_is_the_sales_teams(self):
        self.as_("salesman").write({"visit_interval_days": 45})
        self.assertEqual(self.account.visit_interval_days, 45)
        with self.assertRaises(AccessError):
            self.as_("internal").write({"visit_interval_days": 1})
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.users["internal"]).create(
                {"name": "Planned Ltd", "visit_interval_days": 10}
            )
        self.assertEqual(self.account.visit_interval_days, 45)

    def test_override_only_through_the_managers_action(self):
        self.env["relationship.health.override.wizard"].with_user(self.manager).create(
            {
                "partner_ids": self.account.ids,
                "band": "watch",
                "reason": "Met the CEO",
                "date_until": self.today + timedelta(days=7),
            }
        ).action_apply()
        self.assertEqual(self.account.health_override_band, "watch")
        for kind in ("salesman", "salesman_all"):
            with self.subTest(user=kind), self.assertRaises(AccessError):
                self.as_(kind).action_clear_health_override()
        self.as_("manager").action_clear_health_override()
        self.assertFalse(self.account.health_override_band)

    def test_a_future_computation_date_does_not_hide_an_account(self):
        """A health_computed_at in the future (never written by the engine)
        does not make the nightly job skip the account."""
        future = fields.Datetime.now() + timedelta(days=365)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE res_partner SET health_computed_at = %s, health_score = NULL WHERE id = %s",
                future,
                self.account.id,
            )
        )
        self.env.invalidate_all()
        self.env["res.partner"]._cron_relationship_health()
        self.assertIsNotNone(self.raw_health(self.account))
        self.assertLess(self.account.health_computed_at, future - timedelta(days=364))

    # -- recompute -----------------------------------------------------------------
    def test_recompute_matrix(self):
        for kind in OUTSIDERS:
            with self.subTest(user=kind), self.assertRaises(AccessError):
                self.as_(kind, self.buyer).action_recompute_health()
        for kind in SALES_USERS:
            with self.subTest(user=kind):
                self.env.cr.execute(
                    SQL(
                        "UPDATE res_partner SET health_computed_at = NULL WHERE id = %s",
                        self.account.id,
                    )
                )
                self.env.invalidate_all()
                self.as_(kind, self.buyer).action_recompute_health()
                self.assertTrue(self.account.health_computed_at)

    def test_recompute_takes_a_few_thousand_at_most(self):
        too_many = (
            self.env["res.partner"].with_user(self.salesman).browse(range(1, 5002))
        )
        with self.assertRefused("at most 5000 accounts", UserError):
            too_many.action_recompute_health()

    def test_recompute_checks_the_callers_rights_on_the_selection(self):
        other_company = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        hidden = self.env["res.partner"].create(
            {
                "name": "Hidden Account",
                "is_company": True,
                "company_id": other_company.id,
                "customer_rank": 1,
            }
        )
        with self.assertRaises(AccessError):
            hidden.with_user(self.salesman).action_recompute_health()
        self.assertFalse(hidden.health_computed_at)


class TestCommitmentAccess(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_rep = cls.make_user("rh_other_rep", "Oscar Other", groups=SALESMAN)
        cls.all_rep = cls.make_user("rh_all_rep", "Alma All", groups=SALESMAN_ALL)
        cls.mine, _buyer = cls.make_account("Own Account")
        cls.theirs, _buyer = cls.make_account("Their Account", user_id=cls.other_rep.id)
        cls.my_event = cls.sla(cls.mine, 3, done_late_days=1)
        cls.their_event = cls.sla(cls.theirs, 3, done_late_days=1)
        cls.policy = cls.env["relationship.sla.policy"].create(
            {
                "name": "Deliver in 2 days",
                "metric": "delivery",
                "target_type": "days",
                "target_value": 2,
            }
        )
        cls.sourced = cls.env["relationship.sla.event"]._record_from_sources(
            [
                {
                    "res_model": "res.partner",
                    "res_id": cls.mine.id,
                    "policy_id": cls.policy.id,
                    "name": "Delivery WH/OUT/00001",
                    "partner_id": cls.mine.id,
                    "date_start": cls._days_ago(6),
                    "date_deadline": cls._days_ago(4),
                    "date_done": cls._days_ago(5),
                }
            ],
            notify=False,
        )

    def test_own_documents_salesman_sees_his_accounts_only(self):
        Event = self.env["relationship.sla.event"].with_user(self.salesman)
        seen = Event.search([("partner_id", "in", (self.mine | self.theirs).ids)])
        self.assertEqual(seen, self.my_event | self.sourced)
        with self.assertRaises(AccessError):
            self.their_event.with_user(self.salesman).read(["name"])
        with self.assertRaises(AccessError):
            self.their_event.with_user(self.salesman).write({"note": "not mine"})
        with self.assertRaises(AccessError):
            Event.create(
                {
                    "name": "Call back",
                    "partner_id": self.theirs.id,
                    "date_start": self._days_ago(2),
                    "date_deadline": self._days_ago(1),
                }
            )
        Report = self.env["relationship.sla.report"].with_user(self.salesman)
        self.assertEqual(
            Report.search(
                [("partner_id", "in", (self.mine | self.theirs).ids)]
            ).partner_id,
            self.mine,
        )
        all_seen = (
            self.env["relationship.sla.event"]
            .with_user(self.all_rep)
            .search([("partner_id", "in", (self.mine | self.theirs).ids)])
        )
        self.assertEqual(all_seen, self.my_event | self.their_event | self.sourced)
        self.my_event.with_user(self.salesman).write({"note": "Customer informed"})
        self.assertEqual(self.my_event.note, "Customer informed")

    def test_a_documents_commitment_follows_its_document(self):
        self.assertTrue(self.sourced.res_id)
        for user in (self.salesman, self.manager):
            for name, value in (
                ("partner_id", self.theirs.id),
                ("date_deadline", fields.Datetime.now()),
                ("date_done", False),
                ("date_start", self._days_ago(30)),
            ):
                with (
                    self.subTest(user=user.login, field=name),
                    self.assertRefused(
                        "recorded from .* cannot be edited here", UserError
                    ),
                ):
                    self.sourced.with_user(user).write({name: value})
        self.sourced.with_user(self.salesman).write({"note": "Truck broke down"})
        self.assertEqual(self.sourced.note, "Truck broke down")

    def test_nobody_forges_a_source_or_a_breach_notice(self):
        Event = self.env["relationship.sla.event"]
        for user in (self.salesman, self.manager):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    Event.with_user(user).create(
                        {
                            "name": "Forged",
                            "partner_id": self.mine.id,
                            "res_model": "stock.picking",
                            "res_id": 1,
                            "date_start": self._days_ago(2),
                            "date_deadline": self._days_ago(1),
                        }
                    )
                with self.assertRaises(AccessError):
                    self.my_event.with_user(user).write(
                        {"breach_noticed_on": fields.Datetime.now()}
                    )
                with self.assertRaises(AccessError):
                    self.my_event.with_user(user).write(
                        {"res_model": "stock.picking", "res_id": 1}
                    )

    def test_archiving_is_a_managers_act_written_in_the_chatter(self):
        with self.assertRefused("Only sales managers", AccessError):
            self.sourced.with_user(self.salesman).write({"active": False})
        self.assertTrue(self.sourced.active)
        self.sourced.with_user(self.manager).write({"active": False})
        self.assertFalse(self.sourced.active)
        self.assertIn("Archived by Max Manager", self.sourced.message_ids[0].body)
        self.sourced.with_user(self.manager).write({"active": True})
        self.assertIn("Restored by Max Manager", self.sourced.message_ids[0].body)


class TestCustomerOverHttp(HttpCase, HealthCase):
    """The customer's own way in: the portal and the JSON-RPC API."""

    test_tags = {"standard", "post_install"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account, cls.buyer = cls.make_account("Portal Pumps")
        cls.order(cls.buyer, 270)  # x = 3: recency 0, critical
        cls.account.action_recompute_health()
        cls.customer = new_test_user(
            cls.env,
            login="rh_portal_http",
            password="rh_portal_http",
            name="Pia Portal",
            groups="base.group_portal",
            email="pia@example.com",
        )
        cls.customer.partner_id.parent_id = cls.account

    def call(self, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/res.partner/{method}",
            {
                "model": "res.partner",
                "method": method,
                "args": args,
                "kwargs": kwargs or {},
            },
        )

    def test_the_customer_reads_no_health_through_the_api(self):
        self.assertEqual(self.account.health_band, "critical")
        self.authenticate("rh_portal_http", "rh_portal_http")
        mine = self.call("read", [self.account.ids, ["name"]])
        self.assertEqual(mine[0]["name"], "Portal Pumps")
        for name in (
            "health_score",
            "health_band",
            "health_reasons",
            "health_clv",
            "health_quadrant",
        ):
            with (
                self.subTest(field=name),
                self.assertRaisesRegex(JsonRpcException, "AccessError"),
            ):
                self.call("read", [self.account.ids, [name]])
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self.call("action_recompute_health", [self.account.ids])
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self.call("write", [self.account.ids, {"health_band": "healthy"}])
        self.assertEqual(self.account.health_band, "critical")

    def test_my_account_page_works(self):
        self.authenticate("rh_portal_http", "rh_portal_http")
        response = self.url_open("/my/account")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Pia Portal", response.text)
