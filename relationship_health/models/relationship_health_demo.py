"""Demo data of relationship_health: a believable B2B customer book.

``_generate_demo_data`` builds about sixty customer companies served by three
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
import re
import unicodedata
from collections import defaultdict
from datetime import datetime, time, timedelta

from odoo import Command, api, fields, models
from odoo.tools import split_every

from .health_clock import health_today

_logger = logging.getLogger(__name__)

# Create in batches of this many records.
BATCH_SIZE = 250

# Quiet creation: no chatter message, no tracking, no follower, no mail
# (invitations, reminders, password set-up, activity assignments).
QUIET_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
    "no_reset_password": True,
    "no_mail_to_attendees": True,
    "dont_notify": True,
    "mail_activity_quick_update": True,
    "sale_no_log_for_new_lines": True,
}

# Past dates (days before today) at which the health is scored, so that
# history graphs and the trend (against the snapshot >= 28 days old) show.
HISTORY_DAYS_AGO = (180, 150, 120, 90, 75, 60, 45, 30, 14, 7)

# The password of every demo user (demo data only): `make demo` prints the
# logins below with it.
DEMO_PASSWORD = "demo"

# The sales reps, each owning the accounts of a few countries.
SALESPEOPLE = [
    {"name": "Ana Souza", "login": "ana.souza@example.com", "tz": "America/Sao_Paulo",
     "countries": ("BR", "PT")},
    {"name": "Dmitri Ivanov", "login": "dmitri.ivanov@example.com", "tz": "Europe/Moscow",
     "countries": ("RU", "PL", "DE")},
    {"name": "Laura Martin", "login": "laura.martin@example.com", "tz": "Europe/Paris",
     "countries": ("FR", "ES", "IT", "NL")},
]

# The sales manager leading their team.
SALES_MANAGER = {"name": "Helena Fischer", "login": "helena.fischer@example.com",
                 "tz": "Europe/Berlin"}

# (name, country code, city, industry letter of base.res_partner_industry_*)
ACCOUNTS = [
    # Brazil
    ("Metalúrgica Sulista Ltda", "BR", "Caxias do Sul", "C"),
    ("Agropecuária Vale Verde S.A.", "BR", "Rio Verde", "A"),
    ("Construtora Horizonte Ltda", "BR", "Belo Horizonte", "F"),
    ("Transportes Rodosul Ltda", "BR", "Curitiba", "H"),
    ("Frigorífico Serra Gaúcha S.A.", "BR", "Passo Fundo", "C"),
    ("Têxtil Santa Clara Ltda", "BR", "Blumenau", "C"),
    ("Hospital São Lucas da Serra", "BR", "Petrópolis", "Q"),
    ("Distribuidora Paulista de Alimentos Ltda", "BR", "Campinas", "G"),
    ("Engenharia Atlântica Ltda", "BR", "Recife", "M"),
    ("Papel e Celulose Rio Doce S.A.", "BR", "Governador Valadares", "C"),
    ("Cooperativa Agrícola do Cerrado", "BR", "Uberlândia", "A"),
    ("Química Paranaense Ltda", "BR", "Londrina", "C"),
    ("Logística Amazonas Ltda", "BR", "Manaus", "H"),
    ("Usina Boa Esperança S.A.", "BR", "Ribeirão Preto", "D"),
    ("Saneamento Litoral Norte S.A.", "BR", "Florianópolis", "E"),
    ("Mineração Vale do Jequitinhonha Ltda", "BR", "Montes Claros", "B"),
    # Portugal
    ("Metalomecânica do Minho, Lda", "PT", "Braga", "C"),
    ("Cortiças Alentejanas, S.A.", "PT", "Évora", "C"),
    ("Transportes Tejo Norte, Lda", "PT", "Santarém", "H"),
    ("Conservas Atlântico, Lda", "PT", "Matosinhos", "C"),
    ("Vidreira da Marinha, S.A.", "PT", "Marinha Grande", "C"),
    ("Têxteis do Ave, Lda", "PT", "Guimarães", "C"),
    ("Águas do Douro Interior, S.A.", "PT", "Vila Real", "E"),
    # Russia
    ("OOO Severnaya Logistika", "RU", "Saint Petersburg", "H"),
    ("AO Volga Agro", "RU", "Samara", "A"),
    ("OOO Sibir Stroy", "RU", "Novosibirsk", "F"),
    ("OOO Kazan Polimer", "RU", "Kazan", "C"),
    ("AO Baltiyskie Portovye Uslugi", "RU", "Kaliningrad", "H"),
    ("OOO Ural Metall Treid", "RU", "Yekaterinburg", "G"),
    ("OOO Tomsk Pribor", "RU", "Tomsk", "C"),
    ("AO Kuban Zerno", "RU", "Krasnodar", "A"),
    ("OOO Neva Food Distribution", "RU", "Saint Petersburg", "G"),
    ("AO Arktika Energo", "RU", "Murmansk", "D"),
    ("OOO Privolzhskaya Klinika", "RU", "Nizhny Novgorod", "Q"),
    ("OOO Yenisei Gorno-Rudnaya", "RU", "Krasnoyarsk", "B"),
    # Poland
    ("Mazowieckie Zakłady Metalowe Sp. z o.o.", "PL", "Radom", "C"),
    ("Bałtyk Logistyka Sp. z o.o.", "PL", "Gdynia", "H"),
    # Germany
    ("Schwarzwald Feinmechanik GmbH", "DE", "Freiburg im Breisgau", "C"),
    ("Hansa Hafenlogistik GmbH", "DE", "Bremen", "H"),
    ("Bayerische Pumpenwerke AG", "DE", "Regensburg", "C"),
    ("Lausitzer Energietechnik GmbH", "DE", "Cottbus", "D"),
    ("Elbtal Lebensmittel GmbH", "DE", "Dresden", "C"),
    ("Westfalen Kunststoffe GmbH & Co. KG", "DE", "Bielefeld", "C"),
    ("Nordsee Wasserwirtschaft GmbH", "DE", "Emden", "E"),
    ("Rhein-Main Bau GmbH", "DE", "Offenbach am Main", "F"),
    # France
    ("Ateliers Rhône-Alpes SAS", "FR", "Grenoble", "C"),
    ("Fromageries du Haut-Jura SA", "FR", "Morez", "C"),
    ("Bretagne Emballages SARL", "FR", "Rennes", "C"),
    ("Logistique Val de Loire SAS", "FR", "Tours", "H"),
    ("Clinique Privée de la Garonne", "FR", "Toulouse", "Q"),
    ("Aquitaine Énergies SAS", "FR", "Bordeaux", "D"),
    ("Mécanique de Précision Lorraine SAS", "FR", "Nancy", "C"),
    ("Coopérative Céréalière de Beauce", "FR", "Chartres", "A"),
    # Spain
    ("Aceites del Guadalquivir S.L.", "ES", "Jaén", "C"),
    ("Construcciones Cantábricas S.A.", "ES", "Santander", "F"),
    ("Transportes Meseta S.L.", "ES", "Valladolid", "H"),
    ("Aguas de la Vega S.A.", "ES", "Granada", "E"),
    # Italy
    ("Officine Meccaniche Lombarde S.p.A.", "IT", "Brescia", "C"),
    ("Ceramiche Emiliane S.r.l.", "IT", "Sassuolo", "C"),
    ("Cantine del Piave S.r.l.", "IT", "Treviso", "C"),
    # Netherlands
    ("Zuid-Holland Tuinbouw B.V.", "NL", "Westland", "A"),
    ("Maasvlakte Warehousing B.V.", "NL", "Rotterdam", "H"),
]

# First names as (name, is_female), and family names, per country.
# Russian and Polish family names take their feminine form for women.
PEOPLE = {
    "BR": ([("João", 0), ("Maria", 1), ("Carlos", 0), ("Fernanda", 1), ("Rafael", 0),
            ("Juliana", 1), ("Paulo", 0), ("Beatriz", 1), ("Ricardo", 0), ("Camila", 1)],
           ["Silva", "Santos", "Oliveira", "Pereira", "Costa", "Rodrigues", "Almeida",
            "Carvalho", "Ferreira", "Gomes", "Ribeiro", "Martins"]),
    "PT": ([("Tiago", 0), ("Inês", 1), ("Miguel", 0), ("Catarina", 1), ("Rui", 0),
            ("Sofia", 1), ("Nuno", 0), ("Mariana", 1)],
           ["Sousa", "Fernandes", "Gonçalves", "Lopes", "Marques", "Pinto", "Teixeira",
            "Moreira"]),
    "RU": ([("Aleksei", 0), ("Olga", 1), ("Sergei", 0), ("Natalia", 1), ("Ivan", 0),
            ("Ekaterina", 1), ("Mikhail", 0), ("Anna", 1), ("Pavel", 0), ("Irina", 1)],
           ["Petrov", "Smirnov", "Kuznetsov", "Volkov", "Sokolov", "Lebedev", "Popov",
            "Morozov", "Novikov", "Fedorov"]),
    "PL": ([("Piotr", 0), ("Agnieszka", 1), ("Tomasz", 0), ("Katarzyna", 1), ("Marcin", 0),
            ("Magdalena", 1)],
           ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Zieliński"]),
    "DE": ([("Jonas", 0), ("Katrin", 1), ("Stefan", 0), ("Anja", 1), ("Markus", 0),
            ("Julia", 1), ("Thomas", 0), ("Sabine", 1)],
           ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann",
            "Wagner"]),
    "FR": ([("Julien", 0), ("Camille", 1), ("Nicolas", 0), ("Élodie", 1), ("Pierre", 0),
            ("Sophie", 1), ("Antoine", 0), ("Claire", 1)],
           ["Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Bonnet", "Fontaine",
            "Rousseau"]),
    "ES": ([("Javier", 0), ("Lucía", 1), ("Alejandro", 0), ("Carmen", 1), ("Pablo", 0),
            ("Marta", 1)],
           ["García", "Fernández", "López", "Martínez", "Sánchez", "Romero"]),
    "IT": ([("Marco", 0), ("Giulia", 1), ("Luca", 0), ("Francesca", 1), ("Davide", 0),
            ("Chiara", 1)],
           ["Rossi", "Bianchi", "Romano", "Colombo", "Ricci", "Marino"]),
    "NL": ([("Daan", 0), ("Sanne", 1), ("Bram", 0), ("Lotte", 1)],
           ["de Vries", "Jansen", "Bakker", "Visser"]),
}

JOB_TITLES = [
    "Purchasing Manager", "Procurement Specialist", "Operations Director",
    "Maintenance Supervisor", "Plant Manager", "Chief Financial Officer",
    "Supply Chain Coordinator", "Technical Director",
]

# (name, internal reference, type, list price, quantity range, weight in orders)
PRODUCTS = [
    ("Industrial Ball Valve DN50", "RH-VLV-050", "consu", 185.0, (2, 24), 5),
    ("Pressure Transmitter PT-400", "RH-PT-400", "consu", 640.0, (1, 6), 2),
    ("Hydraulic Seal Kit", "RH-SEAL-KIT", "consu", 42.5, (5, 60), 4),
    ("Preventive Maintenance (hour)", "RH-SRV-PM", "service", 95.0, (2, 16), 2),
]

# Visit reports by customer mood (1 very unhappy .. 5 very happy):
# (outcome, next steps).
VISIT_REPORTS = {
    5: [("Reviewed next year's volumes: a second production line is planned.",
         "Send a framework agreement proposal."),
        ("Very positive review; deliveries and support praised.",
         "Invite their team to the customer day.")],
    4: [("Routine review; deliveries on track.", "Follow up on the packaging request."),
        ("Presented the new pressure transmitter range.", "Send datasheets and a quotation.")],
    3: [("Mixed feedback: prices under review, lead times too long.",
         "Check shorter lead times with logistics."),
        ("Polite but reserved; they are re-tendering part of their needs.",
         "Prepare a competitive offer for the tender.")],
    2: [("Complaints about late deliveries and an open invoice dispute.",
         "Escalate the dispute to finance and call back within a week."),
        ("Maintenance team unhappy with the last intervention.",
         "Schedule a technician visit at our cost.")],
    1: [("The buyer says volumes are moving to a competitor.",
         "Sales manager to call their operations director."),
        ("Meeting cut short; formal complaint about repeated delays.",
         "Send a written recovery plan.")],
}
# Share of the visits held for which the salesperson filled in a report.
VISIT_REPORT_SHARE = 0.7

# Service-level commitments: (what was promised, hours allowed, its policy's
# xml id in demo/relationship_health_demo.xml).
SLA_KINDS = [
    ("Deliver spare parts", 5 * 24, "relationship_sla_policy_demo_spare_parts"),
    ("Answer support ticket", 24, "relationship_sla_policy_demo_first_response"),
    ("On-site technical intervention", 72, "relationship_sla_policy_demo_intervention"),
    ("Send quotation", 48, "relationship_sla_policy_demo_quotation"),
    ("Replace defective unit", 10 * 24, "relationship_sla_policy_demo_replacement"),
    ("Resolve invoice dispute", 7 * 24, "relationship_sla_policy_demo_invoice_dispute"),
    ("Commission new equipment", 14 * 24, "relationship_sla_policy_demo_commissioning"),
]

# How many accounts follow each story (62 in all): about 40 % healthy,
# 25 % watch, 20 % at risk, 15 % critical once scored, and two just signed.
STORIES = [
    ("champion", 14),   # loyal, frequent buyers, happy, visited on time
    ("steady", 6),      # slower but regular buyers, satisfied
    ("newcomer", 3),    # first orders in the last three months
    ("recovering", 2),  # lost for half a year, won back this month
    ("lukewarm", 10),   # lukewarm surveys, late visits, some breaches
    ("slipping", 5),    # were healthy until a few weeks ago
    ("drifting", 12),   # used to buy regularly, stopped 3 to 9 months ago
    ("lost", 8),        # unhappy, stopped buying 7 to 12 months ago
    ("signed", 2),      # just signed: a visit plan, nothing else yet
]


def _ascii_slug(text, separator="-"):
    """Lower-case ASCII rendering of ``text`` for e-mail addresses."""
    text = text.replace("ł", "l").replace("Ł", "L").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", separator, text.lower()).strip(separator)


def _company_domain(name):
    """A fictitious mail domain for a company, e.g. ``metalurgica-sulista.example.com``."""
    legal_forms = r"\b(ltda|s\.?a\.?|lda|ooo|ao|sp\. z o\.o\.|gmbh|ag|kg|co\.|sas|sarl|sa|" \
                  r"s\.l\.|s\.p\.a\.|s\.r\.l\.|b\.v\.)(?=\s|,|$)"
    core = re.sub(legal_forms, " ", name.lower().replace("&", " "))
    words = [word for word in _ascii_slug(core, " ").split() if len(word) > 2][:3]
    return "-".join(words) + ".example.com"


def _family_name(country, family, female):
    if female and country == "RU":
        return family + "a"
    if female and country == "PL" and family.endswith("ski"):
        return family[:-1] + "a"
    return family


class RelationshipHealthDemo(models.AbstractModel):
    _name = "relationship.health.demo"
    _description = "Relationship Health Demo Data"

    @api.model
    def _generate_demo_data(self, seed=42):
        """Create the demo customer book and score it; return the account ids."""
        if self.env["res.users"].with_context(active_test=False).search_count(
            [("login", "=", SALESPEOPLE[0]["login"])]
        ):
            _logger.info("Relationship health demo data already present: nothing to do")
            return []
        rng = random.Random(seed)
        self = self.with_context(**QUIET_CONTEXT)
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

        account_ids = self._demo_health_history(accounts, today)
        _logger.info(
            "Relationship health demo data: %s accounts, %s orders, %s survey answers, "
            "%s visits, %s service commitments",
            len(accounts), order_count, answer_count, visit_count, sla_count,
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

        users = self.env["res.users"].create([
            user_vals(person, [employee, salesman]) for person in SALESPEOPLE
        ])
        leader = self.env["res.users"].create(user_vals(SALES_MANAGER, [employee, manager]))
        team = self.env["crm.team"].create({
            "name": "Key Accounts",
            "user_id": leader.id,
            "member_ids": [Command.set(users.ids)],
        })
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

        plans = [self._demo_plan(rng, story) for story in stories]
        # Each account joins the tier whose cadence matches its visit plan.
        tier_by_cadence = {}
        for tier in self.env["relationship.visit.tier"].search(
            [("company_id", "in", [False, self.env.company.id])]
        ):
            tier_by_cadence.setdefault(tier.visit_interval_days, tier.id)
        company_vals = []
        for (name, country, city, industry), plan in zip(ACCOUNTS, plans):
            company_vals.append({
                "name": name,
                "is_company": True,
                "city": city,
                "country_id": countries[country].id,
                "industry_id": self.env.ref(f"base.res_partner_industry_{industry}").id,
                "user_id": owner_by_country[country].id,
                "email": "contact@" + _company_domain(name),
                "website": "https://www." + _company_domain(name),
                "visit_tier_id": tier_by_cadence.get(plan["cadence"], False),
                "visit_interval_days": plan["cadence"],
                "visit_plan_date": today - timedelta(days=plan["plan_start"]),
            })
        companies = self.env["res.partner"].create(company_vals)

        contact_vals = []
        for company, (name, country, _city, _industry) in zip(companies, ACCOUNTS):
            first_names, family_names = PEOPLE[country]
            domain = _company_domain(name)
            for first, female in rng.sample(first_names, rng.choice((1, 2, 2, 3))):
                family = _family_name(country, rng.choice(family_names), female)
                contact_vals.append({
                    "name": f"{first} {family}",
                    "parent_id": company.id,
                    "type": "contact",
                    "function": rng.choice(JOB_TITLES),
                    "email": f"{_ascii_slug(first, '')}.{_ascii_slug(family, '')}@{domain}",
                    "user_id": company.user_id.id,
                })
        contacts = self.env["res.partner"].create(contact_vals)
        contacts_by_company = defaultdict(lambda: self.env["res.partner"])
        for contact in contacts:
            contacts_by_company[contact.parent_id.id] |= contact

        return [
            dict(plan, company=company, contacts=contacts_by_company[company.id],
                 user=company.user_id, city=company.city)
            for company, plan in zip(companies, plans)
        ]

    def _demo_products(self):
        """A small catalogue: three goods and an hourly service."""
        return self.env["product.product"].create([
            {"name": name, "default_code": code, "type": kind, "list_price": price,
             "sale_ok": True}
            for name, code, kind, price, _qty, _weight in PRODUCTS
        ])

    def _demo_survey(self):
        """The satisfaction survey: an NPS and a CSAT question feeding the score."""
        return self.env["survey.survey"].create({
            "title": "Customer Satisfaction",
            "description": "<p>Two questions, one minute: tell us how we are doing.</p>",
            "question_and_page_ids": [
                Command.create({
                    "title": "How likely are you to recommend us to a colleague?",
                    "question_type": "scale", "scale_min": 0, "scale_max": 10,
                    "scale_min_label": "Not at all likely",
                    "scale_max_label": "Extremely likely",
                    "health_metric": "nps",
                }),
                Command.create({
                    "title": "How satisfied are you with our products and service?",
                    "question_type": "scale", "scale_min": 1, "scale_max": 5,
                    "scale_min_label": "Very dissatisfied",
                    "scale_max_label": "Very satisfied",
                    "health_metric": "csat",
                }),
            ],
        })

    # ------------------------------------------------------------------
    # Stories
    # ------------------------------------------------------------------
    @staticmethod
    def _demo_plan(rng, story):
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
        plan = {"story": story, "order_days": None, "order_pause": None, "visit_pause": None,
                "declined": [], "future_visit": None, "surveys": [],
                "moods": [(0, (3, 4))], "plan_start": rng.randint(700, 760)}

        def survey_days(count, start=20, stop=700):
            return sorted(rng.sample(range(start, stop), count), reverse=True)

        def answers(days, nps_choices, csat_choices):
            return [(day, rng.choice(nps_choices), rng.choice(csat_choices)) for day in days]

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
            plan["surveys"] = answers(survey_days(rng.randint(3, 6)), (8, 9, 9, 10, 10), (4, 5, 5))
            plan["moods"] = [(0, (4, 5, 5))]
            plan["sla"] = {"count": rng.randint(9, 15), "breach": (0.05, 0.05),
                           "overdue": 0, "pending": rng.randint(0, 1)}
        elif story == "steady":
            plan["rhythm"] = rng.choice((30, 45, 60, 90))
            plan["first_order"] = rng.randint(760, 1000)
            plan["last_order"] = rng.randint(1, int(plan["rhythm"] * 0.8))
            plan["cadence"] = rng.choice((0, 60, 90, 90))
            plan["visit_gap"] = (0.85, 1.05)
            plan["last_visit"] = rng.randint(5, int(plan["cadence"] * 0.9) or 5)
            plan["future_visit"] = rng.choice((None, None, rng.randint(5, 30)))
            plan["surveys"] = answers(survey_days(rng.randint(2, 4)), (7, 8, 8, 9, 10), (4, 4, 5))
            plan["moods"] = [(0, (4, 4, 5))]
            plan["sla"] = {"count": rng.randint(6, 12), "breach": (0.1, 0.1),
                           "overdue": 0, "pending": rng.randint(0, 1)}
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
                plan["surveys"] = answers([rng.randint(3, plan["last_visit"])], (9, 10), (4, 5))
            plan["moods"] = [(0, (4, 5))]
            plan["sla"] = {"count": rng.randint(1, 3), "breach": (0.0, 0.0),
                           "overdue": 0, "pending": 1, "within": first}
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
            plan["sla"] = {"count": rng.randint(9, 13), "breach": (0.45, 0.0),
                           "overdue": 0, "pending": 1}
        elif story == "lukewarm":
            # Buys on rhythm, but lukewarm in surveys and commitments slip.
            # Either left unvisited for months (a stable "watch") or visited
            # late while the mood sours (slowly getting worse).
            plan["rhythm"] = rng.choice((30, 45, 60, 90))
            plan["first_order"] = rng.randint(760, 1000)
            plan["cadence"] = rng.choice((60, 60, 90))
            plan["future_visit"] = rng.choice((None, None, rng.randint(5, 20)))
            if rng.random() < 0.6:
                plan["last_order"] = rng.randint(int(plan["rhythm"] * 0.6),
                                                 int(plan["rhythm"] * 1.3))
                plan["visit_gap"] = (1.0, 1.3)
                plan["last_visit"] = 2 * plan["cadence"] + rng.randint(30, 90)
                plan["surveys"] = answers(
                    survey_days(rng.randint(3, 5)), (5, 6, 7, 7, 8, 8, 9), (3, 3, 4)
                )
                plan["moods"] = [(0, (3, 3, 4))]
                plan["sla"] = {"count": rng.randint(9, 14), "breach": (0.3, 0.3),
                               "overdue": rng.randint(0, 1), "pending": rng.randint(0, 1)}
            else:
                plan["last_order"] = rng.randint(int(plan["rhythm"] * 0.8),
                                                 int(plan["rhythm"] * 1.5))
                plan["visit_gap"] = (1.1, 1.4)
                plan["last_visit"] = int(plan["cadence"] * rng.uniform(1.4, 1.7))
                if rng.random() < 0.5:
                    plan["declined"] = [rng.randint(60, 500)]
                plan["surveys"] = answers(
                    survey_days(rng.randint(2, 5)), (3, 5, 6, 7, 7, 8, 9), (2, 3, 3, 4)
                )
                plan["moods"] = [(0, (2, 3, 3))]
                plan["sla"] = {"count": rng.randint(8, 14), "breach": (0.4, 0.5),
                               "overdue": rng.randint(0, 1), "pending": rng.randint(0, 1)}
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
            plan["surveys"] = answers(survey_days(rng.randint(2, 4), start=120), (8, 9, 9), (4, 5))
            plan["surveys"] += answers([rng.randint(5, 25)], (3, 4, 5), (2, 2, 3))
            plan["moods"] = [(60, (4, 5)), (0, (2, 3))]
            plan["sla"] = {"count": rng.randint(9, 14), "breach": (0.05, 0.5),
                           "overdue": 1, "pending": rng.randint(0, 1)}
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
                plan["sla"] = {"count": rng.randint(10, 15), "breach": (0.15, 0.2),
                               "overdue": 0, "pending": 0}
            else:
                plan["visit_gap"] = (0.9, 1.2)
                plan["last_visit"] = int(plan["cadence"] * rng.uniform(1.4, 1.7))
                plan["declined"] = [rng.randint(5, plan["last_visit"] - 3)]
                plan["surveys"] = answers(older, (7, 8, 8), (3, 4, 4)) + answers(
                    recent, (4, 5, 6, 6), (2, 3, 3)
                )
                plan["sla"] = {"count": rng.randint(10, 15), "breach": (0.2, 0.35),
                               "overdue": rng.randint(0, 1), "pending": 0}
            plan["moods"] = [(plan["last_order"] + 30, (3, 4)), (0, (2, 3))]
        elif story == "lost":
            # Unhappy for a long time; last order seven to twelve months ago.
            plan["rhythm"] = rng.choice((30, 45, 60))
            plan["first_order"] = rng.randint(760, 1000)
            plan["last_order"] = rng.randint(210, 360)
            plan["cadence"] = rng.choice((60, 90))
            plan["visit_gap"] = (1.1, 1.5)
            plan["last_visit"] = int(plan["cadence"] * rng.uniform(2.2, 3.2))
            plan["declined"] = sorted(rng.sample(range(10, plan["last_visit"] - 5),
                                                 rng.randint(1, 2)), reverse=True)
            older = survey_days(rng.randint(1, 2), start=300)
            recent = survey_days(rng.randint(1, 3), start=10, stop=300)
            plan["surveys"] = answers(older, (4, 5, 6), (2, 3)) + answers(
                recent, (0, 1, 2, 3, 4), (1, 1, 2)
            )
            plan["moods"] = [(300, (2, 3)), (0, (1, 2))]
            plan["sla"] = {"count": rng.randint(10, 16), "breach": (0.5, 0.6),
                           "overdue": rng.randint(1, 3), "pending": 0}
        else:  # "signed": a visit plan started days ago, no history yet
            plan.update(rhythm=None, order_days=[], first_order=None, last_order=None,
                        cadence=60, plan_start=rng.randint(5, 20), visit_gap=(1.0, 1.0),
                        last_visit=None, sla={"count": 0, "breach": (0.0, 0.0),
                                              "overdue": 0, "pending": 0})
        return plan

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
                picked = set(rng.choices(range(len(PRODUCTS)), weights, k=rng.randint(1, 3)))
                lines = []
                for index in sorted(picked):
                    low, high = PRODUCTS[index][4]
                    lines.append(Command.create({
                        "product_id": products[index].id,
                        "product_uom_qty": rng.randint(low, high) * size,
                    }))
                buyer = rng.choice([account["company"], *account["contacts"]])
                vals_list.append({
                    "partner_id": buyer.id,
                    "user_id": account["user"].id,
                    "team_id": team.id,
                    "date_order": self._at(today, day, rng.randint(8, 17),
                                           rng.choice((0, 15, 30, 45))),
                    "client_order_ref": rng.random() < 0.6 and f"PO-{rng.randint(10000, 99999)}",
                    "state": "sale",
                    "order_line": lines,
                })
        vals_list.sort(key=lambda vals: vals["date_order"])
        return len(self._create_in_batches("sale.order", vals_list))

    def _demo_customer_ranks(self, accounts):
        """Confirmed orders rank their customer; do it once per distinct count."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT c.commercial_partner_id, count(*)
              FROM sale_order so JOIN res_partner c ON c.id = so.partner_id
             WHERE so.state = 'sale' AND c.commercial_partner_id = ANY(%s)
          GROUP BY 1
            """,
            [[account["company"].id for account in accounts]],
        )
        order_counts = dict(self.env.cr.fetchall())
        by_rank = defaultdict(list)
        for account in accounts:
            by_rank[order_counts.get(account["company"].id) or 1].append(account["company"].id)
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
                vals_list.append({
                    "survey_id": survey.id,
                    "partner_id": contact.id,
                    "email": contact.email,
                    "state": "done",
                    "start_datetime": end - timedelta(minutes=rng.randint(1, 6)),
                    "end_datetime": end,
                    "user_input_line_ids": [
                        Command.create({"survey_id": survey.id, "question_id": q_nps.id,
                                        "answer_type": "scale", "value_scale": nps}),
                        Command.create({"survey_id": survey.id, "question_id": q_csat.id,
                                        "answer_type": "scale", "value_scale": csat}),
                    ],
                })
        return len(self._create_in_batches("survey.user_input", vals_list))

    # ------------------------------------------------------------------
    # Customer visits
    # ------------------------------------------------------------------
    def _demo_visit_days(self, rng, plan):
        """Days (ago) of the visits held, from the start of the plan to the last visit."""
        if not plan["cadence"] or plan["last_visit"] is None:
            return []
        low, high = plan["visit_gap"]
        days, ago = [], plan["plan_start"] - rng.randint(3, max(4, plan["cadence"] // 2))
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
        visit_type = self.env.ref("relationship_health.calendar_event_type_customer_visit")
        vals_list = []
        for account in accounts:
            held = [(day, "accepted") for day in self._demo_visit_days(rng, account)]
            declined = []
            if account["cadence"]:
                declined = [(day, "declined") for day in account["declined"]]
            planned = []
            if account["cadence"] and account["future_visit"]:
                planned = [(-account["future_visit"], rng.choice(("accepted", "needsAction")))]
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
                if day > 0 and state == "accepted" and rng.random() < VISIT_REPORT_SHARE:
                    mood = self._demo_mood(rng, account, day)
                    outcome, next_steps = rng.choice(VISIT_REPORTS[mood])
                    report = {"visit_mood": str(mood), "visit_outcome": outcome,
                              "visit_next_steps": next_steps}
                vals_list.append({
                    **report,
                    "name": f"Visit – {account['company'].name}",
                    "start": start,
                    "stop": start + timedelta(hours=rng.choice((1, 1.5, 2))),
                    "user_id": account["user"].id,
                    "location": account["city"],
                    "categ_ids": [Command.set([visit_type.id])],
                    "partner_ids": [Command.set([salesperson.id, contact.id])],
                    "attendee_ids": [
                        Command.create({"partner_id": salesperson.id, "state": "accepted"}),
                        Command.create({"partner_id": contact.id, "state": state}),
                    ],
                })
        vals_list.sort(key=lambda vals: vals["start"])
        return len(self._create_in_batches("calendar.event", vals_list))

    # ------------------------------------------------------------------
    # Service-level commitments
    # ------------------------------------------------------------------
    def _demo_sla_events(self, rng, accounts, today, now):
        """Commitments over the last 15 months: met, breached, open overdue, open not due."""
        latest_done = now - timedelta(hours=1)
        policies = {
            kind[2]: self.env.ref(f"relationship_health.{kind[2]}", raise_if_not_found=False)
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
                return {"name": name, "partner_id": company.id, "date_start": start,
                        "date_deadline": deadline, "date_done": done, "note": note,
                        "policy_id": policies.get(policy, False)}

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
                    note = rng.random() < 0.5 and "Late: waiting for parts from the supplier."
                else:
                    done = start + (deadline - start) * rng.uniform(0.3, 0.98)
                    note = False
                vals_list.append(commitment(kind, deadline, min(done, latest_done), note))
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
        account_ids = engine._account_ids(partner_ids=[a["company"].id for a in accounts])
        first_activity = {
            account["company"].id: max(
                day for day in (account["first_order"], account["plan_start"]) if day is not None
            )
            for account in accounts
            if account["first_order"] is not None
        }
        for days_ago in HISTORY_DAYS_AGO:
            # An account is scored from the day its history begins.
            started = [pid for pid in account_ids if first_activity.get(pid, -1) >= days_ago]
            engine._compute_batch(started, as_of=today - timedelta(days=days_ago))
        engine._compute_in_batches(account_ids)
        return account_ids
