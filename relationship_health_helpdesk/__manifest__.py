{
    "name": "Relationship Health - Helpdesk",
    "summary": "Helpdesk tickets (OCA's helpdesk_mgmt_sla) become service-level commitments "
    "of their customer account: resolution met or breached",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/relationship-health/relationship_health",
    "author": "Relationship Health maintainers",
    "license": "AGPL-3",
    "depends": ["relationship_health", "helpdesk_mgmt_sla"],
    "installable": True,
    "auto_install": True,
    "post_init_hook": "post_init_hook",
}
