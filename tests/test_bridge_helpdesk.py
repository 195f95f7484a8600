"""OCA Helpdesk bridge: tickets become service-level commitments of their
account, one per ticket and resolution policy, kept in step with the ticket."""

import unittest
from datetime import timedelta

from odoo import Command
from odoo.tools import SQL

from health_common import ServiceLevelCase


class TestBridgeHelpdesk(ServiceLevelCase):
    bridge = "relationship_health_helpdesk"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "helpdesk.ticket.sla" not in cls.env.registry:
            raise unittest.SkipTest("relationship_health_helpdesk is not installed")
        cls.Event = cls.Event.with_context(active_test=False)
        # Only this test's service levels and helpdesk SLAs count.
        cls.env["helpdesk.sla"].search([]).write({"active": False})
        cls.resolution = cls.Policy.create(
            {
                "name": "Resolution within 48 hours",
                "metric": "resolution",
                "target_type": "hours",
                "target_value": 48,
                "scope": "all",
                "company_id": False,
            }
        )
        # Round the clock, so that helpdesk deadlines are plain hours.
        cls.calendar = cls.env["resource.calendar"].create(
            {
                "name": "24x7",
                "tz": "UTC",
                "attendance_ids": [
                    Command.create(
                        {
                            "name": str(day),
                            "dayofweek": str(day),
                            "hour_from": 0,
                            "hour_to": 24,
                        }
                    )
                    for day in range(7)
                ],
            }
        )
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {
                "name": "Valve support",
                "use_sla": True,
                "resource_calendar_id": cls.calendar.id,
            }
        )
        cls.stage_new = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_new")
        cls.stage_progress = cls.env.ref(
            "helpdesk_mgmt.helpdesk_ticket_stage_in_progress"
        )
        cls.stage_done = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        cls.stage_cancelled = cls.env.ref(
            "helpdesk_mgmt.helpdesk_ticket_stage_cancelled"
        )
        cls.account, cls.contact = cls.make_account("Helpdesk Customer")

    # -- helpers ---------------------------------------------------------------
    def ticket(self, partner, **vals):
        return self.env["helpdesk.ticket"].create(
            {
                "name": "Valve leaks",
                "description": "<p>It leaks.</p>",
                "partner_id": partner.id,
                "team_id": self.team.id,
                "stage_id": self.stage_new.id,
                **vals,
            }
        )

    def helpdesk_sla_policy(self):
        """A service level whose deadline is the ticket's helpdesk SLA."""
        return self.Policy.create(
            {
                "name": "Helpdesk SLA",
                "metric": "resolution",
                "target_type": "field",
                "deadline_field": "helpdesk_sla_deadline",
                "scope": "all",
            }
        )

    def events(self, ticket, policy=None):
        return self.Event.search(
            [
                ("res_model", "=", "helpdesk.ticket"),
                ("res_id", "=", ticket.id),
                ("policy_id", "=", (policy or self.resolution).id),
            ]
        )

    def breach_activities(self, event):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "relationship.sla.event"),
                ("res_id", "=", event.id),
                ("activity_type_id", "=", self.breach_type.id),
            ]
        )

    def backdate(self, ticket, days):
        """Pretend the ticket was created ``days`` days earlier."""
        self.env.flush_all()
        created = self.created(ticket) - timedelta(days=days)
        self.env.cr.execute(
            SQL(
                "UPDATE helpdesk_ticket SET create_date = %s WHERE id = %s",
                created,
                ticket.id,
            )
        )
        ticket.invalidate_recordset(["create_date"])
        return created

    @staticmethod
    def created(ticket):
        """The ticket's creation, to the second as the helpdesk's dates are."""
        return ticket.create_date.replace(microsecond=0)

    def close(self, ticket):
        ticket.stage_id = self.stage_done
        return ticket.closed_date

    # -- tests -----------------------------------------------------------------
    def test_closed_by_the_deadline_is_met(self):
        ticket = self.ticket(self.contact)
        event = self.events(ticket)
        self.assertEqual(len(event), 1)
        self.assertEqual(event.partner_id, self.account, "the account, not the contact")
        self.assertEqual(event.company_id, ticket.company_id)
        self.assertEqual(event.name, f"Ticket {ticket.number}: Valve leaks")
        self.assertEqual(event.date_start, self.created(ticket))
        self.assertEqual(
            event.date_deadline, self.created(ticket) + timedelta(hours=48)
        )
        self.assertFalse(event.date_done)
        self.assertEqual(event.state, "open")
        ticket.stage_id = self.stage_progress
        self.assertEqual(event.state, "open", "a ticket in progress is not resolved")
        closed = self.close(ticket)
        self.assertTrue(closed)
        self.assertEqual(event.date_done, closed)
        self.assertEqual(event.state, "met")
        self.assertFalse(self.breach_activities(event))
        self.assertFalse(
            self.events(self.ticket(self.env["res.partner"])),
            "a ticket without customer commits nothing",
        )

    def test_closed_after_the_deadline_is_breached_and_announced_once(self):
        ticket = self.ticket(self.contact)
        created = self.backdate(ticket, 5)
        closed = self.close(ticket)
        event = self.events(ticket)
        self.assertEqual(len(event), 1)
        self.assertEqual(event.date_start, created)
        self.assertEqual(event.date_deadline, created + timedelta(hours=48))
        self.assertEqual(event.date_done, closed)
        self.assertEqual(event.state, "breached")
        self.assertAlmostEqual(event.delay_hours, 72.0, delta=0.5)
        activity = self.breach_activities(event)
        self.assertEqual(len(activity), 1, "the salesperson informs the customer")
        self.assertEqual(activity.user_id, self.salesman)
        # Reopened, then closed again: the same commitment, announced once.
        ticket.stage_id = self.stage_progress
        self.assertEqual(event.state, "open", "a reopened ticket is open again")
        self.assertFalse(event.date_done)
        self.close(ticket)
        self.assertEqual(self.events(ticket), event)
        self.assertEqual(event.state, "breached")
        self.env["relationship.sla.event"]._cron_notify_breaches()
        self.assertEqual(len(self.breach_activities(event)), 1)

    def test_helpdesk_agents_need_no_sales_rights(self):
        agent = self.make_user(
            "rh_agent",
            "Alex Agent",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user",
        )
        ticket = (
            self.env["helpdesk.ticket"]
            .with_user(agent)
            .create(
                {
                    "name": "Valve leaks",
                    "description": "<p>It leaks.</p>",
                    "partner_id": self.contact.id,
                    "team_id": self.team.id,
                }
            )
        )
        self.backdate(ticket, 5)
        ticket.with_user(agent).stage_id = self.stage_done
        event = self.events(ticket)
        self.assertEqual(event.state, "breached")
        self.assertEqual(len(self.breach_activities(event)), 1)

    def test_open_ticket_past_its_deadline_is_announced_once_by_the_job(self):
        ticket = self.ticket(self.contact)
        self.backdate(ticket, 3)
        ticket.name = "Valve leaks badly"  # any change brings the commitment up to date
        event = self.events(ticket)
        self.assertEqual(event.state, "open")
        self.assertTrue(event.is_overdue)
        self.assertFalse(self.breach_activities(event), "nothing was closed late yet")
        self.env["relationship.sla.event"]._cron_notify_breaches()
        self.assertEqual(len(self.breach_activities(event)), 1)
        self.assertTrue(event.breach_noticed_on)
        self.env["relationship.sla.event"]._cron_notify_breaches()
        self.close(ticket)
        self.assertEqual(event.state, "breached")
        self.assertEqual(
            len(self.breach_activities(event)), 1, "one breach, one notice"
        )

    def test_a_batch_of_tickets_is_recorded_together(self):
        other, other_contact = self.make_account("Batch Customer")
        partners = (self.contact, other_contact, self.account, self.env["res.partner"])
        tickets = self.env["helpdesk.ticket"].create(
            [
                {
                    "name": f"Valve {n}",
                    "description": "<p>Leaks.</p>",
                    "partner_id": partner.id,
                    "team_id": self.team.id,
                    "stage_id": self.stage_new.id,
                }
                for n, partner in enumerate(partners)
            ]
        )
        events = self.Event.search(
            [("res_model", "=", "helpdesk.ticket"), ("res_id", "in", tickets.ids)]
        )
        self.assertEqual(len(events), 3, "one per ticket with a customer")
        self.assertEqual(events.partner_id, self.account | other)
        tickets.stage_id = self.stage_done
        self.assertEqual(set(events.mapped("state")), {"met"})
        self.assertEqual(
            self.Event.search_count(
                [("res_model", "=", "helpdesk.ticket"), ("res_id", "in", tickets.ids)]
            ),
            3,
        )

    def test_edits_update_the_commitment_and_never_duplicate_it(self):
        ticket = self.ticket(self.contact)
        event = self.events(ticket)
        for title in ("Valve leaks again", "Valve leaks a lot", "Valve leaks a lot"):
            ticket.name = title
        self.close(ticket)
        ticket.stage_id = self.stage_new
        self.close(ticket)
        ticket.stage_id = self.stage_new
        self.assertEqual(
            self.events(ticket), event, "one commitment per ticket and policy"
        )
        self.assertEqual(event.name, f"Ticket {ticket.number}: Valve leaks a lot")
        self.assertFalse(event.date_done, "a reopened ticket is open again")
        other, other_contact = self.make_account("Other Customer")
        ticket.partner_id = other_contact
        self.assertEqual(self.events(ticket), event)
        self.assertEqual(event.partner_id, other)
        # A second policy adds one commitment per ticket, once.
        five_days = self.Policy.create(
            {
                "name": "Resolution within 5 days",
                "metric": "resolution",
                "target_type": "days",
                "target_value": 5,
                "scope": "all",
            }
        )
        ticket.name = "Valve replaced"
        ticket.name = "Valve replaced, thanks"
        second = self.events(ticket, five_days)
        self.assertEqual(len(second), 1)
        self.assertEqual(second.date_deadline, self.created(ticket) + timedelta(days=5))
        Ticket = self.env["helpdesk.ticket"]
        Ticket._backfill_relationship_sla_events()
        Ticket._backfill_relationship_sla_events()
        self.assertEqual(
            self.events(ticket) + self.events(ticket, five_days),
            event + second,
            "a backfill never duplicates",
        )

    def test_tickets_that_no_longer_count_are_archived(self):
        key = self.env["res.partner.category"].create({"name": "Key account"})
        self.resolution.write({"scope": "tags", "category_ids": [Command.link(key.id)]})
        self.account.category_id = [Command.link(key.id)]
        ticket = self.ticket(self.contact)
        event = self.events(ticket)
        self.assertTrue(event.active)
        _other, other_contact = self.make_account("Untagged Customer")
        ticket.partner_id = other_contact
        self.assertFalse(event.active, "the new account is not covered by the policy")
        ticket.partner_id = self.contact
        self.assertTrue(event.active)
        self.assertEqual(self.events(ticket), event)
        ticket.partner_id = False
        self.assertFalse(event.active, "no customer, no commitment")
        ticket.partner_id = self.contact
        ticket.active = False
        self.assertFalse(event.active, "archived ticket")
        ticket.active = True
        self.assertTrue(event.active)
        ticket.stage_id = self.stage_cancelled
        self.assertFalse(event.active, "cancelled ticket")
        ticket.stage_id = self.stage_new
        self.assertTrue(event.active)
        original = self.ticket(self.contact, name="Valve leaks (first report)")
        ticket.duplicate_id = original
        self.assertFalse(event.active, "the original ticket carries the commitment")
        ticket.duplicate_id = False
        self.assertTrue(event.active)
        ticket.unlink()
        self.assertTrue(event.exists(), "kept as history")
        self.assertFalse(event.active)
        self.assertEqual(len(self.events(original)), 1)

    def test_archived_policy_keeps_following_its_tickets(self):
        ticket = self.ticket(self.contact)
        event = self.events(ticket)
        self.resolution.active = False
        closed = self.close(ticket)
        self.assertTrue(event.active)
        self.assertEqual(
            event.date_done, closed, "its commitment still follows the ticket"
        )
        self.assertFalse(self.events(self.ticket(self.contact)), "no new commitment")

    def test_deadline_from_the_helpdesk_sla(self):
        four_hours = self.env["helpdesk.sla"].create(
            {
                "name": "Solved in 4 hours",
                "team_ids": [Command.link(self.team.id)],
                "hours": 4,
                "stage_id": self.stage_done.id,
            }
        )
        # Kept by reaching an open stage: not a resolution deadline.
        self.env["helpdesk.sla"].create(
            {
                "name": "Taken in 1 hour",
                "team_ids": [Command.link(self.team.id)],
                "hours": 1,
                "stage_id": self.stage_progress.id,
            }
        )
        policy = self.helpdesk_sla_policy()
        ticket = self.ticket(self.contact)
        line = ticket.ticket_sla_ids.filtered(lambda s: s.sla_id == four_hours)
        self.assertEqual(len(ticket.ticket_sla_ids), 2)
        self.assertTrue(line.deadline)
        event = self.events(ticket, policy)
        self.assertEqual(len(event), 1)
        self.assertEqual(event.date_deadline, line.deadline)
        self.assertAlmostEqual(
            (event.date_deadline - self.created(ticket)).total_seconds() / 3600,
            4,
            delta=0.1,
        )
        self.assertEqual(len(self.events(ticket)), 1, "the 48-hour policy applies too")

        # A shorter SLA set on the ticket moves the deadline.
        two_hours = self.env["helpdesk.sla"].create(
            {
                "name": "Solved in 2 hours",
                "team_ids": [Command.link(self.team.id)],
                "hours": 2,
                "stage_id": self.stage_done.id,
            }
        )
        ticket.refresh_sla()
        shorter = ticket.ticket_sla_ids.filtered(lambda s: s.sla_id == two_hours)
        self.assertEqual(event.date_deadline, shorter.deadline)
        self.assertLess(event.date_deadline, line.deadline)
        ticket.stage_id = self.stage_progress
        self.assertEqual(event.date_deadline, shorter.deadline)
        self.close(ticket)
        self.assertEqual(shorter.state, "accomplished")
        self.assertEqual(
            event.date_deadline, shorter.deadline, "kept once accomplished"
        )
        self.assertEqual(event.state, "met")
        self.assertEqual(self.events(ticket, policy), event)

        # A team without SLA: no deadline to read, no commitment under it.
        plain_team = self.env["helpdesk.ticket.team"].create({"name": "No SLA"})
        plain = self.ticket(self.contact, team_id=plain_team.id)
        self.assertFalse(self.events(plain, policy))
        self.assertEqual(len(self.events(plain)), 1)

        with self.assertRefused("cannot be the deadline"):
            policy.metric = "first_response"

    def test_missed_helpdesk_sla_is_breached(self):
        self.env["helpdesk.sla"].create(
            {
                "name": "Solved in 4 hours",
                "hours": 4,
                "stage_id": self.stage_done.id,
            }
        )
        policy = self.helpdesk_sla_policy()
        ticket = self.ticket(self.contact)
        line = ticket.ticket_sla_ids
        # The ticket came in yesterday: its 4 hours are long gone.
        self.backdate(ticket, 1)
        self.env.cr.execute(
            SQL(
                "UPDATE helpdesk_ticket_sla SET last_state_date = %s, deadline = %s WHERE id = %s",
                self.created(ticket),
                self.created(ticket) + timedelta(hours=4),
                line.id,
            )
        )
        line.invalidate_recordset(["last_state_date", "deadline"])
        self.close(ticket)
        self.assertEqual(line.state, "expired")
        event = self.events(ticket, policy)
        self.assertEqual(event.date_deadline, self.created(ticket) + timedelta(hours=4))
        self.assertEqual(event.state, "breached")
        self.assertEqual(len(self.breach_activities(event)), 1)

    def test_policies_follow_the_ticket_company(self):
        iberia = self.env["res.company"].create({"name": "Valves Iberia"})
        self.resolution.company_id = iberia
        ticket = self.ticket(self.contact)
        self.assertNotEqual(ticket.company_id, iberia)
        self.assertFalse(
            self.events(ticket), "a policy of another company does not apply"
        )
        iberia_team = self.env["helpdesk.ticket.team"].create(
            {
                "name": "Iberia support",
                "company_id": iberia.id,
            }
        )
        iberian = (
            self.env["helpdesk.ticket"]
            .with_company(iberia)
            .create(
                {
                    "name": "Válvula",
                    "description": "<p>Fuga.</p>",
                    "partner_id": self.contact.id,
                    "team_id": iberia_team.id,
                }
            )
        )
        self.assertEqual(iberian.company_id, iberia)
        event = self.events(iberian)
        self.assertEqual(len(event), 1)
        self.assertEqual(event.company_id, iberia)
        self.assertEqual(event.partner_id, self.account)
        # Moved to the other company: the commitment goes with its policy.
        iberian.company_id = self.env.company
        self.assertFalse(event.active)

    def test_backfill_records_existing_tickets_once_without_notices(self):
        on_time = self.ticket(self.contact)
        late = self.ticket(self.contact, name="Valve still leaks")
        self.backdate(late, 5)
        self.close(late)
        old = self.events(on_time) + self.events(late)
        old.with_context(active_test=False).unlink()
        Ticket = self.env["helpdesk.ticket"]
        Ticket._backfill_relationship_sla_events()
        Ticket._backfill_relationship_sla_events()
        self.assertEqual(len(self.events(on_time)), 1)
        event = self.events(late)
        self.assertEqual(len(event), 1)
        self.assertEqual(event.state, "breached")
        self.assertFalse(self.breach_activities(event), "history is not announced")

    def test_closed_late_tickets_lower_the_score(self):
        ticket = self.ticket(self.contact)
        self.backdate(ticket, 5)
        self.close(ticket)
        self.order(self.contact, 3)
        self.account.action_recompute_health()
        self.assertEqual(
            self.account.health_sla, 0.0, "the only commitment was breached"
        )
