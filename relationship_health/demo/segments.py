"""Demo scorecards, and the score validation of the demo book."""

from odoo import Command


def demo_scorecards(env):
    """Strategic and key accounts live by their visits and service levels,
    long-tail accounts by their buying rhythm."""
    ref = env.ref
    env["relationship.health.scorecard"].create(
        [
            {
                "name": "Strategic and key accounts",
                "sequence": 10,
                "tier_ids": [
                    Command.set(
                        [
                            ref("relationship_health.visit_tier_strategic").id,
                            ref("relationship_health.visit_tier_key").id,
                        ]
                    )
                ],
                "health_weight_satisfaction": 25,
                "health_weight_sla": 30,
                "health_weight_visits": 35,
                "health_weight_recency": 10,
            },
            {
                "name": "Long-tail accounts",
                "sequence": 20,
                "tier_ids": [
                    Command.set([ref("relationship_health.visit_tier_long_tail").id])
                ],
                "health_weight_satisfaction": 20,
                "health_weight_sla": 10,
                "health_weight_visits": 0,
                "health_weight_recency": 70,
            },
        ]
    )


def demo_validation(env, account_ids, now, today):
    """The score validation of the book, as the weekly job makes it (within
    the install's transaction: no commit)."""
    run = env["relationship.health.validation"].create(
        {"company_id": env.company.id, "date": today}
    )
    run._run(account_ids, now, auto_commit=False)
