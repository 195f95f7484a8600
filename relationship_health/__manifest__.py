{
    "name": "Relationship Health",
    "summary": "Score every customer account from surveys, visits, service levels "
    "and purchase rhythm, and see who is drifting away",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/relationship-health/relationship_health",
    "author": "Relationship Health maintainers",
    "license": "AGPL-3",
    "application": False,
    "installable": True,
    "depends": ["sale_crm", "survey", "calendar"],
    "external_dependencies": {"python": ["pandas"]},
    "data": [
        "security/relationship_health_security.xml",
        "security/ir.model.access.csv",
        "data/calendar_event_type_data.xml",
        "data/ir_cron_data.xml",
        "views/relationship_health_snapshot_views.xml",
        "views/relationship_sla_event_views.xml",
        "views/res_partner_views.xml",
        "views/survey_question_views.xml",
        "views/res_config_settings_views.xml",
        "views/relationship_health_menus.xml",
    ],
    "demo": [
        "demo/relationship_health_demo.xml",
    ],
}
