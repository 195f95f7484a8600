"""Every addon's translation files are complete and keep the template's
placeholders and markup (runs without Odoo:
``python3 -m pytest tests/test_i18n_files.py -p no:odoo``)."""

import re
from collections import Counter
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("pt_BR", "ru")
TEMPLATES = sorted(ROOT.glob("*/i18n/*.pot"))

PLACEHOLDERS = [
    re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdrf]"),  # %(name)s
    re.compile(r"%[sdrf%]"),  # %s, %d, %%
    re.compile(r"\{\{.*?\}\}"),  # {{ inline template }}
    re.compile(r"<[^>]+>"),  # markup: tags with their attributes
]


# Attributes whose values are text for the reader, translated like the rest.
TRANSLATED_ATTRIBUTE = re.compile(
    r'\b(title|alt|aria-label|placeholder|data-tooltip)="[^"]*"'
)


def tokens(text):
    # ``%%`` is matched once, not as two ``%`` signs followed by something.
    found = Counter()
    rest = text
    for pattern in PLACEHOLDERS:
        for match in pattern.findall(rest):
            found[TRANSLATED_ATTRIBUTE.sub(r'\1="…"', match)] += 1
        rest = pattern.sub(" ", rest)
    return found


def test_translated_attributes_may_differ_but_not_the_markup():
    assert tokens('<i class="fa" aria-label="Revenue"/>') == tokens(
        '<i class="fa" aria-label="Receita"/>'
    )
    assert tokens('<i class="fa" aria-label="Revenue"/>') != tokens(
        '<i class="fa-x" aria-label="Receita"/>'
    )
    assert tokens("%(name)s %%") != tokens("%(nome)s %%")


def cases():
    for pot in TEMPLATES:
        for lang in LANGS:
            yield pytest.param(pot, lang, id=f"{pot.parent.parent.name}-{lang}")


def test_every_addon_with_a_template_is_checked():
    assert any(p.parent.parent.name == "relationship_health" for p in TEMPLATES)


@pytest.mark.parametrize("pot_path,lang", list(cases()))
def test_translation_file_is_complete(pot_path, lang):
    po_path = pot_path.parent / f"{lang}.po"
    assert po_path.exists(), f"{po_path} is missing"
    pot, po = polib.pofile(str(pot_path)), polib.pofile(str(po_path))
    assert po.metadata.get("Language") == lang
    assert "charset=UTF-8" in po.metadata.get("Content-Type", "")
    translations = {entry.msgid: entry for entry in po if not entry.obsolete}
    template = [entry.msgid for entry in pot if entry.msgid]
    missing = [msgid for msgid in template if msgid not in translations]
    assert (
        not missing
    ), f"{len(missing)} msgids of the template are not in {po_path.name}: {missing[:5]}"
    stale = sorted(set(translations) - set(template))
    assert (
        not stale
    ), f"{po_path.name} has msgids the template no longer has: {stale[:5]}"
    empty = [m for m in template if not translations[m].msgstr.strip()]
    assert not empty, f"{len(empty)} untranslated in {po_path.name}: {empty[:5]}"
    fuzzy = [m for m in template if "fuzzy" in translations[m].flags]
    assert not fuzzy, f"fuzzy entries in {po_path.name}: {fuzzy[:5]}"


@pytest.mark.parametrize("pot_path,lang", list(cases()))
def test_placeholders_and_markup_are_kept(pot_path, lang):
    po = polib.pofile(str(pot_path.parent / f"{lang}.po"))
    wrong = [
        (entry.msgid, entry.msgstr)
        for entry in po
        if entry.msgid and entry.msgstr and tokens(entry.msgid) != tokens(entry.msgstr)
    ]
    assert not wrong, "placeholders or markup differ:\n" + "\n".join(
        f"  {msgid!r}\n    -> {msgstr!r}" for msgid, msgstr in wrong[:10]
    )
