"""Retention automation: turn health transitions into follow-up work.

Called by the health engine once per scored batch of today's run, inside the
batch's savepoint: the work of a batch is committed, or rolled back, with its
scores. Per batch, everything needed is read with a few set-based queries;
only the accounts with a transition get new work, created with batched
``create`` calls.

The rules, per account of a company with the automation on:

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
"""

import logging
import math
from collections import defaultdict
from datetime import timedelta

import psycopg2.errors
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.tools import SQL, format_amount, formatLang

from ..scoring.vocabulary import BAND_RANK, RISK_BANDS
from .health_clock import day_end, health_today
from .health_sql import contact_ids_sql
from .relationship_health_engine import (
    account_money_sql,
    accounts_values_sql,
)

_logger = logging.getLogger(__name__)

REFERENCE_DAYS = 30
# A reference score is at most this many days older than REFERENCE_DAYS.
REFERENCE_WINDOW_DAYS = 30
DIGEST_DAYS = 7
DIGEST_LIST_LIMIT = 50

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


def _is_worse(band, than):
    """Whether ``band`` is a worse known band than ``than`` (also known)."""
    return band in BAND_RANK and than in BAND_RANK and BAND_RANK[band] > BAND_RANK[than]


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
        return self.env.ref("relationship_health.crm_tag_retention", raise_if_not_found=False)

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
        settings = {company.id: company._health_retention_settings() for company in enabled}
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
            if existing.get("case_id"):
                if self._is_recovered(facts, existing, config):
                    to_recover.append((pid, facts, existing))
                elif not existing["activity_id"] and not existing["lead_id"]:
                    to_handle.append(existing["case_id"])
                else:
                    changes = self._changes_since_report(facts, existing, config)
                    if changes:
                        to_note.append((pid, facts, changes, existing))
                    elif self._improved_since_report(facts, existing):
                        to_remember.append((existing["case_id"], facts))
                continue
            triggers = self._triggers(facts, config)
            if not triggers:
                continue
            cooldown = existing.get("cooldown_until")
            if cooldown and as_of < cooldown:
                counters["cooldown"] += 1
                continue
            to_open.append((pid, facts, triggers, existing))

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
                {key: counters[key] for key in (
                    "opened", "updated", "recovered", "handled", "skipped", "cooldown")},
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
        self.env.cr.execute(SQL(
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
            ref_date=as_of - timedelta(days=REFERENCE_DAYS),
            oldest=as_of - timedelta(days=REFERENCE_DAYS + REFERENCE_WINDOW_DAYS),
        ))
        keys = ("case_id", "activity_id", "lead_id", "user_id", "band", "score_reference",
                "last_band", "last_score", "cooldown_until", "any_activity_id", "any_lead_id",
                "reference_score", "critical_since")
        return {row[0]: dict(zip(keys, row[1:])) for row in self.env.cr.fetchall()}

    def _read_snapshots(self, account_ids, as_of):
        """``{partner_id: id}`` of the snapshots of ``as_of``."""
        self.env.cr.execute(SQL(
            """
            SELECT partner_id, id FROM relationship_health_snapshot
             WHERE partner_id = ANY(%s) AND snapshot_date = %s
            """,
            list(account_ids), as_of,
        ))
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
        since, until = engine._money_period(
            as_of, day_end(as_of)
        )
        self.env.cr.execute(account_money_sql(
            accounts_values_sql(list(accounts), list(accounts.values())),
            since, until, engine._use_margin(),
        ))
        return {pid: float(amount or 0.0) for pid, amount, _margin in self.env.cr.fetchall()}

    # ------------------------------------------------------------------
    # Rules (pure python on the values read above)
    # ------------------------------------------------------------------
    def _facts(self, row, state, as_of, config):
        """The numbers of one account that the rules and the notes use."""
        critical_since = state.get("critical_since")
        days_since_order = _value(row.days_since_order)
        interval = _value(row.order_interval_days)
        band_before = _value(row.band_before)
        return {
            "company_id": int(row.company_id),
            "user_id": _value(row.user_id),
            "band": _value(row.band),
            "band_before": band_before,
            "score": _value(row.score),
            "score_before": _value(row.score_before),
            "score_reference": _value(state.get("reference_score")),
            "critical_since": critical_since,
            "critical_days": (as_of - critical_since).days if critical_since else None,
            "days_since_order": int(days_since_order) if days_since_order is not None else None,
            "order_interval": interval,
            "winback": bool(
                days_since_order is not None and interval
                and days_since_order > config["winback_factor"] * interval
            ),
            "reasons": list(row.reasons) if isinstance(row.reasons, (list, tuple)) else [],
            # The scoring's own 12-month revenue (None when the frame lacks it).
            "revenue": _value(getattr(row, "revenue_12m", None)),
        }

    def _triggers(self, facts, config):
        """The transitions of an account without open retention work, in order."""
        triggers = []
        band, score, reference = facts["band"], facts["score"], facts["score_reference"]
        if band in RISK_BANDS and _is_worse(band, facts["band_before"]):
            triggers.append("band_entry")
        if score is not None and reference is not None \
                and reference - score >= config["drop_points"]:
            triggers.append("score_drop")
        if band == "critical" and facts["critical_days"] is not None \
                and facts["critical_days"] > config["critical_days"]:
            triggers.append("critical_stale")
        return triggers

    def _changes_since_report(self, facts, existing, config):
        """What got worse since the last report on the open work of an account:
        a worse band, or a score at least N points lower."""
        changes = []
        reported_band = existing.get("last_band") or existing.get("band")
        if facts["band"] in RISK_BANDS and (
            _is_worse(facts["band"], reported_band) or reported_band not in BAND_RANK
        ):
            changes.append("band_entry")
        reported_score = existing.get("last_score")
        if facts["score"] is not None and reported_score is not None \
                and reported_score - facts["score"] >= config["drop_points"]:
            changes.append("score_drop")
        return changes

    def _improved_since_report(self, facts, existing):
        """A better band or a higher score than last reported: remembered
        silently, so that a later fall from there is news again."""
        reported_band = existing.get("last_band")
        reported_score = existing.get("last_score")
        return _is_worse(reported_band, facts["band"]) or (
            facts["score"] is not None and reported_score is not None
            and facts["score"] > reported_score
        )

    def _is_recovered(self, facts, existing, config):
        """Healthy again. A case opened on a drop while still healthy also
        needs the score back within N points of the score it fell from."""
        if facts["band"] != "healthy":
            return False
        if existing.get("band") != "healthy":
            return True
        reference = existing.get("score_reference")
        return reference is None or (
            facts["score"] is not None and facts["score"] > reference - config["drop_points"]
        )

    # ------------------------------------------------------------------
    # Owners
    # ------------------------------------------------------------------
    def _read_order_teams(self, account_ids):
        """``{partner_id: team_id}``: the sales team of each account's latest
        confirmed order (one query)."""
        self.env.cr.execute(SQL(
            """
            SELECT DISTINCT ON (c.commercial_partner_id) c.commercial_partner_id, so.team_id
              FROM sale_order so
              JOIN res_partner c ON c.id = so.partner_id
             WHERE so.state = 'sale' AND so.team_id IS NOT NULL
               AND so.partner_id = ANY(%s)
          ORDER BY c.commercial_partner_id, so.date_order DESC, so.id DESC
            """,
            contact_ids_sql(account_ids),
        ))
        return dict(self.env.cr.fetchall())

    def _owners(self, account_ids, company_ids, excluded=None):
        """``{partner_id: (user, team)}``: the account's salesperson; else the
        leader of the sales team (the salesperson's, else the one of the
        account's latest order); else the company's default owner. Owners are
        active internal users of the account's company; accounts without one
        are left out."""
        partners = self.env["res.partner"].browse(account_ids)
        order_teams = self._read_order_teams(account_ids)
        Team = self.env["crm.team"]
        defaults = {
            company.id: company.health_retention_default_user_id
            for company in self.env["res.company"].browse(sorted(set(company_ids)))
        }

        excluded = excluded or self.env["res.users"]

        def usable(user, company_id):
            return bool(user) and user.active and not user.share \
                and company_id in user.company_ids.ids and user not in excluded

        owners = {}
        for partner, company_id in zip(partners, company_ids):
            salesperson = partner.user_id
            if usable(salesperson, company_id):
                owners[partner.id] = (salesperson, False)
                continue
            team = salesperson.sale_team_id or Team.browse(order_teams.get(partner.id) or [])
            if usable(team.user_id, company_id):
                owners[partner.id] = (team.user_id, team)
            elif usable(defaults[company_id], company_id):
                owners[partner.id] = (defaults[company_id], False)
        return owners

    # ------------------------------------------------------------------
    # Opening work
    # ------------------------------------------------------------------
    def _open(self, candidates, as_of, settings, types):
        """Open a case, an activity and, when enabled, an opportunity for each
        candidate. Returns (opened, noted, skipped)."""
        ids = [pid for pid, *_rest in candidates]
        owners = self._owners(ids, [facts["company_id"] for _pid, facts, *_r in candidates])
        skipped = [pid for pid in ids if pid not in owners]
        if skipped:
            names = self.env["res.partner"].browse(skipped).mapped("display_name")
            _logger.info(
                "Retention automation: no salesperson, sales team leader or default owner "
                "for %s accounts, no retention work created for them: %s",
                len(skipped), ", ".join(names),
            )
        candidates = [candidate for candidate in candidates if candidate[0] in owners]
        if not candidates:
            return 0, 0, len(skipped)
        ids = [pid for pid, *_rest in candidates]
        snapshots = self._read_snapshots(ids, as_of)
        revenue = self._read_revenue(
            {pid: facts["company_id"] for pid, facts, *_rest in candidates
             if facts["revenue"] is None}, as_of
        )

        rows = []
        for pid, facts, triggers, existing in candidates:
            user, team = owners[pid]
            rows.append({
                "partner_id": pid,
                "facts": facts,
                "triggers": triggers,
                "existing": existing,
                "user": user,
                "team": team,
                "snapshot_id": snapshots.get(pid),
                "revenue": facts["revenue"] if facts["revenue"] is not None
                else revenue.get(pid, 0.0),
            })
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
            if facts["band_before"] in (*BAND_RANK, "unknown") else None,
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
            pass
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
            SQL("(%s, %s, %s, %s, %s)",
                SQL(", ").join(
                    SQL("%s", value) for value in self._case_values(row, as_of).values()
                ),
                self.env.uid, now, self.env.uid, now)
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
                    "account %s", row["partner_id"],
                )
                continue
            lead = case.lead_id
            existing = {
                "case_id": case.id,
                "activity_id": case.activity_id.id if case.activity_id.active else False,
                "lead_id": lead.id if lead.active and not lead.stage_id.is_won else False,
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
                activity_vals.append({
                    "res_model_id": model_id,
                    "res_id": partner.id,
                    "activity_type_id": types[kind].id,
                    "user_id": user.id,
                    "date_deadline": as_of + timedelta(days=config["activity_days"]),
                    "summary": retention._activity_summary(kind, partner),
                    "note": note,
                    "health_snapshot_id": row["snapshot_id"],
                })
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

        activities = self.env["mail.activity"].create(activity_vals) if activity_vals else []
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
                [(row["note"], activity_id, False, Partner.browse(row["partner_id"]))
                 for row, activity_id in reused_activities]
                + [(row["note"], False, lead_id, Partner.browse(row["partner_id"]))
                   for row, lead_id in reused_leads],
                as_of,
            )

    def _link_cases(self, links):
        """Store the activity and opportunity of each case (one UPDATE)."""
        if not links:
            return
        case_ids = list(links)
        self.env.cr.execute(SQL(
            """
            UPDATE relationship_retention_case c
               SET activity_id = v.activity_id, lead_id = v.lead_id
              FROM unnest(%s::int4[], %s::int4[], %s::int4[]) AS v(id, activity_id, lead_id)
             WHERE c.id = v.id
            """,
            case_ids,
            [links[case_id].get("activity_id") for case_id in case_ids],
            [links[case_id].get("lead_id") for case_id in case_ids],
        ))
        self.env["relationship.retention.case"].invalidate_model(["activity_id", "lead_id"])

    # ------------------------------------------------------------------
    # Updating and closing work
    # ------------------------------------------------------------------
    def _add_notes(self, notes, as_of):
        """Note later falls of accounts on their open work, against what was
        last reported, and remember the new state.
        ``notes`` are (partner_id, facts, changes, existing)."""
        partners = self.env["res.partner"].browse([pid for pid, *_rest in notes])
        users = self.env["res.users"].browse(
            [existing["user_id"] for *_rest, existing in notes if existing.get("user_id")]
        )
        users.fetch(["lang"])
        posts, remembered = [], []
        for (_pid, facts, changes, existing), partner in zip(notes, partners):
            config = self.env["res.company"].browse(
                facts["company_id"]
            )._health_retention_settings()
            if existing.get("last_band"):
                # The numbers of the note: from the last report to now.
                facts = dict(facts, band_before=existing["last_band"],
                             score_before=existing.get("last_score"), since_report=True)
            user = self.env["res.users"].browse(existing.get("user_id") or [])
            retention = self.with_context(lang=user.lang or self.env.lang)
            note = retention._transition_note(partner, facts, changes, config)
            posts.append((note, existing.get("activity_id"), existing.get("lead_id"), partner))
            remembered.append((existing["case_id"], facts))
        self._post_notes(posts, as_of)
        self._remember(remembered, noted=True)

    def _remember(self, cases, noted):
        """Store the band and score last reported on each case (one UPDATE);
        ``cases`` are (case_id, facts)."""
        self.env.cr.execute(SQL(
            """
            UPDATE relationship_retention_case c
               SET last_band = v.band, last_score = v.score,
                   update_count = COALESCE(c.update_count, 0) + %s
              FROM unnest(%s::int4[], %s::varchar[], %s::float8[]) AS v(id, band, score)
             WHERE c.id = v.id
            """,
            1 if noted else 0,
            [case_id for case_id, _facts in cases],
            [facts["band"] for _case_id, facts in cases],
            [facts["score"] for _case_id, facts in cases],
        ))
        self.env["relationship.retention.case"].invalidate_model(
            ["last_band", "last_score", "update_count"]
        )

    def _post_notes(self, posts, as_of):
        """Append each note to its open activity and post it on its open
        opportunity; with neither, on the account's chatter.
        ``posts`` are (note, activity_id, lead_id, partner)."""
        heading = Markup("<p><strong>%s</strong></p>") % self.env._(
            "Update of %(date)s", date=fields.Date.to_string(as_of)
        )
        for note, activity_id, lead_id, partner in posts:
            dated = heading + note
            if activity_id:
                activity = self.env["mail.activity"].browse(activity_id)
                activity.note = Markup("%s<hr/>%s") % (activity.note or "", dated)
            if lead_id:
                self.env["crm.lead"].browse(lead_id).message_post(
                    body=dated, subtype_xmlid="mail.mt_note"
                )
            if not activity_id and not lead_id:
                partner.message_post(body=dated, subtype_xmlid="mail.mt_note")

    def _recover(self, recovered, as_of, settings):
        """Accounts healthy again: activity done ("Recovered"), a note on the
        opportunity, the case closed with its cooldown."""
        activities = self.env["mail.activity"].browse(
            [existing["activity_id"] for _pid, _facts, existing in recovered
             if existing["activity_id"]]
        )
        if activities:
            activities.action_feedback(
                feedback=self.env._("Recovered: the account is healthy again.")
            )
        for pid, facts, existing in recovered:
            if not existing["lead_id"]:
                continue
            user = self.env["res.users"].browse(existing.get("user_id") or [])
            retention = self.with_context(lang=user.lang or self.env.lang)
            body = Markup("<p>%s</p>") % retention.env._(
                "The account is healthy again (score %(score)s). Keep this opportunity open "
                "or close it as you see fit.",
                score=retention._score_text(facts["score"]),
            )
            self.env["crm.lead"].browse(existing["lead_id"]).message_post(
                body=body, subtype_xmlid="mail.mt_note"
            )
        self._close_cases(
            [existing["case_id"] for _pid, _facts, existing in recovered], "recovered", as_of,
            settings,
        )

    def _close_cases(self, case_ids, reason, as_of, settings):
        cases = self.env["relationship.retention.case"].browse(case_ids)
        for company_id, company_cases in cases.grouped("company_id").items():
            cooldown = settings.get(company_id.id, {}).get("cooldown_days", 0)
            company_cases.write({
                "state": "closed",
                "close_reason": reason,
                "date_closed": as_of,
                "cooldown_until": as_of + timedelta(days=cooldown),
            })

    # ------------------------------------------------------------------
    # Archived accounts and salespeople
    # ------------------------------------------------------------------
    @api.model
    def _close_archived(self, accounts):
        """Accounts archived: their open retention work is closed with a note
        (activity done, a note on the opportunity, case closed)."""
        self = self.sudo().with_context(**QUIET_CONTEXT)
        cases = self.env["relationship.retention.case"].search([
            ("partner_id", "in", accounts.ids), ("state", "=", "open"),
        ])
        if not cases:
            return cases
        today = health_today()
        for case in cases:
            retention = self.with_context(lang=case.user_id.lang or self.env.lang)
            text = retention.env._("Closed: the account %(account)s was archived.",
                                   account=case.partner_id.display_name)
            activity = case.activity_id.with_context(active_test=False)
            if activity.exists() and activity.active:
                activity.action_feedback(feedback=text)
            lead = case.lead_id
            if lead.exists() and lead.active:
                lead.message_post(body=Markup("<p>%s</p>") % text, subtype_xmlid="mail.mt_note")
        cases.write({"state": "closed", "close_reason": "archived", "date_closed": today,
                     "cooldown_until": today})
        return cases

    @api.model
    def _reassign_from(self, users):
        """Salespeople archived: the open retention cases they own go to the
        next owner (the sales team leader, else the default owner of the
        settings), with their open activity and opportunity."""
        self = self.sudo().with_context(**QUIET_CONTEXT)
        cases = self.env["relationship.retention.case"].search([
            ("user_id", "in", users.ids), ("state", "=", "open"),
        ])
        if not cases:
            return cases
        owners = self._owners(cases.partner_id.ids, [case.company_id.id for case in cases],
                              excluded=users)
        for case in cases:
            owner = owners.get(case.partner_id.id)
            if not owner:
                _logger.info(
                    "Retention automation: no owner left for the retention work of %s",
                    case.partner_id.display_name,
                )
                continue
            user = owner[0]
            case.user_id = user
            activity = case.activity_id
            if activity.exists() and activity.active:
                activity.user_id = user
            lead = case.lead_id
            if lead.exists() and lead.active:
                lead.user_id = user
        return cases

    # ------------------------------------------------------------------
    # Texts
    # ------------------------------------------------------------------
    def _score_text(self, score):
        if score is None:
            return self.env._("none")
        return formatLang(self.env, score, digits=1)

    def _number_text(self, value):
        """A number as people write it: no decimals when whole, else one."""
        if value is None:
            return self.env._("none")
        value = round(float(value), 1)
        return formatLang(self.env, value, digits=0 if value.is_integer() else 1)

    def _band_text(self, band):
        if not band:
            return self.env._("not scored")
        selection = dict(
            self.env["res.partner"]._fields["health_band"]._description_selection(self.env)
        )
        return selection.get(band, band)

    def _activity_summary(self, kind, partner):
        if kind == "winback":
            return self.env._("Win-back: %(account)s", account=partner.name)
        return self.env._("Retention follow-up: %(account)s", account=partner.name)

    def _transition_note(self, partner, facts, triggers, config):
        """HTML note: what changed, the numbers, and the reasons in plain words.

        ``facts["since_report"]`` marks a note on open work: ``band_before``
        and ``score_before`` are then what was last reported on it."""
        _ = self.env._
        since_report = facts.get("since_report")
        score, before = facts["score"], facts["score_before"]
        reference = facts["score_reference"]
        changes = []
        for trigger in triggers:
            if trigger == "band_entry":
                if facts["band_before"] in BAND_RANK:
                    changes.append(_(
                        "Health entered %(band)s (was %(before)s).",
                        band=self._band_text(facts["band"]),
                        before=self._band_text(facts["band_before"]),
                    ))
                else:
                    changes.append(_("Health is now %(band)s.", band=self._band_text(facts["band"])))
            elif trigger == "score_drop":
                if since_report and before is not None:
                    changes.append(_(
                        "The score fell %(points)s points since the last report, from "
                        "%(before)s to %(score)s.",
                        points=self._score_text(before - score),
                        before=self._score_text(before),
                        score=self._score_text(score),
                    ))
                elif reference is not None:
                    changes.append(_(
                        "The score fell %(points)s points in 30 days, from %(reference)s to "
                        "%(score)s.",
                        points=self._score_text(reference - score),
                        reference=self._score_text(reference),
                        score=self._score_text(score),
                    ))
            elif trigger == "critical_stale":
                changes.append(_(
                    "Critical for %(days)s days (since %(date)s) with no retention work open.",
                    days=facts["critical_days"],
                    date=fields.Date.to_string(facts["critical_since"]),
                ))
        if facts["winback"]:
            changes.append(_(
                "No order for %(days)s days, more than %(factor)s times the usual interval of "
                "%(interval)s days: time to win this customer back.",
                days=facts["days_since_order"],
                factor=self._number_text(config["winback_factor"]),
                interval=self._number_text(facts["order_interval"]),
            ))
        values = {
            "before": self._score_text(before),
            "score": self._score_text(score),
            "band_before": self._band_text(facts["band_before"]),
            "band": self._band_text(facts["band"]),
        }
        if since_report:
            numbers = [_("Since the last report: %(before)s → %(score)s "
                         "(%(band_before)s → %(band)s).", **values)]
        elif before is None and facts["band_before"] not in BAND_RANK:
            numbers = [_("Health score: %(score)s (%(band)s).", **values)]
        else:
            numbers = [_("Health score: %(before)s → %(score)s "
                         "(%(band_before)s → %(band)s).", **values)]
        if reference is not None:
            numbers.append(_("Score 30 days ago: %(score)s.", score=self._score_text(reference)))
        reasons = [partner._health_reason_text(reason) for reason in facts["reasons"]]
        parts = [
            Markup("<p><strong>%s</strong></p>") % partner.display_name,
            Markup("<ul>%s</ul>") % Markup().join(
                Markup("<li>%s</li>") % text for text in changes + numbers
            ),
        ]
        if reasons:
            parts.append(Markup("<p>%s</p>") % _("What pulls the score down:"))
            parts.append(Markup("<ul>%s</ul>") % Markup().join(
                Markup("<li>%s</li>") % text for text in reasons
            ))
        return Markup().join(parts)

    # ------------------------------------------------------------------
    # Weekly digest
    # ------------------------------------------------------------------
    @api.model
    def _cron_weekly_digest(self):
        """Send the sales managers of each company with the automation on
        their retention digest; returns the number of e-mails queued."""
        template = self.env.ref(
            "relationship_health.mail_template_retention_digest", raise_if_not_found=False
        )
        if not template:
            return 0
        self = self.sudo()
        sent = 0
        manager_group = self.env.ref("sales_team.group_sale_manager")
        today = health_today()
        companies = self.env["res.company"].search([("health_automation_enabled", "=", True)])
        for company in companies:
            managers = self.env["res.users"].search([
                ("groups_id", "in", manager_group.id),
                ("company_ids", "in", company.id),
                ("share", "=", False),
                ("email", "!=", False),
            ])
            for lang, lang_managers in managers.grouped(lambda user: user.lang or "en_US").items():
                digest = self.with_context(lang=lang)._digest_data(company, today)
                if not digest["has_content"]:
                    break  # the same data in every language: nothing to report
                for manager in lang_managers:
                    template.with_context(lang=lang, digest=digest).send_mail(
                        company.id,
                        email_values={"recipient_ids": [Command.link(manager.partner_id.id)]},
                    )
                    sent += 1
        return sent

    @api.model
    def _digest_data(self, company, today):
        """The content of a company's digest, read with a few set-based
        queries, formatted in the context's language."""
        self.env.flush_all()
        since = today - timedelta(days=DIGEST_DAYS)
        engine = self.env["relationship.health.engine"]
        scope = {"company": company.id, "default": engine._default_company_id()}
        account_company = engine._account_company_sql("p")
        currency = company.currency_id
        type_ids = [activity_type.id for activity_type in self._activity_types().values()
                    if activity_type]

        # Accounts that entered at risk or critical from a better band this week.
        self.env.cr.execute(SQL(
            """
            SELECT s.partner_id, MIN(s.snapshot_date),
                   (ARRAY_AGG(prev.band ORDER BY s.snapshot_date))[1]
              FROM relationship_health_snapshot s
              JOIN res_partner p ON p.id = s.partner_id
              JOIN LATERAL (
                    SELECT o.band FROM relationship_health_snapshot o
                     WHERE o.partner_id = s.partner_id AND o.snapshot_date < s.snapshot_date
                  ORDER BY o.snapshot_date DESC LIMIT 1) prev ON TRUE
             WHERE s.snapshot_date > %(since)s AND s.snapshot_date <= %(today)s
               AND COALESCE(s.company_id, %(default)s) = %(company)s
               AND p.active
               AND (   (s.band = 'at_risk' AND prev.band IN ('healthy', 'watch'))
                    OR (s.band = 'critical' AND prev.band IN ('healthy', 'watch', 'at_risk')))
          GROUP BY s.partner_id
            """,
            since=since, today=today, **scope,
        ))
        entered_rows = self.env.cr.fetchall()
        entered_ids = [row[0] for row in entered_rows]

        # Revenue of the last 12 months of those and of every account now at
        # risk: the money of the score (one definition), in this company.
        money_since, money_until = engine._money_period(
            today, day_end(today)
        )
        self.env.cr.execute(SQL(
            """
            WITH book AS (
                SELECT p.id, %(company)s AS company_id,
                       p.health_band IN ('at_risk', 'critical') AS is_at_risk
                  FROM res_partner p
                 WHERE p.active AND p.id = p.commercial_partner_id
                   AND (p.health_band IN ('at_risk', 'critical') OR p.id = ANY(%(entered)s))
                   AND %(account_company)s = %(company)s
            )
            SELECT book.id, book.is_at_risk, COALESCE(m.revenue, 0)
              FROM book
         LEFT JOIN (%(money)s) AS m(id, revenue, margin) ON m.id = book.id
            """,
            account_company=account_company,
            money=account_money_sql(SQL("SELECT id, company_id FROM book"),
                                    money_since, money_until, engine._use_margin()),
            entered=entered_ids, **scope,
        ))
        revenue, at_risk_ids = {}, []
        for pid, is_at_risk, amount in self.env.cr.fetchall():
            revenue[pid] = float(amount)
            if is_at_risk:
                at_risk_ids.append(pid)
        total_at_risk = sum(revenue[pid] for pid in at_risk_ids)

        partners = self.env["res.partner"].browse(entered_ids)
        partners.fetch(["display_name", "health_band", "health_score", "user_id"])
        entered = sorted(
            (
                {
                    "name": partner.display_name,
                    "band": self._band_text(partner.health_band),
                    "band_before": self._band_text(band_before),
                    "score": self._score_text(
                        partner.health_score if partner.health_band in BAND_RANK else None
                    ),
                    "salesperson": partner.user_id.name or "",
                    "revenue_value": revenue.get(pid, 0.0),
                    "revenue": format_amount(self.env, revenue.get(pid, 0.0), currency),
                    "date": fields.Date.to_string(date),
                }
                for (pid, date, band_before), partner in zip(entered_rows, partners)
            ),
            key=lambda entry: (-entry["revenue_value"], entry["name"]),
        )

        # Open retention activities per owner (with the overdue ones).
        self.env.cr.execute(SQL(
            """
            SELECT a.user_id, COUNT(*), COUNT(*) FILTER (WHERE a.date_deadline < %(today)s)
              FROM mail_activity a
              JOIN res_partner p ON p.id = a.res_id
             WHERE a.res_model = 'res.partner' AND a.active
               AND a.activity_type_id = ANY(%(types)s)
               AND %(account_company)s = %(company)s
          GROUP BY a.user_id
            """,
            today=today, types=type_ids, account_company=account_company, **scope,
        ))
        per_user = defaultdict(lambda: {"activities": 0, "overdue": 0, "leads": 0, "amount": 0.0})
        for user_id, count, overdue_count in self.env.cr.fetchall():
            per_user[user_id].update(activities=count, overdue=overdue_count)
        # Open retention opportunities per salesperson.
        for user, count, amount in self.env["crm.lead"]._read_group(
            [("is_retention", "=", True), ("company_id", "=", company.id),
             ("stage_id.is_won", "=", False)],
            ["user_id"], ["__count", "expected_revenue:sum"],
        ):
            per_user[user.id or None].update(leads=count, amount=amount or 0.0)
        users = self.env["res.users"].browse([uid for uid in per_user if uid])
        names = {user.id: user.name for user in users}
        work = sorted(
            (
                {
                    "salesperson": names.get(uid) or self.env._("Unassigned"),
                    "activities": values["activities"],
                    "overdue": values["overdue"],
                    "leads": values["leads"],
                    "amount": format_amount(self.env, values["amount"], currency),
                }
                for uid, values in per_user.items()
            ),
            key=lambda entry: entry["salesperson"],
        )

        # Overdue retention activities, the oldest first.
        self.env.cr.execute(SQL(
            """
            SELECT a.id, COUNT(*) OVER ()
              FROM mail_activity a
              JOIN res_partner p ON p.id = a.res_id
             WHERE a.res_model = 'res.partner' AND a.active
               AND a.activity_type_id = ANY(%(types)s)
               AND a.date_deadline < %(today)s
               AND %(account_company)s = %(company)s
          ORDER BY a.date_deadline, a.id
             LIMIT %(limit)s
            """,
            today=today, types=type_ids, limit=DIGEST_LIST_LIMIT,
            account_company=account_company, **scope,
        ))
        rows = self.env.cr.fetchall()
        overdue_count = rows[0][1] if rows else 0
        activities = self.env["mail.activity"].browse([row[0] for row in rows])
        accounts = {
            partner.id: partner
            for partner in self.env["res.partner"].browse(activities.mapped("res_id"))
        }
        overdue = [
            {
                "name": accounts[activity.res_id].display_name,
                "salesperson": activity.user_id.name or "",
                "type": activity.activity_type_id.name,
                "date": fields.Date.to_string(activity.date_deadline),
                "days": (today - activity.date_deadline).days,
            }
            for activity in activities
        ]
        return {
            "company": company.name,
            "date_from": fields.Date.to_string(since + timedelta(days=1)),
            "date_to": fields.Date.to_string(today),
            "entered": entered[:DIGEST_LIST_LIMIT],
            "entered_count": len(entered),
            "entered_revenue": format_amount(
                self.env, sum(entry["revenue_value"] for entry in entered), currency
            ),
            "at_risk_count": len(at_risk_ids),
            "revenue_at_risk": format_amount(self.env, total_at_risk, currency),
            "revenue_at_risk_value": total_at_risk,
            "work": work,
            "overdue": overdue,
            "overdue_count": overdue_count,
            "has_content": bool(entered or at_risk_ids or work or overdue),
        }
