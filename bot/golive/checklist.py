"""One line per check, ✓ or ✗, and the fix under each failure: what ``tactline doctor`` and
``tactline telegram check`` print. Every line goes through :func:`bot.redact.redact`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from bot.redact import redact


class Status(Enum):
    PASS = "✓"
    WARN = "!"  # works, but worth knowing; does not fail the run
    FAIL = "✗"
    SKIP = "-"  # not enabled, or cannot be checked before another check passes


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of one check: what was found and, when it failed, how to fix it."""

    name: str
    status: Status
    detail: str
    fix: str = ""


def passed(name: str, detail: str) -> Result:
    return Result(name, Status.PASS, detail)


def failed(name: str, detail: str, fix: str) -> Result:
    return Result(name, Status.FAIL, detail, fix)


def warned(name: str, detail: str, fix: str = "") -> Result:
    return Result(name, Status.WARN, detail, fix)


def skipped(name: str, detail: str) -> Result:
    return Result(name, Status.SKIP, detail)


def render(results: Iterable[Result], secrets: Iterable[str | None] = ()) -> str:
    """The checklist as text: ``✓ name: detail``, and ``fix: …`` under a failure or warning."""
    hidden = tuple(secrets)
    lines: list[str] = []
    for r in results:
        lines.append(redact(f"{r.status.value} {r.name}: {r.detail}", hidden))
        if r.fix and r.status in (Status.FAIL, Status.WARN):
            lines.append(redact(f"    fix: {r.fix}", hidden))
    return "\n".join(lines)


def summary(results: Sequence[Result]) -> str:
    count = {s: sum(1 for r in results if r.status is s) for s in Status}
    return (
        f"{count[Status.PASS]} passed, {count[Status.FAIL]} failed, "
        f"{count[Status.WARN]} warnings, {count[Status.SKIP]} skipped"
    )


def any_failed(results: Iterable[Result]) -> bool:
    return any(r.status is Status.FAIL for r in results)
