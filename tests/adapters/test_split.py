"""Long replies are split on clean boundaries, code fences stay balanced."""

from __future__ import annotations

from adapters.split import split_text


def test_short_text_is_one_part() -> None:
    assert split_text("hello", 2000) == ["hello"]


def test_splits_on_sentences_within_the_limit() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(200))
    parts = split_text(text, 500)
    assert all(len(p) <= 500 for p in parts)
    assert all(p.endswith(".") for p in parts)
    assert " ".join(parts) == text


def test_code_fences_are_closed_and_reopened() -> None:
    code = "```python\n" + "\n".join(f"print({i})" for i in range(300)) + "\n```"
    parts = split_text("Try this:\n" + code, 400)
    assert len(parts) > 1
    for p in parts:
        assert len(p) <= 400 and p.count("```") % 2 == 0
    assert parts[1].startswith("```python\n")


def test_a_single_huge_word_is_cut_hard() -> None:
    parts = split_text("x" * 5000, 2000)
    assert [len(p) for p in parts][:2] == [1996, 1996] and "".join(parts) == "x" * 5000
