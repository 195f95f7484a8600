from odoo import fields, models, tools
from odoo.tools import SQL

from ..models.health_clock import utc_now
from ..models.health_sql import commitment_state_sql
from ..models.relationship_health_snapshot import score_column
from ..models.relationship_sla_policy import SLA_METRICS


class RelationshipSlaReport(models.Model):
    """Service-level adherence, one row per active commitment, for the pivot
    and the graph. ``adherence`` is 100 for a met commitment, 0 for a breached
    one (an open commitment past its deadline counts as breached) and empty
    while an open one is not due: averaged, it gives the adherence of any
    group, weighted by its commitments.

    A query run when read (``_table_query``), not a database view: "past its
    deadline" compares with the server's clock, passed in as a parameter,
    never with the database's ``now()``."""

    _name = "relationship.sla.report"
    _description = "Service-Level Adherence"
    _auto = False
    _order = "date_deadline desc"
    _rec_name = "name"

    name = fields.Char(string="Commitment", readonly=True)
    event_id = fields.Many2one(
        "relationship.sla.event", string="Service Commitment", readonly=True
    )
    partner_id = fields.Many2one("res.partner", string="Account", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    policy_id = fields.Many2one(
        "relationship.sla.policy", string="Service Level", readonly=True
    )
    metric = fields.Selection(SLA_METRICS, string="Measures", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    date_deadline = fields.Datetime(string="Deadline", readonly=True)
    date_done = fields.Datetime(string="Done On", readonly=True)
    state = fields.Selection(
        [("open", "Not due yet"), ("met", "Met"), ("breached", "Breached")],
        readonly=True,
        help="An open commitment past its deadline counts as breached.",
    )
    event_count = fields.Integer(string="Commitments", readonly=True)
    met_count = fields.Integer(string="Met", readonly=True)
    breached_count = fields.Integer(string="Breached", readonly=True)
    adherence = score_column(
        string="Adherence (%)", help="Share of the commitments due that were met."
    )
    delay_hours = fields.Float(
        string="Delay (hours)",
        readonly=True,
        aggregator="avg",
        help="How late the breached commitments were (or are, when still open), on average.",
    )

    @property
    def _table_query(self):
        return self._query()

    def _query(self, now=None):
        now = now or utc_now()
        return SQL(
            """
            SELECT e.id, e.id AS event_id, e.name, e.partner_id, e.user_id, e.policy_id,
                   p.metric, e.company_id, e.date_deadline, e.date_done,
                   s.state,
                   1 AS event_count,
                   (s.state = 'met')::int AS met_count,
                   (s.state = 'breached')::int AS breached_count,
                   CASE s.state WHEN 'met' THEN 100.0 WHEN 'breached' THEN 0.0 END AS adherence,
                   CASE WHEN s.state = 'breached' THEN
                        EXTRACT(EPOCH FROM COALESCE(e.date_done, %(now)s)
                                           - e.date_deadline) / 3600.0
                   END AS delay_hours
              FROM relationship_sla_event e
         LEFT JOIN relationship_sla_policy p ON p.id = e.policy_id
             CROSS JOIN LATERAL (SELECT %(state)s AS state) s
             WHERE e.active
            """,
            now=now,
            state=commitment_state_sql("e", now),
        )

    def init(self):
        # Earlier versions made it a view.
        tools.drop_view_if_exists(self.env.cr, self._table)
