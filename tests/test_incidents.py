"""Service incidents: tell every affected customer first, keep them informed
until it is fixed, and let it count in their health."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user

from odoo.addons.relationship_health.models.relationship_service_incident_update import (
    RelationshipServiceIncidentUpdate,
)

from health_common import HealthCase

INCIDENT = "relationship.service.incident"
NOTICE = "relationship.service.incident.notice"
INCIDENT_MODULE = "odoo.addons.relationship_health.models.relationship_service_incident"


class IncidentCase(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("pt_BR")
        cls.env["ir.module.module"]._load_module_terms(
            ["relationship_health"], ["pt_BR"], overwrite=True
        )
        cls.tag = cls.env["res.partner.category"].create({"name": "Hosted mail"})
        cls.strategic = cls.env.ref("relationship_health.visit_tier_strategic")
        # A key account with one contact flagged for service notices (in
        # Portuguese) and one that is not.
        cls.key, cls.key_buyer = cls.make_account(
            "Hosted Key Ltda",
            category_id=[(4, cls.tag.id)],
            visit_tier_id=cls.strategic.id,
            email="info@key.example",
        )
        cls.key_ops = cls.env["res.partner"].create(
            {
                "name": "Ops at Key",
                "parent_id": cls.key.id,
                "email": "ops@key.example",
                "incident_notices": True,
                "lang": "pt_BR",
            }
        )
        # A plain account: nobody flagged, the account's own email is used.
        cls.plain, cls.plain_buyer = cls.make_account(
            "Hosted Plain", category_id=[(4, cls.tag.id)], email="info@plain.example"
        )
        # An account nobody can be told about.
        cls.silent = cls.env["res.partner"].create(
            {
                "name": "Hosted Silent",
                "is_company": True,
                "user_id": cls.salesman.id,
                "category_id": [(4, cls.tag.id)],
            }
        )
        cls.outsider, _buyer = cls.make_account("Not Hosted")
        cls.policy = cls.env.ref("relationship_health.sla_policy_incident_restoration")

    def new_incident(self, **vals):
        return (
            self.env[INCIDENT]
            .with_user(self.manager)
            .create(
                {
                    "name": "Mail service down",
                    "description": "Our hosted e-mail service is unavailable.",
                    "internal_note": "<p>Disk array failure in rack 12.</p>",
                    "date_start": fields.Datetime.now() - timedelta(hours=1),
                    "select_by": "tags",
                    "select_category_ids": [(6, 0, self.tag.ids)],
                    **vals,
                }
            )
        )

    def declared(self, **vals):
        incident = self.new_incident(**vals)
        incident.action_add_matching_accounts()
        incident.action_declare()
        return incident

    def notices(self, incident):
        return self.env[NOTICE].search([("incident_id", "=", incident.id)])


class TestIncidentNotices(IncidentCase):
    def test_selection_by_tags_normalizes_to_accounts(self):
        incident = self.new_incident()
        incident.action_add_matching_accounts()
        self.assertEqual(incident.partner_ids, self.key | self.plain | self.silent)
        self.assertEqual(incident.account_count, 3)
        # A contact chosen by hand stands for its account.
        incident.write({"partner_ids": [(4, self.outsider.child_ids[0].id)]})
        self.assertIn(self.outsider, incident.partner_ids)
        self.assertNotIn(self.outsider.child_ids[0], incident.partner_ids)

    def test_selection_by_product_bought(self):
        self.order(self.plain_buyer, 10)
        self.order(self.outsider.child_ids[0], 400)  # too long ago
        incident = self.new_incident(
            select_by="products",
            select_product_ids=[(6, 0, self.product.ids)],
            select_months=6,
        )
        incident.action_add_matching_accounts()
        self.assertEqual(incident.partner_ids, self.plain)

    def test_declare_tells_each_recipient_once_in_their_language(self):
        incident = self.declared()
        notices = self.notices(incident)
        # Key: the flagged contact only; Plain: the account itself (main contact).
        self.assertEqual(notices.partner_id, self.key_ops | self.plain)
        self.assertEqual(incident.unreached_partner_ids, self.silent)
        mails = notices.mail_id
        self.assertEqual(len(mails), 2)
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})
        by_partner = {notice.partner_id: notice.mail_id for notice in notices}
        self.assertIn("Incidente de serviço", by_partner[self.key_ops].subject)
        self.assertIn("Service incident", by_partner[self.plain].subject)
        self.assertIn("Our hosted e-mail service", by_partner[self.plain].body_html)
        self.assertNotIn("rack 12", by_partner[self.plain].body_html)
        # Logged on each account's chatter.
        log = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.key.id)],
            order="id desc",
            limit=1,
        )
        self.assertIn("ops@key.example", log.body)

    def test_reruns_never_send_twice(self):
        incident = self.declared()
        update = incident.update_ids
        before = self.notices(incident)
        update.notices_done = False
        self.env[INCIDENT]._cron_send_notices()
        update._send_notices()
        self.assertEqual(self.notices(incident), before)
        self.assertEqual(len(before.mail_id), 2)

    def test_a_run_stopped_half_way_is_completed_by_the_next(self):
        incident = self.new_incident()
        incident.action_add_matching_accounts()
        real_queue = RelationshipServiceIncidentUpdate._queue
        calls = []

        def first_batch_then_crash(update, pairs):
            calls.append(pairs)
            real_queue(update, pairs[:1])
            raise RuntimeError("worker killed")

        with patch.object(
            RelationshipServiceIncidentUpdate, "_queue", first_batch_then_crash
        ):
            with self.assertRaises(RuntimeError):
                incident.action_declare()
        self.assertTrue(calls)
        self.assertEqual(len(self.notices(incident)), 0)  # the savepoint rolled back
        # Declared for real, one batch sent, the process dies before the rest:
        incident.action_declare()
        update = incident.update_ids
        sent = self.notices(incident)
        sent[:1].unlink()
        update.notices_done = False
        self.env[INCIDENT]._cron_send_notices()
        self.assertEqual(self.notices(incident).partner_id, self.key_ops | self.plain)
        self.assertTrue(update.notices_done)

    def test_update_and_resolution_go_to_the_same_people(self):
        incident = self.declared()
        incident.next_update = "The disks are being replaced."
        incident.action_post_update()
        self.assertFalse(incident.next_update)
        incident.resolution_text = "Service restored."
        incident.action_resolve()
        self.assertEqual(incident.state, "resolved")
        kinds = self.notices(incident).mapped(
            lambda n: (n.update_id.kind, n.partner_id)
        )
        for kind in ("declared", "update", "resolved"):
            self.assertEqual(
                {partner for k, partner in kinds if k == kind},
                {self.key_ops, self.plain},
            )

    def test_after_resolution_the_informed_contacts_are_asked_once(self):
        incident = self.declared()
        incident.resolution_text = "Restored."
        incident.action_resolve()
        answers = self.env["survey.user_input"].search(
            [("incident_id", "=", incident.id)]
        )
        self.assertEqual(answers.partner_id, self.key_ops | self.plain)
        self.assertEqual(
            answers.survey_id,
            self.env.ref("relationship_health.survey_incident_pulse"),
        )
        invitations = self.env["mail.mail"].search(
            [("model", "=", "survey.user_input"), ("res_id", "in", answers.ids)]
        )
        self.assertEqual(len(invitations), 2)
        self.assertTrue(all(answer.access_token for answer in answers))
        # A rerun (the scheduled action after a crash) asks nobody twice.
        incident.sudo().pulse_sent = False
        self.env[INCIDENT]._cron_send_notices()
        self.assertEqual(
            self.env["survey.user_input"].search_count(
                [("incident_id", "=", incident.id)]
            ),
            2,
        )

    def test_pulse_is_optional_and_must_measure_satisfaction(self):
        incident = self.declared(pulse_survey_id=False)
        incident.resolution_text = "Restored."
        incident.action_resolve()
        self.assertFalse(
            self.env["survey.user_input"].search([("incident_id", "=", incident.id)])
        )
        silent_survey = self.env["survey.survey"].create(
            {
                "title": "Free text only",
                "question_and_page_ids": [
                    (0, 0, {"title": "Anything?", "question_type": "text_box"})
                ],
            }
        )
        with self.assertRaisesRegex(ValidationError, "no question measuring"):
            self.new_incident(pulse_survey_id=silent_survey.id)

    def test_accounts_added_later_get_the_notices_they_missed(self):
        incident = self.declared()
        incident.write({"partner_ids": [(4, self.outsider.id)]})
        self.assertEqual(
            self.notices(incident)
            .filtered(lambda n: n.account_id == self.outsider)
            .partner_id,
            self.outsider.child_ids[0],
        )
        self.assertEqual(len(self.notices(incident)), 3)

    def test_bad_input_is_refused_clearly(self):
        with self.assertRaisesRegex(UserError, "no affected account"):
            self.new_incident().action_declare()
        incident = self.new_incident(description=False)
        incident.action_add_matching_accounts()
        with self.assertRaisesRegex(UserError, "no customer-facing description"):
            incident.action_declare()
        with self.assertRaisesRegex(UserError, "No account matches"):
            self.new_incident(
                select_category_ids=[
                    (
                        6,
                        0,
                        self.env["res.partner.category"].create({"name": "Empty"}).ids,
                    )
                ]
            ).action_add_matching_accounts()
        incident = self.declared()
        with self.assertRaisesRegex(UserError, "Write the update"):
            incident.action_post_update()
        with self.assertRaisesRegex(UserError, "closing notice"):
            incident.action_resolve()
        incident.resolution_text = "Restored."
        incident.action_resolve()
        incident.next_update = "Late news"
        with self.assertRaisesRegex(UserError, "not resolved yet"):
            incident.action_post_update()
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            incident.unlink()


class TestIncidentCounts(IncidentCase):
    def events(self, incident):
        return (
            self.env["relationship.sla.event"]
            .with_context(active_test=False)
            .search([("res_model", "=", INCIDENT), ("res_id", "=", incident.id)])
        )

    def test_one_commitment_per_account_closed_on_resolution(self):
        incident = self.declared(date_start=fields.Datetime.now() - timedelta(hours=9))
        events = self.events(incident)
        self.assertEqual(events.partner_id, self.key | self.plain | self.silent)
        self.assertEqual(set(events.mapped("policy_id")), {self.policy})
        self.assertTrue(all(events.mapped("breach_noticed_on")))  # told by the notices
        incident.write({"partner_ids": [(3, self.silent.id)]})
        self.assertFalse(events.filtered(lambda e: e.partner_id == self.silent).active)
        incident.resolution_text = "Restored."
        incident.action_resolve()
        active = events.filtered("active")
        self.assertEqual(set(active.mapped("date_done")), {incident.date_resolved})
        self.assertEqual(set(active.mapped("state")), {"breached"})  # 9 h against 4 h
        # The monthly service-level report counts it like any commitment.
        report = self.env["relationship.sla.report"].search(
            [("partner_id", "=", self.plain.id)]
        )
        self.assertEqual(report.mapped("state"), ["breached"])
        self.assertEqual(report.policy_id, self.policy)

    def test_the_score_reads_it_and_says_why(self):
        self.order(self.plain_buyer, 5)  # a customer, scored
        incident = self.declared(date_start=fields.Datetime.now() - timedelta(hours=9))
        incident.resolution_text = "Restored."
        incident.action_resolve()
        self.plain.action_recompute_health()
        self.assertEqual(self.plain.health_sla, 0.0)  # its one commitment, breached
        self.assertIn(
            "Affected by the incident “Mail service down”", self.plain.health_reasons
        )
        self.assertIn("against 4.0 h promised", self.plain.health_reasons)

    def test_key_accounts_salesperson_gets_one_call(self):
        incident = self.declared()
        calls = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("summary", "like", "about Mail service down"),
            ]
        )
        self.assertEqual(calls.mapped("res_id"), [self.key.id])
        self.assertEqual(calls.user_id, self.salesman)
        incident._give_calls()  # never twice
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [
                    ("res_model", "=", "res.partner"),
                    ("summary", "like", "about Mail service down"),
                ]
            ),
            1,
        )

    def test_partner_tab_shows_open_incidents_and_when_informed(self):
        incident = self.declared()
        key = self.key.with_user(self.salesman)
        self.assertEqual(key.health_incident_ids, incident)
        self.assertTrue(key.health_incident_informed)
        incident.resolution_text = "Restored."
        incident.action_resolve()
        key.invalidate_recordset()
        self.assertFalse(key.health_incident_ids)


class TestIncidentAccess(IncidentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = new_test_user(
            cls.env,
            login="rh_portal_incident",
            groups="base.group_portal",
            partner_id=cls.key_buyer.id,
        )
        cls.employee = new_test_user(
            cls.env, login="rh_employee_incident", groups="base.group_user"
        )

    def test_salesmen_read_only_managers_declare(self):
        incident = self.declared()
        as_rep = incident.with_user(self.salesman)
        self.assertEqual(as_rep.name, "Mail service down")
        with self.assertRaises(AccessError):
            self.env[INCIDENT].with_user(self.salesman).create({"name": "Mine"})
        with self.assertRaises(AccessError):
            as_rep.write({"next_update": "x"})
        with self.assertRaises(AccessError):
            as_rep.action_post_update()
        with self.assertRaises(AccessError):
            as_rep.action_resolve()

    def test_status_and_dates_move_only_through_the_buttons(self):
        incident = self.declared().with_user(self.manager)
        for vals in (
            {"state": "draft"},
            {"state": "resolved"},
            {"date_resolved": fields.Datetime.now()},
            {"calls_given": False},
        ):
            with self.assertRaisesRegex(UserError, "through its buttons"):
                incident.write(vals)
        with self.assertRaisesRegex(UserError, "through its buttons"):
            self.env[INCIDENT].with_user(self.manager).create(
                {"name": "Forged", "state": "resolved"}
            )
        self.assertEqual(incident.state, "investigating")

    def test_accounts_of_another_company_are_refused(self):
        other = self.env["res.company"].create({"name": "Other Hosting Co"})
        foreign = self.env["res.partner"].create(
            {"name": "Foreign Account", "is_company": True, "company_id": other.id}
        )
        with self.assertRaises(UserError):
            self.new_incident(partner_ids=[(6, 0, foreign.ids)])

    def test_incident_manager_group_alone_can_declare(self):
        declarer = new_test_user(
            self.env,
            login="rh_incident_mgr",
            groups="relationship_health.group_incident_manager",
        )
        incident = (
            self.env[INCIDENT]
            .with_user(declarer)
            .create(
                {
                    "name": "Outage",
                    "description": "Down.",
                    "partner_ids": [(6, 0, self.plain.ids)],
                }
            )
        )
        incident.action_declare()
        self.assertEqual(incident.state, "investigating")

    def test_the_sales_team_reads_the_notices(self):
        incident = self.declared()
        for user in (self.manager, self.salesman):
            self.assertEqual(incident.with_user(user).notice_count, 2)
            self.assertEqual(
                self.env[NOTICE]
                .with_user(user)
                .search_count([("incident_id", "=", incident.id)]),
                2,
            )

    def test_customers_and_non_sales_users_see_nothing(self):
        incident = self.declared()
        for user in (self.portal, self.employee):
            with self.assertRaises(AccessError):
                self.env[INCIDENT].with_user(user).search([])
            with self.assertRaises(AccessError):
                incident.with_user(user).read(["name"])
            with self.assertRaises(AccessError):
                self.env[NOTICE].with_user(user).search([])
        own = self.key.with_user(self.portal)
        with self.assertRaises(AccessError):
            own.read(["health_incident_ids"])


class TestStatusPage(HttpCase, HealthCase):
    """The public page, read as an anonymous visitor over HTTP."""

    test_tags = {"standard", "post_install"}

    def setUp(self):
        super().setUp()
        self.company = self.env.company
        tag = self.env["res.partner.category"].create({"name": "Status tag"})
        account = self.env["res.partner"].create(
            {
                "name": "Secret Customer SA",
                "is_company": True,
                "email": "s@example.com",
                "category_id": [(4, tag.id)],
            }
        )
        Incident = self.env[INCIDENT]
        self.public = Incident.create(
            {
                "name": "Public outage",
                "description": "Visible to all.",
                "internal_note": "<p>root cause: intern</p>",
                "is_public": True,
                "partner_ids": [(6, 0, account.ids)],
            }
        )
        self.public.action_declare()
        self.public.next_update = "Disks replaced."
        self.public.action_post_update()
        self.private = Incident.create(
            {
                "name": "Hidden outage",
                "description": "Not for the page.",
                "partner_ids": [(6, 0, account.ids)],
            }
        )
        self.private.action_declare()

    def test_off_by_default(self):
        self.company.health_status_page = False
        response = self.url_open("/status")
        self.assertEqual(response.status_code, 404)

    def test_lists_public_incidents_without_accounts_or_notes(self):
        self.company.health_status_page = True
        response = self.url_open(f"/status/{self.company.id}")
        self.assertEqual(response.status_code, 200)
        page = response.text
        for shown in ("Public outage", "Disks replaced.", "Visible to all."):
            self.assertIn(shown, page)
        # Neither the incident kept off the page, nor an account, nor a note.
        for hidden in ("Hidden outage", "Secret Customer", "root cause"):
            self.assertNotIn(hidden, page)


class TestIncidentQueries(IncidentCase):
    """Declaring an incident costs queries per batch of accounts, never per
    account or contact."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.bulk = Partner.create(
            [
                {
                    "name": f"Bulk Account {index}",
                    "is_company": True,
                    "user_id": cls.salesman.id,
                    "visit_tier_id": cls.strategic.id if index % 5 == 0 else False,
                }
                for index in range(60)
            ]
        )
        # Three contacts each: on every other account the first two are
        # flagged (one reads Portuguese), on the others the first is told as
        # the main contact; every tenth account has no address at all.
        Partner.create(
            [
                {
                    "name": f"Contact {rank} of {account.name}",
                    "parent_id": account.id,
                    "email": False
                    if index % 10 == 9
                    else f"c{rank}.{index}@bulk.example",
                    "incident_notices": index % 2 == 0 and rank < 2,
                    "lang": "pt_BR" if rank == 1 else "en_US",
                }
                for index, account in enumerate(cls.bulk)
                for rank in range(3)
            ]
        )

    def declare_queries(self, accounts):
        """Queries of ``action_declare()`` on an incident of ``accounts``."""
        incident = self.new_incident(partner_ids=[(6, 0, accounts.ids)])
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        incident.action_declare()
        self.env.flush_all()
        queries = self.env.cr.sql_log_count - before
        # Every account with an address was told.
        self.assertEqual(
            len(self.notices(incident).account_id),
            len(accounts.filtered(lambda account: account.child_ids[:1].email)),
        )
        return queries

    def test_queries_grow_with_batches_not_contacts(self):
        self.declare_queries(self.bulk[:2])  # warm the caches
        small = self.declare_queries(self.bulk[:20])
        large = self.declare_queries(self.bulk)
        self.assertLessEqual(
            abs(large - small), 2, "three times the contacts, the same queries"
        )
        with patch(f"{INCIDENT_MODULE}.NOTICE_BATCH", 10):
            two = self.declare_queries(self.bulk[:20])
            six = self.declare_queries(self.bulk)
        per_batch = (six - two) / 4
        self.assertGreater(per_batch, 0, "batches of 10: six batches instead of two")
        self.assertLessEqual(per_batch, 12, "a few statements per batch of notices")
        self.assertLessEqual(abs(six - large - 5 * per_batch), 2)
