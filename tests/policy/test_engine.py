"""Each rule kind, scopes, and the guarantees that hold whatever the files say."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from bot.domain import Action, ContextMessage, Platform, Sentiment
from bot.policy import decide, explain, load_policy
from tests.builders import make_message
from tests.policy.helpers import REPO, classified, edit, policy_copy

POLICY = load_policy(REPO / "policies")


def rules(decision: object) -> list[str]:
    return [m.rule for m in decision.matched_rules]  # type: ignore[attr-defined]


def test_question_goes_to_default_group_with_a_brief() -> None:
    d = decide(POLICY, make_message("How do I export my notes to Markdown?"), classified())
    assert d.action == Action.REPLY and d.group == "community" and not d.urgent
    assert d.brief is not None
    assert d.brief.strategy.startswith("Answer the question directly")
    assert any("Settings > Data > Export" in f for f in d.brief.facts)
    assert d.policy_version == POLICY.version
    assert rules(d) == ["defaults"]


@pytest.mark.parametrize(
    ("text", "language", "first"),
    [
        ("Is there a student discount?", "en", "There is no student or education discount"),
        ("Vous faites un tarif étudiant ?", "fr", "Il n'y a pas de réduction étudiante"),
        ("How much is the Pro plan?", "en", "Plans: Free"),
    ],
)
def test_the_facts_sentence_that_answers_comes_first(text: str, language: str, first: str) -> None:
    """A fact that says several things leads with what the message asked about: a small model
    answers from a fact's start (the prices, for a question about students)."""
    d = decide(POLICY, make_message(text), classified(language=language))
    assert d.brief is not None and d.brief.facts
    assert d.brief.facts[0].startswith(first)
    assert "4 euros" in d.brief.facts[0]  # reordered, nothing dropped


def test_legal_threat_goes_to_legal_urgently_with_a_holding_draft() -> None:
    d = decide(
        POLICY,
        make_message("My lawyer will contact you"),
        classified("complaint", flags=frozenset({"legal_threat"})),
    )
    assert (d.action, d.group, d.urgent) == (Action.ESCALATE, "legal", True)
    assert d.brief is not None and "holding reply" in d.brief.strategy
    assert rules(d)[0] == "legal-to-legal"


def test_safety_goes_to_humans_without_a_machine_draft() -> None:
    d = decide(POLICY, make_message("I want to end it all"), classified("safety"))
    assert (d.action, d.group, d.urgent, d.brief) == (Action.ESCALATE, "oncall", True, None)


def test_safety_wins_even_if_the_files_say_reply(tmp_path: Path) -> None:
    d_ = policy_copy(tmp_path)
    edit(
        d_,
        "routing.toml",
        'action = "escalate"\ngroup = "oncall"',
        'action = "reply"\ngroup = "community"',
    )
    policy = load_policy(d_)
    d = decide(policy, make_message("I want to end it all"), classified("safety"))
    assert (d.action, d.group, d.brief) == (Action.ESCALATE, "oncall", None)
    assert "guarantee:safety" in rules(d)


def test_attack_gets_a_calm_reply_draft_and_an_alert() -> None:
    d = decide(
        POLICY,
        make_message("you are all idiots"),
        classified("attack", sentiment=Sentiment.NEGATIVE, toxic=True),
    )
    assert d.action == Action.REPLY and d.urgent and d.brief is not None
    assert "Stay calm" not in d.brief.strategy  # the attack strategy, not the complaint one
    assert d.brief.strategy.startswith("Reply calmly in two short sentences")


def test_toxic_complaint_uses_the_toxic_tone_strategy(tmp_path: Path) -> None:
    d_ = policy_copy(tmp_path)
    # Without the attack rule, a toxic complaint falls to the complaint strategy's toxic key.
    edit(
        d_,
        "routing.toml",
        'when = { match = "any", intents = ["attack"], toxic = true }',
        'when = { intents = ["attack"] }',
    )
    d = decide(
        load_policy(d_),
        make_message("this update is garbage, you morons"),
        classified("complaint", sentiment=Sentiment.NEGATIVE, toxic=True),
    )
    assert d.brief is not None and d.brief.strategy.startswith("Stay calm")
    assert d.urgent and "guarantee:alert" in rules(d)


def test_sarcasm_uses_its_strategy() -> None:
    d = decide(
        POLICY,
        make_message("Great, another update that deletes my notes. Thanks."),
        classified("complaint", sentiment=Sentiment.NEGATIVE, flags=frozenset({"sarcasm"})),
    )
    assert d.brief is not None and "sarcastic" in d.brief.strategy


def test_spam_is_no_reply_but_kept() -> None:
    d = decide(
        POLICY, make_message("free crypto bit.ly/x"), classified("spam", flags=frozenset({"spam"}))
    )
    assert d.action == Action.NO_REPLY and d.brief is None
    assert rules(d) == ["spam-kept-unanswered"]


@pytest.mark.parametrize(
    ("intent", "toxic", "sentiment"),
    [
        ("attack", True, Sentiment.NEGATIVE),
        ("complaint", False, Sentiment.NEGATIVE),
        ("question", False, Sentiment.NEGATIVE),
        ("legal_threat", False, Sentiment.NEUTRAL),
    ],
)
def test_no_reply_never_silences_criticism_or_abuse(
    tmp_path: Path, intent: str, toxic: bool, sentiment: Sentiment
) -> None:
    d_ = policy_copy(tmp_path)
    # An admin tries to silence everything.
    (d_ / "routing.toml").write_text(
        (d_ / "routing.toml").read_text().split("# ---- Rules")[0]
        + '[[rule]]\nname = "silence"\nwhen = { min_confidence = 0.0 }\naction = "no_reply"\n'
    )
    # With the rules gone, the strategies only rules named go too, with their examples.
    replies = (d_ / "replies.toml").read_text()
    for name in ("hate", "injection", "other_product"):
        start = replies.index(f"[strategy.{name}]")
        end = replies.index("[strategy.", start + 1)
        replies = replies[:start] + replies[end:]
    replies = re.sub(
        r'\[\[example\]\]\nstrategy = "(hate|injection|other_product)"\n.*?\n\n',
        "",
        replies,
        flags=re.S,
    )
    (d_ / "replies.toml").write_text(replies)
    d = decide(
        load_policy(d_),
        make_message("whatever"),
        classified(intent, toxic=toxic, sentiment=sentiment),
    )
    assert d.action == Action.ESCALATE and d.brief is not None
    assert "guarantee:no-silence" in rules(d)


def test_bug_report_goes_to_product_with_a_ticket() -> None:
    d = decide(
        POLICY,
        make_message("Sync fails with E1023", channel="bug-reports"),
        classified("bug_report"),
    )
    assert (d.action, d.group) == (Action.REPLY, "product")
    assert d.ticket is not None and "[bug_report] discord #bug-reports" in d.ticket
    assert d.brief is not None and any("E1023" in f for f in d.brief.facts)


def test_keyword_rule_routes_billing_to_support() -> None:
    d = decide(POLICY, make_message("Ma facture est fausse"), classified(language="fr"))
    assert d.group == "support" and rules(d) == ["billing-to-support"]


def test_rule_scope_default_and_override(tmp_path: Path) -> None:
    d_ = policy_copy(tmp_path)
    edit(
        d_,
        "routing.toml",
        "platforms = []\nchannels = []\n\n# Approver",
        'platforms = ["discord"]\nchannels = []\n\n# Approver',
    )
    edit(
        d_,
        "routing.toml",
        'name = "feature-requests-to-product"',
        'name = "feature-requests-to-product"\nplatforms = ["slack"]\nchannels = ["ideas"]',
    )
    policy = load_policy(d_)
    # Defaults: the bug rule applies on Discord only.
    on_tg = decide(
        policy, make_message("crash", platform=Platform.TELEGRAM), classified("bug_report")
    )
    on_dc = decide(policy, make_message("crash"), classified("bug_report"))
    assert on_tg.group == "community" and on_dc.group == "product"
    # Per-rule override: feature requests to product only from Slack #ideas.
    ideas = make_message("dark mode please", platform=Platform.SLACK, channel="ideas")
    other = make_message("dark mode please", platform=Platform.SLACK, channel="random")
    assert decide(policy, ideas, classified("feature_request")).group == "product"
    ex = explain(policy, other, classified("feature_request"))
    assert ex.decision.group == "community"
    [v] = [v for v in ex.verdicts if v.rule == "feature-requests-to-product"]
    assert not v.matched and v.reason.startswith("out of scope: slack/random")


def test_platform_style_layers() -> None:
    discord = decide(POLICY, make_message("q"), classified())
    slack = decide(POLICY, make_message("q", platform=Platform.SLACK), classified())
    news = decide(POLICY, make_message("q", channel="announcements"), classified())
    assert discord.brief and slack.brief and news.brief
    assert (discord.brief.style.max_chars, discord.brief.style.formality) == (400, "tu")
    assert (slack.brief.style.max_sentences, slack.brief.style.formality) == (4, "vous")
    assert (news.brief.style.max_sentences, news.brief.style.end_with_question) == (2, False)


def test_facts_are_picked_by_relevance_and_capped() -> None:
    d = decide(
        POLICY, make_message("Comment exporter mes notes en PDF ?"), classified(language="fr")
    )
    # A French reply quotes the fact's French text.
    assert d.brief is not None and d.brief.facts[0].startswith("Export : Réglages")
    assert d.brief.fact_ids[0] == "export" and d.brief.answered
    none = decide(POLICY, make_message("hello there"), classified("praise"))
    assert none.brief is not None and none.brief.facts == ()
    many = decide(
        POLICY,
        make_message(
            "sync error E1023 on android, billing wrong, export pdf broken, dark mode, gdpr"
        ),
        classified("bug_report"),
    )
    assert many.brief is not None and len(many.brief.facts) == 3
    assert "E1023" in many.brief.facts[0]


def test_facts_found_by_meaning_without_a_keyword() -> None:
    message = make_message("the page stays white when I open the web app, just me?")
    keywords_only = decide(POLICY, message, classified())
    assert keywords_only.brief is not None and "status" not in keywords_only.brief.fact_ids
    d = decide(POLICY, message, classified(), meaning={"status": 0.58, "pricing": 0.2})
    assert d.brief is not None and d.brief.fact_ids == ("status",) and d.brief.answered
    [pick] = explain(POLICY, message, classified(), meaning={"status": 0.58}).facts
    assert pick.why == "meaning 0.58" and not pick.keywords
    # Close enough to offer, not to answer by itself.
    weak = decide(POLICY, message, classified(), meaning={"status": 0.47})
    assert weak.brief is not None and weak.brief.fact_ids == ("status",)
    assert not weak.brief.answered


def test_a_question_no_fact_answers_says_who_will() -> None:
    d = decide(POLICY, make_message("Does the desktop app run on Wayland?"), classified())
    assert d.brief is not None and d.brief.facts == () and not d.brief.answered
    assert d.brief.strategy.startswith("Thank them for asking. Do not answer yes or no")
    assert "guarantee:grounded" in rules(d)
    assert d.brief.group_label == "Community team"
    # The policy's model answers for that case, in the message's language.
    assert d.brief.examples and "follow up" in d.brief.examples[0][1]


def test_examples_follow_the_strategy_and_language() -> None:
    d = decide(
        POLICY,
        make_message("Tout le monde ici est nul"),
        classified("attack", toxic=True, language="fr"),
    )
    assert d.brief is not None
    assert d.brief.examples and all("?" in reply for _, reply in d.brief.examples)
    assert d.brief.examples[0][1].startswith("Désolés")


def test_context_reaches_the_brief() -> None:
    ctx = (ContextMessage(author="tob", text="Sync fails with E1023", from_brand=False),)
    d = decide(POLICY, make_message("still broken"), classified("complaint"), context=ctx)
    assert d.brief is not None and d.brief.context == ctx
    assert any("E1023" in f for f in d.brief.facts)  # facts use the thread too


def test_autosend_is_off_by_default() -> None:
    d = decide(POLICY, make_message("love it"), classified("praise", sentiment=Sentiment.POSITIVE))
    assert not d.auto_send


def test_autosend_opt_in_with_cap_and_signals(tmp_path: Path) -> None:
    d_ = policy_copy(tmp_path)
    edit(d_, "routing.toml", "enabled = false", "enabled = true")
    policy = load_policy(d_)
    praise = classified("praise", sentiment=Sentiment.POSITIVE)
    msg = make_message("love the new editor")
    assert decide(policy, msg, praise, auto_sends_in_window=2).auto_send
    capped = decide(policy, msg, praise, auto_sends_in_window=3)
    assert not capped.auto_send and "channel cap reached" in capped.matched_rules[-1].reason
    sarcastic = classified("praise", sentiment=Sentiment.POSITIVE, flags=frozenset({"sarcasm"}))
    assert not decide(policy, msg, sarcastic).auto_send
    unsure = classified("praise", sentiment=Sentiment.POSITIVE, confidence=0.5)
    assert not decide(policy, msg, unsure).auto_send
    assert not decide(policy, msg, classified("question")).auto_send


def test_explain_lists_every_rule() -> None:
    ex = explain(POLICY, make_message("buy now"), classified("spam"))
    assert [v.rule for v in ex.verdicts] == [r.name for r in POLICY.rules]
    applied = [v for v in ex.verdicts if v.applied]
    assert [v.rule for v in applied] == ["spam-kept-unanswered"]
    assert applied[0].reason == "intent spam in ['spam']"
    safety = next(v for v in ex.verdicts if v.rule == "safety-to-humans")
    assert not safety.matched and safety.reason.startswith("not: intent spam in ['safety']")


def test_no_action_can_remove_a_message() -> None:
    """The only actions are reply, escalate and no_reply; there is no code path to delete."""
    assert {str(a) for a in Action} == {"reply", "escalate", "no_reply"}
    import adapters.base as base

    for name in dir(base.Adapter):
        assert not any(w in name.lower() for w in ("delete", "hide", "ban", "mute", "kick"))


def test_chit_chat_is_left_to_the_community_but_not_silenced_when_negative() -> None:
    calm = decide(POLICY, make_message("anyone watching the match?"), classified("off_topic"))
    assert calm.action == Action.NO_REPLY and calm.brief is None
    upset = decide(
        POLICY,
        make_message("this place is a dump"),
        classified("off_topic", sentiment=Sentiment.NEGATIVE),
    )
    assert upset.action == Action.ESCALATE and "guarantee:no-silence" in rules(upset)


def test_one_keyword_answers_only_with_a_close_meaning() -> None:
    message = make_message("La synchro plante depuis la mise à jour, j'ai perdu deux notes.")
    far = decide(POLICY, message, classified(language="fr"), meaning={"status": 0.2})
    assert far.brief is not None and far.brief.facts and not far.brief.answered
    near = decide(POLICY, message, classified(language="fr"), meaning={"status": 0.47})
    assert near.brief is not None and near.brief.answered
    assert near.brief.fact_ids[0] == "status"


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("backup", "can I back up my notes?"),
        ("backup", "a back-up of all notebooks"),
        ("log in", "I can't login anymore"),
        ("e-mail", "my email changed"),
    ],
)
def test_a_keyword_is_found_in_one_word_two_or_with_a_hyphen(keyword: str, text: str) -> None:
    from bot.policy.match import keyword_in, normalize

    assert keyword_in(keyword, normalize(text))
    assert not keyword_in(keyword, normalize("nothing to see here"))


def test_the_export_fact_answers_a_question_about_backing_up() -> None:
    message = make_message("is there a way to back up everything before I switch phones?")
    brief = decide(POLICY, message, classified(), meaning={"export": 0.46}).brief
    assert brief is not None and brief.answered and brief.fact_ids[0] == "export"


def test_the_brief_keeps_the_sentence_that_raised_a_late_flag() -> None:
    text = "I love the editor. " * 150 + "My lawyer will hear about the lost notes."
    c = replace(
        classified("complaint", flags=frozenset({"legal_threat"})),
        evidence="My lawyer will hear about the lost notes.",
    )
    brief = decide(POLICY, make_message(text), c).brief  # escalated, with a draft for legal
    assert brief is not None and brief.evidence == "My lawyer will hear about the lost notes."
    quiet = decide(POLICY, make_message("How do I export?"), classified()).brief
    assert quiet is not None and quiet.evidence == ""
