"""The readers of scorecards: the segment of accounts (tier, industry, tags,
quadrant) and the active scorecards of companies, one set-based query each.

Plain functions (no model), like ``health_readers``: the engine calls them
once per batch, the scorecard model once per change.
"""

from odoo.tools import SQL

from ..scoring.scorecards import THRESHOLDS
from ..scoring.vocabulary import SIGNALS
from .health_readers import fetch_frame

#: The columns of the segment frame of accounts.
SEGMENT_COLUMNS = ["tier_id", "industry_id", "quadrant", "tag_ids", "scorecard_before"]


def read_segments(cr, conditions, company_sql=None):
    """The segment of the accounts of ``conditions`` (SQL conditions on
    ``res_partner`` alias ``p``), indexed by partner_id: ``tier_id``,
    ``industry_id``, ``quadrant`` (of the last scoring), ``tag_ids`` (a list)
    and ``scorecard_before`` (the scorecard of the last scoring, 0 for the
    company's settings); ``company_id`` too when ``company_sql`` (the company
    an account is scored for, on alias ``p``) is given."""
    company = SQL(", %s", company_sql) if company_sql is not None else SQL()
    columns = ["partner_id", *SEGMENT_COLUMNS]
    if company_sql is not None:
        columns.append("company_id")
    frame = fetch_frame(
        cr,
        SQL(
            """
            SELECT p.id, p.visit_tier_id, p.industry_id, p.health_quadrant,
                   COALESCE((SELECT array_agg(r.category_id ORDER BY r.category_id)
                               FROM res_partner_res_partner_category_rel r
                              WHERE r.partner_id = p.id), '{}'),
                   COALESCE(p.health_scorecard_id, 0) %s
              FROM res_partner p
             WHERE %s
            """,
            company,
            SQL(" AND ").join(conditions),
        ),
        columns,
    ).set_index("partner_id")
    for column in ("tier_id", "industry_id"):
        frame[column] = frame[column].astype("Int64")
    return frame


def read_scorecards(cr, company_ids):
    """The active scorecards of ``company_ids``: a list of dicts with ``id``,
    ``company_id``, ``sequence``, the criteria (``tier_ids``,
    ``industry_ids``, ``tag_ids``, ``quadrants``), ``weights`` (per signal)
    and ``thresholds``, in priority order (one query)."""
    if not company_ids:
        return []
    weights = [f"health_weight_{name}" for name in SIGNALS]
    cr.execute(
        SQL(
            """
            SELECT s.id, s.company_id, s.sequence, s.quadrant, %s,
                   ARRAY(SELECT r.tier_id FROM relationship_health_scorecard_tier_rel r
                          WHERE r.scorecard_id = s.id),
                   ARRAY(SELECT r.industry_id
                           FROM relationship_health_scorecard_industry_rel r
                          WHERE r.scorecard_id = s.id),
                   ARRAY(SELECT r.category_id
                           FROM relationship_health_scorecard_category_rel r
                          WHERE r.scorecard_id = s.id)
              FROM relationship_health_scorecard s
             WHERE s.active AND s.company_id = ANY(%s)
          ORDER BY s.sequence, s.id
            """,
            SQL(", ").join(
                SQL("s.%s", SQL.identifier(name))
                for name in (*weights, *(f"health_{name}" for name in THRESHOLDS))
            ),
            [int(company_id) for company_id in company_ids],
        )
    )
    scorecards = []
    for row in cr.fetchall():
        card_id, company_id, sequence, quadrant = row[:4]
        numbers = row[4 : 4 + len(weights) + len(THRESHOLDS)]
        tiers, industries, tags = row[4 + len(numbers) :]
        scorecards.append(
            {
                "id": card_id,
                "company_id": company_id,
                "sequence": sequence,
                "tier_ids": tiers,
                "industry_ids": industries,
                "tag_ids": tags,
                "quadrants": [quadrant] if quadrant else [],
                "weights": dict(zip(SIGNALS, numbers[: len(weights)])),
                "thresholds": dict(zip(THRESHOLDS, numbers[len(weights) :])),
            }
        )
    return scorecards
