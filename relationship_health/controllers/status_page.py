"""The public status page of a company's service incidents."""

from datetime import timedelta

from odoo import fields, http
from odoo.http import request

from ..models.health_clock import utc_now

#: How long a resolved incident stays on the status page (days).
STATUS_DAYS = 7


class ServiceStatusPage(http.Controller):
    @http.route(
        ["/status", "/status/<int:company_id>"],
        type="http",
        auth="public",
        website=True,
        sitemap=False,
    )
    def service_status(self, company_id=None, **_kwargs):
        """The incidents of the company marked for the status page, in the
        visitor's language: plain values only (no record reaches the page),
        and never an account name or an internal note. 404 when the company
        has not turned the page on."""
        Company = request.env["res.company"].sudo()
        company = (
            Company.browse(company_id) if company_id else request.env.company.sudo()
        )
        if not company.exists() or not company.health_status_page:
            raise request.not_found()
        Incident = request.env["relationship.service.incident"].sudo()
        entries = status_entries(
            Incident.with_context(lang=request.env.lang), company, utc_now()
        )
        return request.render(
            "relationship_health.status_page",
            {"company_name": company.name, "entries": entries},
        )


def status_entries(Incident, company, now):
    """What the status page of ``company`` shows at ``now``, as plain values
    in the language of ``Incident``'s environment (the incident model, as the
    superuser): the declared incidents marked public
    that are open or were resolved in the last :data:`STATUS_DAYS` days,
    with their posted updates, latest first. Nothing else of an incident
    (its accounts, its notes, its notices) is read."""
    incidents = Incident.search(
        [
            ("company_id", "=", company.id),
            ("is_public", "=", True),
            ("state", "!=", "draft"),
            "|",
            ("date_resolved", "=", False),
            ("date_resolved", ">=", now - timedelta(days=STATUS_DAYS)),
        ],
        order="date_start desc, id desc",
    )
    states = dict(Incident._fields["state"]._description_selection(Incident.env))
    severities = dict(Incident._fields["severity"]._description_selection(Incident.env))
    return [
        {
            "title": incident.name,
            "state": incident.state,
            "state_label": states[incident.state],
            "severity_label": severities[incident.severity],
            "started": fields.Datetime.to_string(incident.date_start),
            "resolved": fields.Datetime.to_string(incident.date_resolved)
            if incident.date_resolved
            else "",
            "updates": [
                {
                    "date": fields.Datetime.to_string(update.date_posted),
                    "body": update.body,
                }
                for update in incident.update_ids.sorted("date_posted", reverse=True)
                if update.date_posted
            ],
        }
        for incident in incidents
    ]
