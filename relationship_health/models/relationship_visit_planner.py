"""Visit follow-ups: turn visits falling due into one "Plan a visit" activity."""

from datetime import timedelta

import pandas as pd

from odoo import api, fields, models

from .health_actions import fetch_partner_names


class RelationshipVisitPlanner(models.AbstractModel):
    _name = "relationship.visit.planner"
    _description = "Relationship Health Visit Follow-ups"

    def _activity_type(self):
        return self.env.ref(
            "relationship_health.mail_activity_type_plan_visit",
            raise_if_not_found=False,
        )

    def _open_followups(self, partner_ids):
        """Open "Plan a visit" activities of these partners (one query)."""
        activity_type = self._activity_type()
        if not activity_type or not partner_ids:
            return self.env["mail.activity"]
        return (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", list(partner_ids)),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
        )

    @api.model
    def _process_batch(self, results, as_of):
        """Create the missing follow-ups of a scored batch and close the answered ones.

        An account needs one when it has a visit plan, a salesperson, a visit
        due within the company's reminder window and no visit planned yet.
        """
        activity_type = self._activity_type()
        if not activity_type or results.empty:
            return
        companies = self.env["res.company"].browse(
            [int(c) for c in results["company_id"].unique()]
        )
        window = pd.Series(
            {company.id: company.health_visit_reminder_days for company in companies}
        )
        horizon = pd.Timestamp(as_of) + pd.to_timedelta(
            results["company_id"].map(window).fillna(0), unit="D"
        )
        due = results["visit_due_date"]
        planned_visit = results["visit_next_date"].notna()
        reminding = results["company_id"].map(window).fillna(0) > 0
        needs = (
            due.notna()
            & (due <= horizon)
            & ~planned_visit
            & reminding
            & results["user_id"].notna()
        )
        open_activities = self._open_followups(results.index.tolist())
        has_open = set(open_activities.mapped("res_id"))
        with_visit = set(results.index[planned_visit].tolist())
        answered = open_activities.filtered(lambda a: a.res_id in with_visit)
        if answered:
            answered.action_feedback(feedback=self.env._("A visit is planned."))

        to_create = [
            pid for pid in results.index[needs].tolist() if pid not in has_open
        ]
        if not to_create:
            return
        model_id = self.env["ir.model"]._get_id("res.partner")
        today = fields.Date.to_date(as_of)
        rows = results.loc[to_create]
        fetch_partner_names(self.env["res.partner"].browse(to_create))
        self.env["mail.activity"].sudo().with_context(
            mail_activity_quick_update=True
        ).create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": int(partner_id),
                    "activity_type_id": activity_type.id,
                    "user_id": int(row.user_id),
                    "date_deadline": max(today, row.visit_due_date.date())
                    if not pd.isna(row.visit_due_date)
                    else today + timedelta(days=1),
                    "summary": self.env._("Plan a visit"),
                    "note": self.env._(
                        "A visit is due by %(date)s (one every %(cadence)s days) and none is "
                        "planned yet.",
                        date=row.visit_due_date.date()
                        if not pd.isna(row.visit_due_date)
                        else today,
                        cadence=int(row.visit_interval_days),
                    ),
                }
                for partner_id, row in rows.iterrows()
            ]
        )

    @api.model
    def _close_followups(self, accounts):
        """Mark the "Plan a visit" activities of ``accounts`` done."""
        activities = self._open_followups(accounts.ids)
        if activities:
            activities.action_feedback(feedback=self.env._("A visit is planned."))
