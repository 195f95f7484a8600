"""Demo data of relationship_health: a believable B2B customer book.

``generate`` builds about sixty customer companies served by three
salespeople (whose team a sales manager leads; all log in with
``DEMO_PASSWORD``), with two to three years of confirmed sale orders, satisfaction
survey answers, customer visits (with their reports) and service-level
commitments, then scores every account at several past dates and today so
that bands, trends and history all have something to show.

Every account follows a *story* (loyal champion, steady buyer, newcomer,
won back, lukewarm, slipping, drifting away, lost, or just signed) that
drives all of its signals consistently: a customer who stopped buying also
answers surveys badly, sees commitments breached and declines visits.

The data is deterministic for a given seed and every date is relative to
today, so a demo database never goes stale. Records are created in batches
through the ORM, with mail, tracking and invitations switched off.
"""

import logging
import random
from collections import defaultdict
from datetime import datetime, time, timedelta

from odoo import Command, fields
from odoo.tools import SQL, split_every

from ..models.health_clock import health_today
from ..models.health_sql import contact_ids_sql
from .book import (
    ACCOUNTS,
    BATCH_SIZE,
    DEMO_PASSWORD,
    HISTORY_DAYS_AGO,
    JOB_TITLES,
    PEOPLE,
    PRODUCTS,
    QUIET_CONTEXT,
    SALES_MANAGER,
    SALESPEOPLE,
    SLA_KINDS,
    STORIES,
    SURVEY_QUESTIONS,
    VISIT_REPORT_SHARE,
    VISIT_REPORTS,
    _ascii_slug,
    _company_domain,
    _family_name,
)
from .plans import demo_plan
from .segments import demo_scorecards, demo_validation

_logger = logging.getLogger(__name__)


def generate(env, seed=42):
    """Create the demo customer book and score it; return the account ids."""
    if (
        env["res.users"]
        .with_context(active_test=False)
        .search_count([("login", "=", SALESPEOPLE[0]["login"])])
    ):
        _logger.info("Relationship health demo data already present: nothing to do")
        return []
    return DemoBook(env(context=dict(env.context, **QUIET_CONTEXT))).generate(
        random.Random(seed)
    )


class DemoBook:
    """The generator, on an environment that creates quietly."""

    def __init__(self, env):
        self.env = env

    def generate(self, rng):
        now = fields.Datetime.now()
        today = health_today(now)

        users, team = self._demo_salespeople()
        accounts = self._demo_accounts(rng, users, today)
        products = self._demo_products()
        survey = self._demo_survey()

        order_count = self._demo_orders(rng, accounts, products, team, today)
        answer_count = self._demo_answers(rng, accounts, survey, today)
        visit_count = self._demo_visits(rng, accounts, today)
        sla_count = self._demo_sla_events(rng, accounts, today, now)
        self._demo_customer_ranks(accounts)
        demo_scorecards(self.env)

        account_ids = self._demo_health_history(accounts, today)
        demo_validation(self.env, account_ids, now, today)
        _logger.info(
            "Relationship health demo data: %s accounts, %s orders, %s survey answers, "
            "%s visits, %s service commitments",
            len(accounts),
            order_count,
            answer_count,
            visit_count,
            sla_count,
        )
        return account_ids

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    @staticmethod
    def _at(today, days_ago, hour, minute=0):
        """A naive UTC datetime ``days_ago`` days before ``today``."""
        return datetime.combine(today - timedelta(days=days_ago), time(hour, minute))

    @staticmethod
    def _working_day(today, days_ago):
        """``days_ago`` moved back to the previous Friday when it falls on a weekend."""
        weekday = (today - timedelta(days=days_ago)).weekday()
        return days_ago + max(weekday - 4, 0)

    def _create_in_batches(self, model, vals_list):
        """Create ``vals_list`` with one ``create`` per batch of records."""
        ids = []
        for batch in split_every(BATCH_SIZE, vals_list, list):
            ids += self.env[model].create(batch).ids
        return self.env[model].browse(ids)

    # ------------------------------------------------------------------
    # Sales organisation, accounts, catalogue, survey
    # ------------------------------------------------------------------
    def _demo_salespeople(self):
        """Three salespeople in one sales team, led by a sales manager; all of
        them log in with ``DEMO_PASSWORD``."""
        employee = self.env.ref("base.group_user").id
        salesman = self.env.ref("sales_team.group_sale_salesman").id
        manager = self.env.ref("sales_team.group_sale_manager").id

        def user_vals(person, groups):
            return {
                "name": person["name"],
                "login": person["login"],
                "email": person["login"],
                "password": DEMO_PASSWORD,
                "tz": person["tz"],
                "groups_id": [Command.set(groups)],
            }

        users = self.env["res.users"].create(
            [user_vals(person, [employee, salesman]) for person in SALESPEOPLE]
        )
        leader = self.env["res.users"].create(
            user_vals(SALES_MANAGER, [employee, manager])
        )
        team = self.env["crm.team"].create(
            {
                "name": "Key Accounts",
                "user_id": leader.id,
                "member_ids": [Command.set(users.ids)],
            }
        )
        return users, team

    def _demo_accounts(self, rng, users, today):
        """Customer companies with their contacts, each with a story and its plan."""
        owner_by_country = {
            country: user
            for person, user in zip(SALESPEOPLE, users)
            for country in person["countries"]
        }
        countries = {
            country.code: country
            for country in self.env["res.country"].search(
                [("code", "in", list({row[1] for row in ACCOUNTS}))]
            )
        }
        # One story per company, dealt at random (but reproducibly).
        stories = [name for name, count in STORIES for _i in range(count)]
        rng.shuffle(stories)

        plans = [demo_plan(rng, story) for story in stories]
        # Each account joins the tier whose cadence matches its visit plan.
        tier_by_cadence = {}
        for tier in self.env["relationship.visit.tier"].search(
            [("company_id", "in", [False, self.env.company.id])]
        ):
            tier_by_cadence.setdefault(tier.visit_interval_days, tier.id)
        company_vals = []
        for (name, country, city, industry), plan in zip(ACCOUNTS, plans):
            company_vals.append(
                {
                    "name": name,
                    "is_company": True,
                    "city": city,
                    "country_id": countries[country].id,
                    "industry_id": self.env.ref(
                        f"base.res_partner_industry_{industry}"
                    ).id,
                    "user_id": owner_by_country[country].id,
                    "email": "contact@" + _company_domain(name),
                    "website": "https://www." + _company_domain(name),
                    "visit_tier_id": tier_by_cadence.get(plan["cadence"], False),
                    "visit_interval_days": plan["cadence"],
                    "visit_plan_date": today - timedelta(days=plan["plan_start"]),
                }
            )
        companies = self.env["res.partner"].create(company_vals)

        contact_vals = []
        for company, (name, country, _city, _industry) in zip(companies, ACCOUNTS):
            first_names, family_names = PEOPLE[country]
            domain = _company_domain(name)
            for first, female in rng.sample(first_names, rng.choice((1, 2, 2, 3))):
                family = _family_name(country, rng.choice(family_names), female)
                contact_vals.append(
                    {
                        "name": f"{first} {family}",
                        "parent_id": company.id,
                        "type": "contact",
                        "function": rng.choice(JOB_TITLES),
                        "email": f"{_ascii_slug(first, '')}.{_ascii_slug(family, '')}@{domain}",
                        "user_id": company.user_id.id,
                    }
                )
        contacts = self.env["res.partner"].create(contact_vals)
        contacts_by_company = defaultdict(lambda: self.env["res.partner"])
        for contact in contacts:
            contacts_by_company[contact.parent_id.id] |= contact

        return [
            dict(
                plan,
                company=company,
                contacts=contacts_by_company[company.id],
                user=company.user_id,
                city=company.city,
            )
            for company, plan in zip(companies, plans)
        ]

    def _demo_products(self):
        """A small catalogue: three goods and an hourly service."""
        return self.env["product.product"].create(
            [
                {
                    "name": name,
                    "default_code": code,
                    "type": kind,
                    "list_price": price,
                    "sale_ok": True,
                }
                for name, code, kind, price, _qty, _weight in PRODUCTS
            ]
        )

    def _demo_survey(self):
        """The satisfaction survey: an NPS and a CSAT question feeding the score."""
        return self.env["survey.survey"].create(
            {
                "title": "Customer Satisfaction",
                "description": "<p>Two questions, one minute: tell us how we are doing.</p>",
                "question_and_page_ids": [
                    Command.create(dict(question)) for question in SURVEY_QUESTIONS
                ],
            }
        )

    # ------------------------------------------------------------------
    # Orders
    # ------------------------------------------------------------------
    def _demo_order_days(self, rng, plan, today):
        """Order days (days ago, oldest first) following the account's rhythm."""
        if plan["order_days"] is not None:
            days = plan["order_days"]
        else:
            days, ago = [], plan["first_order"]
            while ago > plan["last_order"]:
                days.append(ago)
                ago -= max(1, round(plan["rhythm"] * rng.uniform(0.75, 1.25)))
            days.append(plan["last_order"])
        if plan["order_pause"]:
            low, high = plan["order_pause"]
            days = [day for day in days if not low <= day <= high]
        return sorted({self._working_day(today, day) for day in days}, reverse=True)

    def _demo_orders(self, rng, accounts, products, team, today):
        """Confirmed sale orders, created in batches (confirming would reset the date)."""
        weights = [row[5] for row in PRODUCTS]
        vals_list = []
        for account in accounts:
            size = rng.choice((1, 1, 2, 3))
            for day in self._demo_order_days(rng, account, today):
                picked = set(
                    rng.choices(range(len(PRODUCTS)), weights, k=rng.randint(1, 3))
                )
                lines = []
                for index in sorted(picked):
                    low, high = PRODUCTS[index][4]
                    lines.append(
                        Command.create(
                            {
                                "product_id": products[index].id,
                                "product_uom_qty": rng.randint(low, high) * size,
                            }
                        )
                    )
                buyer = rng.choice([account["company"], *account["contacts"]])
                vals_list.append(
                    {
                        "partner_id": buyer.id,
                        "user_id": account["user"].id,
                        "team_id": team.id,
                        "date_order": self._at(
                            today, day, rng.randint(8, 17), rng.choice((0, 15, 30, 45))
                        ),
                        "client_order_ref": rng.random() < 0.6
                        and f"PO-{rng.randint(10000, 99999)}",
                        "state": "sale",
                        "order_line": lines,
                    }
                )
        vals_list.sort(key=lambda vals: vals["date_order"])
        return len(self._create_in_batches("sale.order", vals_list))

    def _demo_customer_ranks(self, accounts):
        """Confirmed orders rank their customer; do it once per distinct count."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            SELECT c.commercial_partner_id, count(*)
              FROM sale_order so JOIN res_partner c ON c.id = so.partner_id
             WHERE so.state = 'sale' AND so.partner_id = ANY(%s)
          GROUP BY 1
            """,
                contact_ids_sql(account["company"].id for account in accounts),
            )
        )
        order_counts = dict(self.env.cr.fetchall())
        by_rank = defaultdict(list)
        for account in accounts:
            by_rank[order_counts.get(account["company"].id) or 1].append(
                account["company"].id
            )
        for rank, partner_ids in by_rank.items():
            self.env["res.partner"].browse(partner_ids).write({"customer_rank": rank})

    # ------------------------------------------------------------------
    # Survey answers
    # ------------------------------------------------------------------
    def _demo_answers(self, rng, accounts, survey, today):
        """Completed survey responses (NPS and CSAT) by the accounts' contacts."""
        q_nps = survey.question_ids.filtered(lambda q: q.health_metric == "nps")
        q_csat = survey.question_ids.filtered(lambda q: q.health_metric == "csat")
        vals_list = []
        for account in accounts:
            for day, nps, csat in account["surveys"]:
                contact = rng.choice(account["contacts"])
                end = self._at(today, day, rng.randint(7, 19), rng.randint(0, 59))
                vals_list.append(
                    {
                        "survey_id": survey.id,
                        "partner_id": contact.id,
                        "email": contact.email,
                        "state": "done",
                        "start_datetime": end - timedelta(minutes=rng.randint(1, 6)),
                        "end_datetime": end,
                        "user_input_line_ids": [
                            Command.create(
                                {
                                    "survey_id": survey.id,
                                    "question_id": q_nps.id,
                                    "answer_type": "scale",
                                    "value_scale": nps,
                                }
                            ),
                            Command.create(
                                {
                                    "survey_id": survey.id,
                                    "question_id": q_csat.id,
                                    "answer_type": "scale",
                                    "value_scale": csat,
                                }
                            ),
                        ],
                    }
                )
        return len(self._create_in_batches("survey.user_input", vals_list))

    # ------------------------------------------------------------------
    # Customer visits
    # ------------------------------------------------------------------
    def _demo_visit_days(self, rng, plan):
        """Days (ago) of the visits held, from the start of the plan to the last visit."""
        if not plan["cadence"] or plan["last_visit"] is None:
            return []
        low, high = plan["visit_gap"]
        days, ago = (
            [],
            plan["plan_start"] - rng.randint(3, max(4, plan["cadence"] // 2)),
        )
        while ago > plan["last_visit"]:
            days.append(ago)
            ago -= max(7, round(plan["cadence"] * rng.uniform(low, high)))
        days.append(plan["last_visit"])
        if plan["visit_pause"]:
            low, high = plan["visit_pause"]
            days = [day for day in days if not low <= day <= high]
        return days

    @staticmethod
    def _demo_mood(rng, plan, day):
        """The customer's mood at a visit held ``day`` days ago, for its story."""
        choices = next(choices for since, choices in plan["moods"] if day >= since)
        return rng.choice(choices)

    def _demo_visits(self, rng, accounts, today):
        """Customer Visit meetings: held, declined by the customer, and planned."""
        visit_type = self.env.ref(
            "relationship_health.calendar_event_type_customer_visit"
        )
        vals_list = []
        for account in accounts:
            held = [(day, "accepted") for day in self._demo_visit_days(rng, account)]
            declined = []
            if account["cadence"]:
                declined = [(day, "declined") for day in account["declined"]]
            planned = []
            if account["cadence"] and account["future_visit"]:
                planned = [
                    (-account["future_visit"], rng.choice(("accepted", "needsAction")))
                ]
            salesperson = account["user"].partner_id
            for day, state in held + declined + planned:
                if day > 0:
                    day = self._working_day(today, day)
                # Mostly the main contact, sometimes a colleague.
                contact = account["contacts"][0]
                if rng.random() >= 0.75:
                    contact = rng.choice(account["contacts"])
                start = self._at(today, day, rng.choice((8, 9, 10, 13, 14, 15)))
                report = {}
                if (
                    day > 0
                    and state == "accepted"
                    and rng.random() < VISIT_REPORT_SHARE
                ):
                    mood = self._demo_mood(rng, account, day)
                    outcome, next_steps = rng.choice(VISIT_REPORTS[mood])
                    report = {
                        "visit_mood": str(mood),
                        "visit_outcome": outcome,
                        "visit_next_steps": next_steps,
                    }
                vals_list.append(
                    {
                        **report,
                        "name": f"Visit – {account['company'].name}",
                        "start": start,
                        "stop": start + timedelta(hours=rng.choice((1, 1.5, 2))),
                        "user_id": account["user"].id,
                        "location": account["city"],
                        "categ_ids": [Command.set([visit_type.id])],
                        "partner_ids": [Command.set([salesperson.id, contact.id])],
                        "attendee_ids": [
                            Command.create(
                                {"partner_id": salesperson.id, "state": "accepted"}
                            ),
                            Command.create({"partner_id": contact.id, "state": state}),
                        ],
                    }
                )
        vals_list.sort(key=lambda vals: vals["start"])
        return len(self._create_in_batches("calendar.event", vals_list))

    # ------------------------------------------------------------------
    # Service-level commitments
    # ------------------------------------------------------------------
    def _demo_sla_events(self, rng, accounts, today, now):
        """Commitments over the last 15 months: met, breached, open overdue, open not due."""
        latest_done = now - timedelta(hours=1)
        policies = {
            kind[2]: self.env.ref(
                f"relationship_health.{kind[2]}", raise_if_not_found=False
            )
            for kind in SLA_KINDS
        }
        policies = {key: policy.id for key, policy in policies.items() if policy}
        vals_list = []
        for account in accounts:
            sla = account["sla"]
            company = account["company"]
            window = min(sla.get("within", 456), 456)
            old_breach, recent_breach = sla["breach"]

            def commitment(kind, deadline, done, note=False):
                name, hours, policy = kind
                start = deadline - timedelta(hours=hours)
                return {
                    "name": name,
                    "partner_id": company.id,
                    "date_start": start,
                    "date_deadline": deadline,
                    "date_done": done,
                    "note": note,
                    "policy_id": policies.get(policy, False),
                }

            # Closed ones, met or breached; the share breached is exact within
            # the last 60 days and before, so each story shows what it tells.
            days = [rng.randint(3, max(4, window)) for _i in range(sla["count"])]
            recent = [i for i, day in enumerate(days) if day <= 60]
            older = [i for i, day in enumerate(days) if day > 60]
            breached = set(rng.sample(recent, int(len(recent) * recent_breach + 0.5)))
            breached |= set(rng.sample(older, int(len(older) * old_breach + 0.5)))
            for index, day in enumerate(days):
                kind = rng.choice(SLA_KINDS)
                deadline = self._at(today, day, rng.randint(9, 17))
                start = deadline - timedelta(hours=kind[1])
                if index in breached:
                    done = deadline + timedelta(hours=rng.randint(4, 10 * 24))
                    note = (
                        rng.random() < 0.5
                        and "Late: waiting for parts from the supplier."
                    )
                else:
                    done = start + (deadline - start) * rng.uniform(0.3, 0.98)
                    note = False
                vals_list.append(
                    commitment(kind, deadline, min(done, latest_done), note)
                )
            # Still open although the deadline has passed.
            for _i in range(sla["overdue"]):
                kind = rng.choice(SLA_KINDS)
                deadline = self._at(today, rng.randint(2, 40), rng.randint(9, 17))
                vals_list.append(commitment(kind, deadline, False))
            # Open and not yet due.
            for _i in range(sla["pending"]):
                kind = rng.choice(SLA_KINDS)
                deadline = now + timedelta(hours=rng.randint(6, 10 * 24))
                vals = commitment(kind, deadline, False)
                vals["date_start"] = min(vals["date_start"], latest_done)
                vals_list.append(vals)
        vals_list.sort(key=lambda vals: vals["date_deadline"])
        return len(self._create_in_batches("relationship.sla.event", vals_list))

    # ------------------------------------------------------------------
    # Health history
    # ------------------------------------------------------------------
    def _demo_health_history(self, accounts, today):
        """Score the accounts at past dates (snapshots only), then today."""
        self.env.flush_all()
        engine = self.env["relationship.health.engine"]
        account_ids = engine._account_ids(
            partner_ids=[a["company"].id for a in accounts]
        )
        first_activity = {
            account["company"].id: max(
                day
                for day in (account["first_order"], account["plan_start"])
                if day is not None
            )
            for account in accounts
            if account["first_order"] is not None
        }
        for days_ago in HISTORY_DAYS_AGO:
            # An account is scored from the day its history begins.
            started = [
                pid for pid in account_ids if first_activity.get(pid, -1) >= days_ago
            ]
            engine._compute_batch(started, as_of=today - timedelta(days=days_ago))
        engine._compute_in_batches(account_ids)
        return account_ids
