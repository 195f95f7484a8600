"""How the accounts affected by a service incident are chosen: by service
level coverage, by tags or by a product bought lately. Inherited by
relationship.service.incident."""

from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .health_clock import utc_now
from .health_sql import fetch_column


class RelationshipIncidentSelectionMixin(models.AbstractModel):
    _name = "relationship.incident.selection.mixin"
    _description = "Choice of the Accounts Affected by an Incident"

    select_by = fields.Selection(
        [
            ("policy", "Service level coverage"),
            ("tags", "Tags"),
            ("products", "Products bought"),
        ],
        string="Add Accounts By",
        default="tags",
    )
    select_policy_id = fields.Many2one(
        "relationship.sla.policy", string="Covered By", check_company=True
    )
    select_category_ids = fields.Many2many(
        "res.partner.category",
        "relationship_service_incident_category_rel",
        "incident_id",
        "category_id",
        string="With Tags",
    )
    select_product_ids = fields.Many2many(
        "product.product",
        "relationship_service_incident_product_rel",
        "incident_id",
        "product_id",
        string="Who Bought",
    )
    select_months = fields.Integer(string="In the Last (months)", default=12)

    _sql_constraints = [
        (
            "select_months_positive",
            "CHECK(select_months IS NULL OR select_months > 0)",
            "The number of months to look back must be positive.",
        ),
    ]

    def _matching_accounts(self):
        """The accounts the selection (coverage, tags or products) finds."""
        self.ensure_one()
        Partner = self.env["res.partner"]
        if self.select_by == "policy":
            if not self.select_policy_id:
                raise UserError(
                    _("Choose the service level whose accounts are affected.")
                )
            by_account = self.select_policy_id._policies_by_account(
                Partner.search(self._account_domain())
            )
            return Partner.browse(sorted(by_account))
        if self.select_by == "tags":
            if not self.select_category_ids:
                raise UserError(_("Choose the tags of the affected accounts."))
            return Partner.search(
                self._account_domain()
                + [("category_id", "in", self.select_category_ids.ids)]
            )
        if self.select_by == "products":
            if not self.select_product_ids:
                raise UserError(_("Choose the products the affected accounts bought."))
            since = utc_now() - timedelta(
                days=round(30.44 * (self.select_months or 12))
            )
            ids = fetch_column(
                self.env,
                SQL(
                    """
                    SELECT DISTINCT p.commercial_partner_id
                      FROM sale_order_line l
                      JOIN sale_order o ON o.id = l.order_id
                      JOIN res_partner p ON p.id = o.partner_id
                     WHERE o.state = 'sale'
                       AND o.company_id = %(company)s
                       AND o.date_order >= %(since)s
                       AND l.product_id = ANY(%(products)s)
                    """,
                    company=self.company_id.id,
                    since=since,
                    products=self.select_product_ids.ids,
                ),
            )
            return Partner.search(self._account_domain() + [("id", "in", ids)])
        return Partner

    def _account_domain(self):
        return [
            ("is_company", "=", True),
            ("parent_id", "=", False),
            ("company_id", "in", [False, self.company_id.id]),
        ]

    def action_add_matching_accounts(self):
        self.ensure_one()
        found = self._matching_accounts()
        if not found:
            raise UserError(_("No account matches this selection."))
        self.write({"partner_ids": [(4, account.id) for account in found]})
        return True

    def action_clear_accounts(self):
        self.ensure_one()
        if self.state != "draft":
            raise UserError(
                _(
                    "The accounts of a declared incident were told: remove them one by one."
                )
            )
        self.partner_ids = [(5, 0, 0)]
        return True

    @api.constrains("select_months")
    def _check_select_months(self):
        for incident in self:
            if incident.select_months and incident.select_months > 120:
                raise ValidationError(_("Look back ten years at the most."))
