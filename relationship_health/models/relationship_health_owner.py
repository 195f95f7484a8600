"""Who owns the follow-up work of an account.

One lookup for every piece of work created for an account: the retention
automation's cases (``relationship_health_retention.py``) and the notices of
breached service commitments (``relationship_sla_event.py``) both ask here.
"""

from odoo import models
from odoo.tools import SQL

from .health_sql import contact_ids_sql


class RelationshipHealthOwner(models.AbstractModel):
    _name = "relationship.health.owner"
    _description = "Relationship Health Account Owner"

    def _read_order_teams(self, account_ids):
        """``{partner_id: team_id}``: the sales team of each account's latest
        confirmed order (one query)."""
        self.env.cr.execute(
            SQL(
                """
            SELECT DISTINCT ON (c.commercial_partner_id) c.commercial_partner_id, so.team_id
              FROM sale_order so
              JOIN res_partner c ON c.id = so.partner_id
             WHERE so.state = 'sale' AND so.team_id IS NOT NULL
               AND so.partner_id = ANY(%s)
          ORDER BY c.commercial_partner_id, so.date_order DESC, so.id DESC
            """,
                contact_ids_sql(account_ids),
            )
        )
        return dict(self.env.cr.fetchall())

    def _owners(self, account_ids, company_ids, excluded=None):
        """``{partner_id: (user, team)}``: the account's salesperson; else the
        leader of the sales team (the salesperson's, else the one of the
        account's latest order); else the company's default owner. Owners are
        active internal users of the account's company; accounts without one
        are left out."""
        partners = self.env["res.partner"].browse(account_ids)
        order_teams = self._read_order_teams(account_ids)
        Team = self.env["crm.team"]
        defaults = {
            company.id: company.health_retention_default_user_id
            for company in self.env["res.company"].browse(sorted(set(company_ids)))
        }

        excluded = excluded or self.env["res.users"]

        def usable(user, company_id):
            return (
                bool(user)
                and user.active
                and not user.share
                and company_id in user.company_ids.ids
                and user not in excluded
            )

        owners = {}
        for partner, company_id in zip(partners, company_ids):
            salesperson = partner.user_id
            if usable(salesperson, company_id):
                owners[partner.id] = (salesperson, False)
                continue
            team = salesperson.sale_team_id or Team.browse(
                order_teams.get(partner.id) or []
            )
            if usable(team.user_id, company_id):
                owners[partner.id] = (team.user_id, team)
            elif usable(defaults[company_id], company_id):
                owners[partner.id] = (defaults[company_id], False)
        return owners
