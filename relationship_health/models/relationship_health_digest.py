"""The weekly retention digest: each company's sales managers get the accounts
that entered at risk or critical during the week, the revenue at risk, the open
retention work per salesperson and the overdue retention activities.

Its own model, beside the retention automation
(``relationship_health_retention.py``) whose activity types it uses, and the
texts of ``retention_texts.py``.
The weekly cron calls ``relationship.health.retention._cron_weekly_digest``,
which hands over to :meth:`RelationshipHealthDigest._cron_weekly_digest`.
"""

from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.tools import SQL, format_amount

from ..scoring.vocabulary import BAND_RANK
from . import retention_texts as texts
from .health_clock import day_end, health_today
from .health_readers import accounts_values_sql
from .relationship_health_engine import account_money_sql

DIGEST_DAYS = 7
DIGEST_LIST_LIMIT = 50


class RelationshipHealthDigest(models.AbstractModel):
    _name = "relationship.health.digest"
    _description = "Relationship Health Retention Digest"

    @api.model
    def _cron_weekly_digest(self):
        """Send the sales managers of each company with the automation on
        their retention digest; returns the number of e-mails queued."""
        template = self.env.ref(
            "relationship_health.mail_template_retention_digest",
            raise_if_not_found=False,
        )
        if not template:
            return 0
        self = self.sudo()
        sent = 0
        manager_group = self.env.ref("sales_team.group_sale_manager")
        today = health_today()
        companies = self.env["res.company"].search(
            [("health_automation_enabled", "=", True)]
        )
        for company in companies:
            managers = self.env["res.users"].search(
                [
                    ("groups_id", "in", manager_group.id),
                    ("company_ids", "in", company.id),
                    ("share", "=", False),
                    ("email", "!=", False),
                ]
            )
            for lang, lang_managers in managers.grouped(
                lambda user: user.lang or "en_US"
            ).items():
                digest = self.with_context(lang=lang)._digest_data(company, today)
                if not digest["has_content"]:
                    break  # the same data in every language: nothing to report
                for manager in lang_managers:
                    template.with_context(lang=lang, digest=digest).send_mail(
                        company.id,
                        email_values={
                            "recipient_ids": [Command.link(manager.partner_id.id)]
                        },
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
        retention = self.env["relationship.health.retention"]
        type_ids = [
            activity_type.id
            for activity_type in retention._activity_types().values()
            if activity_type
        ]

        # Accounts that entered at risk or critical from a better band this week.
        self.env.cr.execute(
            SQL(
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
                since=since,
                today=today,
                **scope,
            )
        )
        entered_rows = self.env.cr.fetchall()
        entered_ids = [row[0] for row in entered_rows]

        # Revenue of the last 12 months of those and of every account now at
        # risk: the money of the score (one definition), in this company. The
        # accounts first, then their money: joined in one statement, the
        # planner misjudges the accounts (one row) and sums the money once per
        # account.
        money_since, money_until = engine._money_period(today, day_end(today))
        self.env.cr.execute(
            SQL(
                """
            SELECT p.id, p.health_band IN ('at_risk', 'critical')
              FROM res_partner p
             WHERE p.active AND p.id = p.commercial_partner_id
               AND (p.health_band IN ('at_risk', 'critical') OR p.id = ANY(%(entered)s))
               AND %(account_company)s = %(company)s
            """,
                account_company=account_company,
                entered=entered_ids,
                **scope,
            )
        )
        book = dict(self.env.cr.fetchall())
        self.env.cr.execute(
            account_money_sql(
                accounts_values_sql(list(book), [company.id] * len(book)),
                money_since,
                money_until,
                engine._use_margin(),
            )
        )
        revenue = dict.fromkeys(book, 0.0)
        for pid, amount, _margin in self.env.cr.fetchall():
            revenue[pid] = float(amount or 0.0)
        at_risk_ids = [pid for pid, is_at_risk in book.items() if is_at_risk]
        total_at_risk = sum(revenue[pid] for pid in at_risk_ids)

        partners = self.env["res.partner"].browse(entered_ids)
        partners.fetch(["display_name", "health_band", "health_score", "user_id"])
        entered = sorted(
            (
                {
                    "name": partner.display_name,
                    "band": texts.band_text(self.env, partner.health_band),
                    "band_before": texts.band_text(self.env, band_before),
                    "score": texts.score_text(
                        self.env,
                        partner.health_score
                        if partner.health_band in BAND_RANK
                        else None,
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
        self.env.cr.execute(
            SQL(
                """
            SELECT a.user_id, COUNT(*), COUNT(*) FILTER (WHERE a.date_deadline < %(today)s)
              FROM mail_activity a
              JOIN res_partner p ON p.id = a.res_id
             WHERE a.res_model = 'res.partner' AND a.active
               AND a.activity_type_id = ANY(%(types)s)
               AND %(account_company)s = %(company)s
          GROUP BY a.user_id
            """,
                today=today,
                types=type_ids,
                account_company=account_company,
                **scope,
            )
        )
        per_user = defaultdict(
            lambda: {"activities": 0, "overdue": 0, "leads": 0, "amount": 0.0}
        )
        for user_id, count, overdue_count in self.env.cr.fetchall():
            per_user[user_id].update(activities=count, overdue=overdue_count)
        # Open retention opportunities per salesperson.
        for user, count, amount in self.env["crm.lead"]._read_group(
            [
                ("is_retention", "=", True),
                ("company_id", "=", company.id),
                ("stage_id.is_won", "=", False),
            ],
            ["user_id"],
            ["__count", "expected_revenue:sum"],
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
        self.env.cr.execute(
            SQL(
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
                today=today,
                types=type_ids,
                limit=DIGEST_LIST_LIMIT,
                account_company=account_company,
                **scope,
            )
        )
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
