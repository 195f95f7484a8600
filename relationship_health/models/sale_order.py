from odoo import api, models

from .relationship_health_pending import marking_accounts

#: Order fields whose change on a confirmed order (or into or out of
#: confirmed) changes its account's health: purchase recency, revenue, the
#: company the account is scored for.
ORDER_FIELDS = frozenset({"state", "date_order", "partner_id", "company_id"})


class SaleOrder(models.Model):
    _inherit = "sale.order"

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        confirmed = orders.filtered(lambda o: o.state == "sale")
        if confirmed:
            self.env["relationship.health.pending"]._mark_accounts(
                confirmed.partner_id.ids
            )
        return orders

    def write(self, vals):
        # One statement for the whole batch (confirming a thousand orders at
        # once marks their accounts with one INSERT).
        with marking_accounts(self, _customers_of_confirmed, ORDER_FIELDS & set(vals)):
            return super().write(vals)


def _customers_of_confirmed(orders):
    return orders.filtered(lambda o: o.state == "sale").partner_id.ids
