"""The public status page of a company's service incidents."""

from odoo import http
from odoo.http import request


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
        entries = Incident.with_context(lang=request.env.lang)._status_entries(company)
        return request.render(
            "relationship_health.status_page",
            {"company_name": company.name, "entries": entries},
        )
