"""Retention automation: turn health transitions into follow-up work, sized
to the team.

Called by the health engine once per scored batch of today's runs, inside
the batch's savepoint (:meth:`_process_batch`), and once after each run
(:meth:`_hand_out`). Per batch, everything needed is read with a few
set-based queries (``health_readers``) and written in bulk
(``health_writers``); the rules are pure functions of
``scoring/retention.py``, asked through its ``decide``:

* a transition (entering *at risk* or *critical* from a better band, a score
  at least N points below the one of 30 days ago, critical for more than M
  days with no work open) on an account without current work queues a
  *waiting* case;
* after the run, each owner gets at most the daily limit of new cases, the
  most valuable first (``choose_today``): the case opens with one activity
  (win-back when no order came for more than K times the usual interval)
  and, when enabled, one retention opportunity; the others wait for the
  next days, and a sales manager may hand one out now; a case whose work
  cannot be created keeps waiting, and its account is listed among the
  failures of the job (step *Retention work*) until a run creates it;
* a further fall of an account with open work adds a note to that work;
* an account back to healthy closes its case: the activity is marked done
  ("Recovered") and a note is posted on the opportunity; a waiting case
  closes without work ("Recovered while waiting");
* a closed case starts a cooldown during which no new work is opened.

The texts are in ``retention_texts.py``, the owner of an account in
``relationship_health_owner.py``, the weekly digest in
``relationship_health_digest.py``.
"""

import logging
from collections import defaultdict

import psycopg2.errors

from odoo import api, fields, models
from odoo.tools import SQL

from ..scoring import retention as rules
from . import health_readers as readers
from . import health_writers as writers
from .health_clock import day_end, health_today, utc_now
from .relationship_health_engine import RUN_ERRORS

_logger = logging.getLogger(__name__)


# No e-mail for work created by the automation: the owner sees it in the
# activity menu and the pipeline; managers get the weekly digest.
QUIET_CONTEXT = {
    "mail_activity_quick_update": True,
    "mail_auto_subscribe_no_notify": True,
    "mail_create_nosubscribe": True,
}

#: The counters logged after a batch and after the day's hand-out.
COUNTERS = ("queued", "opened", "updated", "recovered", "withdrawn", "handled")


class RelationshipHealthRetention(models.AbstractModel):
    _name = "relationship.health.retention"
    _description = "Relationship Health Retention Automation"

    # ------------------------------------------------------------------
    # Data shipped with the addon, settings
    # ------------------------------------------------------------------
    def _activity_types(self):
        """``{kind: mail.activity.type}`` of the retention activities."""
        return {
            kind: self.env.ref(
                f"relationship_health.mail_activity_type_retention_{kind}",
                raise_if_not_found=False,
            )
            for kind in ("followup", "winback")
        }

    def _activity_type_ids(self):
        """Ids of the retention activity types, from the cache of external ids
        (no query: :meth:`_automation` checked that they exist)."""
        data = self.env["ir.model.data"]
        return [
            data._xmlid_to_res_id(
                f"relationship_health.mail_activity_type_retention_{kind}",
                raise_if_not_found=False,
            )
            for kind in ("followup", "winback")
        ]

    def _retention_tag(self):
        return self.env.ref(
            "relationship_health.crm_tag_retention", raise_if_not_found=False
        )

    def _settings(self, company_ids):
        """``{company_id: settings}`` of the companies with the automation on."""
        companies = self.env["res.company"].browse(sorted(set(company_ids)))
        return {
            company.id: company._health_retention_settings()
            for company in companies.filtered("health_automation_enabled")
        }

    def _automation(self):
        """This model as the automation runs it (superuser, no e-mail); None
        when the activity types shipped with the addon are missing."""
        retention = self.sudo().with_context(**QUIET_CONTEXT)
        return retention if all(retention._activity_types().values()) else None

    @api.model
    def _cron_weekly_digest(self):
        """The weekly digest's cron (its record, ``noupdate``, names this
        model): see ``relationship.health.digest``."""
        return self.env["relationship.health.digest"]._cron_weekly_digest()

    def _log(self, what, counters):
        if any(counters.values()):
            _logger.info(
                "Retention automation (%s): %s",
                what,
                ", ".join(
                    f"{counters.get(key, 0)} {key}" for key in (*COUNTERS, "skipped")
                ),
            )

    # ------------------------------------------------------------------
    # One scored batch: decide, queue, note, close
    # ------------------------------------------------------------------
    @api.model
    def _process_batch(self, results, as_of):
        """Detect the transitions of a scored batch: queue the new ones, note,
        recover or close the work already there. Returns a dict of counters."""
        counters = defaultdict(int)
        self = self._automation()
        if self is None or results is None or results.empty:
            return counters
        as_of = fields.Date.to_date(as_of)
        settings = self._settings(int(c) for c in results["company_id"].dropna())
        frame = results[results["company_id"].isin(list(settings))]
        if frame.empty:
            return counters

        self.env.flush_all()
        account_ids = [int(pid) for pid in frame.index]
        state = readers.read_retention_state(
            self.env.cr,
            account_ids,
            [int(pid) for pid in frame.index[frame["band"] == "critical"]],
            self._activity_type_ids(),
            as_of,
            rules.reference_window(as_of),
        )
        todo = defaultdict(list)
        for pid, row in zip(account_ids, frame.itertuples()):
            config = settings[int(row.company_id)]
            existing = state.get(pid, {})
            facts = rules.account_facts(row, existing, as_of, config)
            action, detail = rules.decide(facts, existing, as_of, config)
            if action:
                todo[action].append((pid, facts, detail, existing))
        counters["cooldown"] = len(todo["cooldown"])

        case_ids = {
            action: [existing["case_id"] for *_rest, existing in todo[action]]
            for action in ("handle", "withdraw")
        }
        Case = self.env["relationship.retention.case"]
        Case.browse(case_ids["handle"])._close("handled", as_of, settings)
        Case.browse(case_ids["withdraw"])._close("recovered_waiting", as_of, {})
        counters["handled"] = len(case_ids["handle"])
        counters["withdrawn"] = len(case_ids["withdraw"])
        if todo["recover"]:
            Case._recover(todo["recover"], as_of, settings)
            counters["recovered"] = len(todo["recover"])
        if todo["note"]:
            Case._add_notes(todo["note"], as_of, settings)
            counters["updated"] = len(todo["note"])
        if todo["remember"]:
            Case._remember(
                [
                    (existing["case_id"], facts)
                    for _p, facts, _d, existing in todo["remember"]
                ],
                noted=False,
            )
        if todo["open"]:
            queued, noted, skipped = self._queue(todo["open"], as_of)
            counters["queued"] = queued
            counters["updated"] += noted
            counters["skipped"] = skipped
        self._log("batch", counters)
        return counters

    @api.model
    def _read_revenue(self, accounts, as_of):
        """``{partner_id: revenue}`` of ``accounts`` (``{partner_id: company_id}``):
        the account's revenue of the last 12 months in the company it is scored
        for, in that company's currency (``account_money_sql``, the definition
        the score uses). Only for frames that lack the scoring's own
        ``revenue_12m``."""
        if not accounts:
            return {}
        engine = self.env["relationship.health.engine"]
        since, until = engine._money_period(as_of, day_end(as_of))
        self.env.cr.execute(
            readers.account_money_sql(
                readers.accounts_values_sql(list(accounts), list(accounts.values())),
                since,
                until,
                engine._use_margin(),
                list(accounts),
            )
        )
        return {
            pid: float(amount or 0.0) for pid, amount, _margin in self.env.cr.fetchall()
        }

    # ------------------------------------------------------------------
    # The queue
    # ------------------------------------------------------------------
    def _queue(self, candidates, as_of):
        """Queue a waiting case for each candidate ``(pid, facts, triggers,
        existing)`` that has an owner. Returns (queued, noted, skipped)."""
        ids = [pid for pid, *_rest in candidates]
        owners = self.env["relationship.health.owner"]._owners(
            ids, [facts["company_id"] for _pid, facts, *_r in candidates]
        )
        skipped = [pid for pid in ids if pid not in owners]
        if skipped:
            _logger.info(
                "Retention automation: no salesperson, sales team leader or default owner "
                "for %s accounts, no retention work created for them: %s",
                len(skipped),
                ", ".join(
                    self.env["res.partner"].browse(skipped).mapped("display_name")
                ),
            )
        candidates = [candidate for candidate in candidates if candidate[0] in owners]
        if not candidates:
            return 0, 0, len(skipped)
        snapshots = self._read_snapshots([pid for pid, *_rest in candidates], as_of)
        revenue = self._read_revenue(
            {
                pid: facts["company_id"]
                for pid, facts, *_rest in candidates
                if facts["revenue"] is None
            },
            as_of,
        )
        rows = []
        for pid, facts, triggers, _existing in candidates:
            user, team = owners[pid]
            if facts["revenue"] is None:
                facts = dict(facts, revenue=revenue.get(pid, 0.0))
            rows.append(
                {
                    "partner_id": pid,
                    "facts": facts,
                    "triggers": triggers,
                    "user_id": user.id,
                    "team_id": team.id if team else None,
                    "snapshot_id": snapshots.get(pid),
                }
            )
        inserted, conflicts = self._insert_cases(rows, as_of)
        noted = self._note_on_conflicts(conflicts, as_of) if conflicts else 0
        return len(inserted), noted, len(skipped)

    def _read_snapshots(self, account_ids, as_of):
        """``{partner_id: id}`` of the snapshots of ``as_of`` (one query)."""
        self.env["relationship.health.snapshot"].flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT partner_id, id FROM relationship_health_snapshot"
                " WHERE partner_id = ANY(%s) AND snapshot_date = %s",
                list(account_ids),
                as_of,
            )
        )
        return dict(self.env.cr.fetchall())

    def _insert_cases(self, rows, as_of):
        """Insert the waiting cases of ``rows``: one INSERT for all of them;
        when the unique index refuses it (another run queued or opened a case
        on one of the accounts meanwhile), row by row, each in its own
        savepoint. Returns (inserted rows with their ``case_id``, rows refused)."""
        self.env.flush_all()
        now = utc_now()
        cr, uid = self.env.cr, self.env.uid
        try:
            with cr.savepoint(flush=False):
                case_ids = writers.insert_retention_cases(
                    cr,
                    uid,
                    [writers.retention_case_values(row, as_of) for row in rows],
                    now,
                )
        except psycopg2.errors.UniqueViolation:
            _logger.debug(
                "Retention: another run queued cases meanwhile; inserting row by row"
            )
        else:
            for row, case_id in zip(rows, case_ids):
                row["case_id"] = case_id
            return rows, []
        inserted, conflicts = [], []
        for row in rows:
            try:
                with cr.savepoint(flush=False):
                    row["case_id"] = writers.insert_retention_cases(
                        cr, uid, [writers.retention_case_values(row, as_of)], now
                    )[0]
            except psycopg2.errors.UniqueViolation:
                conflicts.append(row)
            else:
                inserted.append(row)
        return inserted, conflicts

    def _note_on_conflicts(self, conflicts, as_of):
        """Accounts on which another run queued or opened a case meanwhile:
        the transition becomes a note on an open case's work when this
        transaction can see it; otherwise the other run reports it."""
        Case = self.env["relationship.retention.case"]
        Case.invalidate_model()
        cases = Case.search(
            [
                ("partner_id", "in", [row["partner_id"] for row in conflicts]),
                ("state", "in", ("waiting", "open")),
            ]
        )
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
            if case.state == "waiting":
                continue  # already queued: its work is made on its turn
            activity, lead = case._open_work()
            existing = {
                "case_id": case.id,
                "activity_id": activity.id,
                "lead_id": lead.id,
                "user_id": case.user_id.id,
                "last_band": case.last_band,
                "last_score": case.last_score if case.last_band else None,
            }
            notes.append((row["partner_id"], row["facts"], row["triggers"], existing))
        if notes:
            Case._add_notes(notes, as_of, self._settings(cases.company_id.ids))
        return len(notes)

    # ------------------------------------------------------------------
    # The day's work: the queue handed out within each owner's daily limit
    # ------------------------------------------------------------------
    @api.model
    def _hand_out(self, as_of=None, run_started_at=None):
        """After a run: each owner gets the most valuable of their waiting
        cases, up to the daily limit less the new cases they got today; the
        others are ranked for the next days. A rerun the same day hands out
        nothing more than the limit. A case whose work cannot be created
        keeps waiting, and its account is recorded as a failure of the step
        *Retention work* (the run that started at ``run_started_at``) until
        a later run creates it. Returns the number of cases opened."""
        self = self._automation()
        if self is None:
            return 0
        as_of = fields.Date.to_date(as_of) if as_of else health_today()
        settings = self._settings(
            self.env["res.company"]
            .search([("health_automation_enabled", "=", True)])
            .ids
        )
        if not settings:
            return 0
        self.env.flush_all()
        items, given = readers.read_retention_queue(self.env.cr, list(settings), as_of)
        limits = {
            item["owner"]: settings[item["owner"][1]]["daily_cases"] for item in items
        }
        chosen = rules.choose_today(items, given, limits)
        opened, failures = self._hand_out_each(chosen, as_of) if chosen else (0, {})
        self._record_work_failures(chosen, failures, run_started_at)
        handed = set(chosen)
        self._rank_queue([item for item in items if item["id"] not in handed])
        self._log("day's work", {"opened": opened})
        return opened

    def _hand_out_each(self, case_ids, as_of):
        """Hand out ``case_ids`` at once; when that raises, case by case, each
        in its own savepoint, so that one case whose work cannot be created
        (an opportunity that crm.lead refuses, say) does not keep the others
        waiting. Returns (cases opened, ``{partner_id: (error, company_id)}``
        of the cases that keep waiting)."""
        try:
            with self.env.cr.savepoint():
                return self._hand_out_cases(case_ids, as_of), {}
        except RUN_ERRORS:
            raise
        except Exception as error:  # noqa: BLE001 - handed out case by case below
            _logger.info(
                "Retention automation: handing out %s cases at once failed (%s), "
                "now case by case",
                len(case_ids),
                error,
            )
        opened, failures = 0, {}
        cases = self.env["relationship.retention.case"].browse(case_ids)
        accounts = {case.id: (case.partner_id.id, case.company_id.id) for case in cases}
        for case_id in case_ids:
            try:
                with self.env.cr.savepoint():
                    opened += self._hand_out_cases([case_id], as_of)
            except RUN_ERRORS:
                raise
            except Exception as error:  # noqa: BLE001 - the case waits, not the others
                text = f"{type(error).__name__}: {error}"
                partner_id, company_id = accounts[case_id]
                _logger.warning(
                    "Retention automation: the work of account %s could not be created "
                    "and its case keeps waiting: %s",
                    partner_id,
                    text,
                    exc_info=not failures,
                )
                failures[partner_id] = (text, company_id)
        return opened, failures

    def _record_work_failures(self, case_ids, failures, run_started_at):
        """List the accounts whose work could not be created among the job's
        failures; forget those of the cases handed out."""
        Failure = self.env["relationship.health.failure"].sudo()
        now = utc_now()
        if failures:
            Failure._record(
                {pid: error for pid, (error, _company) in failures.items()},
                {pid: company for pid, (_error, company) in failures.items()},
                run_started_at or now,
                now,
                step="retention_work",
            )
        handed = self.env["relationship.retention.case"].browse(case_ids).partner_id.ids
        done = set(handed).difference(failures)
        if done:
            Failure._clear(done, step="retention_work")

    def _rank_queue(self, items):
        """Store the place in queue of the waiting ``items`` that moved."""
        current = {item["id"]: item["rank"] for item in items}
        ranks = {
            case_id: rank
            for case_id, rank in rules.queue_ranks(items).items()
            if current[case_id] != rank
        }
        if ranks:
            writers.rank_retention_queue(self.env.cr, ranks)
            self.env["relationship.retention.case"].invalidate_model(["queue_rank"])

    @api.model
    def _hand_out_cases(self, case_ids, as_of, by_user=None):
        """Open the waiting cases ``case_ids`` with their work (activities and
        opportunities created in one ``create`` each); ``by_user`` is the
        manager handing them out before their turn. Returns how many opened."""
        self = self._automation()
        if self is None:
            return 0
        self.env.flush_all()
        opened = writers.open_retention_cases(
            self.env.cr, case_ids, as_of, by_user.id if by_user else None, utc_now()
        )
        self.env["relationship.retention.case"].invalidate_model()
        if not opened:
            return 0
        types = self._activity_types()
        state = readers.read_retention_state(
            self.env.cr,
            [row[1] for row in opened],
            [],
            [activity_type.id for activity_type in types.values()],
            as_of,
            rules.reference_window(as_of),
        )
        users = self.env["res.users"].browse({row[3] for row in opened})
        rows = []
        for (
            case_id,
            pid,
            company_id,
            user_id,
            data,
            snapshot_id,
            revenue,
            queued,
        ) in opened:
            facts = rules.facts_from_work_data(data, company_id, revenue, queued, as_of)
            rows.append(
                {
                    "case_id": case_id,
                    "partner_id": pid,
                    "facts": facts,
                    "triggers": data["triggers"],
                    "existing": state.get(pid, {}),
                    "user": users.browse(user_id),
                    "team": self.env["crm.team"].browse(data.get("team_id") or []),
                    "snapshot_id": snapshot_id,
                }
            )
        self.env["relationship.retention.case"]._create_work(
            rows, as_of, self._settings([r[2] for r in opened]), types
        )
        return len(rows)

    # ------------------------------------------------------------------
    # Archived accounts and salespeople (see relationship.retention.case)
    # ------------------------------------------------------------------
    @api.model
    def _close_archived(self, accounts):
        """Accounts archived: their current retention work is closed."""
        automation = self.sudo().with_context(**QUIET_CONTEXT)
        cases = automation.env["relationship.retention.case"]._current(
            "partner_id", accounts
        )
        cases._close_archived()
        return cases

    @api.model
    def _reassign_from(self, users):
        """Salespeople archived: their current cases go to the next owner."""
        automation = self.sudo().with_context(**QUIET_CONTEXT)
        cases = automation.env["relationship.retention.case"]._current("user_id", users)
        cases._reassign(users)
        return cases
