from collections import defaultdict
from datetime import datetime, time

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import format_date, format_datetime

from ..models.health_clock import health_today

#: Months covered by the report, the current one included.
REPORT_MONTHS = 12


class ReportServiceLevel(models.AbstractModel):
    """The monthly service-level report of customer accounts: per month and
    per service level, commitments due, met, breached and adherence, and the
    breaches of the period. Read with two grouped queries and one search for
    all the accounts printed, whatever their number."""

    _name = "report.relationship_health.report_service_level"
    _description = "Service-Level Report"

    #: Whether the account's health score history is printed (internal use).
    _with_health = False

    @api.model
    def _period(self, data=None):
        """First day of the first month, first day after the last month."""
        today = health_today()
        if data and data.get("date_to"):
            today = fields.Date.to_date(data["date_to"])
        end = today.replace(day=1) + relativedelta(months=1)
        return end - relativedelta(months=REPORT_MONTHS), end

    @staticmethod
    def _month(value):
        value = value.date() if isinstance(value, datetime) else value
        return value.replace(day=1)

    @staticmethod
    def _adherence(met, breached):
        return round(100.0 * met / (met + breached), 1) if met + breached else None

    @api.model
    def _get_report_values(self, docids, data=None):
        accounts = self.env["res.partner"].browse(docids).commercial_partner_id
        start, end = self._period(data)
        domain = [
            ("partner_id", "in", accounts.ids),
            ("date_deadline", ">=", datetime.combine(start, time.min)),
            ("date_deadline", "<", datetime.combine(end, time.min)),
        ]
        Report = self.env["relationship.sla.report"]
        rows = Report._read_group(
            domain,
            ["partner_id", "date_deadline:month", "policy_id"],
            ["event_count:sum", "met_count:sum", "breached_count:sum"],
        )
        months = [start + relativedelta(months=i) for i in range(REPORT_MONTHS)]
        by_month = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
        by_policy = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
        for partner, month, policy, count, met, breached in rows:
            for bucket in (
                by_month[partner.id][self._month(month)],
                by_policy[partner.id][policy],
            ):
                bucket[0] += count
                bucket[1] += met
                bucket[2] += breached
        breaches = defaultdict(list)
        for line in Report.search(
            domain + [("state", "=", "breached")], order="date_deadline, id"
        ):
            breaches[line.partner_id.id].append(line)
        health = (
            self._health_by_month(accounts, start, end) if self._with_health else {}
        )
        reports = {}
        for account in accounts:
            env = self.with_context(lang=account.lang or self.env.lang).env
            month_rows = []
            for month in months:
                count, met, breached = by_month[account.id][month]
                score, band = health.get(account.id, {}).get(month, (None, None))
                month_rows.append(
                    {
                        "label": format_date(
                            env, month, date_format="MMMM yyyy"
                        ).capitalize(),
                        "count": count,
                        "met": met,
                        "breached": breached,
                        "adherence": self._adherence(met, breached),
                        "score": score,
                        "band": band,
                    }
                )
            policy_rows = [
                {
                    "name": policy.with_env(env).name
                    if policy
                    else env._("Other commitments"),
                    "description": policy.with_env(env).description
                    if policy
                    else False,
                    "count": count,
                    "met": met,
                    "breached": breached,
                    "adherence": self._adherence(met, breached),
                }
                for policy, (count, met, breached) in sorted(
                    by_policy[account.id].items(),
                    key=lambda item: (
                        not item[0],
                        item[0].sequence if item[0] else 0,
                        item[0].name or "",
                    ),
                )
            ]
            total_met = sum(row["met"] for row in month_rows)
            total_breached = sum(row["breached"] for row in month_rows)
            reports[account.id] = {
                "months": month_rows,
                "policies": policy_rows,
                "total": {
                    "count": sum(row["count"] for row in month_rows),
                    "met": total_met,
                    "breached": total_breached,
                    "adherence": self._adherence(total_met, total_breached),
                },
                "breaches": [
                    {
                        "name": line.name,
                        "policy": line.policy_id.with_env(env).name
                        if line.policy_id
                        else "",
                        "deadline": format_datetime(
                            env,
                            line.date_deadline,
                            tz=account.tz or self.env.user.tz,
                            dt_format="short",
                        ),
                        "done": format_datetime(
                            env,
                            line.date_done,
                            tz=account.tz or self.env.user.tz,
                            dt_format="short",
                        )
                        if line.date_done
                        else False,
                        "late": self._late_text(env, line.delay_hours),
                    }
                    for line in breaches[account.id]
                ],
                "period": env._(
                    "%(start)s to %(end)s",
                    start=format_date(env, start, date_format="MMMM yyyy"),
                    end=format_date(
                        env, end - relativedelta(days=1), date_format="MMMM yyyy"
                    ),
                ),
            }
        return {
            "doc_ids": accounts.ids,
            "doc_model": "res.partner",
            "docs": accounts,
            "reports": reports,
            "with_health": self._with_health,
        }

    @api.model
    def _late_text(self, env, hours):
        if hours >= 48:
            return env._("%(days)s days", days=round(hours / 24))
        return env._("%(hours)s hours", hours=round(hours, 1))

    @api.model
    def _health_by_month(self, accounts, start, end):
        """{account id: {month: (average score, last band)}} from the snapshots."""
        rows = self.env["relationship.health.snapshot"]._read_group(
            [
                ("partner_id", "in", accounts.ids),
                ("snapshot_date", ">=", start),
                ("snapshot_date", "<", end),
            ],
            ["partner_id", "snapshot_date:month"],
            ["score:avg", "snapshot_date:max"],
        )
        last = {
            (snapshot.partner_id.id, snapshot.snapshot_date): snapshot.band
            for snapshot in self.env["relationship.health.snapshot"].search(
                [
                    ("partner_id", "in", accounts.ids),
                    ("snapshot_date", "in", [row[3] for row in rows]),
                ]
            )
        }
        labels = dict(
            self.env["relationship.health.snapshot"]
            ._fields["band"]
            ._description_selection(self.env)
        )
        result = defaultdict(dict)
        for partner, month, score, last_day in rows:
            band = last.get((partner.id, last_day))
            result[partner.id][self._month(month)] = (
                round(score, 1) if score is not None else None,
                labels.get(band, band),
            )
        return result


class ReportServiceLevelInternal(models.AbstractModel):
    """The same report with the account's health score history, for the
    sales team."""

    _name = "report.relationship_health.report_service_level_internal"
    _inherit = "report.relationship_health.report_service_level"
    _description = "Service-Level Report (internal, with health)"

    _with_health = True
