{
    "name": "Relationship Health - Salesperson Planner",
    "summary": "Visits done in OCA's Salesperson Planner count in the relationship-health "
    "visit signal, last visit and visit adherence",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/relationship-health/relationship_health",
    "author": "Relationship Health maintainers",
    "license": "AGPL-3",
    "depends": ["relationship_health", "crm_salesperson_planner"],
    "installable": True,
    "auto_install": True,
}
