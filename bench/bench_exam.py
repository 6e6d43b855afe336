"""The draft exam (``../shared/exam``) on the shipped policy and the default model: the share
of drafts a moderator would approve as they are, and how often the verifier repaired a
draft, asked for a second generation, or handed the reply to a human.

    .venv/bin/python bench/bench_exam.py [CASES.jsonl]

The exam runs ``tactline draft`` on every case; its cases are a development set, so the
figure is also checked on other messages of the same kinds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAM = REPO.parent / "shared" / "exam" / "exam.py"


def main() -> int:
    if not EXAM.is_file():
        print(f"the draft exam is not at {EXAM}: skipped")
        return 0
    out = REPO / "var" / "exam"
    cmd = [sys.executable, str(EXAM), str(REPO / ".venv" / "bin" / "tactline"), str(out)]
    proc = subprocess.run(cmd + sys.argv[1:], cwd=REPO, capture_output=True, text=True, check=False)
    print(proc.stdout.rstrip())
    if proc.returncode not in (0, 1):
        print(proc.stderr.strip()[-500:])
        return proc.returncode
    rows = [json.loads(x) for x in (out / "exam.out.jsonl").read_text().splitlines() if x.strip()]
    drafted = [r for r in rows if "draft" in r and r.get("action") in ("reply", "escalate")]
    notes = [r.get("notes", []) for r in drafted]
    refused = sum(1 for r in drafted if r["draft"] is None)
    regenerated = sum(1 for n in notes if any(x.startswith("regenerated") for x in n))
    repaired = sum(
        1
        for r, n in zip(drafted, notes, strict=True)
        if r["draft"] is not None and any(x.startswith(("removed", "added")) for x in n)
    )
    print(
        f"verifier on {len(drafted)} drafted messages: {repaired} repaired, "
        f"{regenerated} regenerated, {refused} handed to a human"
    )
    print("target: at least 90% approvable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
