"""Merging partners keeps their health history, retention work and
service commitments.

Odoo's merge wizard moves foreign keys table by table with one UPDATE and,
when a unique index refuses it, deletes the merged partner's rows. Snapshots
(one per account and day) and retention cases (one open case per account)
would be lost that way: they are moved here first, conflicts resolved.
"""

from odoo import api, models
from odoo.tools import SQL


#: The tables moved to the survivor, each with the statement that first
#: settles the merged partner's (``%(src)s``) rows that would clash with the
#: survivor's (``%(dst)s``).
MOVED_TABLES = (
    (
        "relationship_health_snapshot",
        """
        DELETE FROM relationship_health_snapshot s
         WHERE s.partner_id = %(src)s
           AND EXISTS (SELECT 1 FROM relationship_health_snapshot d
                        WHERE d.partner_id = %(dst)s
                          AND d.snapshot_date = s.snapshot_date)
        """,
    ),
    (
        "relationship_retention_case",
        """
        UPDATE relationship_retention_case
           SET state = 'closed', close_reason = 'merged',
               date_closed = CURRENT_DATE, cooldown_until = CURRENT_DATE
         WHERE partner_id = %(src)s AND state IN ('waiting', 'open')
           AND EXISTS (SELECT 1 FROM relationship_retention_case d
                        WHERE d.partner_id = %(dst)s
                          AND d.state IN ('waiting', 'open'))
        """,
    ),
)


class MergePartnerAutomatic(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    @api.model
    def _update_foreign_keys(self, src_partners, dst_partner):
        self._merge_relationship_health(src_partners, dst_partner)
        return super()._update_foreign_keys(src_partners, dst_partner)

    @api.model
    def _merge_relationship_health(self, src_partners, dst_partner):
        """Move the snapshots, retention cases and scoring failures of
        ``src_partners`` to ``dst_partner``, one merged partner at a time:
        a day with a snapshot of the survivor keeps the survivor's; an open
        case of a merged partner is closed (*merged*) when the survivor
        already has one. Commitments have no unique key on the account: the
        wizard moves them with the rest."""
        self.env.flush_all()
        cr = self.env.cr
        for src in src_partners:
            for table, resolve_conflicts in MOVED_TABLES:
                cr.execute(SQL(resolve_conflicts, src=src.id, dst=dst_partner.id))
                cr.execute(
                    SQL(
                        "UPDATE %s SET partner_id = %s WHERE partner_id = %s",
                        SQL.identifier(table),
                        dst_partner.id,
                        src.id,
                    )
                )
        # The survivor is scored again by the next run; the merged partners'
        # failures are moot.
        cr.execute(
            SQL(
                "DELETE FROM relationship_health_failure WHERE partner_id = ANY(%s)",
                src_partners.ids,
            )
        )
        self.env.invalidate_all()
