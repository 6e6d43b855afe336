"""Doctor checks of Slack: the approval app's tokens, its channel(s) and approver groups,
and the community app's tokens. Each check is one function of a :class:`Probe`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.golive import approval_probe, slack_probe
from bot.golive.checklist import Result, failed, passed, skipped
from bot.golive.probe import Probe
from bot.policy import PolicyErrors, load_policy

REFUSED = {"invalid_auth", "not_authed", "token_revoked", "account_inactive"}
MANIFEST_FIX = "regenerate the manifest (`tactline slack manifest --app {app}`), update the app"


def _refused(error: str | None) -> bool:
    return (error or "").split(" ")[0] in REFUSED


async def bot_token_result(name: str, base: str, env: str, token: str) -> Result:
    """``auth.test`` with the bot token in ``env``."""
    if not token:
        return failed(name, f"{env} is not set", f"put the Bot User OAuth Token (xoxb-…) in {env}")
    answer = await slack_probe.bot_token(base, token)
    if answer.ok:
        who = f"@{answer.data.get('user')} in {answer.data.get('team')}"
        return passed(name, f"auth.test: {who} (bot {answer.data.get('user_id')})")
    if (answer.error or "").startswith("unreachable"):
        return failed(name, f"cannot reach {base}: {answer.error}", "check api_base_url")
    return failed(
        name,
        f"auth.test refused the token in {env} ({answer.error})",
        f"copy the Bot User OAuth Token (OAuth & Permissions, xoxb-…) into {env}; "
        "reinstall the app if it was changed",
    )


@dataclass(frozen=True, slots=True)
class SlackApp:
    """One Slack app as the doctor sees it: where its Web API is, its mode and the variable
    of its mode's secret (the app-level token, or the signing secret)."""

    label: str  # "slack approval", "slack community"
    base: str
    mode: str
    secret_env: str


async def mode_secret_result(probe: Probe, app: SlackApp) -> Result:
    """Socket Mode: the app-level token opens a connection; HTTP: the signing secret is set."""
    name, env, value = f"{app.label} {app.mode}", app.secret_env, probe.secret(app.secret_env)
    if app.mode != "socket":
        if value:
            return passed(name, f"signing secret in {env} (checked by Slack's first request)")
        return failed(name, f"{env} is not set", f"Basic Information > Signing Secret into {env}")
    if not value:
        fix = f"Basic Information > App-Level Tokens: one with connections:write into {env}"
        return failed(name, f"{env} is not set (Socket Mode needs an app-level token)", fix)
    answer = await slack_probe.app_token(app.base, value)
    if answer.ok:
        return passed(name, f"app-level token in {env} opens Socket Mode")
    fix = f"generate an app-level token with connections:write (Basic Information) into {env}"
    return failed(name, f"apps.connections.open refused it ({answer.error})", fix)


async def approval_tokens(probe: Probe) -> list[Result]:
    a = probe.config.approval
    if not a.enabled:
        return [skipped("slack approval", "not enabled: drafts are decided with `tactline drafts`")]
    token = probe.secret(a.bot_token_env)
    first = await bot_token_result("slack approval token", a.api_base_url, a.bot_token_env, token)
    env = a.app_token_env if a.mode == "socket" else a.signing_secret_env
    app = SlackApp("slack approval", a.api_base_url, a.mode, env)
    return [first, await mode_secret_result(probe, app)]


async def _channel_result(probe: Probe, channel: str, token: str) -> Result:
    name = f"approval channel {channel}"
    answer = await approval_probe.channel(probe.config.approval.api_base_url, token, channel)
    if _refused(answer.error):
        return skipped(name, "the approval token does not work (see above)")
    if answer.error:
        return failed(name, f"conversations.info: {answer.error}", _channel_fix(answer.error))
    info = answer.data.get("channel") or {}
    if not info.get("is_member"):
        return failed(
            name, f"#{info.get('name')}: the bot is not in it", "/invite @tactline-approvals there"
        )
    return passed(name, f"#{info.get('name')}: exists, the bot is in it")


def _channel_fix(error: str) -> str:
    if error.startswith("missing_scope"):
        return MANIFEST_FIX.format(app="approval") + " and reinstall it"
    return (
        "use the channel's id (channel details > About, at the bottom: C…); a private "
        "channel is found only once the bot is invited to it"
    )


async def approval_channels(probe: Probe) -> list[Result]:
    a = probe.config.approval
    token = probe.secret(a.bot_token_env)
    if not a.enabled or not token:
        return []
    if not a.channel:
        fix = 'set [approval] channel = "C…" (channel details > About, at the bottom)'
        return [failed("approval channel", "[approval] channel is empty", fix)]
    wanted = dict.fromkeys([a.channel, *a.channels.values()])
    return list(await asyncio.gather(*(_channel_result(probe, c, token) for c in wanted)))


async def _group_result(probe: Probe, group: str, approvers: tuple[str, ...], token: str) -> Result:
    name, base = f"approver group {group}", probe.config.approval.api_base_url
    users = [a for a in approvers if not a.startswith("S")]
    found: list[str] = []
    for usergroup in (a for a in approvers if a.startswith("S")):
        answer = await approval_probe.group_members(base, token, usergroup)
        if _refused(answer.error):
            return skipped(name, "the approval token does not work (see above)")
        if answer.error:
            return failed(name, f"{usergroup}: {answer.error}", _group_fix(answer.error))
        members = answer.data.get("users") or []
        if not members:
            fix = f"add people to {usergroup} in Slack, or list user ids (U…) as approvers"
            return failed(name, f"{usergroup} has no members: nobody can approve", fix)
        found.append(f"{usergroup}: {len(members)} member{'' if len(members) == 1 else 's'}")
    found += [f"{len(users)} listed user(s)"] if users else []
    return passed(name, "; ".join(found))


def _group_fix(error: str) -> str:
    if error.startswith("missing_scope"):
        return MANIFEST_FIX.format(app="approval") + " (usergroups:read) and reinstall it"
    return "use the group's S… id (People > User groups > the group > ⋯ > Copy group ID)"


async def approver_groups(probe: Probe) -> list[Result]:
    a = probe.config.approval
    token = probe.secret(a.bot_token_env)
    if not a.enabled or not token:
        return []
    try:
        policy = await asyncio.to_thread(
            load_policy, probe.config.resolve(probe.config.policies.path)
        )
    except PolicyErrors:
        return [skipped("approver groups", "the policy does not load (see below)")]
    return [
        await _group_result(probe, group, entry.approvers, token)
        for group, entry in sorted(policy.groups.items())
    ]


async def slack_community(probe: Probe) -> list[Result]:
    c = probe.config.adapters.slack
    if not c.enabled:
        return [skipped("slack community", "not enabled")]
    base = c.api_base_url or slack_probe.DEFAULT_API
    token = probe.secret(c.token_env)
    first = await bot_token_result("slack community token", base, c.token_env, token)
    mode = "socket" if c.mode == "socket" else "http"
    env = (
        c.app_token_env or "TACTLINE_SLACK_COMMUNITY_APP_TOKEN"
        if mode == "socket"
        else c.signing_secret_env or "TACTLINE_SLACK_COMMUNITY_SIGNING_SECRET"
    )
    return [first, await mode_secret_result(probe, SlackApp("slack community", base, mode, env))]
