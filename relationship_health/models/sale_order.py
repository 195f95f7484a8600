from odoo import models

#: Order fields whose change on a confirmed order (or into or out of
#: confirmed) changes its account's health: purchase recency, revenue, the
#: company the account is scored for.
ORDER_FIELDS = frozenset({"state", "date_order", "partner_id", "company_id"})


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["relationship.health.input.mixin", "sale.order"]
    _health_input_fields = ORDER_FIELDS

    def _health_input_partner_ids(self):
        """Confirmed orders feed their customers' purchase recency and
        revenue. Confirming a thousand orders at once marks their accounts
        with one statement."""
        return self.filtered(lambda o: o.state == "sale").partner_id.ids
