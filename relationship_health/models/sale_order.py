from odoo import api, models

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
        if not ORDER_FIELDS.intersection(vals):
            return super().write(vals)
        before = self.filtered(lambda o: o.state == "sale").partner_id.ids
        result = super().write(vals)
        after = self.filtered(lambda o: o.state == "sale").partner_id.ids
        # One statement for the whole batch (confirming a thousand orders at
        # once marks their accounts with one INSERT).
        self.env["relationship.health.pending"]._mark_accounts(before + after)
        return result
