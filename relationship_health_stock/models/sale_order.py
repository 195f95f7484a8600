from odoo import models

from odoo.addons.relationship_health.models.relationship_sla_source_mixin import (
    DEFER_KEY,
)

#: Order fields whose change may change the commitments of its deliveries.
SLA_ORDER_FIELDS = frozenset({"commitment_date", "partner_id", "date_order"})


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def write(self, vals):
        result = super().write(vals)
        if SLA_ORDER_FIELDS.intersection(vals) and not self.env.context.get(DEFER_KEY):
            # Search the validated or cancelled deliveries rather than read
            # ``self.picking_ids``: reading it would cache the orders'
            # deliveries in the middle of the host's own flow (confirming an
            # order writes ``date_order`` before its deliveries exist), and the
            # host would then see them in creation order instead of the
            # deliveries' order.
            pickings = (
                self.env["stock.picking"]
                .sudo()
                .search(
                    [
                        ("sale_id", "in", self.ids),
                        ("state", "in", ("done", "cancel")),
                    ]
                )
            )
            pickings._record_relationship_sla_events()
        return result
