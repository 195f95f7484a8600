"""Reasons, bands and shipped data speak the reader's language (pt_BR, ru)."""

from health_common import HealthCase

# Odoo's code for Russian is ru_RU; it reads the addon's i18n/ru.po.
LANGS = ("pt_BR", "ru_RU")

#: The reason of the account with a buying rhythm, in each language.
RHYTHM_REASONS = {
    "pt_BR": "Nenhum pedido há 124 dias; este cliente costuma comprar a cada 30 dias.",
    "ru_RU": "Нет заказов 124 дн.; обычно этот клиент заказывает каждые 30 дн.",
}

#: The reasons of the lapsed account (no rhythm yet, a commitment missed).
LAPSED_REASONS = {
    "pt_BR": [
        "1 de 1 compromissos de nível de serviço descumpridos no último ano "
        "(cumprimento de 0.0%).",
        "Nenhum pedido há 180 dias; como ainda não há um ritmo de compra, "
        "espera-se um pedido a cada 90 dias.",
    ],
    "ru_RU": [
        "Нарушено 1 из 1 обязательств по уровню обслуживания за последний год "
        "(соблюдение 0.0%).",
        "Нет заказов 180 дн.; ритма покупок ещё нет, поэтому заказ ожидается "
        "каждые 90 дн.",
    ],
}


class TestTranslations(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for lang in LANGS:
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.module.module"]._load_module_terms(
            ["relationship_health"], list(LANGS), overwrite=True
        )
        # A buying rhythm of 30 days, last order 124 days ago.
        cls.rhythm, buyer = cls.make_account("Idiomas Ltda")
        for days in (124, 154, 184, 214):
            cls.order(buyer, days)
        # One order 180 days ago (no rhythm yet: default interval 90 days) and
        # one service commitment still open past its deadline.
        cls.lapsed, buyer = cls.make_account("Языки ООО")
        cls.order(buyer, 180)
        cls.sla(cls.lapsed, 3, done_late_days=None)
        (cls.rhythm | cls.lapsed).action_recompute_health()

    def reasons(self, account, lang):
        return account.with_context(lang=lang).health_reasons

    def assertReasons(self, lang):
        """Both accounts' reasons read as RHYTHM_REASONS and LAPSED_REASONS say."""
        self.assertEqual(self.reasons(self.rhythm, lang), RHYTHM_REASONS[lang])
        self.assertEqual(
            self.reasons(self.lapsed, lang).splitlines(), LAPSED_REASONS[lang]
        )

    def test_reasons_in_portuguese(self):
        self.assertReasons("pt_BR")

    def test_reasons_in_russian(self):
        self.assertReasons("ru_RU")

    def test_english_stays_english(self):
        self.assertEqual(
            self.reasons(self.rhythm, "en_US"),
            "No order for 124 days; this customer usually orders every 30 days.",
        )

    def labels(self, field, lang):
        partners = self.env["res.partner"].with_context(lang=lang)
        return dict(partners._fields[field]._description_selection(partners.env))

    def test_band_labels(self):
        self.assertEqual(self.rhythm.health_band, "critical")
        pt, ru = (
            self.labels("health_band", "pt_BR"),
            self.labels("health_band", "ru_RU"),
        )
        self.assertEqual(pt[self.rhythm.health_band], "Crítico")
        self.assertEqual(ru[self.rhythm.health_band], "Критично")
        self.assertEqual((pt["at_risk"], pt["healthy"]), ("Em risco", "Saudável"))
        self.assertEqual((ru["at_risk"], ru["healthy"]), ("Под угрозой", "В норме"))

    def test_servqual_and_quadrant_labels(self):
        self.assertEqual(
            list(self.labels("health_servqual_weakest", "pt_BR").values()),
            [
                "Confiabilidade",
                "Responsividade",
                "Segurança",
                "Empatia",
                "Tangibilidade",
            ],
        )
        self.assertEqual(
            list(self.labels("health_servqual_weakest", "ru_RU").values()),
            ["Надёжность", "Отзывчивость", "Уверенность", "Эмпатия", "Осязаемость"],
        )
        self.assertEqual(self.labels("health_quadrant", "pt_BR")["barnacle"], "Craca")
        self.assertEqual(
            self.labels("health_quadrant", "ru_RU")["true_friend"], "Настоящий друг"
        )

    def test_shipped_survey_is_translated(self):
        survey = self.env.ref("relationship_health.survey_servqual")
        self.assertEqual(
            survey.with_context(lang="pt_BR").title, "Qualidade de serviço (SERVQUAL)"
        )
        self.assertEqual(
            survey.with_context(lang="ru_RU").title, "Качество обслуживания (SERVQUAL)"
        )
        item = self.env.ref(
            "relationship_health.survey_servqual_reliability_1_expectation"
        )
        self.assertEqual(
            item.with_context(lang="pt_BR").scale_max_label, "Concordo totalmente"
        )
        self.assertEqual(
            item.with_context(lang="ru_RU").scale_min_label, "Совершенно не согласен"
        )
