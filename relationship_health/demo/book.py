"""The demo customer book: its people, accounts, catalogue and stories.

Constants only (and the spelling of names and mail addresses): read by the
generator, and by ``tools/dev.sh`` for the demo logins.
"""

import re
import unicodedata

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
    {
        "name": "Ana Souza",
        "login": "ana.souza@example.com",
        "tz": "America/Sao_Paulo",
        "countries": ("BR", "PT"),
    },
    {
        "name": "Dmitri Ivanov",
        "login": "dmitri.ivanov@example.com",
        "tz": "Europe/Moscow",
        "countries": ("RU", "PL", "DE"),
    },
    {
        "name": "Laura Martin",
        "login": "laura.martin@example.com",
        "tz": "Europe/Paris",
        "countries": ("FR", "ES", "IT", "NL"),
    },
]

# The sales manager leading their team.
SALES_MANAGER = {
    "name": "Helena Fischer",
    "login": "helena.fischer@example.com",
    "tz": "Europe/Berlin",
}

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
    "BR": (
        [
            ("João", 0),
            ("Maria", 1),
            ("Carlos", 0),
            ("Fernanda", 1),
            ("Rafael", 0),
            ("Juliana", 1),
            ("Paulo", 0),
            ("Beatriz", 1),
            ("Ricardo", 0),
            ("Camila", 1),
        ],
        [
            "Silva",
            "Santos",
            "Oliveira",
            "Pereira",
            "Costa",
            "Rodrigues",
            "Almeida",
            "Carvalho",
            "Ferreira",
            "Gomes",
            "Ribeiro",
            "Martins",
        ],
    ),
    "PT": (
        [
            ("Tiago", 0),
            ("Inês", 1),
            ("Miguel", 0),
            ("Catarina", 1),
            ("Rui", 0),
            ("Sofia", 1),
            ("Nuno", 0),
            ("Mariana", 1),
        ],
        [
            "Sousa",
            "Fernandes",
            "Gonçalves",
            "Lopes",
            "Marques",
            "Pinto",
            "Teixeira",
            "Moreira",
        ],
    ),
    "RU": (
        [
            ("Aleksei", 0),
            ("Olga", 1),
            ("Sergei", 0),
            ("Natalia", 1),
            ("Ivan", 0),
            ("Ekaterina", 1),
            ("Mikhail", 0),
            ("Anna", 1),
            ("Pavel", 0),
            ("Irina", 1),
        ],
        [
            "Petrov",
            "Smirnov",
            "Kuznetsov",
            "Volkov",
            "Sokolov",
            "Lebedev",
            "Popov",
            "Morozov",
            "Novikov",
            "Fedorov",
        ],
    ),
    "PL": (
        [
            ("Piotr", 0),
            ("Agnieszka", 1),
            ("Tomasz", 0),
            ("Katarzyna", 1),
            ("Marcin", 0),
            ("Magdalena", 1),
        ],
        ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Zieliński"],
    ),
    "DE": (
        [
            ("Jonas", 0),
            ("Katrin", 1),
            ("Stefan", 0),
            ("Anja", 1),
            ("Markus", 0),
            ("Julia", 1),
            ("Thomas", 0),
            ("Sabine", 1),
        ],
        [
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Becker",
            "Hoffmann",
            "Wagner",
        ],
    ),
    "FR": (
        [
            ("Julien", 0),
            ("Camille", 1),
            ("Nicolas", 0),
            ("Élodie", 1),
            ("Pierre", 0),
            ("Sophie", 1),
            ("Antoine", 0),
            ("Claire", 1),
        ],
        [
            "Dubois",
            "Lefèvre",
            "Moreau",
            "Laurent",
            "Girard",
            "Bonnet",
            "Fontaine",
            "Rousseau",
        ],
    ),
    "ES": (
        [
            ("Javier", 0),
            ("Lucía", 1),
            ("Alejandro", 0),
            ("Carmen", 1),
            ("Pablo", 0),
            ("Marta", 1),
        ],
        ["García", "Fernández", "López", "Martínez", "Sánchez", "Romero"],
    ),
    "IT": (
        [
            ("Marco", 0),
            ("Giulia", 1),
            ("Luca", 0),
            ("Francesca", 1),
            ("Davide", 0),
            ("Chiara", 1),
        ],
        ["Rossi", "Bianchi", "Romano", "Colombo", "Ricci", "Marino"],
    ),
    "NL": (
        [("Daan", 0), ("Sanne", 1), ("Bram", 0), ("Lotte", 1)],
        ["de Vries", "Jansen", "Bakker", "Visser"],
    ),
}

JOB_TITLES = [
    "Purchasing Manager",
    "Procurement Specialist",
    "Operations Director",
    "Maintenance Supervisor",
    "Plant Manager",
    "Chief Financial Officer",
    "Supply Chain Coordinator",
    "Technical Director",
]

# (name, internal reference, type, list price, quantity range, weight in orders)
PRODUCTS = [
    ("Industrial Ball Valve DN50", "RH-VLV-050", "consu", 185.0, (2, 24), 5),
    ("Pressure Transmitter PT-400", "RH-PT-400", "consu", 640.0, (1, 6), 2),
    ("Hydraulic Seal Kit", "RH-SEAL-KIT", "consu", 42.5, (5, 60), 4),
    ("Preventive Maintenance (hour)", "RH-SRV-PM", "service", 95.0, (2, 16), 2),
]

# The questions of the satisfaction survey that feed the score, NPS then CSAT
# (the benchmark's synthetic book asks them too).
SURVEY_QUESTIONS = [
    {
        "title": "How likely are you to recommend us to a colleague?",
        "question_type": "scale",
        "scale_min": 0,
        "scale_max": 10,
        "scale_min_label": "Not at all likely",
        "scale_max_label": "Extremely likely",
        "health_metric": "nps",
    },
    {
        "title": "How satisfied are you with our products and service?",
        "question_type": "scale",
        "scale_min": 1,
        "scale_max": 5,
        "scale_min_label": "Very dissatisfied",
        "scale_max_label": "Very satisfied",
        "health_metric": "csat",
    },
]

# Visit reports by customer mood (1 very unhappy .. 5 very happy):
# (outcome, next steps).
VISIT_REPORTS = {
    5: [
        (
            "Reviewed next year's volumes: a second production line is planned.",
            "Send a framework agreement proposal.",
        ),
        (
            "Very positive review; deliveries and support praised.",
            "Invite their team to the customer day.",
        ),
    ],
    4: [
        ("Routine review; deliveries on track.", "Follow up on the packaging request."),
        (
            "Presented the new pressure transmitter range.",
            "Send datasheets and a quotation.",
        ),
    ],
    3: [
        (
            "Mixed feedback: prices under review, lead times too long.",
            "Check shorter lead times with logistics.",
        ),
        (
            "Polite but reserved; they are re-tendering part of their needs.",
            "Prepare a competitive offer for the tender.",
        ),
    ],
    2: [
        (
            "Complaints about late deliveries and an open invoice dispute.",
            "Escalate the dispute to finance and call back within a week.",
        ),
        (
            "Maintenance team unhappy with the last intervention.",
            "Schedule a technician visit at our cost.",
        ),
    ],
    1: [
        (
            "The buyer says volumes are moving to a competitor.",
            "Sales manager to call their operations director.",
        ),
        (
            "Meeting cut short; formal complaint about repeated delays.",
            "Send a written recovery plan.",
        ),
    ],
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
    ("champion", 14),  # loyal, frequent buyers, happy, visited on time
    ("steady", 6),  # slower but regular buyers, satisfied
    ("newcomer", 3),  # first orders in the last three months
    ("recovering", 2),  # lost for half a year, won back this month
    ("lukewarm", 10),  # lukewarm surveys, late visits, some breaches
    ("slipping", 5),  # were healthy until a few weeks ago
    ("drifting", 12),  # used to buy regularly, stopped 3 to 9 months ago
    ("lost", 8),  # unhappy, stopped buying 7 to 12 months ago
    ("signed", 2),  # just signed: a visit plan, nothing else yet
]


def _ascii_slug(text, separator="-"):
    """Lower-case ASCII rendering of ``text`` for e-mail addresses."""
    text = text.replace("ł", "l").replace("Ł", "L").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", separator, text.lower()).strip(separator)


def _company_domain(name):
    """A fictitious mail domain for a company, e.g. ``metalurgica-sulista.example.com``."""
    legal_forms = (
        r"\b(ltda|s\.?a\.?|lda|ooo|ao|sp\. z o\.o\.|gmbh|ag|kg|co\.|sas|sarl|sa|"
        r"s\.l\.|s\.p\.a\.|s\.r\.l\.|b\.v\.)(?=\s|,|$)"
    )
    core = re.sub(legal_forms, " ", name.lower().replace("&", " "))
    words = [word for word in _ascii_slug(core, " ").split() if len(word) > 2][:3]
    return "-".join(words) + ".example.com"


def _family_name(country, family, female):
    if female and country == "RU":
        return family + "a"
    if female and country == "PL" and family.endswith("ski"):
        return family[:-1] + "a"
    return family
