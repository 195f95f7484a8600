{
    "name": "Relationship Health - Deliveries",
    "summary": "Deliveries of customer orders become service-level commitments of their "
    "account: on time or late",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/relationship-health/relationship_health",
    "author": "Relationship Health maintainers",
    "license": "AGPL-3",
    "depends": ["relationship_health", "sale_stock"],
    "installable": True,
    "auto_install": True,
    "data": [
        "views/relationship_sla_policy_views.xml",
    ],
}
