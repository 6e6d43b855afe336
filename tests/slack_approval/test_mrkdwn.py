"""The escaping helpers every Slack text goes through."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.slack_approval.mrkdwn import (
    Mrkdwn,
    bold,
    clip,
    context,
    date,
    escape,
    fmt,
    link,
    quote,
    subteam,
    user,
)


def test_escape_makes_mentions_links_and_entities_literal() -> None:
    assert escape("<!channel> <@U1> <https://x|y> a&b &lt;") == (
        "&lt;!channel&gt; &lt;@U1&gt; &lt;https://x|y&gt; a&amp;b &amp;lt;"
    )
    assert escape(escape("<b>")) == "&lt;b&gt;"  # Mrkdwn is not escaped twice


def test_plain_text_is_escaped_wherever_it_meets_markup() -> None:
    name = "<!here>"
    assert fmt("{} said {:.0%}", bold(name), 0.5) == "*&lt;!here&gt;* said 50%"
    assert Mrkdwn("*a* ") + name == "*a* &lt;!here&gt;"
    assert name + Mrkdwn(" *a*") == "&lt;!here&gt; *a*"
    assert Mrkdwn(" · ").join([name, bold("b")]) == "&lt;!here&gt; · *b*"
    assert context(f"raw {name}")["elements"][0]["text"] == "raw &lt;!here&gt;"
    # A slice of markup is plain text again (it may have cut an entity).
    assert escape(Mrkdwn("<@U1>")[:3]) == "&lt;@U"


def test_quote_escapes_each_line_and_keeps_the_member_inside_the_quote() -> None:
    assert quote("hi\n>>> <!channel>") == "> hi\n> &gt;&gt;&gt; &lt;!channel&gt;"


def test_only_tactlines_own_mentions_and_links_are_live() -> None:
    assert user("U_ANA") == "<@U_ANA>"
    assert user("U1> <!channel") == "U1&gt; &lt;!channel"
    assert subteam("S0COMMUNITY") == "<!subteam^S0COMMUNITY>"
    assert subteam("S1|x> <!here") == "S1|x&gt; &lt;!here"
    assert link("https://a.example/p?x=1&y=<!here>|fake", "open <b>") == (
        "<https://a.example/p?x=1&amp;y=%3C!here%3E%7Cfake|open &lt;b&gt;>"
    )
    assert link("javascript:alert(1)", "open") == "open"
    assert link(None, "x") == "x"
    when = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    assert date(when) == "<!date^1767323040^{date_short_pretty} {time}|2026-01-02 03:04 UTC>"


def test_clip_never_ends_inside_an_entity_or_a_link() -> None:
    assert clip("abc<", 7) == "abc&lt;"  # the limit counts what Slack receives
    assert clip("abcd<e", 7) == "abcd…"  # not "abcd&l…"
    cut = clip(Mrkdwn("ab <https://x.example|y>"), 10)
    assert cut == "ab …" and isinstance(cut, Mrkdwn)
