"""Reasons and bands speak the reader's language."""

from health_common import HealthCase


class TestTranslations(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for lang in ("pt_BR", "ru_RU"):
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.module.module"]._load_module_terms(
            ["relationship_health"], ["pt_BR", "ru_RU"], overwrite=True
        )
        cls.account, cls.buyer = cls.make_account("Idiomas Ltda")
        for days in (124, 154, 184, 214):
            cls.order(cls.buyer, days)
        cls.account.action_recompute_health()

    def test_reasons_in_portuguese_and_russian(self):
        self.assertEqual(
            self.account.with_context(lang="pt_BR").health_reasons,
            "Nenhum pedido há 124 dias; este cliente costuma comprar a cada 30 dias.",
        )
        self.assertEqual(
            self.account.with_context(lang="ru_RU").health_reasons,
            "Нет заказов 124 дн.; обычно этот клиент заказывает каждые 30 дн.",
        )

    def test_band_labels(self):
        labels = dict(self.env["res.partner"].with_context(lang="pt_BR")._fields["health_band"]
                      ._description_selection(self.env(context={"lang": "pt_BR"})))
        self.assertEqual(labels["critical"], "Crítico")
        labels = dict(self.env["res.partner"]._fields["health_band"]
                      ._description_selection(self.env(context={"lang": "ru_RU"})))
        self.assertEqual(labels["at_risk"], "Под угрозой")
