from datetime import timedelta

from odoo import api, models
from odoo.tools import SQL

from odoo.addons.relationship_health.models.health_clock import health_today
from odoo.addons.relationship_health.models.health_sql import contact_ids_sql


class RelationshipHealthEngine(models.AbstractModel):
    _inherit = "relationship.health.engine"

    @api.model
    def _extra_visits_sql(self, account_ids, now, visit_type):
        """Salesperson-planner visits of the accounts' contacts.

        A visit marked done (*Visited*) is a visit held on its date (or now, if
        marked done ahead of its date). A draft or validated visit dated today
        or later is a planned visit: it is placed just after ``now`` when it is
        for today, so that it counts as the next visit and not as one held.
        Cancelled visits, incidents and past visits never marked done do not
        count. A visit whose calendar event is already read as a Customer
        Visit of the account is left out, so that it counts once.
        """
        queries = super()._extra_visits_sql(account_ids, now, visit_type)
        counted_event = SQL("FALSE")
        if visit_type:
            counted_event = SQL(
                """
                EXISTS (
                    SELECT 1
                      FROM calendar_event e
                      JOIN meeting_category_rel r ON r.event_id = e.id AND r.type_id = %(type)s
                      JOIN calendar_attendee a ON a.event_id = e.id AND a.state != 'declined'
                      JOIN res_partner ac ON ac.id = a.partner_id
                     WHERE e.id = v.calendar_event_id
                       AND e.active
                       AND ac.commercial_partner_id = c.commercial_partner_id)
                """,
                type=visit_type.id,
            )
        queries.append(
            SQL(
                """
            SELECT c.commercial_partner_id,
                   CASE WHEN v.state = 'done' THEN LEAST(v.date::timestamp, %(now)s)
                        ELSE GREATEST(v.date::timestamp, %(just_after)s) END
              FROM crm_salesperson_planner_visit v
              JOIN res_partner c ON c.id = v.partner_id
             WHERE v.partner_id = ANY(%(contacts)s)
               AND (v.state = 'done'
                    OR (v.state IN ('draft', 'confirm') AND v.date >= %(today)s))
               AND NOT %(counted_event)s
            """,
                now=now,
                just_after=now + timedelta(microseconds=1),
                today=health_today(now),
                contacts=contact_ids_sql(account_ids),
                counted_event=counted_event,
            )
        )
        return queries
