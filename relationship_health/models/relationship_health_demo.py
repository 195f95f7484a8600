"""The entry point of the demo data (``demo/relationship_health_demo.xml``).

The generator itself is the plain Python package ``relationship_health.demo``,
imported only here, when demo data loads: production code never loads it.
"""

from odoo import api, models


class RelationshipHealthDemo(models.AbstractModel):
    _name = "relationship.health.demo"
    _description = "Relationship Health Demo Data"

    @api.model
    def _generate_demo_data(self, seed=42):
        """Create the demo customer book and score it; return the account ids."""
        from ..demo.generator import generate  # noqa: PLC0415 (demo data only)

        return generate(self.env, seed=seed)
