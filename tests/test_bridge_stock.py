"""Deliveries bridge: validated deliveries of customer orders become
service-level commitments of their account, through the real sale → delivery
flow."""

from unittest import mock
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import Form

from health_common import ServiceLevelCase


class TestBridgeStock(ServiceLevelCase):
    bridge = "relationship_health_stock"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Event = cls.Event.with_context(active_test=False)
        cls.promised = cls.Policy.create(
            {
                "name": "Delivered on the promised date",
                "metric": "delivery",
                "target_type": "field",
                "deadline_field": "sale_commitment_date",
                "company_id": False,
            }
        )
        cls.within_3_days = cls.Policy.create(
            {
                "name": "Delivered within 3 days",
                "metric": "delivery",
                "target_type": "days",
                "target_value": 3,
                "company_id": False,
            }
        )
        cls.goods = cls.env["product.product"].create(
            {
                "name": "Ball valve DN50",
                "type": "consu",
                "is_storable": True,
                "list_price": 80.0,
            }
        )
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.goods, cls.warehouse.lot_stock_id, 1000
        )
        cls.account, cls.buyer = cls.make_account("Valve Works")

    # -- the real flow ----------------------------------------------------------
    def sell(
        self,
        partner=None,
        qty=10,
        promised_in_days=None,
        confirmed_days_ago=0,
        company=None,
    ):
        env = self.env(
            context=dict(
                self.env.context, allowed_company_ids=(company or self.env.company).ids
            )
        )
        order = (
            env["sale.order"]
            .with_company(company or self.env.company)
            .create(
                {
                    "partner_id": (partner or self.buyer).id,
                    "commitment_date": fields.Datetime.now()
                    + timedelta(days=promised_in_days)
                    if promised_in_days is not None
                    else False,
                    "order_line": [
                        Command.create(
                            {"product_id": self.goods.id, "product_uom_qty": qty}
                        )
                    ],
                }
            )
        )
        order.action_confirm()
        if confirmed_days_ago:
            order.date_order = fields.Datetime.now() - timedelta(
                days=confirmed_days_ago
            )
        return order

    def deliver(self, picking, qty=None):
        """Validate ``picking`` with ``qty`` (everything by default); a
        partial delivery leaves a backorder."""
        picking.action_assign()
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty if qty is None else qty
            move.picked = True
        picking._action_done()
        return picking

    def events_of(self, pickings):
        return self.Event.search(
            [("res_model", "=", "stock.picking"), ("res_id", "in", pickings.ids)]
        )

    def breach_activities(self, events):
        return self.env["mail.activity"].search(
            [
                ("activity_type_id", "=", self.breach_type.id),
                ("res_model", "=", "relationship.sla.event"),
                ("res_id", "in", events.ids),
            ]
        )

    # -- tests ------------------------------------------------------------------
    def test_on_time_delivery_is_met(self):
        order = self.sell(promised_in_days=2)
        picking = self.deliver(order.picking_ids)
        events = self.events_of(picking)
        self.assertEqual(events.policy_id, self.promised | self.within_3_days)
        by_policy = {event.policy_id: event for event in events}
        promised = by_policy[self.promised]
        self.assertEqual(promised.state, "met")
        self.assertEqual(
            promised.partner_id, self.account, "a contact counts as its company"
        )
        self.assertEqual(promised.date_deadline, order.commitment_date)
        self.assertEqual(promised.date_done, picking.date_done.replace(microsecond=0))
        self.assertEqual(promised.date_start, order.date_order.replace(microsecond=0))
        self.assertIn(picking.name, promised.name)
        self.assertIn(order.name, promised.name)
        self.assertEqual(
            by_policy[self.within_3_days].date_deadline,
            order.date_order.replace(microsecond=0) + timedelta(days=3),
        )
        self.assertFalse(self.breach_activities(events))
        self.assertEqual(promised.source_name, picking.display_name)

    def test_late_delivery_is_breached_and_announced_once(self):
        order = self.sell(promised_in_days=-2, confirmed_days_ago=5)
        picking = self.deliver(order.picking_ids)
        events = self.events_of(picking)
        self.assertEqual(set(events.mapped("state")), {"breached"})
        activities = self.breach_activities(events)
        self.assertEqual(len(activities), 2, "one per breached commitment")
        self.assertEqual(activities.user_id, self.salesman)
        self.assertIn(
            "2 days late",
            self.breach_activities(
                events.filtered(lambda e: e.policy_id == self.within_3_days)
            ).note,
        )
        # Validating again, editing the promise, later hourly runs: one notice each.
        picking.write({"date_done": picking.date_done + timedelta(hours=1)})
        order.commitment_date = order.commitment_date - timedelta(hours=3)
        for _run in range(3):
            self.Event._cron_notify_breaches()
        self.assertEqual(self.events_of(picking), events)
        self.assertEqual(len(self.breach_activities(events)), 2)
        self.assertEqual(
            events.filtered(lambda e: e.policy_id == self.promised).date_deadline,
            order.commitment_date,
        )

    def test_backorder_is_its_own_commitment(self):
        order = self.sell(qty=10, promised_in_days=1)
        first = self.deliver(order.picking_ids, qty=4)
        backorder = order.picking_ids - first
        self.assertEqual(len(backorder), 1)
        self.assertEqual(
            self.events_of(first)
            .filtered(lambda e: e.policy_id == self.promised)
            .state,
            "met",
        )
        self.assertFalse(
            self.events_of(backorder), "nothing delivered yet, nothing recorded"
        )
        # The rest leaves after the promised date.
        order.commitment_date = fields.Datetime.now() - timedelta(days=1)
        self.deliver(backorder)
        late = self.events_of(backorder).filtered(
            lambda e: e.policy_id == self.promised
        )
        self.assertEqual(late.state, "breached")
        self.assertEqual(
            self.events_of(first)
            .filtered(lambda e: e.policy_id == self.promised)
            .state,
            "breached",
            "the promise moved before the first delivery's date: it follows",
        )
        self.assertEqual(len(self.events_of(order.picking_ids)), 4)

    def test_cancelled_delivery_records_nothing(self):
        order = self.sell(promised_in_days=2)
        order.picking_ids.action_cancel()
        self.assertEqual(order.picking_ids.state, "cancel")
        self.assertFalse(self.events_of(order.picking_ids))

    def test_a_delivery_that_no_longer_counts_is_archived(self):
        order = self.sell(promised_in_days=2)
        picking = self.deliver(order.picking_ids)
        events = self.events_of(picking)
        self.assertTrue(all(events.mapped("active")))
        # Delivered to someone else than a customer account of the policy.
        self.within_3_days.write(
            {"scope": "partners", "partner_ids": [Command.link(self.key_account().id)]}
        )
        picking._record_relationship_sla_events()
        self.assertFalse(
            events.filtered(lambda e: e.policy_id == self.within_3_days).active
        )
        self.assertTrue(events.filtered(lambda e: e.policy_id == self.promised).active)

    def key_account(self):
        return self.env["res.partner"].create(
            {"name": "Another account", "is_company": True}
        )

    def test_returns_and_orders_without_promise_record_nothing_under_the_promise(self):
        order = self.sell()  # no commitment date
        picking = self.deliver(order.picking_ids)
        self.assertEqual(self.events_of(picking).policy_id, self.within_3_days)
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_id=picking.id, active_model="stock.picking")
            .create({})
        )
        wizard.product_return_moves.quantity = 2
        returned = self.env["stock.picking"].browse(
            wizard.action_create_returns()["res_id"]
        )
        self.deliver(returned)
        self.assertFalse(self.events_of(returned))

    def test_backfill_twice_without_duplicates_or_notices(self):
        late = self.sell(promised_in_days=-1, confirmed_days_ago=6)
        on_time = self.sell(promised_in_days=3)
        # Deliveries validated before the bridge knew of any service level.
        self.promised.active = self.within_3_days.active = False
        pickings = self.deliver(late.picking_ids) | self.deliver(on_time.picking_ids)
        self.assertFalse(self.events_of(pickings))
        self.promised.active = self.within_3_days.active = True
        action = self.promised.with_user(self.manager).action_record_past_deliveries()
        self.assertIn("recorded", action["params"]["message"])
        events = self.events_of(pickings)
        self.assertEqual(len(events), 4)
        again = self.env["stock.picking"]._backfill_relationship_sla_events()
        self.assertEqual(self.events_of(pickings), events)
        self.assertIn(events[0], again)
        self.assertFalse(self.breach_activities(events), "history is not announced")
        self.assertEqual(
            sorted(events.mapped("state")), ["breached", "breached", "met", "met"]
        )

    def test_a_batch_of_deliveries_is_recorded_in_one_go(self):
        orders = [self.sell(promised_in_days=2) for _i in range(6)]
        pickings = self.env["stock.picking"].concat(
            *(order.picking_ids for order in orders)
        )
        pickings.action_assign()
        for move in pickings.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        calls = []
        original = type(self.Event)._record_from_sources

        def counting(events, vals_list, notify=True):
            calls.append(len(vals_list))
            return original(events, vals_list, notify=notify)

        with mock.patch.object(type(self.Event), "_record_from_sources", counting):
            pickings._action_done()
        self.assertEqual(
            calls, [12], "one call for the six deliveries and two policies"
        )
        self.assertEqual(len(self.events_of(pickings)), 12)

    def test_companies_keep_their_own_service_levels(self):
        other = self.env["res.company"].create({"name": "Valves Iberia"})
        self.env.user.company_ids |= other
        self.salesman.company_ids |= other
        theirs = self.Policy.create(
            {
                "name": "Iberia: within 1 day",
                "metric": "delivery",
                "target_type": "days",
                "target_value": 1,
                "company_id": other.id,
            }
        )
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", other.id)], limit=1
        )
        self.env["stock.quant"].with_company(other)._update_available_quantity(
            self.goods, warehouse.lot_stock_id, 100
        )
        here = self.deliver(self.sell(promised_in_days=2).picking_ids)
        there = self.deliver(self.sell(promised_in_days=2, company=other).picking_ids)
        self.assertNotIn(theirs, self.events_of(here).policy_id)
        self.assertEqual(
            self.events_of(there).policy_id, self.promised | self.within_3_days | theirs
        )
        self.assertEqual(self.events_of(there).company_id, other)
        # A user of the first company only (who sees all its documents) does
        # not see the other's commitments.
        rep = self.env["res.users"].create(
            {
                "name": "Home rep",
                "login": "rh_home_rep",
                "groups_id": [
                    Command.link(
                        self.env.ref("sales_team.group_sale_salesman_all_leads").id
                    )
                ],
            }
        )
        visible = (
            self.env["relationship.sla.event"]
            .with_user(rep)
            .search(
                [
                    ("res_model", "=", "stock.picking"),
                    ("res_id", "in", (here | there).ids),
                ]
            )
        )
        self.assertEqual(visible, self.events_of(here))

    def test_salesmen_cannot_backfill(self):
        with self.assertRaises(AccessError):
            self.promised.with_user(self.salesman).action_record_past_deliveries()

    def test_tag_policy_covers_only_tagged_accounts(self):
        tag = self.env["res.partner.category"].create({"name": "Key account"})
        key = self.Policy.create(
            {
                "name": "Key accounts: 1 day",
                "metric": "delivery",
                "target_type": "days",
                "target_value": 1,
                "scope": "tags",
                "category_ids": [Command.link(tag.id)],
            }
        )
        key_account, key_buyer = self.make_account(
            "Pump Partners", category_id=[Command.link(tag.id)]
        )
        tagged = self.deliver(
            self.sell(partner=key_buyer, promised_in_days=2).picking_ids
        )
        plain = self.deliver(self.sell(promised_in_days=2).picking_ids)
        self.assertIn(key, self.events_of(tagged).policy_id)
        self.assertNotIn(key, self.events_of(plain).policy_id)
        self.assertEqual(self.events_of(tagged).partner_id, key_account)

    def test_warehouse_staff_without_sales_rights_record_commitments(self):
        keeper = self.env["res.users"].create(
            {
                "name": "Stock Keeper",
                "login": "rh_stock_keeper",
                "groups_id": [Command.link(self.env.ref("stock.group_stock_user").id)],
            }
        )
        order = self.sell(promised_in_days=-1, confirmed_days_ago=4)
        picking = order.picking_ids.with_user(keeper)
        self.deliver(picking)
        events = self.events_of(order.picking_ids)
        self.assertEqual(len(events), 2)
        self.assertEqual(len(self.breach_activities(events)), 2)

    def test_multi_step_order_is_edited_after_a_return_as_without_the_bridge(self):
        """Confirming an order writes its date before its deliveries exist:
        the bridge must not cache the order's deliveries then. Sale_stock's
        own flow (three-step delivery by pull rules, pick and pack done, the
        ordered quantity decreased) then sees the deliveries in their own
        order and returns the extra goods instead of refusing the change."""
        warehouse = self.env["stock.warehouse"].create(
            {
                "name": "Three steps",
                "code": "RH3",
                "delivery_steps": "pick_pack_ship",
            }
        )
        route = warehouse.delivery_route_id
        route.rule_ids[0].write(
            {"location_dest_id": route.rule_ids[1].location_src_id.id}
        )
        route.rule_ids[1:3].write({"action": "pull"})
        stock, pack_zone, output, customers = (
            warehouse.lot_stock_id,
            *route.rule_ids.location_dest_id,
        )
        self.env["stock.quant"]._update_available_quantity(self.goods, stock, 5)
        form = Form(self.env["sale.order"])
        form.partner_id = self.buyer
        form.warehouse_id = warehouse
        form.commitment_date = fields.Datetime.now() + timedelta(days=2)
        with form.order_line.new() as line:
            line.product_id = self.goods
            line.product_uom_qty = 5
        order = form.save()
        order.action_confirm()
        self.assertEqual(
            order.picking_ids.ids,
            self.env["stock.picking"].search([("sale_id", "=", order.id)]).ids,
            "the deliveries in their own order",
        )
        ship, pack, pick = order.picking_ids
        self.assertEqual(
            (pick.location_dest_id, pack.location_dest_id, ship.location_dest_id),
            (pack_zone, output, customers),
        )
        (pick | pack).move_ids.write({"quantity": 5, "picked": True})
        (pick | pack).button_validate()
        with Form(order) as edit:
            with edit.order_line.edit(0) as line:
                line.product_uom_qty = 3
        self.assertEqual(order.order_line.qty_delivered, 0)
        self.assertEqual(ship.move_ids.product_uom_qty, 3)
        returns = order.picking_ids - (ship | pack | pick)
        self.assertEqual(len(returns), 2, "pack and pick each returned")
        self.assertEqual(sorted(returns.move_ids.mapped("product_uom_qty")), [2, 2])
        # Shipping the rest records the delivery's commitments, once.
        ship.action_assign()
        self.deliver(ship)
        events = self.events_of(ship)
        self.assertEqual(events.policy_id, self.promised | self.within_3_days)
        self.assertEqual(set(events.mapped("state")), {"met"})
        self.assertFalse(
            self.events_of(pick | pack | returns), "internal moves owe nothing"
        )

    def test_deliveries_mark_their_accounts_once(self):
        """Validating deliveries records their commitments and marks their
        accounts for the refresh: one mark for the whole batch."""
        other, other_buyer = self.make_account("Flange Depot")
        orders = [
            self.sell(promised_in_days=2),
            self.sell(other_buyer, promised_in_days=2),
        ]
        pickings = orders[0].picking_ids | orders[1].picking_ids
        pickings.action_assign()
        for move in pickings.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT COALESCE(MAX(id), 0) FROM relationship_health_pending"
        )
        before = self.env.cr.fetchone()[0]
        pickings._action_done()
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT account_id, marked_at FROM relationship_health_pending WHERE id > %s",
            [before],
        )
        rows = self.env.cr.fetchall()
        self.assertEqual(
            {account for account, _at in rows}, {self.account.id, other.id}
        )
        self.assertEqual(len(rows), 2, "one row per account: one mark for the batch")
