def post_init_hook(env):
    """Record the service-level commitments of the tickets already there."""
    env["helpdesk.ticket"]._backfill_relationship_sla_events()
