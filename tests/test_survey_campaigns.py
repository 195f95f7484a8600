"""Survey campaigns: asked on a schedule, never tired, reminded once, and the
silence of accounts that stopped answering."""

from datetime import timedelta
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user
from odoo.tools import SQL, format_date

from health_common import HealthCase


class CampaignCase(HealthCase):
    """Three accounts of a test tag: two strategic, one standard; a campaign
    asking the strategic ones every 90 days, two contacts each, with a
    fatigue guard of 60 days and reminders after 7."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.health_survey_fatigue_days = 60
        cls.env.company.health_survey_reminder_days = 7
        cls.strategic = cls.env.ref("relationship_health.visit_tier_strategic")
        # The accounts of these tests (the database may hold demo accounts).
        cls.tag = cls.env["res.partner.category"].create({"name": "Surveyed"})
        cls.standard = cls.env.ref("relationship_health.visit_tier_standard")
        Partner = cls.env["res.partner"]
        # A: a strategic account with three survey recipients (two are asked)
        cls.alpha, cls.alpha_buyer = cls.make_account(
            "Alpha Strategic",
            visit_tier_id=cls.strategic.id,
            email="info@alpha.example",
            category_id=[(4, cls.tag.id)],
        )
        cls.alpha_buyer.survey_recipient = True
        cls.alpha_cfo, cls.alpha_cto = Partner.create(
            [
                {
                    "name": name,
                    "parent_id": cls.alpha.id,
                    "email": f"{name.lower()}@alpha.example",
                    "survey_recipient": True,
                }
                for name in ("Cfo", "Cto")
            ]
        )
        # B: a strategic account nobody flagged: its main contact (itself) is asked
        cls.beta, cls.beta_buyer = cls.make_account(
            "Beta Strategic",
            visit_tier_id=cls.strategic.id,
            email="info@beta.example",
            category_id=[(4, cls.tag.id)],
        )
        # C: a standard account, outside the strategic campaign
        cls.gamma, cls.gamma_buyer = cls.make_account(
            "Gamma Standard",
            visit_tier_id=cls.standard.id,
            email="info@gamma.example",
            category_id=[(4, cls.tag.id)],
        )
        cls.nps_campaign = cls.campaign("NPS of strategic accounts")
        cls.today = cls.today  # the product's UTC day (HealthCase)

    @classmethod
    def campaign(cls, name, domain=None, **vals):
        ours = f"('category_id', 'in', [{cls.tag.id}])"
        if domain is None:
            domain = f"[{ours}, ('visit_tier_id', '=', {cls.strategic.id})]"
        elif domain == "[]":
            domain = f"[{ours}]"
        return cls.env["relationship.survey.campaign"].create(
            {
                "name": name,
                "survey_id": cls.survey.id,
                "account_domain": domain,
                "cadence_days": 90,
                "contacts_per_account": 2,
                "date_start": cls.today - timedelta(days=1),
                **vals,
            }
        )

    def run_job(self, days_later=0):
        return self.env["relationship.survey.campaign"]._cron_send_invitations(
            today=self.today + timedelta(days=days_later)
        )

    def invitations(self, campaign=None, **where):
        domain = [(key, "=", value) for key, value in where.items()]
        if campaign:
            domain.append(("campaign_id", "=", campaign.id))
        return self.env["relationship.survey.invitation"].search(domain)

    def answer(self, invitation, nps=9):
        user_input = invitation.user_input_id
        self.env["survey.user_input.line"].create(
            {
                "user_input_id": user_input.id,
                "question_id": self.q_nps.id,
                "answer_type": "scale",
                "value_scale": nps,
            }
        )
        user_input._mark_done()


class TestCampaignSending(CampaignCase):
    def test_due_accounts_are_asked_once_a_day(self):
        self.assertEqual(self.run_job(), 3)
        sent = self.invitations(self.nps_campaign)
        # Alpha: two of its three recipients (lowest ids); Beta: the account itself.
        self.assertEqual(sent.partner_id, self.alpha_buyer | self.alpha_cfo | self.beta)
        self.assertNotIn(self.gamma, sent.account_id)
        self.assertTrue(all(sent.user_input_id.mapped("access_token")))
        mails = self.env["mail.mail"].search(
            [
                ("model", "=", "survey.user_input"),
                ("res_id", "in", sent.user_input_id.ids),
            ]
        )
        self.assertEqual(len(mails), 3)
        # The same day again: nobody is asked twice.
        self.assertEqual(self.run_job(), 0)
        self.assertEqual(self.invitations(self.nps_campaign), sent)
        # Within the cadence, nothing; after it, again (the fatigue guard has passed).
        self.assertEqual(self.run_job(89), 0)
        self.assertEqual(self.run_job(90), 3)

    def test_the_fatigue_guard_holds_across_campaigns(self):
        self.run_job()
        csat = self.campaign("CSAT of everyone", domain="[]")
        self.env["relationship.survey.campaign"].browse(csat.id)._invite_due(
            self.today + timedelta(days=10)
        )
        # Gamma was never asked: asked now; Alpha's and Beta's contacts rest.
        self.assertEqual(self.invitations(csat).account_id, self.gamma)
        csat._invite_due(self.today + timedelta(days=60))
        self.assertEqual(
            self.invitations(csat).account_id, self.gamma | self.alpha | self.beta
        )

    def test_bounced_and_declined_contacts_are_skipped(self):
        self.alpha_buyer.message_bounce = 1
        self.env["mail.blacklist"].sudo()._add(self.alpha_cfo.email)
        self.run_job()
        self.assertEqual(
            self.invitations(self.nps_campaign, account_id=self.alpha.id).partner_id,
            self.alpha_cto,
        )

    def test_one_reminder_never_two(self):
        self.run_job()
        waiting = self.invitations(self.nps_campaign)
        self.answer(waiting[0])
        self.run_job(6)
        self.assertFalse(any(waiting.mapped("date_reminded")))
        self.run_job(7)
        reminded = waiting.filtered("date_reminded")
        self.assertEqual(reminded, waiting[1:])
        mails = self.env["mail.mail"].search(
            [("model", "=", "survey.user_input"), ("subject", "like", "Reminder")]
        )
        self.assertEqual(len(mails), 2)
        self.run_job(8)
        self.assertEqual(
            self.env["mail.mail"].search_count(
                [("model", "=", "survey.user_input"), ("subject", "like", "Reminder")]
            ),
            2,
        )


class TestCampaignFigures(CampaignCase):
    def test_response_rate_and_nps_on_a_hand_computed_case(self):
        self.run_job()
        alpha_buyer, alpha_cfo, beta = self.invitations(self.nps_campaign).sorted(
            "partner_id"
        )
        self.answer(alpha_buyer, nps=10)  # promoter
        self.answer(beta, nps=3)  # detractor
        alpha_cfo.action_mark_declined()
        campaign = self.nps_campaign
        campaign.invalidate_recordset()
        self.assertEqual(campaign.invited_count, 3)
        self.assertEqual(campaign.answered_count, 2)
        self.assertEqual(campaign.declined_count, 1)
        self.assertAlmostEqual(campaign.response_rate, 66.7, places=1)  # 2 of 3
        self.assertAlmostEqual(campaign.nps, 0.0)  # 50 % promoters − 50 % detractors
        # Per account, as the pivot groups it.
        groups = dict(
            self.env["relationship.survey.invitation"]._read_group(
                [("campaign_id", "=", campaign.id)],
                ["account_id"],
                ["response_rate:avg"],
            )
        )
        self.assertAlmostEqual(groups[self.alpha], 50.0)
        self.assertAlmostEqual(groups[self.beta], 100.0)

    def test_waiting_invitations_count_in_the_response_rate(self):
        """Regression: a waiting invitation was stored without a response rate
        and left out of the average (one answer of three read as 100 %)."""
        self.run_job()
        self.answer(self.invitations(self.nps_campaign)[0])
        [(rate, answered)] = self.env["relationship.survey.invitation"]._read_group(
            [("campaign_id", "=", self.nps_campaign.id)],
            [],
            ["response_rate:avg", "answered:sum"],
        )
        self.assertAlmostEqual(rate, 100.0 / 3)
        self.assertEqual(answered, 1)

    def test_silence_is_flagged_shown_and_lifted(self):
        self.run_job()
        self.run_job(90)
        self.run_job(90 + 13)
        self.assertFalse(
            self.beta.health_survey_silent_on
        )  # the second one is too recent
        self.run_job(90 + 14)
        self.assertEqual(
            self.beta.health_survey_silent_on, self.today + timedelta(days=90)
        )
        self.assertIn("No answer to the last 2 surveys", self.beta.health_reasons or "")
        silent = self.env["res.partner"].search(
            [
                ("health_survey_silent_on", "!=", False),
                ("id", "in", (self.alpha | self.beta).ids),
            ]
        )
        self.assertEqual(silent, self.alpha | self.beta)
        self.answer(self.invitations(self.nps_campaign, account_id=self.beta.id)[0])
        self.run_job(90 + 15)
        self.assertFalse(self.beta.health_survey_silent_on)


class TestCampaignRules(CampaignCase):
    def test_bad_campaigns_are_refused_or_warned(self):
        silent_survey = self.env["survey.survey"].create(
            {
                "title": "Free text",
                "question_and_page_ids": [
                    (0, 0, {"title": "Anything?", "question_type": "text_box"})
                ],
            }
        )
        with self.assertRaisesRegex(ValidationError, "no question measuring"):
            self.campaign("Mute", survey_id=silent_survey.id)
        with self.assertRaisesRegex(ValidationError, "more often than a contact"):
            self.campaign("Nagging", cadence_days=30)
        with self.assertRaisesRegex(ValidationError, "at least one contact"):
            self.campaign("Nobody", contacts_per_account=0)
        with self.assertRaisesRegex(ValidationError, "not a valid filter"):
            self.campaign("Broken", domain="[('no_such_field', '=', 1)]")
        empty = self.campaign("Empty", domain="[('name', '=', 'No such account')]")
        self.assertEqual(empty.account_count, 0)

    def test_a_rep_postpones_one_account_then_sends_now(self):
        beta = self.beta.with_user(self.salesman)
        self.assertEqual(beta.health_survey_next_date, self.today)
        wizard = (
            self.env["relationship.survey.postpone.wizard"]
            .with_user(self.salesman)
            .create(
                {
                    "partner_id": beta.id,
                    "date_until": self.today + timedelta(days=20),
                    "reason": "Contract renegotiation",
                }
            )
        )
        wizard.action_apply()
        beta.invalidate_recordset()
        # The date in the account's history as the user reads dates.
        until = format_date(self.env, self.today + timedelta(days=20))
        self.assertIn(
            f"Next survey postponed until {until} by Rita Rep: Contract renegotiation",
            beta.message_ids[0].body,
        )
        self.assertEqual(beta.health_survey_next_date, self.today + timedelta(days=21))
        self.run_job()
        self.assertNotIn(self.beta, self.invitations(self.nps_campaign).account_id)
        self.run_job(21)
        self.assertIn(self.beta, self.invitations(self.nps_campaign).account_id)
        # Asked, then "send now" the next day: the fatigue guard says no.
        with self.assertRaisesRegex(UserError, "fatigue guard"):
            beta.action_send_survey_now()


class TestCampaignGuards(CampaignCase):
    def test_a_rep_acts_on_their_own_accounts_only(self):
        other_rep = new_test_user(
            self.env, login="rh_rep_two", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaises(AccessError):
            self.beta.with_user(other_rep).action_send_survey_now()
        wizard = (
            self.env["relationship.survey.postpone.wizard"]
            .with_user(other_rep)
            .create(
                {
                    "partner_id": self.beta.id,
                    "date_until": self.today + timedelta(days=5),
                    "reason": "Not mine",
                }
            )
        )
        with self.assertRaises(AccessError):
            wizard.action_apply()
        with self.assertRaisesRegex(ValidationError, "at the most"):
            self.beta.with_user(self.salesman).write(
                {"health_survey_postponed_until": self.today + timedelta(days=4000)}
            )

    def test_a_broken_filter_is_refused_and_skipped_by_the_job(self):
        with self.assertRaisesRegex(ValidationError, "not a valid filter"):
            self.nps_campaign.account_domain = "[('no_such_field', '=', 1)]"
        # Broken since it was saved (a field gone): the job goes on with the others.
        self.env.cr.execute(
            SQL(
                "UPDATE relationship_survey_campaign SET account_domain = %s WHERE id = %s",
                "[('no_such_field', '=', 1)]",
                self.nps_campaign.id,
            )
        )
        self.nps_campaign.invalidate_recordset()
        csat = self.campaign("CSAT of everyone", domain="[]")
        self.run_job()
        self.assertTrue(self.invitations(csat))
        self.assertFalse(self.invitations(self.nps_campaign))

    def test_a_manager_runs_a_running_campaign_only(self):
        self.nps_campaign.active = False
        with self.assertRaisesRegex(UserError, "not running"):
            self.nps_campaign.with_user(self.manager).action_send_now()


class TestCampaignAccess(CampaignCase):
    def test_who_reads_and_who_edits(self):
        self.run_job()
        other_rep = new_test_user(
            self.env, login="rh_other_rep", groups="sales_team.group_sale_salesman"
        )
        # Salesmen read campaigns, not edit them; invitations of their accounts only.
        campaign = self.nps_campaign.with_user(self.salesman)
        self.assertEqual(campaign.name, "NPS of strategic accounts")
        with self.assertRaises(AccessError):
            campaign.write({"cadence_days": 120})
        with self.assertRaises(AccessError):
            self.env["relationship.survey.campaign"].with_user(self.salesman).create(
                {"name": "Mine", "survey_id": self.survey.id}
            )
        self.assertEqual(
            len(
                self.env["relationship.survey.invitation"]
                .with_user(self.salesman)
                .search([])
            ),
            3,
        )
        self.assertFalse(
            self.env["relationship.survey.invitation"].with_user(other_rep).search([])
        )
        # Managers edit.
        self.nps_campaign.with_user(self.manager).write({"cadence_days": 120})
        # Customers see nothing of it.
        portal = new_test_user(
            self.env,
            login="rh_portal_campaign",
            groups="base.group_portal",
            partner_id=self.beta_buyer.id,
        )
        with self.assertRaises(AccessError):
            self.env["relationship.survey.campaign"].with_user(portal).search([])
        with self.assertRaises(AccessError):
            self.env["relationship.survey.invitation"].with_user(portal).search([])
        with self.assertRaises(AccessError):
            self.beta.with_user(portal).read(["health_survey_silent_on"])

    def test_a_manager_picks_the_survey_of_a_campaign(self):
        """A sales manager who is no survey user chooses among the surveys
        measuring satisfaction (regression: the survey could not be picked)."""
        self.assertFalse(self.manager.has_group("survey.group_survey_user"))
        free_text = self.env["survey.survey"].create(
            {
                "title": "Customer satisfaction, in words",
                "question_and_page_ids": [
                    (0, 0, {"title": "Anything?", "question_type": "text_box"})
                ],
            }
        )
        Survey = self.env["survey.survey"].with_user(self.manager)
        found = [survey_id for survey_id, _name in Survey.name_search("Customer satis")]
        self.assertIn(self.survey.id, found)
        self.assertNotIn(free_text.id, found)
        with self.assertRaises(AccessError):
            self.survey.with_user(self.manager).write({"title": "Renamed"})
        with self.assertRaises(AccessError):
            free_text.with_user(self.manager).read(["title"])


CAMPAIGN_MODULE = "odoo.addons.relationship_health.models.relationship_survey_campaign"


class TestCampaignQueries(CampaignCase):
    """The day's invitations cost queries per batch of due accounts, never
    per account or contact."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("pt_BR")
        Partner = cls.env["res.partner"]
        cls.bulk = Partner.create(
            [
                {
                    "name": f"Bulk Account {index}",
                    "is_company": True,
                    "email": f"info.{index}@bulk.example",
                    "user_id": cls.salesman.id,
                }
                for index in range(60)
            ]
        )
        # Two or three contacts each, one reading Portuguese: on every other
        # account the first two are survey recipients, on the others the
        # account itself is asked as the main contact.
        Partner.create(
            [
                {
                    "name": f"Contact {rank} of {account.name}",
                    "parent_id": account.id,
                    "email": f"c{rank}.{index}@bulk.example",
                    "survey_recipient": index % 2 == 0 and rank < 2,
                    "lang": "pt_BR" if rank == 1 else "en_US",
                }
                for index, account in enumerate(cls.bulk)
                for rank in range(2 + index % 2)
            ]
        )

    def invite_queries(self, accounts, days_later):
        """Queries of the day's planning and queuing of a campaign over
        ``accounts``, all of them due."""
        campaign = self.campaign(
            f"Bulk {days_later}", domain=f"[('id', 'in', {accounts.ids})]"
        )
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        sent = campaign._invite_due(self.today + timedelta(days=days_later))
        self.env.flush_all()
        queries = self.env.cr.sql_log_count - before
        invited = self.invitations(campaign)
        self.assertEqual(sent, len(invited))
        self.assertEqual(invited.account_id, accounts, "every account is asked")
        mails = self.env["mail.mail"].search(
            [
                ("model", "=", "survey.user_input"),
                ("res_id", "in", invited.user_input_id.ids),
            ]
        )
        self.assertEqual(len(mails), sent, "one e-mail queued per invitation")
        answers = {answer.id: answer for answer in invited.user_input_id}
        for mail in mails:
            answer = answers[mail.res_id]
            self.assertIn(answer.access_token, mail.body_html, "its own link")
            self.assertIn(answer.partner_id.name, mail.body_html)
            self.assertEqual(mail.email_to, answer.partner_id.email_formatted)
        return queries

    def test_queries_grow_with_batches_not_contacts(self):
        # Each measure a new campaign 100 days later: past the fatigue guard.
        self.invite_queries(self.bulk[:2], 0)  # warm the caches
        small = self.invite_queries(self.bulk[:20], 100)
        large = self.invite_queries(self.bulk, 200)
        self.assertLessEqual(
            abs(large - small), 2, "three times the contacts, the same queries"
        )
        with patch(f"{CAMPAIGN_MODULE}.INVITATION_BATCH", 10):
            two = self.invite_queries(self.bulk[:20], 300)
            six = self.invite_queries(self.bulk, 400)
        per_batch = (six - two) / 4
        self.assertGreater(per_batch, 0, "batches of 10: six batches instead of two")
        self.assertLessEqual(per_batch, 20, "a few statements per batch of invitations")
        self.assertLessEqual(abs(six - large - 5 * per_batch), 2)

    def test_an_answer_without_a_contact_name_is_rendered_on_its_own(self):
        answers = self.env["survey.user_input"].create(
            [
                {"survey_id": self.survey.id, "email": "someone@bulk.example"},
                {
                    "survey_id": self.survey.id,
                    "partner_id": self.alpha_cfo.id,
                    "email": self.alpha_cfo.email,
                },
            ]
        )
        self.env["relationship.survey.invitation"]._queue_mails(
            "survey.mail_template_user_input_invite", answers
        )
        mails = self.env["mail.mail"].search(
            [("model", "=", "survey.user_input"), ("res_id", "in", answers.ids)]
        )
        nameless, named = mails.sorted("res_id")
        self.assertEqual(nameless.email_to, "someone@bulk.example")
        self.assertIn("participant", nameless.body_html)
        self.assertIn(answers[0].access_token, nameless.body_html)
        self.assertIn("Cfo", named.body_html)
        self.assertIn(answers[1].access_token, named.body_html)
