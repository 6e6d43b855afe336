"""French drafts put in « vous » where the brand says « vous » (models/register.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain import Platform
from models.checks import check
from models.prompt import build_messages
from models.register import to_vous
from tests.models.briefs import STYLE, brief


@pytest.mark.parametrize(
    ("tu", "vous"),
    [
        (
            "Désolés que tu sois aussi frustré. Qu'est-ce qui ne marche pas ?",
            "Désolés que vous soyez aussi frustré. Qu'est-ce qui ne marche pas ?",
        ),
        (
            "Pour récupérer tes factures, tu peux écrire à support@inkwell.app.",
            "Pour récupérer vos factures, vous pouvez écrire à support@inkwell.app.",
        ),
        (
            "Tu n'as rien perdu : tu trouveras ta note dans la corbeille.",
            "Vous n'avez rien perdu : vous trouverez votre note dans la corbeille.",
        ),
        (
            "Peux-tu nous dire quelle version tu utilises ?",
            "Pouvez-vous nous dire quelle version vous utilisez ?",
        ),
        (
            "Écris-nous à support@inkwell.app, on te répond vite.",
            "Écrivez-nous à support@inkwell.app, on vous répond vite.",
        ),
        ("N'hésite pas si tu veux qu'on t'aide.", "N'hésitez pas si vous voulez qu'on vous aide."),
        ("Où t'attendais-tu à la voir ?", "Où vous attendiez-vous à la voir ?"),
        (
            "Si tu ne la vois pas, dis-moi ton appareil.",
            "Si vous ne la voyez pas, dites-moi votre appareil.",
        ),
        ("Tu t'attendais à mieux, on comprend.", "Vous vous attendiez à mieux, on comprend."),
        ("Merci pour toi !", "Merci pour vous !"),
        ("Le tutoriel t'aidera.", "Le tutoriel vous aidera."),  # « tu » inside a word
        ("Regarde celle-la, tu verras.", "Regarde celle-la, vous verrez."),  # no imperative
    ],
)
def test_tu_is_put_in_vous(tu: str, vous: str) -> None:
    assert to_vous(tu) == vous


@pytest.mark.parametrize(
    "text",
    [
        "Le ton de ce message ne nous plaît pas.",  # a tone, not « ton »
        "Vous pouvez exporter vos notes en Markdown.",
    ],
)
def test_text_without_tu_is_left_alone(text: str) -> None:
    assert to_vous(text) == text


def test_a_verb_it_does_not_know_is_left_as_it_is() -> None:
    assert to_vous("Tu conclus vite.") == "Tu conclus vite."


def test_a_draft_in_tu_is_sent_in_vous_where_the_platform_says_vous_and_kept_where_tu() -> None:
    message = "Le modérateur est un abruti fini."
    vous = brief(message, language="fr", intent="attack", facts=(), platform=Platform.TELEGRAM)
    text, notes = check("Désolés que tu sois aussi frustré. Qu'est-ce qui ne va pas ?", vous)
    assert text == "Désolés que vous soyez aussi frustré. Qu'est-ce qui ne va pas ?"
    assert "put « tu » in « vous », as this platform says" in notes
    assert not any(n.startswith("check the register") for n in notes)
    tu = replace(vous, style=replace(STYLE, formality="tu"), platform=Platform.DISCORD)
    text, notes = check("Désolés que tu sois aussi frustré. Qu'est-ce qui ne va pas ?", tu)
    assert text == "Désolés que tu sois aussi frustré. Qu'est-ce qui ne va pas ?"
    assert not any("register" in n or "« vous »" in n for n in notes)


def test_the_examples_shown_to_the_model_speak_the_platforms_register() -> None:
    example = ("Ça plante encore", "Désolés pour ce souci. Tu es sur quelle version ?")
    vous = brief("Ça ne synchronise plus", language="fr", examples=(example,))
    shown = [m.content for m in build_messages(vous) if m.role == "assistant"]
    assert shown == ["Désolés pour ce souci. Vous êtes sur quelle version ?"]
    tu = replace(vous, style=replace(STYLE, formality="tu"))
    shown = [m.content for m in build_messages(tu) if m.role == "assistant"]
    assert shown == [example[1]]
