"""The monthly service-level report: the adherence view behind the pivot, the
printable report per account and sending it to the customer."""

import io
from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from PyPDF2 import PdfReader

from odoo import Command, fields
from odoo.exceptions import AccessError

from health_common import ServiceLevelCase

REPORT = "relationship_health.action_report_service_level"
REPORT_INTERNAL = "relationship_health.action_report_service_level_internal"


def pdf_text(pdf):
    """The text of every page of a PDF (bytes), whitespace collapsed."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


class TestSlaReport(ServiceLevelCase):
    def report_html(self, report, partners):
        """The service-level report ``report`` of ``partners``, as HTML."""
        html = self.env["ir.actions.report"]._render_qweb_html(report, partners.ids)
        return html[0].decode()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Report = cls.env["relationship.sla.report"]
        cls.deliveries = cls.Policy.create(
            {
                "name": "Deliveries within 5 days",
                "metric": "delivery",
                "target_type": "days",
                "target_value": 5,
                "company_id": False,
                "description": "Your order reaches you within five days.",
            }
        )
        cls.answers = cls.Policy.create(
            {
                "name": "Answers within 24 hours",
                "metric": "first_response",
                "target_type": "hours",
                "target_value": 24,
                "company_id": False,
            }
        )
        cls.account, cls.buyer = cls.make_account("Valve Works")
        this_month = cls.today.replace(day=1)
        cls.month_1 = this_month - relativedelta(months=1)
        cls.month_2 = this_month - relativedelta(months=2)

        def due(month, late_hours=None, policy=None, name="Commitment", **extra):
            deadline = datetime.combine(month + timedelta(days=9), time(12, 0))
            return cls.Event.create(
                {
                    "name": name,
                    "partner_id": cls.account.id,
                    "policy_id": (policy or cls.deliveries).id,
                    "date_start": deadline - timedelta(days=2),
                    "date_deadline": deadline,
                    "date_done": deadline + timedelta(hours=late_hours)
                    if late_hours is not None
                    else False,
                    **extra,
                }
            )

        # Last month: deliveries 1 met and 1 breached (30 hours late), answers 1 met.
        due(cls.month_1, -5)
        due(cls.month_1, 30, name="Delivery S00042")
        due(cls.month_1, -1, cls.answers)
        # Two months ago: a delivery still open past its deadline, answers 1 met.
        due(cls.month_2, None, name="Delivery S00017")
        due(cls.month_2, -2, cls.answers)
        # Neither counts: an archived breach, and a commitment not due yet.
        due(cls.month_1, 50, active=False)
        cls.Event.create(
            {
                "name": "Not due yet",
                "partner_id": cls.account.id,
                "policy_id": cls.deliveries.id,
                "date_start": fields.Datetime.now(),
                "date_deadline": fields.Datetime.now() + timedelta(days=400),
            }
        )
        cls.snapshots_for = cls.env["relationship.health.snapshot"].create(
            [
                {
                    "partner_id": cls.account.id,
                    "snapshot_date": cls.month_1 + timedelta(days=3),
                    "score": 70.0,
                    "band": "watch",
                },
                {
                    "partner_id": cls.account.id,
                    "snapshot_date": cls.month_1 + timedelta(days=20),
                    "score": 60.0,
                    "band": "at_risk",
                },
            ]
        )

    def grouped(self, groupby):
        """{group key (a tuple when grouped by several fields): (commitments,
        met, breached, adherence)} of the account."""
        result = {}
        for row in self.Report._read_group(
            [("partner_id", "=", self.account.id)],
            groupby,
            ["event_count:sum", "met_count:sum", "breached_count:sum", "adherence:avg"],
        ):
            key = row[: len(groupby)]
            result[key if len(key) > 1 else key[0]] = tuple(row[len(groupby) :])
        return result

    def test_adherence_per_month_and_policy(self):
        rows = self.grouped(["date_deadline:month", "policy_id"])
        m1, m2 = self.month_1, self.month_2

        def key(month, policy):
            return next(k for k in rows if k[0].date() == month and k[1] == policy)

        self.assertEqual(rows[key(m1, self.deliveries)], (2, 1, 1, 50.0))
        self.assertEqual(rows[key(m1, self.answers)], (1, 1, 0, 100.0))
        self.assertEqual(
            rows[key(m2, self.deliveries)],
            (1, 0, 1, 0.0),
            "open past its deadline: breached",
        )
        self.assertEqual(rows[key(m2, self.answers)], (1, 1, 0, 100.0))
        by_policy = self.grouped(["policy_id"])
        self.assertEqual(
            by_policy[self.deliveries][:3], (4, 1, 2), "the one not due counts nowhere"
        )
        self.assertAlmostEqual(by_policy[self.deliveries][3], 100.0 / 3)
        months = self.grouped(["date_deadline:month"])
        last_month = next(v for k, v in months.items() if k.date() == m1)
        self.assertAlmostEqual(last_month[3], 200.0 / 3, msg="weighted by commitments")
        late = self.Report.search(
            [("partner_id", "=", self.account.id), ("name", "=", "Delivery S00042")]
        )
        self.assertAlmostEqual(late.delay_hours, 30.0)

    def test_the_report_prints_months_policies_and_breaches(self):
        html = self.report_html(REPORT, self.buyer)
        self.assertIn("Service-level report", html)
        self.assertIn("Valve Works", html)
        self.assertIn("Deliveries within 5 days", html)
        self.assertIn("Your order reaches you within five days.", html)
        self.assertIn("Delivery S00042", html)
        self.assertIn("Delivery S00017", html)
        self.assertIn("Not done yet", html)
        self.assertIn("30.0 hours", html)
        self.assertIn("33.3", html)  # deliveries over the year
        self.assertIn("66.7", html)  # last month
        self.assertNotIn(
            "Health score", html, "the customer's copy has no internal score"
        )
        internal = self.report_html(REPORT_INTERNAL, self.account)
        self.assertIn("Health score", internal)
        self.assertIn("65.0", internal)  # last month's average score
        self.assertIn("At Risk", internal)  # its last band

    def test_the_report_speaks_the_customers_language(self):
        self.env["res.lang"]._activate_lang("pt_BR")
        self.env["ir.module.module"]._load_module_terms(
            ["relationship_health"], ["pt_BR"], overwrite=True
        )
        self.account.lang = "pt_BR"
        html = self.report_html(REPORT, self.account)
        self.assertIn("Relatório de níveis de serviço", html)
        self.assertIn("Compromissos que não cumprimos", html)
        months = [
            "Janeiro",
            "Fevereiro",
            "Março",
            "Abril",
            "Maio",
            "Junho",
            "Julho",
            "Agosto",
            "Setembro",
            "Outubro",
            "Novembro",
            "Dezembro",
        ]
        self.assertIn(f"{months[self.month_1.month - 1]} {self.month_1.year}", html)

    def test_pdf_with_wkhtmltopdf(self):
        # make test installs wkhtmltopdf: without it this fails, never skips.
        self.assertEqual(
            self.env["ir.actions.report"].get_wkhtmltopdf_state(),
            "ok",
            "wkhtmltopdf must be installed (tools/dev.sh test installs it)",
        )
        # In test mode Odoo renders reports as HTML unless told to render them.
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(REPORT, self.account.ids)
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = pdf_text(pdf)
        self.assertIn("Service-level report", text)
        self.assertIn("Valve Works", text)
        self.assertIn("Deliveries within 5 days", text)

    def test_send_the_report_to_the_customer(self):
        action = self.buyer.with_user(self.salesman).action_send_service_report()
        # The real PDF, as outside test mode (where Odoo would attach HTML).
        composer = (
            self.env["mail.compose.message"]
            .with_user(self.salesman)
            .with_context(action["context"], force_report_rendering=True)
            .create({})
        )
        self.assertEqual(composer.res_ids, str(self.account.ids))
        self.assertIn("service-level report", composer.subject)
        self.assertEqual(composer.partner_ids, self.buyer)
        self.assertEqual(len(composer.attachment_ids), 1)
        # A PDF, or its HTML when the tests run without wkhtmltopdf rendering.
        self.assertRegex(
            composer.attachment_ids.name,
            r"^Service-level report - Valve Works\.(pdf|html)$",
        )
        self.assertEqual(
            composer.attachment_ids.name, "Service-level report - Valve Works.pdf"
        )
        self.assertEqual(composer.attachment_ids.mimetype, "application/pdf")
        self.assertTrue(composer.attachment_ids.raw.startswith(b"%PDF"))
        self.assertIn("Valve Works", pdf_text(composer.attachment_ids.raw))
        composer._action_send_mail()
        message = self.account.message_ids[0]
        self.assertEqual(message.attachment_ids.name, composer.attachment_ids.name)
        self.assertIn(self.buyer, message.partner_ids)

    def test_salesmen_read_the_report_of_their_company_only(self):
        other = self.env["res.company"].create({"name": "Valves Iberia"})
        self.Event.create(
            {
                "name": "Iberian delivery",
                "partner_id": self.account.id,
                "company_id": other.id,
                "date_start": datetime.combine(self.month_1, time(8)),
                "date_deadline": datetime.combine(self.month_1, time(18)),
            }
        )
        rows = self.Report.with_user(self.salesman).search(
            [("partner_id", "=", self.account.id)]
        )
        self.assertEqual(len(rows), 6)
        self.assertNotIn("Iberian delivery", rows.mapped("name"))
        with self.assertRaises(AccessError):
            self.Report.with_user(self.salesman).create({"name": "Forged"})
        self.assertEqual(
            len(self.Report.search([("partner_id", "=", self.account.id)])), 7
        )
        self.assertTrue(
            self.env["ir.actions.report"]
            .with_user(self.salesman)
            ._render_qweb_html(REPORT, self.account.ids)[0]
        )

    def test_policy_coverage_changes_nothing_already_recorded(self):
        self.deliveries.write(
            {"scope": "partners", "partner_ids": [Command.link(self.account.id)]}
        )
        self.assertEqual(self.grouped(["policy_id"])[self.deliveries][:3], (4, 1, 2))
