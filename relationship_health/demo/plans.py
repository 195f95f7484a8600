"""The stories of the demo accounts: what happened to each, in days before today."""


def sla_plan(count, breach, overdue=0, pending=0, **extra):
    """The service commitments of a story: ``count`` closed ones, the shares
    breached ``breach`` (before and within the last 60 days), ``overdue``
    still open past their deadline, ``pending`` not due yet; ``within`` (in
    ``extra``) caps how many days back they go."""
    return {
        "count": count,
        "breach": breach,
        "overdue": overdue,
        "pending": pending,
        **extra,
    }


def demo_plan(rng, story):
    """What happened to an account, in days before today, for its story.

    Keys: ``rhythm`` (usual days between orders), ``order_days`` (explicit
    order days, or None to follow the rhythm), ``first_order`` /
    ``last_order``, ``order_pause`` (days without orders); ``cadence`` and
    ``plan_start`` of the visit plan, ``visit_gap`` (gap between visits as
    a share of the cadence), ``last_visit``, ``visit_pause``, ``declined``
    (days of visits the customer declined), ``future_visit`` (days ahead,
    or None), ``moods`` (the customer's mood at visits: (days, choices)
    pairs, oldest period first; a visit takes the first pair it is at
    least ``days`` old for); ``surveys`` as (days, NPS, CSAT); ``sla`` as
    the number of
    commitments, the share breached (before and during the last 60 days)
    and the open ones, overdue and not yet due.
    """
    plan = {
        "story": story,
        "order_days": None,
        "order_pause": None,
        "visit_pause": None,
        "declined": [],
        "future_visit": None,
        "surveys": [],
        "moods": [(0, (3, 4))],
        "plan_start": rng.randint(700, 760),
    }

    def survey_days(count, start=20, stop=700):
        return sorted(rng.sample(range(start, stop), count), reverse=True)

    def answers(days, nps_choices, csat_choices):
        return [
            (day, rng.choice(nps_choices), rng.choice(csat_choices)) for day in days
        ]

    def unchanged_feelings(surveys, nps_choices, csat_choices, mood):
        """Survey answers (a (low, high) range of how many) and a visit mood
        that have not changed over time."""
        plan["surveys"] = answers(
            survey_days(rng.randint(*surveys)), nps_choices, csat_choices
        )
        plan["moods"] = [(0, mood)]

    def commitments(counts, breach, overdue=False):
        """Service commitments: a (low, high) range of how many, the shares
        breached, up to one pending and, if ``overdue``, up to one overdue."""
        count = rng.randint(*counts)
        late = {"overdue": rng.randint(0, 1)} if overdue else {}
        plan["sla"] = sla_plan(count, breach, pending=rng.randint(0, 1), **late)

    if story == "champion":
        plan["rhythm"] = rng.choice((7, 14, 14, 21, 30, 30, 30, 30, 45))
        plan["first_order"] = rng.randint(760, 1000)
        plan["last_order"] = rng.randint(1, max(2, int(plan["rhythm"] * 0.6)))
        plan["cadence"] = rng.choice((30, 60, 60, 90))
        plan["visit_gap"] = (0.8, 1.0)
        plan["last_visit"] = rng.randint(3, int(plan["cadence"] * 0.8))
        plan["future_visit"] = rng.choice((None, rng.randint(2, 30)))
        if rng.random() < 0.25:
            plan["declined"] = [rng.randint(100, 600)]
        unchanged_feelings((3, 6), (8, 9, 9, 10, 10), (4, 5, 5), (4, 5, 5))
        commitments((9, 15), (0.05, 0.05))
    elif story == "steady":
        plan["rhythm"] = rng.choice((30, 45, 60, 90))
        plan["first_order"] = rng.randint(760, 1000)
        plan["last_order"] = rng.randint(1, int(plan["rhythm"] * 0.8))
        plan["cadence"] = rng.choice((0, 60, 90, 90))
        plan["visit_gap"] = (0.85, 1.05)
        plan["last_visit"] = rng.randint(5, int(plan["cadence"] * 0.9) or 5)
        plan["future_visit"] = rng.choice((None, None, rng.randint(5, 30)))
        unchanged_feelings((2, 4), (7, 8, 8, 9, 10), (4, 4, 5), (4, 4, 5))
        commitments((6, 12), (0.1, 0.1))
    elif story == "newcomer":
        # One or two orders so far: too few for a rhythm, the default
        # purchase interval applies.
        first = rng.randint(25, 80)
        plan["rhythm"] = None
        plan["order_days"] = sorted(
            {first, *rng.sample(range(2, first // 2), rng.randint(0, 1))}, reverse=True
        )
        plan["first_order"], plan["last_order"] = first, plan["order_days"][-1]
        plan["cadence"] = 60
        plan["plan_start"] = first + rng.randint(5, 15)
        plan["visit_gap"] = (1.0, 1.0)
        plan["last_visit"] = rng.randint(5, first)
        plan["future_visit"] = rng.randint(10, 40)
        if rng.random() < 0.7:
            plan["surveys"] = answers(
                [rng.randint(3, plan["last_visit"])], (9, 10), (4, 5)
            )
        plan["moods"] = [(0, (4, 5))]
        plan["sla"] = sla_plan(rng.randint(1, 3), (0.0, 0.0), pending=1, within=first)
    elif story == "recovering":
        # Stopped buying for half a year after a bad patch of service;
        # won back this month: orders, visits and good answers again.
        plan["rhythm"] = rng.choice((21, 30))
        plan["first_order"] = rng.randint(760, 1000)
        plan["last_order"] = rng.randint(3, 10)
        plan["order_pause"] = (32, rng.randint(200, 230))
        plan["cadence"] = 60
        plan["visit_gap"] = (0.9, 1.1)
        plan["last_visit"] = rng.randint(8, 20)
        plan["visit_pause"] = (plan["last_visit"] + 1, rng.randint(230, 260))
        plan["future_visit"] = rng.randint(20, 40)
        plan["surveys"] = (
            answers(survey_days(rng.randint(1, 2), start=400), (8, 9), (4, 5))
            + answers(survey_days(1, start=180, stop=260), (2, 3, 4), (1, 2))
            + answers([rng.randint(5, plan["last_visit"])], (8, 9), (4, 5))
        )
        plan["moods"] = [(260, (4, 5)), (40, (1, 2)), (0, (4, 5))]
        plan["sla"] = sla_plan(rng.randint(9, 13), (0.45, 0.0), pending=1)
    elif story == "lukewarm":
        # Buys on rhythm, but lukewarm in surveys and commitments slip.
        # Either left unvisited for months (a stable "watch") or visited
        # late while the mood sours (slowly getting worse).
        plan["rhythm"] = rng.choice((30, 45, 60, 90))
        plan["first_order"] = rng.randint(760, 1000)
        plan["cadence"] = rng.choice((60, 60, 90))
        plan["future_visit"] = rng.choice((None, None, rng.randint(5, 20)))
        if rng.random() < 0.6:
            plan["last_order"] = rng.randint(
                int(plan["rhythm"] * 0.6), int(plan["rhythm"] * 1.3)
            )
            plan["visit_gap"] = (1.0, 1.3)
            plan["last_visit"] = 2 * plan["cadence"] + rng.randint(30, 90)
            unchanged_feelings((3, 5), (5, 6, 7, 7, 8, 8, 9), (3, 3, 4), (3, 3, 4))
            commitments((9, 14), (0.3, 0.3), overdue=True)
        else:
            plan["last_order"] = rng.randint(
                int(plan["rhythm"] * 0.8), int(plan["rhythm"] * 1.5)
            )
            plan["visit_gap"] = (1.1, 1.4)
            plan["last_visit"] = int(plan["cadence"] * rng.uniform(1.4, 1.7))
            if rng.random() < 0.5:
                plan["declined"] = [rng.randint(60, 500)]
            unchanged_feelings((2, 5), (3, 5, 6, 7, 7, 8, 9), (2, 3, 3, 4), (2, 3, 3))
            commitments((8, 14), (0.4, 0.5), overdue=True)
    elif story == "slipping":
        # Healthy until about two months ago: orders stopped, the last
        # survey was bad, commitments slipped and the last visit was declined.
        plan["rhythm"] = rng.choice((14, 21, 30))
        plan["first_order"] = rng.randint(760, 1000)
        plan["last_order"] = int(plan["rhythm"] * rng.uniform(1.9, 2.3))
        plan["cadence"] = rng.choice((30, 60))
        plan["visit_gap"] = (0.85, 1.0)
        plan["last_visit"] = int(plan["cadence"] * rng.uniform(1.15, 1.4))
        plan["declined"] = [rng.randint(5, 20)]
        plan["surveys"] = answers(
            survey_days(rng.randint(2, 4), start=120), (8, 9, 9), (4, 5)
        )
        plan["surveys"] += answers([rng.randint(5, 25)], (3, 4, 5), (2, 2, 3))
        plan["moods"] = [(60, (4, 5)), (0, (2, 3))]
        plan["sla"] = sla_plan(
            rng.randint(9, 14), (0.05, 0.5), overdue=1, pending=rng.randint(0, 1)
        )
    elif story == "drifting":
        # A regular buyer who stopped three to nine months ago. Either
        # nobody has visited for months (drifted quietly, a stable
        # "at risk") or the visits are getting late and the last one was
        # declined (still sliding).
        plan["rhythm"] = rng.choice((14, 21, 30, 30))
        plan["first_order"] = rng.randint(800, 1000)
        plan["last_order"] = rng.randint(95, 270)
        plan["cadence"] = rng.choice((30, 60, 60))
        older = survey_days(rng.randint(1, 3), start=plan["last_order"] + 30)
        recent = survey_days(rng.randint(1, 2), start=15, stop=plan["last_order"] + 30)
        if rng.random() < 0.5:
            plan["visit_gap"] = (1.0, 1.3)
            plan["last_visit"] = 2 * plan["cadence"] + rng.randint(30, 90)
            plan["surveys"] = answers(older, (7, 8, 8), (3, 4, 4)) + answers(
                recent, (5, 6, 6, 7), (3, 3, 4)
            )
            plan["sla"] = sla_plan(rng.randint(10, 15), (0.15, 0.2))
        else:
            plan["visit_gap"] = (0.9, 1.2)
            plan["last_visit"] = int(plan["cadence"] * rng.uniform(1.4, 1.7))
            plan["declined"] = [rng.randint(5, plan["last_visit"] - 3)]
            plan["surveys"] = answers(older, (7, 8, 8), (3, 4, 4)) + answers(
                recent, (4, 5, 6, 6), (2, 3, 3)
            )
            plan["sla"] = sla_plan(
                rng.randint(10, 15), (0.2, 0.35), overdue=rng.randint(0, 1)
            )
        plan["moods"] = [(plan["last_order"] + 30, (3, 4)), (0, (2, 3))]
    elif story == "lost":
        # Unhappy for a long time; last order seven to twelve months ago.
        plan["rhythm"] = rng.choice((30, 45, 60))
        plan["first_order"] = rng.randint(760, 1000)
        plan["last_order"] = rng.randint(210, 360)
        plan["cadence"] = rng.choice((60, 90))
        plan["visit_gap"] = (1.1, 1.5)
        plan["last_visit"] = int(plan["cadence"] * rng.uniform(2.2, 3.2))
        plan["declined"] = sorted(
            rng.sample(range(10, plan["last_visit"] - 5), rng.randint(1, 2)),
            reverse=True,
        )
        older = survey_days(rng.randint(1, 2), start=300)
        recent = survey_days(rng.randint(1, 3), start=10, stop=300)
        plan["surveys"] = answers(older, (4, 5, 6), (2, 3)) + answers(
            recent, (0, 1, 2, 3, 4), (1, 1, 2)
        )
        plan["moods"] = [(300, (2, 3)), (0, (1, 2))]
        plan["sla"] = sla_plan(
            rng.randint(10, 16), (0.5, 0.6), overdue=rng.randint(1, 3)
        )
    else:  # "signed": a visit plan started days ago, no history yet
        plan.update(
            rhythm=None,
            order_days=[],
            first_order=None,
            last_order=None,
            cadence=60,
            plan_start=rng.randint(5, 20),
            visit_gap=(1.0, 1.0),
            last_visit=None,
            sla={"count": 0, "breach": (0.0, 0.0), "overdue": 0, "pending": 0},
        )
    return plan
