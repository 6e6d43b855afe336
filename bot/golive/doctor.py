"""``tactline doctor``: every check a live run needs, in order, as one checklist.

A check is an ``async`` function of a :class:`~bot.golive.probe.Probe` that returns its
result lines (none when it does not apply); adding a check is adding one to :data:`CHECKS`.
A check that crashes is itself a failed line: the others still run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from bot.golive import checks_local, checks_model, checks_platforms, checks_slack
from bot.golive.checklist import Result, failed
from bot.golive.probe import Probe
from bot.redact import exception_text

Check = Callable[[Probe], Awaitable[list[Result]]]

CHECKS: tuple[Check, ...] = (
    checks_local.config,
    checks_slack.approval_tokens,
    checks_slack.approval_channels,
    checks_slack.approver_groups,
    checks_slack.slack_community,
    checks_platforms.telegram,
    checks_platforms.discord,
    checks_local.database,
    checks_local.policy,
    checks_model.drafting_model,
    checks_model.disk,
    checks_model.memory,
)


async def _safely(check: Check, probe: Probe) -> list[Result]:
    try:
        return await check(probe)
    except Exception as exc:  # one broken check must not hide the others' answers
        name = check.__name__.replace("_", " ")
        return [failed(name, f"the check itself failed: {exception_text(exc)}", "report it")]


async def run_checks(probe: Probe, checks: Sequence[Check] = CHECKS) -> list[Result]:
    """Every check's lines, in the order of ``checks`` (they run concurrently)."""
    found = await asyncio.gather(*(_safely(check, probe) for check in checks))
    return [result for lines in found for result in lines]
