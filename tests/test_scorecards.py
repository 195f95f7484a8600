"""Scorecards per segment, on real records: which scorecard scores an account,
the score it gives, what a change marks for the refresh, what is refused and
who may read or change a scorecard."""

import pandas as pd

from odoo.exceptions import AccessError
from odoo.tools import SQL

from odoo.addons.relationship_health.scoring import band_for

from health_common import HealthCase

SCORECARD = "relationship.health.scorecard"


class ScorecardCase(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.tier = cls.env["relationship.visit.tier"].create(
            {"name": "Platinum", "visit_interval_days": 30}
        )
        cls.industry = cls.env["res.partner.industry"].create({"name": "Foundries"})
        cls.tag = cls.env["res.partner.category"].create({"name": "Strategic"})
        cls.other_tag = cls.env["res.partner.category"].create({"name": "Reseller"})
        cls.by_tier, cls.tier_buyer = cls.make_account(
            "Tiered Tools", visit_tier_id=cls.tier.id
        )
        cls.by_industry, cls.industry_buyer = cls.make_account(
            "Foundry Forge", industry_id=cls.industry.id
        )
        cls.by_tag, cls.tag_buyer = cls.make_account(
            "Tagged Trading", category_id=[(6, 0, cls.tag.ids)]
        )
        cls.by_quadrant, cls.quadrant_buyer = cls.make_account("Quadrant Quarry")
        cls.plain, cls.plain_buyer = cls.make_account("Plain Pipes")
        cls.accounts = (
            cls.by_tier | cls.by_industry | cls.by_tag | cls.by_quadrant | cls.plain
        )
        for buyer in (
            cls.tier_buyer,
            cls.industry_buyer,
            cls.tag_buyer,
            cls.quadrant_buyer,
            cls.plain_buyer,
        ):
            cls.order(buyer, 20)
        cls.accounts.sudo().write({"health_quadrant": "stranger"})
        cls.by_quadrant.sudo().write({"health_quadrant": "barnacle"})
        cls.Scorecard = cls.env[SCORECARD]
        # The demo's scorecards (if any) stay out of the way.
        cls.Scorecard.search([]).write({"active": False})

    @classmethod
    def card(cls, name, **vals):
        return cls.env[SCORECARD].create({"name": name, **vals})

    def matched(self, accounts=None):
        """``{account: scorecard}`` as the engine matches them."""
        accounts = accounts or self.accounts
        frame = pd.DataFrame(
            {"company_id": [self.company.id] * len(accounts)},
            index=pd.Index(accounts.ids, name="partner_id"),
        )
        series, _configs = self.engine._scorecard_configs(frame)
        return {
            account: self.Scorecard.browse(int(series[account.id]))
            for account in accounts
        }

    def pending(self):
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT DISTINCT account_id FROM relationship_health_pending")
        )
        return {row[0] for row in self.env.cr.fetchall()}

    def empty_queue(self):
        self.env.flush_all()
        self.env.cr.execute(SQL("DELETE FROM relationship_health_pending"))


class TestScorecardMatching(ScorecardCase):
    def test_each_criterion(self):
        tiers = self.card("Platinum accounts", tier_ids=[(6, 0, self.tier.ids)])
        industries = self.card("Foundries", industry_ids=[(6, 0, self.industry.ids)])
        tags = self.card("Strategic", category_ids=[(6, 0, self.tag.ids)])
        quadrants = self.card("Barnacles", quadrant="barnacle")
        empty = self.Scorecard.browse()
        self.assertEqual(
            self.matched(),
            {
                self.by_tier: tiers,
                self.by_industry: industries,
                self.by_tag: tags,
                self.by_quadrant: quadrants,
                self.plain: empty,
            },
        )

    def test_every_filled_criterion_must_match(self):
        self.card(
            "Strategic foundries",
            industry_ids=[(6, 0, self.industry.ids)],
            category_ids=[(6, 0, (self.tag | self.other_tag).ids)],
        )
        self.assertFalse(any(self.matched().values()), "no account has both")
        self.by_industry.category_id = self.other_tag
        self.assertTrue(self.matched()[self.by_industry])

    def test_priority_then_archive(self):
        everyone = self.card("Everyone", sequence=20)
        tiers = self.card("Platinum", sequence=10, tier_ids=[(6, 0, self.tier.ids)])
        matched = self.matched()
        self.assertEqual(matched[self.by_tier], tiers)
        self.assertEqual(matched[self.plain], everyone)
        tiers.sequence = 30
        self.assertEqual(self.matched()[self.by_tier], everyone)
        everyone.active = False
        self.assertEqual(self.matched()[self.by_tier], tiers)
        self.assertFalse(self.matched()[self.plain], "the company's settings")

    def test_default_priority_is_the_next_free_one(self):
        first = self.card("First")
        second = self.card("Second")
        self.assertGreater(second.sequence, first.sequence)


class TestScorecardScoring(ScorecardCase):
    def test_the_engine_scores_with_the_scorecard(self):
        card = self.card(
            "Strategic",
            category_ids=[(6, 0, self.tag.ids)],
            health_weight_satisfaction=0,
            health_weight_sla=1,
            health_weight_visits=0,
            health_weight_recency=3,
            health_threshold_healthy=99,
            health_threshold_watch=98,
            health_threshold_at_risk=97,
        )
        self.sla(self.by_tag, 5, done_late_days=1)
        self.by_tag.visit_interval_days = 30
        (self.by_tag | self.plain).action_recompute_health()
        account = self.by_tag
        self.assertEqual(account.health_scorecard_id, card)
        expected = (account.health_sla * 1 + account.health_recency * 3) / 4
        self.assertAlmostEqual(account.health_score, expected, delta=0.05)
        config = card._scoring_config()
        self.assertEqual(account.health_band, band_for(account.health_score, config))
        self.assertNotEqual(
            account.health_band,
            band_for(account.health_score, self.company._health_scoring_config()),
            "the scorecard's thresholds, not the company's",
        )
        self.assertIn(
            '<td class="text-end">3</td>',
            str(account.health_summary),
            "the summary shows the scorecard's weights",
        )
        snapshot = self.snapshots(account)
        self.assertEqual(snapshot.scorecard_id, card)
        self.assertFalse(self.plain.health_scorecard_id, "the company default")
        self.assertFalse(self.snapshots(self.plain).scorecard_id)
        self.assertEqual(card.partner_count, 1)
        action = card.action_view_partners()
        self.assertEqual(self.env["res.partner"].search(action["domain"]), account)

    def test_queries_do_not_grow_with_scorecards(self):
        self.card("Platinum", tier_ids=[(6, 0, self.tier.ids)])
        self.batch_query_count(self.accounts.ids)  # warm the caches
        one = self.batch_query_count(self.accounts.ids)
        self.card("Foundries", industry_ids=[(6, 0, self.industry.ids)])
        self.card("Strategic", category_ids=[(6, 0, self.tag.ids)])
        self.card("Barnacles", quadrant="barnacle", health_weight_visits=0)
        self.batch_query_count(self.accounts.ids)
        four = self.batch_query_count(self.accounts.ids)
        self.assertEqual(one, four)


class TestScorecardChanges(ScorecardCase):
    def test_a_change_marks_its_accounts_and_is_tracked(self):
        self.empty_queue()
        card = self.card("Strategic", category_ids=[(6, 0, self.tag.ids)])
        self.assertEqual(self.pending(), set(self.by_tag.ids), "created: its accounts")
        self.by_tag.action_recompute_health()
        self.empty_queue()
        card.with_context(tracking_disable=False).health_weight_recency = 60
        self.assertEqual(self.pending(), set(self.by_tag.ids))
        self.env.flush_all()
        self.env.cr.precommit.run()  # the chatter's tracking, as at commit
        tracked = card.message_ids.tracking_value_ids.field_id.mapped("name")
        self.assertIn("health_weight_recency", tracked)
        card.with_context(tracking_disable=False).write(
            {"quadrant": "stranger", "category_ids": self.tag | self.other_tag}
        )
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = card.message_ids.tracking_value_ids.field_id.mapped("name")
        self.assertIn("quadrant", tracked, "a criterion's change too")
        self.assertIn("category_ids", tracked)
        card.write({"quadrant": False, "category_ids": self.tag})
        self.empty_queue()
        card.name = "Strategic accounts"
        self.assertEqual(self.pending(), set(), "a new name scores nothing anew")
        # Moved to another segment: the accounts it scored and those it scores now.
        card.category_ids = self.other_tag
        self.plain.category_id = self.other_tag
        self.assertIn(self.plain.id, self.pending(), "new tags, maybe a new scorecard")
        self.empty_queue()
        card.category_ids = self.tag | self.other_tag
        both = self.by_tag | self.plain
        self.assertEqual(self.pending(), set(both.ids), "scored before, matched now")
        self.empty_queue()
        card.active = False
        self.assertEqual(self.pending(), set(both.ids), "archived: what it scored")
        card.active = True
        self.empty_queue()
        card.unlink()
        self.assertEqual(self.pending(), set(both.ids), "deleted: what it scored")

    def test_refusals(self):
        zero = dict.fromkeys(
            (
                "health_weight_satisfaction",
                "health_weight_sla",
                "health_weight_visits",
                "health_weight_recency",
            ),
            0,
        )
        with self.assertRefused("At least one signal weight must be above zero"):
            self.card("Nothing counts", **zero)
        with self.assertRefused("Band thresholds must be strictly decreasing"):
            self.card(
                "Upside down", health_threshold_healthy=40, health_threshold_watch=60
            )
        first = self.card("Platinum", sequence=5, tier_ids=[(6, 0, self.tier.ids)])
        second = self.card("Everyone", sequence=6)
        with self.assertRefused(
            r"Platinum and Everyone have the same priority \(5\) and both match "
            r"the account Tiered Tools"
        ):
            second.sequence = 5
        # Equal priorities that match no common account are allowed.
        self.card("Foundries", sequence=5, industry_ids=[(6, 0, self.industry.ids)])
        self.assertTrue(first.active)


class TestScorecardAccess(ScorecardCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.scorecard = cls.card("Strategic", category_ids=[(6, 0, cls.tag.ids)])
        cls.portal = cls.make_user("rh_sc_portal", "Paula Portal", "base.group_portal")
        cls.internal = cls.make_user(
            "rh_sc_internal", "Ivan Internal", "base.group_user"
        )

    def test_outsiders_see_nothing(self):
        for user in (self.portal, self.internal):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.scorecard.with_user(user).read(["name"])
                with self.assertRaises(AccessError):
                    self.Scorecard.with_user(user).create({"name": "Mine"})

    def test_salesman_reads_manager_writes(self):
        mine = self.scorecard.with_user(self.salesman)
        self.assertEqual(mine.read(["health_weight_sla"])[0]["health_weight_sla"], 25)
        self.assertEqual(mine.partner_count, 0)
        with self.assertRaises(AccessError):
            mine.health_weight_sla = 10
        with self.assertRaises(AccessError):
            self.Scorecard.with_user(self.salesman).create({"name": "Mine"})
        with self.assertRaises(AccessError):
            mine.unlink()
        managed = self.scorecard.with_user(self.manager)
        managed.health_weight_sla = 10
        self.assertEqual(self.scorecard.health_weight_sla, 10)
        created = self.Scorecard.with_user(self.manager).create({"name": "Managed"})
        created.unlink()

    def test_other_company_scorecards_are_hidden(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        foreign = self.Scorecard.create({"name": "Foreign", "company_id": other.id})
        self.assertFalse(
            self.Scorecard.with_user(self.manager).search([("id", "=", foreign.id)])
        )
