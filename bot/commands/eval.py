"""``tactline eval``: the classifier's scores on labelled files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.app import default_classifier_factory
from bot.config import Config
from bot.errors import TactlineError
from bot.policy import load_policy

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
OWN_DATA = Path(__file__).resolve().parents[2] / "bench" / "data"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("eval", help="score the classifier on labelled files")
    p.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="a folder of <split>_text.txt/<split>_labels.txt, or the shared "
        "development sets' root (default: ../shared/data)",
    )
    p.add_argument(
        "--task",
        default="all",
        choices=["all", "sentiment", "offensive", "irony", "hate", "own"],
        help="what the labels are (needed for a folder of your own)",
    )
    p.add_argument(
        "--own",
        type=Path,
        default=OWN_DATA,
        help="the project's own sets (community intents, injection, hate contrast; "
        "default: bench/data)",
    )
    p.add_argument("--split", default="val")
    p.add_argument("--limit", type=int, default=None, help="score only the first N lines")
    p.set_defaults(handler=evaluate)


def _sets(data: Path, split: str, task: str) -> list[tuple[str, Path, str]]:
    """(name, folder, task) of each labelled set to score: the folder itself, or the known
    sets under it."""
    if not data.is_dir():
        raise TactlineError(f"{data}: no such folder of labelled data")
    if (data / f"{split}_labels.txt").is_file():
        if task == "all":
            raise TactlineError(
                "say what the labels are with --task sentiment|offensive|irony|hate"
            )
        return [(data.name, data, task)]
    from models.evaluation import KNOWN

    sets = [
        (name, data / name, known)
        for name, known in KNOWN.items()
        if (data / name / f"{split}_labels.txt").is_file() and task in ("all", known)
    ]
    if not sets and task not in ("all", "own"):
        raise TactlineError(f"{data}: no {split} split of a known task found")
    return sets


def _print_set(
    classifier: Any, name: str, folder: Path, task: str, args: argparse.Namespace
) -> None:
    from models.evaluation import TASKS, predict, predict_product_toxic, read, score

    try:
        texts, truth = read(folder, args.split)
    except (OSError, ValueError) as exc:
        raise TactlineError(str(exc)) from None
    if args.limit:
        texts, truth = texts[: args.limit], truth[: args.limit]
    s = score(name, task, truth, predict(classifier, task, texts))
    extra = f"  F1({TASKS[task][1]}) {s.positive_f1:.3f}" if s.positive_f1 is not None else ""
    print(
        f"{name} [{task}, {args.split}, n={s.n}]  macro-F1 {s.macro_f1:.3f}  "
        f"macro-recall {s.macro_recall:.3f}  accuracy {s.accuracy:.3f}{extra}"
    )
    width = max(len(x) for x in s.labels) + 2
    print(" " * (width + 6) + "".join(f"{x:>{width}}" for x in s.labels) + "   (predicted)")
    for i, label in enumerate(s.labels):
        row = "".join(f"{v:>{width}}" for v in s.confusion[i])
        print(f"  true {label:<{width}}{row}")
    if task == "offensive":
        p = score(name, task, truth, predict_product_toxic(classifier, texts))
        print(
            "  the product's `toxic` decision (aimed at someone, not counter-speech): "
            f"macro-F1 "
            f"{p.macro_f1:.3f}, F1(offensive) {p.positive_f1:.3f}"
        )
    print()


async def evaluate(args: argparse.Namespace, config: Config) -> int:
    from models.classifier import EmbeddingClassifier

    sets = _sets(args.data, args.split, args.task)
    policy = load_policy(config.resolve(config.policies.path))
    classifier = default_classifier_factory(config)(policy.intents)
    assert isinstance(classifier, EmbeddingClassifier)
    for name, folder, task in sets:
        _print_set(classifier, name, folder, task, args)
    if args.task in ("all", "own"):
        _own_sets(args.own, classifier, [i.name for i in policy.intents])
    return 0


def _own_sets(folder: Path, classifier: Any, intents: list[str]) -> None:
    from models.evaluation import caught_and_false, flag_rates, intents_on, read_jsonl

    def rows(name: str) -> list[dict[str, Any]]:
        path = folder / name
        if not path.is_file():
            return []
        try:
            return read_jsonl(path)
        except (OSError, ValueError) as exc:
            raise TactlineError(str(exc)) from None

    community, injection, contrast = (
        rows("community_intents.jsonl"),
        rows("injection.jsonl"),
        rows("hate_contrast.jsonl"),
    )
    if community:
        unknown = sorted({r["intent"] for r in community} - set(intents))
        if unknown:
            raise TactlineError(f"{folder}: intents the policy does not have: {unknown}")
        s, rel = intents_on(classifier, community, intents)
        print(
            f"community intents [{folder.name}, n={s.n}]  macro-F1 {s.macro_f1:.3f}  "
            f"accuracy {s.accuracy:.3f}"
        )
        short = [x[:8] for x in s.labels]
        print(" " * 20 + "".join(f"{x:>9}" for x in short) + "   (predicted)")
        for i, label in enumerate(s.labels):
            print(f"  true {label:<13}" + "".join(f"{v:>9}" for v in s.confusion[i]))
        print(f"  confidence reliability (ECE {rel.ece:.3f}):")
        for lo, hi, n, acc in rel.bins:
            print(f"    {lo:.1f}-{hi:.1f}: n={n:<4} right {acc:.0%}")
        print()
    if injection:
        others = [{"text": r["text"]} for r in community + contrast]
        counts = flag_rates(classifier, injection + others, "prompt_injection", "injection")
        hit, n, fa, na = caught_and_false(counts)
        print(
            f"injection [n={n} attempts, {na} other messages]  caught {hit / max(1, n):.1%}  "
            f"false flags {fa / max(1, na):.1%}"
        )
        print(
            "  the injection head learned from these very sets: its honest figure is the "
            "5-fold one in models/weights/PROVENANCE.json"
        )
    if contrast:
        counts = flag_rates(classifier, contrast, "hate", "hate")
        hit, n, fa, na = caught_and_false(counts)
        counts.pop("caught", None)
        print(
            f"hate contrast [n={n} hateful, {na} not]  caught {hit / max(1, n):.1%}  "
            f"not-hate flagged {fa / max(1, na):.1%}"
        )
        print("  " + ", ".join(f"{k} {h}/{k_n}" for k, (h, k_n) in sorted(counts.items())))
