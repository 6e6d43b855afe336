"""Does the reply bank make drafts better? The draft exam (``../shared/exam``) run in one
process, through the pipeline, on the real drafting model, on one half of its messages:

0. without examples (the prompt shows neither the policy's example replies nor banked ones);
1. seeded: the bank empty, so the prompt shows the policy's example replies
   (``policies/replies.toml``), as on a first day;
2. banked: after moderators answered the other half of the exam's messages (their replies,
   taken over from the card, are in ``bench/data/learning_replies.jsonl``).

Seeded and banked also draft the same questions asked again: a new wording of each answered
message (``bench/data/learning_asked_again.jsonl``, judged by the exam's checks of the message
it rewords), the tenth question about exports after a moderator answered the first. The
exam's checks pass nearly every seeded draft of these, so the bench also prints how much of
each draft a moderator would change to send the reply they wrote the first time (the report's
measure of an edit), seeded against banked.

    .venv/bin/python bench/bench_learning.py [--skip-baseline]

Cases alternate between the halves in the exam's order: the even ones are answered by the
moderators, the odd ones are measured. Each draft is judged by the exam's own script (its
``main``, fed the drafts this process wrote instead of a ``tactline draft`` run), so the
figures are the exam's. Also printed: which banked replies each measured draft was shown, and
the retrieval time per draft (the bank look-up, p50) against the draft time in the same run.
Targets: seeded at least as good as without examples, banked at least 5 points better than
seeded, retrieval at most 0.3 s p50. Needs the drafting model (`tactline models pull`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import importlib.util
import io
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_exam import EXAM  # noqa: E402

from bot.app import default_classifier_factory, default_drafter, fact_meaning  # noqa: E402
from bot.approval import LogApprovalChannel  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.domain import (  # noqa: E402
    ApprovalDecision,
    Author,
    ConversationRef,
    DraftBrief,
    InboundMessage,
    Platform,
    Verdict,
)
from bot.learning import Recall, ReplyBank, TextEncoder  # noqa: E402
from bot.pipeline import Judgement, Pipeline  # noqa: E402
from bot.policy import Policy, load_policy  # noqa: E402
from bot.reports.metrics import changed_share  # noqa: E402
from bot.store import replies  # noqa: E402
from bot.store.database import Database  # noqa: E402
from bot.store.store import Store, open_store, utcnow  # noqa: E402
from models.base import Drafter, DraftResult  # noqa: E402

REPLIES = REPO / "bench" / "data" / "learning_replies.jsonl"
ASKED_AGAIN = REPO / "bench" / "data" / "learning_asked_again.jsonl"
OUT = REPO / "var" / "bench_learning"
MODERATOR = "bench-moderator"
# A draft within this share of the moderator's own reply is one they would send nearly as is.
LITTLE_TO_EDIT = 0.2


@dataclass
class Timed:
    """What one run's drafts were shown and how long each step took."""

    recall_seconds: list[float] = field(default_factory=list)
    draft_seconds: list[float] = field(default_factory=list)
    shown: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict)


class TimedBank(ReplyBank):
    """The reply bank, timing each look-up and keeping what it found."""

    def __init__(self, *, db: Database, encoder: TextEncoder, model: str) -> None:
        super().__init__(db=db, encoder=encoder, model=model)
        self.timed = Timed()
        self.case = ""  # the exam case being drafted

    async def recall(self, policy: Policy, text: str, language: str, intent: str) -> Recall:
        start = time.perf_counter()
        found = await super().recall(policy, text, language, intent)
        self.timed.recall_seconds.append(time.perf_counter() - start)
        return found


class ExamDrafter:
    """The real drafter, timed; ``bare`` strips every example from the brief."""

    def __init__(self, inner: Drafter, bank: TimedBank) -> None:
        self.name = inner.name
        self._inner = inner
        self._bank = bank
        self.bare = False

    async def draft(self, brief: DraftBrief) -> DraftResult:
        if self.bare:
            brief = dataclasses.replace(
                brief, examples=(), learned_examples=(), fallback_examples=()
            )
        start = time.perf_counter()
        result = await self._inner.draft(brief)
        self._bank.timed.draft_seconds.append(time.perf_counter() - start)
        self._bank.timed.notes[self._bank.case] = result.notes
        return result

    async def aclose(self) -> None:
        await self._inner.aclose()


def _message(case: dict[str, Any], run: str) -> InboundMessage:
    """The case as a member's message: its own channel and author, so no context or burst
    joins it to another case."""
    platform = Platform(case["platform"])
    key = f"{run}-{case['id']}"
    return InboundMessage(
        platform=platform,
        platform_message_id=key,
        conversation=ConversationRef(platform=platform, channel_id=key, channel_name="general"),
        author=Author(id=key, name=""),
        text=case["text"],
        sent_at=utcnow(),
    )


async def _draft_case(
    pipeline: Pipeline, store: Store, case: dict[str, Any], run: str, timed: Timed
) -> str:
    """The case through the pipeline, as ``tactline draft`` prints it."""
    message_id = await store.accept(_message(case, run))
    assert message_id is not None
    await pipeline.process([message_id])
    await pipeline.draft(message_id)
    stored = await store.message(message_id)
    assert stored.classification is not None
    drafts = await store.drafts_of(message_id)
    if drafts:  # the banked replies the draft was shown, as the product recorded them
        shown = await replies.uses_of(store.db, drafts[-1].id)
        timed.shown[case["id"]] = [(u.message_text, u.similarity) for u in shown]
    out = {
        "id": case["id"],
        **stored.classification.as_json(),
        "action": stored.action,
        "group": stored.group,
        "draft": drafts[-1].text if drafts else None,
    }
    return json.dumps(out, ensure_ascii=False)


async def _bank_case(pipeline: Pipeline, store: Store, case: dict[str, Any], reply: str) -> bool:
    """A moderator answers the case: they take over its card and send their reply."""
    message_id = await store.accept(_message(case, "moderated"))
    assert message_id is not None
    await pipeline.process([message_id])
    stored = await store.message(message_id)
    if stored.action not in ("reply", "escalate"):
        return False
    drafts = await store.drafts_of(message_id)
    empty = drafts[-1] if drafts else None
    if empty is None:
        empty = await store.add_draft(
            message_id=message_id, text=None, group=stored.group or "", model="", notes=()
        )
    verdict = ApprovalDecision(empty.id, MODERATOR, utcnow(), Verdict.TAKE_OVER, edited_text=reply)
    return (await store.decide_draft(verdict)).applied


def _load_exam() -> ModuleType:
    spec = importlib.util.spec_from_file_location("exam", EXAM)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def judge(name: str, cases: Sequence[dict[str, Any]], lines: Sequence[str]) -> float:
    """The exam's verdict on drafts already written: its ``main``, with ``tactline draft``
    replaced by these lines. Prints its report; the approvable share."""
    exam = _load_exam()
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "cases.jsonl"
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases))
    stdout = "".join(line + "\n" for line in lines)

    def run(*_: Any, **__: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess([], 0, stdout=stdout, stderr="")

    setattr(exam, "subprocess", SimpleNamespace(run=run))  # noqa: B010
    printed = io.StringIO()
    argv = sys.argv
    sys.argv = ["exam.py", "tactline", str(folder), str(path)]
    try:
        with contextlib.redirect_stdout(printed), contextlib.suppress(SystemExit):
            exam.main()
    finally:
        sys.argv = argv
    report = printed.getvalue()
    found = re.search(r"draft exam: (\d+)/(\d+)", report)
    assert found, report
    print(f"--- {name}")
    print("\n".join(ln for ln in report.splitlines() if not ln.startswith("draft exam:")))
    passed, total = int(found.group(1)), int(found.group(2))
    return passed / total


def _p50(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass
class Bench:
    """The pipeline on the real models, over a database of its own."""

    pipeline: Pipeline
    store: Store
    bank: TimedBank
    drafter: ExamDrafter

    async def run(self, name: str, cases: Sequence[dict[str, Any]]) -> tuple[list[str], Timed]:
        """Draft ``cases`` (each as a new message); the lines and what was timed."""
        self.bank.timed = Timed()
        lines = []
        for case in cases:
            self.bank.case = case["id"]
            lines.append(await _draft_case(self.pipeline, self.store, case, name, self.bank.timed))
        timed = self.bank.timed
        print(
            f"{name}: {len(timed.draft_seconds)} drafts, draft p50 "
            f"{_p50(timed.draft_seconds):.2f} s, bank look-up p50 "
            f"{_p50(timed.recall_seconds):.3f} s",
            flush=True,
        )
        return lines, timed


def _replies_judged(answered: Sequence[dict[str, Any]], answers: dict[str, str]) -> float:
    """The moderators' own replies, through the same exam: the bank holds approvable
    replies."""
    cases = [c for c in answered if c["id"] in answers]
    lines = [
        json.dumps({"id": c["id"], "action": "reply", "draft": answers[c["id"]]}) for c in cases
    ]
    return judge("moderators", cases, lines)


def asked_again(answered: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each answered message asked again in other words, as an exam case: the checks, platform
    and language of the message it rewords, its own id and text."""
    like = {c["id"]: c for c in answered}
    cases = []
    for row in map(json.loads, ASKED_AGAIN.read_text().splitlines()):
        if row["like"] not in like:
            raise SystemExit(f"{ASKED_AGAIN}: {row['id']} rewords a case outside the answered half")
        cases.append(
            {**like[row["like"]], "id": row["id"], "text": row["text"], "like": row["like"]}
        )
    return cases


def changed(
    cases: Sequence[dict[str, Any]], lines: Sequence[str], answers: dict[str, str]
) -> list[float]:
    """For each message asked again, how much of its draft a moderator would change to send
    what they replied the first time (the report's measure of an edit: 0 untouched, 1
    rewritten; no draft counts as 1)."""
    drafts = {d["id"]: d.get("draft") or "" for d in map(json.loads, lines)}
    return [
        changed_share(drafts[c["id"]], answers[c["like"]]) if drafts[c["id"]] else 1.0
        for c in cases
        if c["like"] in answers
    ]


@dataclass
class Results:
    """Approvable shares per run, on one set of messages, and what the banked run was shown."""

    name: str
    size: int
    rates: dict[str, float] = field(default_factory=dict)
    banked: Timed = field(default_factory=Timed)
    changed: dict[str, list[float]] = field(default_factory=dict)

    def print(self) -> None:
        print(f"--- banked replies shown to the drafts, {self.name}")
        for case_id, shown in self.banked.shown.items():
            for text, similarity in shown:
                print(f"  {case_id} <- {similarity:.2f} {text[:70]!r}")
        hits = sum(1 for shown in self.banked.shown.values() if shown)
        print(f"  {hits} of {len(self.banked.shown)} look-ups found a banked reply")
        print(f"--- draft exam, {self.name} ({self.size} messages)")
        for run, rate in self.rates.items():
            print(f"  {run:17} {rate:6.1%}")
        gain = self.rates["banked"] - self.rates["seeded"]
        print(f"  banked - seeded   {gain * 100:+.1f} points")
        if self.rates["seeded"] > 0.95:
            print(f"  (the seeded run leaves {1 - self.rates['seeded']:.1%} to gain here)")
        for run, shares in self.changed.items():
            close = sum(1 for x in shares if x <= LITTLE_TO_EDIT) / max(1, len(shares))
            print(
                f"  {run:17} to send their first reply a moderator would change "
                f"{_p50(shares):.0%} of a draft (median); {close:.0%} of drafts need "
                f"<= {LITTLE_TO_EDIT:.0%}"
            )


async def _judged(
    bench: Bench, name: str, cases: Sequence[dict[str, Any]]
) -> tuple[float, Timed, list[str]]:
    """Draft ``cases`` as run ``name``; the exam's approvable share, what was timed, the
    drafts as ``tactline draft`` prints them."""
    lines, timed = await bench.run(name, cases)
    return judge(name, cases, lines), timed, lines


async def runs(bench: Bench, cases: list[dict[str, Any]], skip_baseline: bool) -> int:
    answered, measured = cases[0::2], cases[1::2]
    answers = {r["id"]: r["reply"] for r in map(json.loads, REPLIES.read_text().splitlines())}
    if not set(answers) <= {c["id"] for c in answered}:
        raise SystemExit(f"{REPLIES} answers cases outside the answered (even) half")
    again = asked_again(answered)
    half = Results("measured half", len(measured))
    other = Results("answered messages asked again in other words", len(again))
    if not skip_baseline:
        bench.drafter.bare = True
        half.rates["without examples"], _, _ = await _judged(bench, "without-examples", measured)
        bench.drafter.bare = False
    half.rates["seeded"], _, _ = await _judged(bench, "seeded", measured)
    other.rates["seeded"], _, lines = await _judged(bench, "seeded-again", again)
    other.changed["seeded"] = changed(again, lines, answers)
    banked = [
        await _bank_case(bench.pipeline, bench.store, c, answers[c["id"]])
        for c in answered
        if c["id"] in answers
    ]
    print(f"moderators answered {sum(banked)} of the {len(answered)} other messages", flush=True)
    half.rates["banked"], half.banked, _ = await _judged(bench, "banked", measured)
    other.rates["banked"], other.banked, lines = await _judged(bench, "banked-again", again)
    other.changed["banked"] = changed(again, lines, answers)
    mods = _replies_judged(answered, answers)
    half.print()
    other.print()
    print(f"  (the moderators' own replies: {mods:.0%} approvable)")
    timed = (half.banked, other.banked)
    recall = _p50([s for t in timed for s in t.recall_seconds])
    draft = _p50([s for t in timed for s in t.draft_seconds])
    print(
        f"  bank look-up p50 {recall:.3f} s per draft vs draft p50 {draft:.2f} s "
        f"({recall / draft:.1%} of a draft)"
    )
    print("targets: seeded >= without examples; banked >= seeded + 5 points; look-up <= 0.3 s p50")
    return 0


async def main(skip_baseline: bool) -> int:
    if not EXAM.is_file():
        print(f"the draft exam is not at {EXAM}: skipped")
        return 0
    config = load_config(REPO / "config.toml")
    policy = load_policy(config.resolve(config.policies.path))
    cases = [json.loads(x) for x in EXAM.with_name("dev_cases.jsonl").read_text().splitlines() if x]
    from models.encoder import ENCODER_NAME, shared_encoder

    with tempfile.TemporaryDirectory() as tmp:
        store = await open_store(f"sqlite+aiosqlite:///{tmp}/bench.db", upgrade=True)
        bank = TimedBank(db=store.db, encoder=shared_encoder(), model=ENCODER_NAME)
        drafter = ExamDrafter(default_drafter(config), bank)
        pipeline = Pipeline(
            store=store,
            policy=lambda: policy,
            judgement=Judgement(
                classifier_factory=default_classifier_factory(config),
                drafter=drafter,
                meaning=fact_meaning,
                bank=bank,
            ),
            approvals=LogApprovalChannel(),
        )
        try:
            return await runs(Bench(pipeline, store, bank, drafter), cases, skip_baseline)
        finally:
            await drafter.aclose()
            await store.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-baseline", action="store_true", help="no run without examples")
    sys.exit(asyncio.run(main(parser.parse_args().skip_baseline)))
