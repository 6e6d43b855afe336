"""`tactline classify` and `tactline eval` as a user runs them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main

pytestmark = pytest.mark.slow
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def run(monkeypatch: pytest.MonkeyPatch, stdin: str, *args: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["classify", *args])


def test_one_line_per_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        {"id": 1, "text": "My lawyer will contact you about my data.", "platform": "discord"},
        {"id": "b", "text": "Comment exporter mes notes ?"},
        {"id": 3, "text": ""},
    ]
    code = run(monkeypatch, "\n".join(json.dumps(x) for x in lines) + "\n", "--batch", "2")
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert [o["id"] for o in out] == [1, "b", 3]
    assert set(out[0]) == {
        "id",
        "language",
        "intent",
        "sentiment",
        "toxic",
        "toxicity",
        "flags",
        "confidence",
    }
    assert out[0]["intent"] == "legal_threat" and "legal_threat" in out[0]["flags"]
    assert out[1]["language"] == "fr" and out[1]["sentiment"] in ("negative", "neutral", "positive")


def test_bad_lines_are_reported_and_nothing_is_lost(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin = "\n".join(
        [
            json.dumps({"id": 1, "text": "hello"}),
            "{not json",
            json.dumps({"id": 3, "text": 42}),
            json.dumps({"id": 4, "text": "thanks!", "platform": "myspace"}),
            json.dumps({"id": 5, "text": "how do I sync?"}),
        ]
    )
    code = run(monkeypatch, stdin)
    captured = capsys.readouterr()
    out = [json.loads(x) for x in captured.out.splitlines()]
    assert code == 1
    assert [o.get("id") for o in out if "error" not in o] == [1, 5]
    errors = [o for o in out if "error" in o]
    assert [e["line"] for e in errors] == [2, 3, 4]
    assert "not JSON" in errors[0]["error"] and "unknown platform" in errors[2]["error"]
    assert "3 input line(s) could not be read" in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not next to the repo")
def test_eval_prints_metrics_and_confusion(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "eval",
                "--data",
                str(SHARED / "umsab" / "french"),
                "--task",
                "sentiment",
                "--limit",
                "120",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "macro-F1" in out and "macro-recall" in out and "true negative" in out


def test_eval_needs_a_task_for_a_folder_of_your_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "val_text.txt").write_text("good\nbad\n")
    (tmp_path / "val_labels.txt").write_text("2\n0\n")
    assert main(["eval", "--data", str(tmp_path)]) == 1
    assert "--task" in capsys.readouterr().err
    assert main(["eval", "--data", str(tmp_path), "--task", "sentiment"]) == 0
    assert "n=2" in capsys.readouterr().out
