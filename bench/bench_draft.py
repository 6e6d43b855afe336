"""Drafter benchmark: latency (p50, p95), tokens/s, load time and peak memory per backend,
on the same typical messages, in one run.

    .venv/bin/python bench/bench_draft.py [--backends llamacpp,transformers] [--n 6]

Each backend runs in its own process so its peak memory is its own. Drafts are printed so a
person can judge them. Needs the default model: `tactline models pull`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MESSAGES = [
    ("discord", "How do I export all my notes to Markdown? I can't find it in the settings."),
    ("discord", "Your update broke my setup AGAIN. Third time this month. Unacceptable."),
    ("telegram", "Since 4.2 sync fails on Android with error E1023 when a note has an image."),
    ("slack", "Would love a dark mode for the web editor. Any plans?"),
    ("discord", "Salut, comment je peux exporter mes notes en PDF ?"),
    ("telegram", "La synchro plante depuis la mise à jour, j'ai perdu deux notes. C'est nul."),
    ("slack", "Is there a student discount? The pro plan is a bit expensive for me."),
    ("discord", "Merci pour la nouvelle recherche, elle est super rapide !"),
]


async def child(backend: str, n: int) -> dict[str, object]:
    from bot.app import fact_meaning
    from bot.config import Config, DrafterConfig, ModelsConfig
    from bot.domain import Author, ConversationRef, InboundMessage, Platform
    from bot.policy import decide, load_policy
    from models.backends import make_backend
    from models.base import ChatMessage, Completion
    from models.classifier import EmbeddingClassifier
    from models.drafter import LocalDrafter
    from models.sources import resolve_model_path

    config = Config(models=ModelsConfig(drafter=DrafterConfig(backend=backend)))  # type: ignore[arg-type]
    dc = config.models.drafter
    policy = load_policy(REPO / "policies")
    classifier = EmbeddingClassifier(policy.intents)
    cache = config.resolve(dc.cache_dir)
    path = resolve_model_path(dc.model_choice(), cache_dir=cache)
    backend_obj = make_backend(dc.backend_choice(cache), model_path=path)
    start = time.perf_counter()
    await backend_obj.load()  # type: ignore[attr-defined]
    load_s = time.perf_counter() - start
    calls: list[Completion] = []

    class Counting:
        """The backend, counting each generation (a regeneration is a second one)."""

        name = backend_obj.name

        async def complete(self, messages: list[ChatMessage], *, max_tokens: int) -> Completion:
            out = await backend_obj.complete(messages, max_tokens=max_tokens)
            calls.append(out)
            return out

        async def aclose(self) -> None:
            await backend_obj.aclose()

    drafter = LocalDrafter(backend=Counting(), max_tokens=dc.max_tokens)  # type: ignore[arg-type]
    meaning = fact_meaning(policy)
    results = []
    for platform, text in MESSAGES[:n]:
        p = Platform(platform)
        message = InboundMessage(
            p,
            "x",
            ConversationRef(p, "general", channel_name="general"),
            Author("u", "sam"),
            text,
            sent_at=datetime.now(UTC),
        )
        [c] = classifier.classify_sync([text])
        [scores] = await meaning.scores([text])
        brief = decide(policy, message, c, meaning=scores).brief
        if brief is None:
            continue
        # The whole drafter: generation, verifier, a regeneration when it asks for one.
        calls.clear()
        t0 = time.perf_counter()
        result = await drafter.draft(brief)
        draft_s = time.perf_counter() - t0
        results.append(
            {
                "text": text,
                "draft": result.text,
                "notes": list(result.notes),
                "seconds": draft_s,
                "gen_seconds": sum(x.seconds for x in calls),
                "tokens": sum(x.completion_tokens for x in calls),
                "prompt_tokens": calls[0].prompt_tokens,
                "generations": len(calls),
            }
        )
    await drafter.aclose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"backend": backend, "load_seconds": load_s, "peak_rss_mb": peak_mb, "results": results}


def outcome_counts(results: list[dict[str, object]]) -> dict[str, int]:
    """How often the verifier repaired a draft (a sentence dropped, a fact put back), asked
    for a second generation, or handed the reply to a human."""
    counts = {"repaired": 0, "regenerated": 0, "refused": 0}
    for r in results:
        notes = [str(n) for n in r["notes"]]  # type: ignore[attr-defined]
        if r["draft"] is None:
            counts["refused"] += 1
        if any(n.startswith("regenerated") for n in notes):
            counts["regenerated"] += 1
        if r["draft"] is not None and any(n.startswith(("removed", "added")) for n in notes):
            counts["repaired"] += 1
    return counts


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="llamacpp,transformers")
    parser.add_argument("--n", type=int, default=6)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.child, args.n))))
        return 0
    runs = []
    for backend in args.backends.split(","):
        print(f"running {backend} …", file=sys.stderr, flush=True)
        proc = subprocess.run(
            [sys.executable, __file__, "--child", backend, "--n", str(args.n)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            print(f"{backend}: failed\n{proc.stderr.strip().splitlines()[-1:]}")
            continue
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    if not runs:
        return 1
    print(
        f"\nDraft benchmark, {args.n} typical messages, 2 threads, greedy, max_tokens from config:"
    )
    base = None
    for run in runs:
        secs = [r["seconds"] for r in run["results"]]
        tps = [r["tokens"] / r["gen_seconds"] for r in run["results"] if r["gen_seconds"] > 0]
        p50 = statistics.median(secs)
        base = base or p50
        prompt = statistics.median(r["prompt_tokens"] for r in run["results"])
        tokens_per_s = statistics.median(tps)
        print(
            f"  {run['backend']:12} prompt {prompt:.0f} tokens"
            f" | load {run['load_seconds']:5.1f} s"
            f" | draft p50 {p50:5.1f} s, p95 {pct(secs, 0.95):5.1f} s"
            f" | {tokens_per_s:5.1f} tokens/s"
            f" | peak RSS {run['peak_rss_mb']:6.0f} MB"
            f" | p50 ×{p50 / base:.2f} vs {runs[0]['backend']}"
        )
        outcomes = outcome_counts(run["results"])
        print(
            f"  {'':12} of {len(run['results'])} drafts: {outcomes['repaired']} repaired, "
            f"{outcomes['regenerated']} regenerated, {outcomes['refused']} refused"
        )
    print("  target (verifier and regeneration included): p50 ≤ 8 s, p95 ≤ 15 s")
    for run in runs:
        print(f"\n== drafts from {run['backend']} ==")
        for r in run["results"]:
            print(f"> {r['text']}\n  {r['draft']}\n  notes: {', '.join(r['notes']) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
