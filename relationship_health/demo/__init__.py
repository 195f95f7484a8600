"""The demo customer book (demo data only): imported by
``relationship.health.demo`` when the demo data of the addon loads."""
