"""The rep knows before the customer calls: the "Call <account> about
<incident>" activities of the salespeople of the key accounts affected by a
service incident. Inherited by relationship.service.incident."""

from odoo import _, fields, models
from odoo.tools import SQL

from ..scoring.incidents import incident_calls
from ..scoring.vocabulary import HIGH_PROFIT_QUADRANTS
from .health_clock import health_today


class RelationshipIncidentCallMixin(models.AbstractModel):
    _name = "relationship.incident.call.mixin"
    _description = "Calls to Key Accounts about an Incident"

    calls_given = fields.Boolean(readonly=True, copy=False)

    def _give_calls(self):
        """One "Call <account> about <incident>" activity for the salesperson
        of each affected key account (a tier marked key, or a highly
        profitable quadrant), most valuable first, up to the daily limit of
        retention work of each salesperson. Once per incident."""
        Owner = self.env["relationship.health.owner"].sudo()
        call_type = self.env.ref(
            "mail.mail_activity_data_call", raise_if_not_found=False
        )
        model_id = self.env["ir.model"]._get_id("res.partner")
        for incident in self.sudo():
            if incident.calls_given or not incident.partner_ids:
                continue
            company = incident.company_id
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    """
                    SELECT p.id, COALESCE(t.key_account, FALSE)
                           OR COALESCE(p.health_quadrant = ANY(%(quadrants)s), FALSE),
                           COALESCE(p.health_revenue_12m, 0)
                      FROM res_partner p
                      LEFT JOIN relationship_visit_tier t ON t.id = p.visit_tier_id
                     WHERE p.id = ANY(%(ids)s)
                    """,
                    quadrants=list(HIGH_PROFIT_QUADRANTS),
                    ids=incident.partner_ids.ids,
                )
            )
            rows = self.env.cr.fetchall()
            key_ids = [row[0] for row in rows if row[1]]
            owners = Owner._owners(key_ids, [company.id] * len(key_ids))
            chosen = incident_calls(
                [
                    (
                        account_id,
                        owners[account_id][0].id if account_id in owners else None,
                        key,
                        revenue,
                    )
                    for account_id, key, revenue in rows
                ],
                {
                    user.id: company.health_retention_daily_cases or 0
                    for user, _team in owners.values()
                },
            )
            accounts = self.env["res.partner"].browse(chosen)
            values = [
                {
                    "res_model_id": model_id,
                    "res_id": account.id,
                    "activity_type_id": call_type.id if call_type else False,
                    "summary": incident.env._(
                        "Call %(account)s about %(incident)s",
                        account=account.name,
                        incident=incident.name,
                    ),
                    "note": incident._call_note(),
                    "user_id": owners[account.id][0].id,
                    "date_deadline": health_today(),
                }
                for account in accounts
            ]
            if values:
                self.env["mail.activity"].sudo().with_context(
                    mail_activity_quick_update=True
                ).create(values)
            incident.calls_given = True

    def _call_note(self):
        self.ensure_one()
        return _(
            "This account is affected by the incident “%(name)s” (%(severity)s), "
            "declared on %(date)s. Call the customer before they call us: say what "
            "happened, what is being done and when the next update comes.",
            name=self.name,
            severity=dict(self._fields["severity"]._description_selection(self.env))[
                self.severity
            ],
            date=fields.Datetime.to_string(self.date_declared or self.date_start),
        )
