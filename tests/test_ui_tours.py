"""The views in a real browser: a sales rep's day and a sales manager's, a
service incident from its declaration to the status page, a survey
campaign set up and an account's survey postponed, and a barnacle's
cross-sell opportunity, and suggested weights applied from the score
validation, as Odoo tours in headless Chromium, each run as a
plain user of its group (the status page as an anonymous visitor).

The tours are in relationship_health/static/tests/tours/. With the
environment variable RH_SCREENSHOTS set to a folder, the tours also save
screenshots of the pipeline, the Relationship Health tab, the accounts by
band, the graph and the pivot, the incident form, the status page, a survey
campaign, the survey responses, the Surveys group of an account, the
opportunity's suggestions, the suggestions by product and the barnacle
playbook there, the score validation of a scorecard and its lapse rate by
decile (screenshot_<name>.png, the names listed in SCREENSHOTS).
"""

import base64
import os
import unittest
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user
from odoo.tests.common import ChromeBrowser, _find_executable

from health_common import CHOSEN_INSTANT, HealthCase
from test_playbooks import PlaybookCase
from test_validation_weights import WeightsBookCase

SCREENSHOT_SIGNAL = "rh-screenshot:"
SCREENSHOTS = {
    "relationship_health_rep_day": ("pipeline", "partner_health", "sla_breach"),
    "relationship_health_manager_day": (
        "accounts_by_band",
        "graph",
        "pivot",
        "kanban",
        "sla_policy",
        "sla_adherence",
    ),
    "relationship_health_incident_declare": ("incident_updates", "incident_accounts"),
    "relationship_health_incident_rep": ("partner_incident",),
    "relationship_health_status_page": ("status_page",),
    "relationship_health_crosssell_rep": ("opportunity_suggestions",),
    "relationship_health_crosssell_manager": (
        "suggestions_by_product",
        "playbook_barnacle",
    ),
    "relationship_health_campaign_create": ("campaign", "survey_responses"),
    "relationship_health_survey_postpone": ("partner_surveys",),
    "relationship_health_validation_weights": (
        "score_validation",
        "validation_deciles",
    ),
}


class UiTourCase(HttpCase, HealthCase):
    """Runs a tour as one of its users (a sales rep, a sales manager) or as
    an anonymous visitor; builds the monthly buyers of the tours' accounts."""

    # Outside the addon package the test metaclass does not tag tests: tag
    # them as the addon's own browser tests would be.
    test_tags = {"standard", "post_install"}
    test_module = "relationship_health"
    browser_size = "1280x900"

    @classmethod
    def setUpClass(cls):
        if CHOSEN_INSTANT:
            # Allowed by tests/skip_allowlist.txt, for such runs only.
            raise unittest.SkipTest(
                "run at a chosen instant (RH_NOW): the browser keeps its own clock"
            )
        # A missing browser or websocket client makes Odoo skip browser
        # tests: here it is a failure, the tours must run for real.
        try:
            import websocket  # noqa: F401
        except ImportError as error:
            raise AssertionError(
                "the browser tests need the websocket-client Python package"
            ) from error
        try:
            _find_executable()
        except unittest.SkipTest as error:
            raise AssertionError(
                "the browser tests need Chromium or Google Chrome on the PATH"
            ) from error
        super().setUpClass()
        cls.rep = cls._make_user(
            "rh_rep", "Sam Seller", "sales_team.group_sale_salesman"
        )
        cls.boss = cls._make_user(
            "rh_boss", "Bea Boss", "sales_team.group_sale_manager"
        )

    @classmethod
    def _make_user(cls, login, name, group):
        user = new_test_user(
            cls.env, login=login, name=name, groups=group, email=f"{login}@example.com"
        )
        user.tour_enabled = False  # no onboarding tips over the views
        return user

    @classmethod
    def monthly_buyer(cls, name, quiet_days, **vals):
        """An account that bought every month, the last time ``quiet_days``
        ago (purchase recency: 100 up to one usual interval, 0 at three)."""
        account, buyer = cls.make_account(name, **vals)
        for months in range(4):
            cls.order(buyer, quiet_days + 30 * months)
        return account

    def run_tour(self, tour, login, url="/odoo/crm"):
        """Run ``tour`` from ``url`` as ``login`` (None: an anonymous
        visitor), saving its screenshots when asked."""
        folder = os.environ.get("RH_SCREENSHOTS")
        kwargs = {"cookies": {"rh_screenshots": "1"}} if folder else {}
        handle_console = ChromeBrowser._handle_console

        def handle_console_with_screenshots(
            browser, type, args=None, stackTrace=None, **kw
        ):  # noqa: A002
            message = str(browser._from_remoteobject(args[0])) if args else ""
            if folder and type == "log" and message.startswith(SCREENSHOT_SIGNAL):
                self._save_screenshot(
                    browser, Path(folder), message[len(SCREENSHOT_SIGNAL) :]
                )
                return None
            return handle_console(browser, type, args, stackTrace, **kw)

        with patch.object(
            ChromeBrowser, "_handle_console", handle_console_with_screenshots
        ):
            try:
                self.start_tour(url, tour, login=login, timeout=90, **kwargs)
            except unittest.SkipTest as error:
                self.fail(f"the browser could not run the tour {tour}: {error}")
        if folder:
            for name in SCREENSHOTS[tour]:
                self.assertTrue(
                    (Path(folder) / f"screenshot_{name}.png").is_file(), name
                )

    @staticmethod
    def _save_screenshot(browser, folder, name):
        """Capture the page, save it, then let the tour go on."""
        folder.mkdir(parents=True, exist_ok=True)
        capture = browser._websocket_send(
            "Page.captureScreenshot", params={"format": "png"}, with_future=True
        )

        def save(future):
            try:
                data = base64.b64decode(future.result()["data"], validate=True)
                (folder / f"screenshot_{name}.png").write_bytes(data)
            finally:
                browser._websocket_send(
                    "Runtime.evaluate",
                    params={
                        "expression": "window.rhScreenshotTaken && window.rhScreenshotTaken()",
                    },
                )

        capture.add_done_callback(save)


class TestUiTours(UiTourCase):
    """A sales rep's day and a sales manager's, on a book of eight accounts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_rep = cls._make_user(
            "rh_olga", "Olga Field", "sales_team.group_sale_salesman"
        )
        # Monthly buyers gone quiet for more or less long (purchase recency:
        # 100 up to one usual interval, 0 at three; the only signal of most).
        book = {
            cls.rep: [
                ("Harbor Freight Supplies", 124),  # critical, 0
                ("Northwind Traders", 66),  # recency 40; at risk with the signals below
                ("Granite Works", 54),  # watch, 60
                ("Blue Lake Foods", 5),  # healthy, 100
            ],
            cls.other_rep: [
                ("Pine Ridge Dairy", 100),  # critical, 0
                ("Cedar Logistics", 70),  # at risk, 33.3
                ("Maple Office Supply", 50),  # watch, 66.7
                ("Summit Tools", 10),  # healthy, 100
            ],
        }
        cls.key_tag = cls.env["res.partner.category"].create({"name": "Key account"})
        cls.accounts = {}
        for user, accounts in book.items():
            for name, quiet_days in accounts:
                cls.accounts[name] = cls.monthly_buyer(
                    name, quiet_days, user_id=user.id
                )
        # Northwind has every signal: lukewarm answers, a visit overdue
        # against its monthly plan, one of two commitments breached.
        northwind = cls.accounts["Northwind Traders"]
        northwind.visit_interval_days = 30
        buyer = northwind.child_ids
        cls.answer(buyer, cls.q_nps, 6, days_ago=20)
        cls.answer(buyer, cls.q_csat, 3, days_ago=20)
        cls.visit(buyer, 50)
        cls.sla(northwind, 12, done_late_days=-1)
        cls.sla(northwind, 12, done_late_days=3)
        # A month ago Northwind and Harbor Freight were doing better.
        cls.env["relationship.health.snapshot"].create(
            [
                {
                    "partner_id": cls.accounts[name].id,
                    "user_id": cls.rep.id,
                    "snapshot_date": cls.today - timedelta(days=35),
                    "score": score,
                    "band": band,
                }
                for name, score, band in (
                    ("Northwind Traders", 75.0, "healthy"),
                    ("Harbor Freight Supplies", 45.0, "at_risk"),
                )
            ]
        )
        cls.env["res.partner"].concat(*cls.accounts.values()).action_recompute_health()
        stages = cls.env["crm.stage"].search(
            [("is_won", "=", False)], order="sequence, id"
        )
        for name, opportunity, revenue, stage in (
            ("Harbor Freight Supplies", "Valve retrofit", 18000, 2),
            ("Northwind Traders", "Spring restock", 9500, 1),
            ("Granite Works", "Pump upgrade", 12000, 0),
            ("Blue Lake Foods", "Annual maintenance", 7200, 1),
        ):
            cls.env["crm.lead"].create(
                {
                    "name": opportunity,
                    "type": "opportunity",
                    "user_id": cls.rep.id,
                    "partner_id": cls.accounts[name].id,
                    "expected_revenue": revenue,
                    "stage_id": stages[min(stage, len(stages) - 1)].id,
                }
            )

    def test_rep_day(self):
        northwind = self.accounts["Northwind Traders"]
        self.assertEqual(northwind.health_band, "at_risk")
        followup_type = self.env.ref(
            "relationship_health.mail_activity_type_retention_followup"
        )
        followup = northwind.activity_ids.filtered(
            lambda a: a.activity_type_id == followup_type
        )
        self.assertEqual(
            len(followup), 1, "the fall from 75 to 45.7 opened a retention follow-up"
        )
        self.assertEqual(followup.user_id, self.rep)
        visits = self.env["calendar.event"].search_count([])
        self.run_tour("relationship_health_rep_day", login="rh_rep")

        northwind.invalidate_recordset()
        visit = self.env["calendar.event"].search([], order="id desc", limit=1)
        self.assertEqual(self.env["calendar.event"].search_count([]), visits + 1)
        self.assertEqual(visit.name, "Visit: Northwind Traders")
        self.assertIn(self.visit_type, visit.categ_ids)
        self.assertIn(northwind.child_ids, visit.partner_ids)
        self.assertEqual(visit.user_id, self.rep)
        self.assertFalse(followup.exists().active, "the follow-up is done")
        done = northwind.message_ids.filtered(
            lambda message: "Called the buyer" in (message.body or "")
        )
        self.assertEqual(len(done), 1, "the follow-up is logged as done on the account")
        self.assertEqual(done.author_id, self.rep.partner_id)
        # The breached commitment: one notice, and the email the rep sent from it.
        breached = northwind.sla_event_ids.filtered(
            lambda event: event.state == "breached"
        )
        breach_type = self.env.ref("relationship_health.mail_activity_type_sla_breach")
        self.assertEqual(
            len(
                breached.activity_ids.filtered(
                    lambda activity: activity.activity_type_id == breach_type
                )
            ),
            1,
        )
        sent = breached.message_ids.filtered(
            lambda message: "we did not keep that promise" in (message.body or "")
        )
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent.author_id, self.rep.partner_id)
        self.assertEqual(sent.partner_ids, northwind.child_ids)

    def test_manager_day(self):
        cedar = self.accounts["Cedar Logistics"]
        self.assertEqual(cedar.health_band, "at_risk")
        self.run_tour("relationship_health_manager_day", login="rh_boss")

        cedar.invalidate_recordset()
        self.assertEqual(cedar.health_band, "watch")
        self.assertEqual(cedar.health_override_band, "watch")
        self.assertEqual(cedar.health_computed_band, "at_risk")
        self.assertEqual(cedar.health_override_user_id, self.boss)
        # 45 days from the browser's today (a day either way around midnight)
        self.assertAlmostEqual(
            (cedar.health_override_until - self.today).days, 45, delta=1
        )
        self.assertIn(
            "Framework contract signed last week", cedar.health_override_reason
        )
        policy = self.env["relationship.sla.policy"].search(
            [("name", "=", "Urgent orders shipped within 48 hours")]
        )
        self.assertEqual(len(policy), 1, "saved once, after the refused zero target")
        self.assertEqual(
            (policy.metric, policy.target_type, policy.target_value, policy.scope),
            ("delivery", "hours", 48.0, "tags"),
        )
        self.assertEqual(policy.category_ids, self.key_tag)


class TestUiIncidentTours(UiTourCase):
    """A service incident: declared by a sales manager, seen by the
    salesperson of a key account it affects, read by anyone on the status
    page."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Tag = cls.env["res.partner.category"]
        mail, shop = Tag.create([{"name": "Hosted e-mail"}, {"name": "Web shop"}])
        strategic = cls.env.ref("relationship_health.visit_tier_strategic")
        cls.accounts = {
            name: cls.monthly_buyer(
                name,
                quiet_days,
                user_id=cls.rep.id,
                category_id=[(6, 0, tags.ids)],
                **vals,
            )
            for name, quiet_days, tags, vals in (
                ("Atlas Print Works", 12, mail | shop, {"visit_tier_id": strategic.id}),
                ("Bright Dental Clinic", 40, mail | shop, {}),
                ("Coastal Realty", 20, mail, {}),
                ("Delta Garden Center", 8, shop, {}),
                ("Orchard Bakery", 15, Tag, {}),
            )
        }
        cls.env.company.health_status_page = True
        # Declared an hour ago for the accounts on hosted e-mail, on the
        # status page, with one update since.
        cls.mail_incident = (
            cls.env["relationship.service.incident"]
            .with_user(cls.boss)
            .create(
                {
                    "name": "Hosted e-mail unavailable",
                    "description": "Our hosted e-mail service is unavailable: "
                    "messages sent to you are kept and delivered once it is back.",
                    "internal_note": "<p>Disk array failure in rack 12.</p>",
                    "severity": "critical",
                    "is_public": True,
                    "date_start": fields.Datetime.now() - timedelta(hours=1),
                    "select_by": "tags",
                    "select_category_ids": [(6, 0, mail.ids)],
                }
            )
        )
        cls.mail_incident.action_add_matching_accounts()
        cls.mail_incident.action_declare()
        cls.mail_incident.next_update = (
            "The failed disk array is replaced; mailboxes are coming back one by one."
        )
        cls.mail_incident.action_post_update()
        cls.env["res.partner"].concat(*cls.accounts.values()).action_recompute_health()

    def calls(self, incident_name):
        """The "Call <account> about <incident>" activities of an incident."""
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("summary", "=like", f"Call % about {incident_name}"),
            ]
        )

    def test_manager_declares(self):
        self.run_tour("relationship_health_incident_declare", login="rh_boss")

        incident = self.env["relationship.service.incident"].search(
            [("name", "=", "Web shop checkout failing")]
        )
        self.assertEqual(len(incident), 1)
        self.assertEqual(incident.state, "investigating")
        self.assertTrue(incident.is_public)
        accounts = self.accounts
        self.assertEqual(
            incident.partner_ids,
            accounts["Atlas Print Works"]
            | accounts["Bright Dental Clinic"]
            | accounts["Delta Garden Center"],
        )
        updates = incident.update_ids.sorted("id")
        self.assertEqual(updates.mapped("kind"), ["declared", "update"])
        self.assertEqual(updates.author_id, self.boss)
        self.assertIn("Payments in our web shop fail", updates[0].body)
        self.assertIn("a fix is being rolled out", updates[1].body)
        self.assertFalse(incident.next_update)
        self.assertEqual(incident.notice_count, 6, "two notices to each account")
        call = self.calls("Web shop checkout failing").filtered(
            lambda activity: activity.res_id == accounts["Atlas Print Works"].id
        )
        self.assertEqual(call.user_id, self.rep, "the key account's salesperson calls")

    def test_rep_sees_the_incident_on_a_key_account(self):
        atlas = self.accounts["Atlas Print Works"]
        self.assertTrue(atlas.health_band)
        call = self.calls("Hosted e-mail unavailable")
        self.assertEqual(call.res_id, atlas.id)
        self.assertEqual(call.user_id, self.rep)
        self.run_tour("relationship_health_incident_rep", login="rh_rep")

    def test_anyone_reads_the_status_page(self):
        self.run_tour("relationship_health_status_page", login=None, url="/status")


class TestUiPlaybookTours(UiTourCase, PlaybookCase):
    """A barnacle's cross-sell opportunity: the rep dismisses a suggestion;
    the manager reviews the suggestions by product and the playbook."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman.tour_enabled = False  # the accounts' salesperson
        for account, name in zip(
            cls.accounts,
            (
                "Riverside Plumbing",
                "Copper Line Fittings",
                "Delta Pipeworks",
                "Keystone Valves",
            ),
        ):
            account.name = name
        # Scored (the Relationship Health tab shows), and barnacles still.
        cls.accounts.sudo().write({"health_band": "healthy", "health_score": 82.0})
        # Two of the three others buy pumps, one sensors.
        for buyer, product in zip(cls.buyers[1:], (cls.pump, cls.pump, cls.sensor)):
            cls.sell(buyer, product, 1, 900.0)
        cls.barnacle_returns()

    def test_rep_dismisses_a_suggestion(self):
        gasket, pump, sensor = (
            self.suggestions(self.first, product_id=product.id)
            for product in (self.gasket, self.pump, self.sensor)
        )
        self.assertEqual(len(gasket | pump | sensor), 3)
        self.assertEqual(gasket | pump | sensor, self.runs_lead().health_suggestion_ids)
        self.run_tour("relationship_health_crosssell_rep", login="rh_salesman")

        (gasket | pump | sensor).invalidate_recordset()
        self.assertEqual(
            (gasket.state, gasket.dismiss_reason, gasket.dismissed_by),
            ("dismissed", "already_offered", self.salesman),
        )
        self.assertEqual(
            (sensor.state, sensor.dismiss_reason, sensor.dismissed_by),
            ("dismissed", "refused", self.salesman),
        )
        self.assertEqual(pump.state, "active")

    def test_manager_reviews_suggestions_and_playbooks(self):
        self.run_tour("relationship_health_crosssell_manager", login="rh_boss")

    def runs_lead(self):
        """The opportunity the barnacle playbook opened for the first account."""
        return (
            self.env["relationship.playbook.run"]
            .search([("partner_id", "=", self.first.id)], order="id desc", limit=1)
            .lead_id
        )


class TestUiCampaignTours(UiTourCase):
    """Survey campaigns: set up by a sales manager, postponed on one account
    by its salesperson; a campaign running for two months, half answered."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.survey.title = "Quarterly pulse"
        cls.key_tag = cls.env["res.partner.category"].create({"name": "Key account"})
        cls.accounts = {
            name: cls.monthly_buyer(
                name,
                quiet_days,
                user_id=cls.rep.id,
                category_id=[Command.set(cls.key_tag.ids if key else [])],
            )
            for name, quiet_days, key in (
                ("Juniper Hotels", 12, True),
                ("Kestrel Marine", 20, True),
                ("Larch Builders", 35, True),
                ("Meadow Clinics", 8, False),
                ("Nimbus Software", 45, False),
                ("Osprey Printing", 15, False),
            )
        }
        for account in cls.accounts.values():
            account.child_ids.survey_recipient = True
        # Asked two months ago: three answers (NPS 10, 9 and 4), one decline.
        asked_on = cls.today - timedelta(days=60)
        cls.pulse = cls.env["relationship.survey.campaign"].create(
            {
                "name": "Every account: customer pulse",
                "survey_id": cls.survey.id,
                "account_domain": f"[('user_id', '=', {cls.rep.id})]",
                "cadence_days": 90,
                "date_start": asked_on,
            }
        )
        cls.env["relationship.survey.campaign"]._cron_send_invitations(today=asked_on)
        invitations = cls.pulse.invitation_ids.sorted(lambda i: i.account_id.name)
        for invitation, nps in zip(invitations, (10, 9, 4), strict=False):
            user_input = invitation.user_input_id
            user_input._save_lines(cls.q_nps, str(nps))
            user_input._mark_done()
        invitations[3].action_mark_declined()
        cls.env["res.partner"].concat(*cls.accounts.values()).action_recompute_health()

    def test_manager_creates_a_campaign(self):
        self.assertEqual((self.pulse.invited_count, self.pulse.answered_count), (6, 3))
        self.run_tour("relationship_health_campaign_create", login="rh_boss")

        campaign = self.env["relationship.survey.campaign"].search(
            [("name", "=", "Key accounts: NPS every four months")]
        )
        self.assertEqual(len(campaign), 1)
        self.assertEqual(campaign.create_uid, self.boss)
        self.assertEqual(
            (campaign.survey_id, campaign.cadence_days, campaign.contacts_per_account),
            (self.survey, 120, 1),
        )
        self.assertEqual(
            self.env["res.partner"].search(campaign._domain()),
            self.accounts["Juniper Hotels"]
            | self.accounts["Kestrel Marine"]
            | self.accounts["Larch Builders"],
        )
        self.assertEqual(campaign.account_count, 3)

    def test_rep_postpones_a_survey(self):
        juniper = self.accounts["Juniper Hotels"]
        self.assertEqual(juniper.health_survey_campaign_id, self.pulse)
        self.assertEqual(
            juniper.health_survey_next_date, self.today + timedelta(days=30)
        )
        self.run_tour("relationship_health_survey_postpone", login="rh_rep")

        juniper.invalidate_recordset()
        # 45 days from the browser's today (a day either way around midnight)
        self.assertAlmostEqual(
            (juniper.health_survey_postponed_until - self.today).days, 45, delta=1
        )
        self.assertEqual(
            juniper.health_survey_postpone_reason, "Contract renegotiation under way"
        )
        self.assertEqual(
            juniper.health_survey_next_date,
            juniper.health_survey_postponed_until + timedelta(days=1),
        )
        self.assertEqual(
            juniper.message_ids.filtered(
                lambda message: "Contract renegotiation" in (message.body or "")
            ).author_id,
            self.rep.partner_id,
        )


class TestUiValidationTours(UiTourCase, WeightsBookCase):
    """The score validation: a sales manager reads it and applies the
    weights it suggests to a scorecard."""

    def test_manager_applies_suggested_weights(self):
        figure = self.env["relationship.health.validation.figure"].search(
            [
                ("run_id", "=", self.weights_run.id),
                ("scorecard_id", "=", self.scorecard.id),
            ]
        )
        self.assertTrue(figure.has_suggested)
        self.run_tour("relationship_health_validation_weights", login="rh_boss")
        self.scorecard.invalidate_recordset()
        self.assertEqual(
            [
                self.scorecard[f"health_weight_{name}"]
                for name in ("satisfaction", "sla", "visits", "recency")
            ],
            [0.0, 0.0, 0.0, 100.0],
        )
        self.assertEqual(self.scorecard.message_ids[0].author_id, self.boss.partner_id)
        self.assertEqual(figure.sudo().applied_uid, self.boss)


def test_browser_tours_run(request):
    """pytest-odoo skips every HttpCase unless it starts Odoo's HTTP server
    (--odoo-http): the tours must run, not be skipped."""
    assert request.config.getoption(
        "--odoo-http", default=False
    ), "the browser tours need pytest-odoo's --odoo-http option (./tools/dev.sh test passes it)"
