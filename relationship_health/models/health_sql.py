"""SQL pieces shared by every reader of the addon (``odoo.tools.SQL``)."""

from odoo.tools import SQL

#: The model of service incidents, as commitments name their source.
INCIDENT_MODEL = "relationship.service.incident"


def contact_ids_sql(account_ids):
    """SQL: the array of the ids of the partners of a set of accounts, the
    accounts themselves and their contacts (the one definition of "the
    contacts of these accounts"; ``account_ids`` are commercial partners).
    Use it as ``x.partner_id = ANY(%s)``: the partner index is used.

    Each account's contacts are looked up in the index of
    ``commercial_partner_id`` (``OFFSET 0`` keeps the lookup per account):
    given the ids as one array, PostgreSQL would scan the whole table, for
    every batch, once its estimate of the matching rows grows."""
    return SQL(
        """ARRAY(SELECT c.id FROM unnest(%s::int4[]) AS a(id)
             CROSS JOIN LATERAL (SELECT id FROM res_partner
                                  WHERE commercial_partner_id = a.id OFFSET 0) c)""",
        [int(i) for i in account_ids],
    )


def commitment_state_sql(event, now):
    """SQL: the state of the commitment of the ``relationship_sla_event`` row
    aliased ``event`` at ``now`` (the rule of ``scoring.rules.commitment_state``)."""
    return SQL(
        """CASE WHEN %(e)s.date_done IS NULL AND %(e)s.date_deadline < %(now)s THEN 'breached'
                WHEN %(e)s.date_done IS NULL THEN 'open'
                WHEN %(e)s.date_done <= %(e)s.date_deadline THEN 'met'
                ELSE 'breached' END""",
        e=SQL.identifier(event),
        now=now,
    )


def account_ids_of_sql(partner_ids):
    """SQL: the distinct accounts (commercial partners) of a set of partners,
    contacts or accounts, as rows of one ``id`` column."""
    return SQL(
        "SELECT DISTINCT commercial_partner_id AS id FROM res_partner"
        " WHERE id = ANY(%s) AND commercial_partner_id IS NOT NULL",
        [int(i) for i in partner_ids],
    )


def fetch_column(env, query):
    """The values of the one-column ``query`` (an ``SQL``), after flushing
    what the ORM holds: ids of the rows a set-based question finds."""
    env.flush_all()
    env.cr.execute(query)
    return [row[0] for row in env.cr.fetchall()]


def read_people(env, account_ids, *columns):
    """Rows (account id, partner id, *columns) of the people of ``account_ids``
    who can be written to: each account itself and its active contacts
    (contact or other addresses), ``columns`` being SQL on ``p`` (res_partner).
    The one definition of who an incident notice or a survey may reach."""
    env.flush_all()
    env.cr.execute(
        SQL(
            """
            SELECT p.commercial_partner_id, p.id, %(columns)s
              FROM res_partner p
             WHERE p.commercial_partner_id = ANY(%(ids)s)
               AND p.active
               AND (p.id = p.commercial_partner_id
                    OR COALESCE(p.type, 'contact') IN ('contact', 'other'))
            """,
            columns=SQL(", ").join(columns),
            ids=[int(i) for i in account_ids],
        )
    )
    return env.cr.fetchall()
