from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def write(self, vals):
        result = super().write(vals)
        if {"commitment_date", "partner_id", "date_order"}.intersection(vals) and not \
                self.env.context.get("relationship_sla_deferred"):
            pickings = self.picking_ids.filtered(lambda p: p.state in ("done", "cancel"))
            pickings._record_relationship_sla_events()
        return result
