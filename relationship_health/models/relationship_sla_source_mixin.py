"""Documents that are service-level commitments of their account (deliveries,
tickets…): the shared defer-then-record code of the bridges."""

from odoo import api, models
from odoo.tools import split_every

from .relationship_health_pending import MARK_DEFERRED

#: Context key: the operation under way records the commitments at its end
#: (once, for the whole batch), not on each write it makes on the way.
DEFER_KEY = "relationship_sla_deferred"


class RelationshipSlaSourceMixin(models.AbstractModel):
    """A model whose records are the source documents of commitments.

    A model using it defines :meth:`_relationship_sla_accounts` (the
    accounts of its records) and :meth:`_relationship_sla_event_vals` (the
    values of the commitments its records owe now, for the service levels
    :meth:`_relationship_sla_covered` gives) and may refine
    :meth:`_relationship_sla_stale` (which of its existing commitments to
    archive once recorded)."""

    _name = "relationship.sla.source.mixin"
    _description = "Source of Service-Level Commitments"

    def _relationship_sla_deferring(self):
        """The same records, with the recording deferred to the end of the
        operation under way."""
        return self.with_context(**{DEFER_KEY: True})

    def _relationship_sla_is_deferred(self):
        return bool(self.env.context.get(DEFER_KEY))

    def _relationship_sla_then_record(self, operation):
        """Run ``operation(records)`` on these records with the recording
        deferred, then record their commitments once; return its result."""
        result = operation(self._relationship_sla_deferring())
        self._record_relationship_sla_events()
        return result

    def _relationship_sla_events(self):
        """The existing commitments of these documents made under a service
        level, archived ones included."""
        return (
            self.env["relationship.sla.event"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("policy_id", "!=", False),
                ]
            )
        )

    def _relationship_sla_event_vals(self, existing):
        """Values of the commitments these documents owe now (for
        ``relationship.sla.event._record_from_sources``); ``existing`` are
        their commitments already recorded."""
        raise NotImplementedError

    def _relationship_sla_accounts(self):
        """The customer accounts (commercial partners) of these documents."""
        raise NotImplementedError

    def _relationship_sla_covered(self, metrics):
        """(document, service level) pairs: each of these documents with each
        active service level measuring one of ``metrics`` that covers its
        account in its company."""
        Policy = (
            self.env["relationship.sla.policy"].sudo().with_context(active_test=True)
        )
        by_account = Policy._policies_by_account(
            self._relationship_sla_accounts(),
            metrics=metrics,
            companies=self.company_id,
        )
        return [
            (document, policy)
            for document in self
            for policy in by_account.get(document._relationship_sla_accounts().id)
            or Policy
            if policy._applies_to_company(document.company_id)
        ]

    def _relationship_sla_stale(self, existing, events):
        """The commitments among ``existing`` to archive once ``events`` are
        recorded: by default every active one that was not recorded again."""
        return (existing - events).filtered("active")

    def _record_relationship_sla_events(self, notify=True):
        """Create or update the commitments of these documents in one go and
        archive those that no longer count. ``notify=False`` (backfills)
        gives no "Inform the customer" activity for breaches of the past."""
        Event = (
            self.env["relationship.sla.event"]
            .sudo()
            .with_context(active_test=False, **{MARK_DEFERRED: True})
        )
        if not self:
            return Event.browse()
        sources = self.sudo().with_context(active_test=False, **{MARK_DEFERRED: True})
        existing = sources._relationship_sla_events()
        before = existing.partner_id.ids
        events = Event._record_from_sources(
            sources._relationship_sla_event_vals(existing), notify=notify
        )
        stale = sources._relationship_sla_stale(existing, events)
        if stale:
            stale.write({"active": False})
        # Their accounts are rescored by the next refresh: one mark in all.
        self.env["relationship.health.pending"]._mark_accounts(
            before + events.partner_id.ids
        )
        return events.with_env(self.env)

    @api.model
    def _relationship_sla_backfill(self, domain, batch_size=1000):
        """Record the commitments of every document of ``domain`` (all
        companies, archived ones included), by batches, without breach
        notices. Running it again updates, never duplicates."""
        sources = self.sudo().with_context(active_test=False)
        events = self.env["relationship.sla.event"]
        for ids in split_every(
            batch_size, sources.search(domain, order="id").ids, list
        ):
            events |= sources.browse(ids)._record_relationship_sla_events(notify=False)
            sources.env.invalidate_all()
        return events
