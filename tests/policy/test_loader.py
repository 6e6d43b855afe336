"""Broken policy files are each one clear `path:line: reason`, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import PolicyErrors
from bot.policy import load_policy
from tests.policy.helpers import REPO, edit, policy_copy


def problems(directory: Path) -> list[str]:
    with pytest.raises(PolicyErrors) as exc:
        load_policy(directory)
    return [str(p) for p in exc.value.problems]


def line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(f"{needle!r} not in {path}")


def test_shipped_policy_loads() -> None:
    policy = load_policy(REPO / "policies")
    names = set(policy.intent_names)
    assert {
        "question",
        "complaint",
        "bug_report",
        "feature_request",
        "praise",
        "feedback",
        "attack",
        "spam",
        "legal_threat",
        "safety",
        "off_topic",
    } <= names
    for spec in policy.intents:
        assert spec.examples.get("en") and spec.examples.get("fr"), spec.name
    assert len(policy.version) == 12
    assert policy.autosend.enabled is False


def test_version_is_a_content_hash(tmp_path: Path) -> None:
    d = policy_copy(tmp_path)
    before = load_policy(d).version
    assert load_policy(d).version == before
    edit(d, "brand.toml", "max_facts = 3", "max_facts = 2")
    assert load_policy(d).version != before


def test_bad_toml_names_the_line(tmp_path: Path) -> None:
    d = policy_copy(tmp_path)
    edit(d, "routing.toml", 'name = "spam-kept-unanswered"', 'name = "spam-kept-unanswered')
    [p] = problems(d)
    line = line_of(d / "routing.toml", 'name = "spam-kept-unanswered')
    assert p.startswith(f"{d / 'routing.toml'}:{line}: not valid TOML")


def test_unknown_key_is_reported_where_it_is(tmp_path: Path) -> None:
    d = policy_copy(tmp_path)
    edit(d, "routing.toml", "ticket = true", "ticket = true\nescalte = true")
    [p] = problems(d)
    line = line_of(d / "routing.toml", "escalte")
    assert p == f"{d / 'routing.toml'}:{line}: unknown key 'rule.8.escalte'"


def test_wrong_type(tmp_path: Path) -> None:
    d = policy_copy(tmp_path)
    edit(d, "replies.toml", "max_chars = 350", 'max_chars = "short"')
    [p] = problems(d)
    line = line_of(d / "replies.toml", 'max_chars = "short"')
    assert p.startswith(f"{d / 'replies.toml'}:{line}: style.telegram.max_chars:")
    assert "integer" in p


def test_unknown_intent_and_group(tmp_path: Path) -> None:
    d = policy_copy(tmp_path)
    edit(d, "routing.toml", 'intents = ["bug_report"]', 'intents = ["bugreport"]')
    edit(d, "routing.toml", 'group = "product"\nticket', 'group = "produit"\nticket')
    ps = problems(d)
    assert any("unknown intent 'bugreport'" in p for p in ps)
    line = line_of(d / "routing.toml", 'group = "produit"')
    assert f"{d / 'routing.toml'}:{line}: unknown group 'produit' " in "\n".join(ps)


def test_strategy_for_unknown_intent(tmp_path: Path) -> None:
    d = policy_copy(tmp_path)
    edit(d, "replies.toml", "[strategy.praise]", "[strategy.prayse]")
    ps = problems(d)
    assert (
        f"{d / 'replies.toml'}:{line_of(d / 'replies.toml', 'prayse')}: "
        "strategy for unknown intent 'prayse' (and no rule names it)"
    ) in ps
    # The examples written for the table the typo renamed point at it too.
    assert any("example for unknown strategy 'praise'" in p for p in ps)


@pytest.mark.parametrize("verb", ["delete", "hide", "ban", "mute"])
def test_censoring_actions_do_not_exist(tmp_path: Path, verb: str) -> None:
    d = policy_copy(tmp_path)
    edit(d, "routing.toml", 'action = "no_reply"', f'action = "{verb}"')
    [p] = problems(d)
    assert f"action {verb!r} is not possible: Tactline never deletes, hides, mutes or bans" in p


def test_empty_and_missing_files(tmp_path: Path) -> None:
    d = policy_copy(tmp_path)
    (d / "brand.toml").write_text("# nothing yet\n\n")
    (d / "intents.toml").unlink()
    ps = problems(d)
    assert f"{d / 'brand.toml'}:1: file is empty" in ps
    assert f"{d / 'intents.toml'}:1: file is missing" in ps


def test_stray_file_and_not_utf8(tmp_path: Path) -> None:
    d = policy_copy(tmp_path)
    (d / "rooting.toml").write_text("[defaults]\n")
    (d / "brand.toml").write_bytes(b"\xff\xfe[brand]\n")
    ps = problems(d)
    assert any(p.startswith(f"{d / 'rooting.toml'}:1: unknown policy file") for p in ps)
    assert f"{d / 'brand.toml'}:1: not UTF-8 text" in ps


def test_autosend_never_covers_risky_intents(tmp_path: Path) -> None:
    d = policy_copy(tmp_path)
    edit(d, "routing.toml", 'intents = ["praise"]', 'intents = ["praise", "complaint"]')
    [p] = problems(d)
    assert "'complaint' is never low-risk" in p


def test_bad_slack_id(tmp_path: Path) -> None:
    d = policy_copy(tmp_path)
    edit(d, "routing.toml", 'approvers = ["U0LEGALLEAD"]', 'approvers = ["@legal"]')
    [p] = problems(d)
    line = line_of(d / "routing.toml", '"@legal"')
    assert p.startswith(f"{d / 'routing.toml'}:{line}: groups.legal.approvers:")
    assert "not a Slack user" in p


def test_every_problem_at_once(tmp_path: Path) -> None:
    d = policy_copy(tmp_path)
    edit(d, "routing.toml", 'action = "no_reply"', 'action = "delete"')
    edit(d, "replies.toml", "max_sentences = 3\nend", "max_sentences = 0\nend")
    assert len(problems(d)) == 2


def test_missing_directory() -> None:
    [p] = problems(Path("/nonexistent/policies"))
    assert p == "/nonexistent/policies:1: policy directory not found"
