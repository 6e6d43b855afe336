"""Long messages are read whole, in overlapping windows."""

from __future__ import annotations

from itertools import pairwise

from models.windows import LIMIT, SIZE, windows


def test_a_short_message_is_one_window() -> None:
    assert windows("Is sync down?") == ["Is sync down?"]
    text = "x" * SIZE
    assert windows(text) == [text]


def test_windows_cover_the_whole_message_with_overlap() -> None:
    sentences = [f"Sentence number {i} says something ordinary about notes." for i in range(200)]
    text = " ".join(sentences)
    parts = windows(text)
    assert len(parts) > 1 and all(len(p) <= SIZE for p in parts)
    for s in sentences:  # nothing is lost...
        assert any(s in p for p in parts), s
    # ...and each window starts on a sentence and repeats the end of the one before.
    for a, b in pairwise(parts):
        assert b.startswith("Sentence number")
        assert b.split(".")[0] in a


def test_text_without_spaces_is_still_cut() -> None:
    parts = windows("é" * (SIZE * 3 + 7))
    assert sum(len(p) for p in parts) >= SIZE * 3 + 7 and all(len(p) <= SIZE for p in parts)


def test_an_enormous_message_keeps_its_opening_and_its_end() -> None:
    text = "start. " + "blah blah. " * 20_000 + "the very end."
    parts = windows(text)
    assert len(parts) == LIMIT
    assert parts[0].startswith("start.") and parts[-1].endswith("the very end.")
