"""The writer of the health engine: one UPDATE of res_partner and one upsert
of snapshots per batch.

Plain functions (no model): the engine (``relationship.health.engine``)
passes the scoring core's results frame and the cursor.
"""

import json

import numpy as np
import pandas as pd

from odoo.tools import SQL

from ..scoring import DIMENSIONS
from ..scoring.retention import work_data
from ..scoring.rules import revenue_at_risk, visits_overdue
from ..scoring.vocabulary import BAND_RANK, SIGNALS

# Columns of res_partner written by the engine, with their SQL array types.
PARTNER_COLUMNS = {
    "health_score": "float8",
    "health_band": "varchar",
    "health_computed_band": "varchar",
    "health_trend": "float8",
    "health_confidence": "float8",
    "health_satisfaction": "float8",
    "health_visits": "float8",
    "health_sla": "float8",
    "health_recency": "float8",
    "health_nps": "float8",
    "health_last_order_date": "date",
    "health_order_interval": "int4",
    "health_last_visit_date": "date",
    "health_details": "jsonb",
    "visit_next_date": "date",
    "visit_due_date": "date",
    "visit_overdue": "bool",
    "visit_held_12m": "int4",
    "visit_planned_12m": "int4",
    "visit_adherence": "float8",
    "health_gap_reliability": "float8",
    "health_gap_responsiveness": "float8",
    "health_gap_assurance": "float8",
    "health_gap_empathy": "float8",
    "health_gap_tangibles": "float8",
    "health_servqual_gap": "float8",
    "health_servqual_weakest": "varchar",
    "health_revenue_12m": "float8",
    "health_revenue_at_risk": "float8",
    "health_margin_12m": "float8",
    "health_loyalty_regularity": "float8",
    "health_tenure_days": "int4",
    "health_quadrant": "varchar",
    "health_clv": "float8",
    "health_team_id": "int4",
    "health_scorecard_id": "int4",
}
# Snapshot column -> result column.
SNAPSHOT_COLUMNS = {
    "score": "score",
    "band": "band",
    "confidence": "confidence",
    "satisfaction": "satisfaction",
    "visits": "visits",
    "sla": "sla",
    "recency": "recency",
    "nps": "nps",
    "scorecard_id": "scorecard_id",
}
COMPONENT_COLUMNS = SIGNALS
FACT_COLUMNS = (
    "days_since_order",
    "order_interval_days",
    "order_interval_is_default",
    "order_count",
    "answer_count",
    "days_since_visit",
    "visit_count_365",
    "sla_event_count",
    "sla_met_count",
    "sla_breached_count",
)


def _nullable(series):
    """A column as a list of python values with None for missing ones."""
    return series.astype(object).where(series.notna(), None).tolist()


def _ints(series):
    """An integer column as a list of python ints with None for missing ones."""
    return [None if pd.isna(v) else int(v) for v in series]


def _dates(series):
    """A datetime column as a list of ISO dates (None for missing)."""
    return [None if pd.isna(v) else pd.Timestamp(v).date().isoformat() for v in series]


#: Array element types whose values are written as they print (numbers,
#: ISO dates, booleans): no quote, comma or brace to escape.
PLAIN_ARRAY_TYPES = frozenset({"float8", "int4", "date", "bool"})


def _quoted(value):
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def typed_array(values, sqltype):
    """SQL: the python ``values`` (None for NULL) as one ``sqltype`` array
    literal: one parameter that PostgreSQL parses at once, instead of an
    ``ARRAY[…]`` of one parameter per value (thousands per column of a
    batch). Each element is read by the input function of ``sqltype``."""
    if sqltype in PLAIN_ARRAY_TYPES:
        items = ["NULL" if value is None else str(value) for value in values]
    else:
        items = ["NULL" if value is None else _quoted(value) for value in values]
    return SQL("%s::%s[]", "{" + ",".join(items) + "}", SQL(sqltype))


def _json_value(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def details_json(results):
    """Per account JSON: the reasons and the facts behind the score."""
    facts = results[list(FACT_COLUMNS)]
    components = results[list(COMPONENT_COLUMNS)]
    details = []
    for reasons, fact_row, component_row in zip(
        results["reasons"],
        facts.itertuples(index=False),
        components.itertuples(index=False),
    ):
        details.append(
            json.dumps(
                {
                    "reasons": reasons,
                    "components": {
                        name: _json_value(value)
                        for name, value in zip(COMPONENT_COLUMNS, component_row)
                    },
                    "facts": {
                        name: _json_value(value)
                        for name, value in zip(FACT_COLUMNS, fact_row)
                    },
                }
            )
        )
    return details


def partner_values(results, as_of):
    """The columns of :data:`PARTNER_COLUMNS` of the scored accounts, as
    lists in the order of ``results`` (the core's frame joined with the
    accounts): the visit overdue flag and the revenue at risk as the core's
    rules decide them for the day scored ``as_of``."""
    return {
        "health_score": _nullable(results["score"]),
        "health_band": results["band"].tolist(),
        "health_computed_band": results["computed_band"].tolist(),
        "health_trend": _nullable(results["trend"]),
        "health_confidence": _nullable(results["confidence"]),
        "health_satisfaction": _nullable(results["satisfaction"]),
        "health_visits": _nullable(results["visits"]),
        "health_sla": _nullable(results["sla"]),
        "health_recency": _nullable(results["recency"]),
        "health_nps": _nullable(results["nps"]),
        "health_last_order_date": _dates(results["last_order_date"]),
        "health_order_interval": _ints(results["order_interval_days"].round()),
        "health_last_visit_date": _dates(results["last_visit_date"]),
        "health_details": details_json(results),
        "visit_next_date": _dates(results["visit_next_date"]),
        "visit_due_date": _dates(results["visit_due_date"]),
        "visit_overdue": visits_overdue(results["visit_due_date"], as_of).tolist(),
        "visit_held_12m": _ints(results["visit_count_365"]),
        "visit_planned_12m": _ints(results["visits_planned_365"]),
        "visit_adherence": _nullable(results["visit_adherence"].round(1)),
        **{
            f"health_gap_{name}": _nullable(results[f"gap_{name}"])
            for name in DIMENSIONS
        },
        "health_servqual_gap": _nullable(results["gap_overall"]),
        "health_servqual_weakest": _nullable(results["weakest_dimension"]),
        "health_revenue_12m": _nullable(results["revenue_12m"].round(2)),
        "health_revenue_at_risk": revenue_at_risk(
            results["revenue_12m"].round(2), results["band"]
        ).tolist(),
        "health_margin_12m": _nullable(results["margin_12m"].round(2)),
        "health_loyalty_regularity": _nullable(results["loyalty_regularity"].round(1)),
        "health_tenure_days": _ints(results["tenure_days"]),
        "health_quadrant": _nullable(results["quadrant"]),
        "health_clv": _nullable(results["clv"].round(2)),
        "health_team_id": _ints(results["team_id"]),
        # 0: the company's settings, no scorecard.
        "health_scorecard_id": [int(v) or None for v in results["scorecard_id"]],
    }


def write_partners(cr, ids, values, now):
    """The current health of the accounts: one UPDATE for the batch, of the
    rows whose values changed only (an account whose health did not move
    keeps its row, and its ``health_computed_at``: when its health last
    changed). Returns the ids of the rows written."""
    arrays = SQL(", ").join(
        typed_array(values[name], sqltype) for name, sqltype in PARTNER_COLUMNS.items()
    )
    assignments = SQL(", ").join(
        SQL("%s = v.%s", SQL.identifier(name), SQL.identifier(name))
        for name in PARTNER_COLUMNS
    )
    cr.execute(
        SQL(
            """
        UPDATE res_partner p
           SET %(assignments)s, health_computed_at = %(now)s
          FROM unnest(%(ids)s::int4[], %(arrays)s) AS v(id, %(names)s)
         WHERE p.id = v.id
           AND (p.health_computed_at IS NULL
                OR (%(current)s) IS DISTINCT FROM (%(new)s))
     RETURNING p.id
        """,
            assignments=assignments,
            now=now,
            ids=ids,
            arrays=arrays,
            names=SQL(", ").join(SQL.identifier(name) for name in PARTNER_COLUMNS),
            current=SQL(", ").join(
                SQL("p.%s", SQL.identifier(name)) for name in PARTNER_COLUMNS
            ),
            new=SQL(", ").join(
                SQL("v.%s", SQL.identifier(name)) for name in PARTNER_COLUMNS
            ),
        )
    )
    return {row[0] for row in cr.fetchall()}


def results_to_follow_up(results, written, today):
    """Which accounts of a scored batch get their follow-ups decided (visit
    reminders, retention): those whose health changed (``written``) and those
    not yet scored on ``today``. An account scored earlier today whose
    results did not move had them decided today on the same facts (a refresh
    then the night): deciding again would do nothing. A boolean array."""
    before = results["computed_before"]
    return (
        results.index.isin(list(written))
        | before.isna().to_numpy()
        | (before < pd.Timestamp(today)).to_numpy()
    )


def upsert_snapshots(cr, uid, results, ids, values, as_of, now):
    """One snapshot per account and day: insert, or update the day's row
    when its values changed (a rescoring of the same day that changes
    nothing rewrites nothing)."""
    snapshot_arrays = SQL(", ").join(
        typed_array(values[f"health_{col}"], PARTNER_COLUMNS[f"health_{col}"])
        for col in SNAPSHOT_COLUMNS
    )
    names = SQL(", ").join(SQL.identifier(col) for col in SNAPSHOT_COLUMNS)
    cr.execute(
        SQL(
            """
        INSERT INTO relationship_health_snapshot
               (partner_id, company_id, user_id, snapshot_date, %(names)s,
                create_uid, create_date, write_uid, write_date)
        SELECT v.partner_id, v.company_id, v.user_id, %(date)s, %(v_names)s,
               %(uid)s, %(now)s, %(uid)s, %(now)s
          FROM unnest(%(ids)s::int4[], %(companies)s::int4[], %(users)s::int4[],
                      %(arrays)s) AS v(partner_id, company_id, user_id, %(names)s)
        ON CONFLICT (partner_id, snapshot_date) DO UPDATE
           SET (company_id, user_id, %(names)s, write_uid, write_date)
             = (EXCLUDED.company_id, EXCLUDED.user_id, %(excluded)s,
                EXCLUDED.write_uid, EXCLUDED.write_date)
         WHERE (relationship_health_snapshot.company_id,
                relationship_health_snapshot.user_id, %(current)s)
               IS DISTINCT FROM (EXCLUDED.company_id, EXCLUDED.user_id, %(excluded)s)
        """,
            names=names,
            v_names=SQL(", ").join(
                SQL("v.%s", SQL.identifier(col)) for col in SNAPSHOT_COLUMNS
            ),
            excluded=SQL(", ").join(
                SQL("EXCLUDED.%s", SQL.identifier(col)) for col in SNAPSHOT_COLUMNS
            ),
            current=SQL(", ").join(
                SQL("relationship_health_snapshot.%s", SQL.identifier(col))
                for col in SNAPSHOT_COLUMNS
            ),
            date=as_of,
            uid=uid,
            now=now,
            ids=ids,
            companies=results["company_id"].astype("int64").tolist(),
            users=_ints(results["user_id"]),
            arrays=snapshot_arrays,
        )
    )


# ----------------------------------------------------------------------------
# Retention automation
# ----------------------------------------------------------------------------
def retention_case_values(row, as_of):
    """The columns of the waiting case of a transition: ``row`` has its
    ``partner_id``, ``facts``, ``triggers``, owner (``user_id``,
    ``team_id``) and ``snapshot_id``; ``as_of`` is the day it was detected."""
    facts = row["facts"]
    return {
        "partner_id": row["partner_id"],
        "company_id": facts["company_id"],
        "user_id": row["user_id"],
        "state": "waiting",
        "kind": "winback" if facts["winback"] else "followup",
        "trigger": row["triggers"][0],
        "band": facts["band"],
        "band_before": facts["band_before"]
        if facts["band_before"] in (*BAND_RANK, "unknown")
        else None,
        "score": facts["score"],
        "score_before": facts["score_before"],
        "score_reference": facts["score_reference"],
        "critical_since": facts["critical_since"],
        "last_band": facts["band"],
        "last_score": facts["score"],
        "revenue_12m": facts["revenue"],
        "score_fall": facts["fall"],
        "snapshot_id": row["snapshot_id"],
        "date_queued": as_of,
        "update_count": 0,
        "work_data": work_data(facts, row["triggers"], row["team_id"]),
    }


def insert_retention_cases(cr, uid, rows, now):
    """One INSERT of retention cases (``rows``: dicts of column values, the
    same keys in each; a dict or list value is stored as JSON); their ids,
    in order. A unique violation is the caller's to handle."""
    columns = list(rows[0])
    # One placeholder per cell and the values in one flat list: an SQL
    # object per cell costs more than the INSERT itself.
    placeholders, params = [], []
    for row in rows:
        cells = []
        for column in columns:
            value = row[column]
            if isinstance(value, (dict, list)):
                cells.append("%s::jsonb")
                value = json.dumps(value, default=str)
            else:
                cells.append("%s")
            params.append(value)
        placeholders.append(f"({', '.join(cells)}, %s, %s, %s, %s)")
        params += [uid, now, uid, now]
    values = SQL(", ".join(placeholders), *params)
    cr.execute(
        SQL(
            """
            INSERT INTO relationship_retention_case
                   (%s, create_uid, create_date, write_uid, write_date)
            VALUES %s
            RETURNING id
            """,
            SQL(", ").join(SQL.identifier(column) for column in columns),
            values,
        ),
        log_exceptions=False,
    )
    return [case_id for (case_id,) in cr.fetchall()]


def link_retention_cases(cr, links):
    """Store the activity and opportunity of each case (one UPDATE);
    ``links`` is ``{case_id: {"activity_id": …, "lead_id": …}}``."""
    case_ids = list(links)
    cr.execute(
        SQL(
            """
        UPDATE relationship_retention_case c
           SET activity_id = v.activity_id, lead_id = v.lead_id
          FROM unnest(%s::int4[], %s::int4[], %s::int4[]) AS v(id, activity_id, lead_id)
         WHERE c.id = v.id
        """,
            case_ids,
            [links[case_id].get("activity_id") for case_id in case_ids],
            [links[case_id].get("lead_id") for case_id in case_ids],
        )
    )


def remember_retention_cases(cr, cases, noted):
    """Store the band and score last reported on each case (one UPDATE);
    ``cases`` are ``(case_id, band, score)``; ``noted`` counts an update."""
    cr.execute(
        SQL(
            """
        UPDATE relationship_retention_case c
           SET last_band = v.band, last_score = v.score,
               update_count = COALESCE(c.update_count, 0) + %s
          FROM unnest(%s::int4[], %s::varchar[], %s::float8[]) AS v(id, band, score)
         WHERE c.id = v.id
        """,
            1 if noted else 0,
            [case_id for case_id, _band, _score in cases],
            [band for _case_id, band, _score in cases],
            [score for _case_id, _band, score in cases],
        )
    )


def open_retention_cases(cr, case_ids, as_of, user_id, now):
    """Hand out the waiting cases ``case_ids`` on ``as_of`` (one UPDATE;
    ``user_id``: who handed them out, None for the automation). Only cases
    still waiting are opened: their ``(id, partner_id, company_id, user_id,
    work_data, snapshot_id, revenue_12m, date_queued)``."""
    cr.execute(
        SQL(
            """
        UPDATE relationship_retention_case
           SET state = 'open', date_opened = %s, queue_rank = NULL,
               handed_out_by_id = %s, write_date = %s
         WHERE id = ANY(%s) AND state = 'waiting'
     RETURNING id, partner_id, company_id, user_id, work_data, snapshot_id,
               revenue_12m, date_queued
        """,
            as_of,
            user_id,
            now,
            list(case_ids),
        )
    )
    return cr.fetchall()


def rank_retention_queue(cr, ranks):
    """Store the place of each waiting case in its owner's queue (one
    UPDATE); ``ranks`` is ``{case_id: rank}``."""
    cr.execute(
        SQL(
            """
        UPDATE relationship_retention_case c SET queue_rank = v.rank
          FROM unnest(%s::int4[], %s::int4[]) AS v(id, rank)
         WHERE c.id = v.id
        """,
            list(ranks),
            list(ranks.values()),
        )
    )
