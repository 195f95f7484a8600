"""Retention automation: turn health transitions into follow-up work.

Called by the health engine once per scored batch of today's run, inside the
batch's savepoint: the work of a batch is committed, or rolled back, with its
scores. Per batch, everything needed is read with a few set-based queries;
only the accounts with a transition get new work, created with batched
``create`` calls.

The rules, per account of a company with the automation on (pure functions
of ``scoring/retention.py``, asked through its ``decide``):

* a transition is an account entering *at risk* or *critical* from a better
  band, a score at least N points below the one of 30 days ago, or an account
  critical for more than M days with no retention work open;
* a transition on an account without open work opens a case: one activity for
  its owner (win-back when no order came for more than K times the usual
  interval) and, when enabled, one retention opportunity;
* a further fall of an account with open work adds a note to that work;
* an account back to healthy closes its case: the activity is marked done
  ("Recovered") and a note is posted on the opportunity;
* a closed case starts a cooldown during which no new work is opened.

This file reads the batch and opens the work; the work already open (notes,
recovery, closing, archiving, the texts of the notes) is in
``relationship_health_retention_work.py``, the owner of an account in
``relationship_health_owner.py`` and the weekly digest in
``relationship_health_digest.py``.
"""

import logging
import math
from collections import defaultdict
from datetime import timedelta

import psycopg2.errors

from odoo import Command, api, fields, models
from odoo.tools import SQL

from ..scoring import retention as rules
from ..scoring.vocabulary import BAND_RANK
from .health_clock import day_end
from .relationship_health_engine import (
    account_money_sql,
    accounts_values_sql,
)

_logger = logging.getLogger(__name__)


# No e-mail for work created by the automation: the owner sees it in the
# activity menu and the pipeline; managers get the weekly digest.
QUIET_CONTEXT = {
    "mail_activity_quick_update": True,
    "mail_auto_subscribe_no_notify": True,
    "mail_create_nosubscribe": True,
}


def _value(value):
    """A frame cell as a python value, None when missing."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


class RelationshipHealthRetention(models.AbstractModel):
    _name = "relationship.health.retention"
    _description = "Relationship Health Retention Automation"

    # ------------------------------------------------------------------
    # Data shipped with the addon
    # ------------------------------------------------------------------
    def _activity_types(self):
        """``{kind: mail.activity.type}`` of the retention activities."""
        return {
            "followup": self.env.ref(
                "relationship_health.mail_activity_type_retention_followup",
                raise_if_not_found=False,
            ),
            "winback": self.env.ref(
                "relationship_health.mail_activity_type_retention_winback",
                raise_if_not_found=False,
            ),
        }

    def _retention_tag(self):
        return self.env.ref(
            "relationship_health.crm_tag_retention", raise_if_not_found=False
        )

    @api.model
    def _cron_weekly_digest(self):
        """The weekly digest's cron (its record, ``noupdate``, names this
        model): see ``relationship.health.digest``."""
        return self.env["relationship.health.digest"]._cron_weekly_digest()

    # ------------------------------------------------------------------
    # Entry point
    # ------------------------------------------------------------------
    @api.model
    def _process_batch(self, results, as_of):
        """Detect the transitions of a scored batch and create, update or
        close the retention work they call for. Returns a dict of counters."""
        counters = defaultdict(int)
        if results is None or results.empty:
            return counters
        as_of = fields.Date.to_date(as_of)
        self = self.sudo().with_context(**QUIET_CONTEXT)
        types = self._activity_types()
        if not all(types.values()):
            return counters
        companies = self.env["res.company"].browse(
            sorted({int(c) for c in results["company_id"].dropna().unique()})
        )
        enabled = companies.filtered("health_automation_enabled")
        if not enabled:
            return counters
        settings = {
            company.id: company._health_retention_settings() for company in enabled
        }
        frame = results[results["company_id"].isin(enabled.ids)]
        if frame.empty:
            return counters

        self.env.flush_all()
        account_ids = [int(pid) for pid in frame.index]
        critical_ids = [int(pid) for pid in frame.index[frame["band"] == "critical"]]
        state = self._read_state(account_ids, critical_ids, types, as_of)

        to_open, to_note, to_recover, to_handle, to_remember = [], [], [], [], []
        for pid, row in zip(account_ids, frame.itertuples()):
            config = settings[int(row.company_id)]
            existing = state.get(pid, {})
            facts = self._facts(row, existing, as_of, config)
            action, detail = rules.decide(facts, existing, as_of, config)
            if action == "recover":
                to_recover.append((pid, facts, existing))
            elif action == "handle":
                to_handle.append(existing["case_id"])
            elif action == "note":
                to_note.append((pid, facts, detail, existing))
            elif action == "remember":
                to_remember.append((existing["case_id"], facts))
            elif action == "cooldown":
                counters["cooldown"] += 1
            elif action == "open":
                to_open.append((pid, facts, detail, existing))

        if to_handle:
            self._close_cases(to_handle, "handled", as_of, settings)
            counters["handled"] += len(to_handle)
        if to_recover:
            self._recover(to_recover, as_of, settings)
            counters["recovered"] += len(to_recover)
        if to_note:
            self._add_notes(to_note, as_of)
            counters["updated"] += len(to_note)
        if to_remember:
            self._remember(to_remember, noted=False)
        if to_open:
            opened, noted, skipped = self._open(to_open, as_of, settings, types)
            counters["opened"] += opened
            counters["updated"] += noted
            counters["skipped"] += skipped
        if any(counters.values()):
            _logger.info(
                "Retention automation: %(opened)s cases opened, %(updated)s updated, "
                "%(recovered)s recovered, %(handled)s closed as done, %(skipped)s accounts "
                "without owner, %(cooldown)s in cooldown",
                {
                    key: counters[key]
                    for key in (
                        "opened",
                        "updated",
                        "recovered",
                        "handled",
                        "skipped",
                        "cooldown",
                    )
                },
            )
        return counters

    # ------------------------------------------------------------------
    # Readers: a few set-based queries per batch
    # ------------------------------------------------------------------
    def _read_state(self, account_ids, critical_ids, types, as_of):
        """What the rules need to know about each account, in one query for
        the batch: its open case (with which of its activity and opportunity
        are still open), the end of its cooldown, any open retention activity
        or opportunity, its score of about 30 days ago (the newest snapshot 30
        to 60 days old) and, for the critical ones, the first day of their
        current critical streak. Accounts with none of these are left out."""
        ref_oldest, ref_newest = rules.reference_window(as_of)
        self.env.cr.execute(
            SQL(
                """
            WITH ids AS (SELECT unnest(%(ids)s::int4[]) AS id),
            open_case AS (
                SELECT c.partner_id, c.id AS case_id, a.id AS activity_id, l.id AS lead_id,
                       c.user_id, c.band, c.score_reference, c.last_band, c.last_score
                  FROM relationship_retention_case c
             LEFT JOIN mail_activity a ON a.id = c.activity_id AND a.active
             LEFT JOIN (crm_lead l LEFT JOIN crm_stage st ON st.id = l.stage_id)
                    ON l.id = c.lead_id AND l.active AND NOT COALESCE(st.is_won, FALSE)
                 WHERE c.state = 'open' AND c.partner_id = ANY(%(ids)s)
            ),
            cooldown AS (
                SELECT c.partner_id, MAX(c.cooldown_until) AS cooldown_until
                  FROM relationship_retention_case c
                 WHERE c.state = 'closed' AND c.partner_id = ANY(%(ids)s)
              GROUP BY c.partner_id
            ),
            activity AS (
                SELECT a.res_id AS partner_id, MIN(a.id) AS activity_id
                  FROM mail_activity a
                 WHERE a.res_model = 'res.partner' AND a.res_id = ANY(%(ids)s)
                   AND a.active AND a.activity_type_id = ANY(%(types)s)
              GROUP BY a.res_id
            ),
            lead AS (
                SELECT l.partner_id, MIN(l.id) AS lead_id
                  FROM crm_lead l
             LEFT JOIN crm_stage st ON st.id = l.stage_id
                 WHERE l.is_retention AND l.active AND NOT COALESCE(st.is_won, FALSE)
                   AND l.partner_id = ANY(%(ids)s)
              GROUP BY l.partner_id
            )
            SELECT ids.id, oc.case_id, oc.activity_id, oc.lead_id, oc.user_id, oc.band,
                   oc.score_reference, oc.last_band, oc.last_score, cd.cooldown_until,
                   activity.activity_id, lead.lead_id, ref.score, crit.since
              FROM ids
         LEFT JOIN open_case oc ON oc.partner_id = ids.id
         LEFT JOIN cooldown cd ON cd.partner_id = ids.id
         LEFT JOIN activity ON activity.partner_id = ids.id
         LEFT JOIN lead ON lead.partner_id = ids.id
         LEFT JOIN LATERAL (
                    SELECT s.score
                      FROM relationship_health_snapshot s
                     WHERE s.partner_id = ids.id
                       AND s.snapshot_date <= %(ref_date)s
                       AND s.snapshot_date >= %(oldest)s
                       AND s.score IS NOT NULL
                  ORDER BY s.snapshot_date DESC
                     LIMIT 1) ref ON TRUE
         LEFT JOIN LATERAL (
                    SELECT MIN(s.snapshot_date) AS since
                      FROM relationship_health_snapshot s
                     WHERE ids.id = ANY(%(critical)s)
                       AND s.partner_id = ids.id
                       AND s.band = 'critical'
                       AND s.snapshot_date <= %(as_of)s
                       AND s.snapshot_date > COALESCE(
                           (SELECT MAX(n.snapshot_date)
                              FROM relationship_health_snapshot n
                             WHERE n.partner_id = ids.id AND n.band != 'critical'
                               AND n.snapshot_date <= %(as_of)s),
                           '-infinity'::date)) crit ON TRUE
             WHERE oc.case_id IS NOT NULL OR cd.cooldown_until IS NOT NULL
                OR activity.activity_id IS NOT NULL OR lead.lead_id IS NOT NULL
                OR ref.score IS NOT NULL OR crit.since IS NOT NULL
            """,
                ids=account_ids,
                critical=critical_ids,
                types=[activity_type.id for activity_type in types.values()],
                as_of=as_of,
                ref_date=ref_newest,
                oldest=ref_oldest,
            )
        )
        keys = (
            "case_id",
            "activity_id",
            "lead_id",
            "user_id",
            "band",
            "score_reference",
            "last_band",
            "last_score",
            "cooldown_until",
            "any_activity_id",
            "any_lead_id",
            "reference_score",
            "critical_since",
        )
        return {row[0]: dict(zip(keys, row[1:])) for row in self.env.cr.fetchall()}

    def _read_snapshots(self, account_ids, as_of):
        """``{partner_id: id}`` of the snapshots of ``as_of``."""
        self.env.cr.execute(
            SQL(
                """
            SELECT partner_id, id FROM relationship_health_snapshot
             WHERE partner_id = ANY(%s) AND snapshot_date = %s
            """,
                list(account_ids),
                as_of,
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _read_revenue(self, accounts, as_of):
        """``{partner_id: revenue}`` of ``accounts`` (``{partner_id: company_id}``):
        the account's revenue of the last 12 months in the company it is scored
        for, in that company's currency (:func:`account_money_sql`, the
        definition the score uses). Only for frames that lack the scoring's
        own ``revenue_12m``."""
        if not accounts:
            return {}
        engine = self.env["relationship.health.engine"]
        since, until = engine._money_period(as_of, day_end(as_of))
        self.env.cr.execute(
            account_money_sql(
                accounts_values_sql(list(accounts), list(accounts.values())),
                since,
                until,
                engine._use_margin(),
            )
        )
        return {
            pid: float(amount or 0.0) for pid, amount, _margin in self.env.cr.fetchall()
        }

    # ------------------------------------------------------------------
    # Facts of an account (the rules are in scoring/retention.py)
    # ------------------------------------------------------------------
    def _facts(self, row, state, as_of, config):
        """The numbers of one account that the rules and the notes use."""
        critical_since = state.get("critical_since")
        days_since_order = _value(row.days_since_order)
        interval = _value(row.order_interval_days)
        return {
            "company_id": int(row.company_id),
            "user_id": _value(row.user_id),
            "band": _value(row.band),
            "band_before": _value(row.band_before),
            "score": _value(row.score),
            "score_before": _value(row.score_before),
            "score_reference": _value(state.get("reference_score")),
            "critical_since": critical_since,
            "critical_days": rules.critical_days(critical_since, as_of),
            "days_since_order": int(days_since_order)
            if days_since_order is not None
            else None,
            "order_interval": interval,
            "winback": rules.is_winback(
                days_since_order, interval, config["winback_factor"]
            ),
            "reasons": list(row.reasons)
            if isinstance(row.reasons, (list, tuple))
            else [],
            # The scoring's own 12-month revenue (None when the frame lacks it).
            "revenue": _value(getattr(row, "revenue_12m", None)),
        }

    # ------------------------------------------------------------------
    # Opening work
    # ------------------------------------------------------------------
    def _open(self, candidates, as_of, settings, types):
        """Open a case, an activity and, when enabled, an opportunity for each
        candidate. Returns (opened, noted, skipped)."""
        ids = [pid for pid, *_rest in candidates]
        owners = self.env["relationship.health.owner"]._owners(
            ids, [facts["company_id"] for _pid, facts, *_r in candidates]
        )
        skipped = [pid for pid in ids if pid not in owners]
        if skipped:
            names = self.env["res.partner"].browse(skipped).mapped("display_name")
            _logger.info(
                "Retention automation: no salesperson, sales team leader or default owner "
                "for %s accounts, no retention work created for them: %s",
                len(skipped),
                ", ".join(names),
            )
        candidates = [candidate for candidate in candidates if candidate[0] in owners]
        if not candidates:
            return 0, 0, len(skipped)
        ids = [pid for pid, *_rest in candidates]
        snapshots = self._read_snapshots(ids, as_of)
        revenue = self._read_revenue(
            {
                pid: facts["company_id"]
                for pid, facts, *_rest in candidates
                if facts["revenue"] is None
            },
            as_of,
        )

        rows = []
        for pid, facts, triggers, existing in candidates:
            user, team = owners[pid]
            rows.append(
                {
                    "partner_id": pid,
                    "facts": facts,
                    "triggers": triggers,
                    "existing": existing,
                    "user": user,
                    "team": team,
                    "snapshot_id": snapshots.get(pid),
                    "revenue": facts["revenue"]
                    if facts["revenue"] is not None
                    else revenue.get(pid, 0.0),
                }
            )
        inserted, conflicts = self._insert_cases(rows, as_of)
        noted = 0
        if conflicts:
            noted = self._note_on_conflicts(conflicts, as_of)
        if inserted:
            self._create_work(inserted, as_of, settings, types)
        return len(inserted), noted, len(skipped)

    def _case_values(self, row, as_of):
        facts = row["facts"]
        return {
            "partner_id": row["partner_id"],
            "company_id": facts["company_id"],
            "user_id": row["user"].id,
            "state": "open",
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
            "revenue_12m": row["revenue"],
            "snapshot_id": row["snapshot_id"],
            "date_opened": as_of,
            "update_count": 0,
        }

    def _insert_cases(self, rows, as_of):
        """Insert the open cases of ``rows``: one INSERT for all of them; when
        the unique index refuses it (another run opened a case on one of the
        accounts meanwhile), row by row, each in its own savepoint.

        Returns (inserted rows with their ``case_id``, rows refused)."""
        self.env.flush_all()
        try:
            with self.env.cr.savepoint(flush=False):
                case_ids = self._insert_case_rows(rows, as_of)
        except psycopg2.errors.UniqueViolation:
            _logger.debug(
                "Retention: another run opened cases meanwhile; inserting row by row"
            )
        else:
            for row, case_id in zip(rows, case_ids):
                row["case_id"] = case_id
            return rows, []
        inserted, conflicts = [], []
        for row in rows:
            try:
                with self.env.cr.savepoint(flush=False):
                    row["case_id"] = self._insert_case_rows([row], as_of)[0]
            except psycopg2.errors.UniqueViolation:
                conflicts.append(row)
            else:
                inserted.append(row)
        return inserted, conflicts

    def _insert_case_rows(self, rows, as_of):
        """One INSERT of the open cases of ``rows``; their ids, in order."""
        Case = self.env["relationship.retention.case"]
        columns = list(self._case_values(rows[0], as_of))
        now = fields.Datetime.now()
        values = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s, %s)",
                SQL(", ").join(
                    SQL("%s", value) for value in self._case_values(row, as_of).values()
                ),
                self.env.uid,
                now,
                self.env.uid,
                now,
            )
            for row in rows
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO %s (%s, create_uid, create_date, write_uid, write_date)
                VALUES %s
                RETURNING id
                """,
                SQL.identifier(Case._table),
                SQL(", ").join(SQL.identifier(column) for column in columns),
                values,
            ),
            log_exceptions=False,
        )
        return [case_id for (case_id,) in self.env.cr.fetchall()]

    def _note_on_conflicts(self, conflicts, as_of):
        """Accounts on which another run opened a case meanwhile: the
        transition becomes a note on that case's work when this transaction
        can see it; otherwise the other run reports it."""
        ids = [row["partner_id"] for row in conflicts]
        Case = self.env["relationship.retention.case"]
        Case.invalidate_model()
        cases = Case.search([("partner_id", "in", ids), ("state", "=", "open")])
        by_partner = {case.partner_id.id: case for case in cases}
        notes = []
        for row in conflicts:
            case = by_partner.get(row["partner_id"])
            if not case:
                _logger.info(
                    "Retention automation: a concurrent run opened the retention work of "
                    "account %s",
                    row["partner_id"],
                )
                continue
            lead = case.lead_id
            existing = {
                "case_id": case.id,
                "activity_id": case.activity_id.id
                if case.activity_id.active
                else False,
                "lead_id": lead.id
                if lead.active and not lead.stage_id.is_won
                else False,
                "user_id": case.user_id.id,
                "last_band": case.last_band,
                "last_score": case.last_score if case.last_band else None,
            }
            notes.append((row["partner_id"], row["facts"], row["triggers"], existing))
        if notes:
            self._add_notes(notes, as_of)
        return len(notes)

    def _create_work(self, rows, as_of, settings, types):
        """The activities and opportunities of newly opened cases, each created
        with one ``create`` call; open ones that already exist are reused and
        get a note instead."""
        partners = self.env["res.partner"].browse([row["partner_id"] for row in rows])
        partners.fetch(["name", "lang"])
        model_id = self.env["ir.model"]._get_id("res.partner")
        tag = self._retention_tag()
        activity_vals, activity_rows = [], []
        lead_vals, lead_rows = [], []
        reused_activities, reused_leads = [], []
        for row, partner in zip(rows, partners):
            facts, user = row["facts"], row["user"]
            config = settings[facts["company_id"]]
            retention = self.with_context(lang=user.lang or self.env.lang)
            note = retention._transition_note(partner, facts, row["triggers"], config)
            row["note"] = note
            existing = row["existing"]
            if existing.get("any_activity_id"):
                reused_activities.append((row, existing["any_activity_id"]))
            else:
                kind = "winback" if facts["winback"] else "followup"
                activity_vals.append(
                    {
                        "res_model_id": model_id,
                        "res_id": partner.id,
                        "activity_type_id": types[kind].id,
                        "user_id": user.id,
                        "date_deadline": as_of
                        + timedelta(days=config["activity_days"]),
                        "summary": retention._activity_summary(kind, partner),
                        "note": note,
                        "health_snapshot_id": row["snapshot_id"],
                    }
                )
                activity_rows.append(row)
            if not config["create_lead"]:
                continue
            if existing.get("any_lead_id"):
                reused_leads.append((row, existing["any_lead_id"]))
                continue
            vals = {
                "name": retention.env._("Retention: %(account)s", account=partner.name),
                "type": "opportunity",
                "partner_id": partner.id,
                "user_id": user.id,
                "company_id": facts["company_id"],
                "expected_revenue": row["revenue"],
                "description": note,
                "is_retention": True,
                "health_snapshot_id": row["snapshot_id"],
            }
            if tag:
                vals["tag_ids"] = [Command.link(tag.id)]
            if row["team"]:
                vals["team_id"] = row["team"].id
            lead_vals.append(vals)
            lead_rows.append(row)

        activities = (
            self.env["mail.activity"].create(activity_vals) if activity_vals else []
        )
        leads = self.env["crm.lead"].create(lead_vals) if lead_vals else []
        links = defaultdict(dict)
        for row, activity in zip(activity_rows, activities):
            links[row["case_id"]]["activity_id"] = activity.id
        for row, lead in zip(lead_rows, leads):
            links[row["case_id"]]["lead_id"] = lead.id
        for row, activity_id in reused_activities:
            links[row["case_id"]]["activity_id"] = activity_id
        for row, lead_id in reused_leads:
            links[row["case_id"]]["lead_id"] = lead_id
        self._link_cases(links)
        if reused_activities or reused_leads:
            Partner = self.env["res.partner"]
            self._post_notes(
                [
                    (row["note"], activity_id, False, Partner.browse(row["partner_id"]))
                    for row, activity_id in reused_activities
                ]
                + [
                    (row["note"], False, lead_id, Partner.browse(row["partner_id"]))
                    for row, lead_id in reused_leads
                ],
                as_of,
            )

    def _link_cases(self, links):
        """Store the activity and opportunity of each case (one UPDATE)."""
        if not links:
            return
        case_ids = list(links)
        self.env.cr.execute(
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
        self.env["relationship.retention.case"].invalidate_model(
            ["activity_id", "lead_id"]
        )
