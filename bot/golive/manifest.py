"""The Slack app manifests Tactline needs: exactly the bot scopes, bot events, interactivity
and Socket Mode settings its code uses, in the YAML that Slack's "Create an app > From a
manifest" takes.

Two apps: ``approval`` (the team workspace where moderators decide drafts) and
``community`` (a public Slack community Tactline listens to). :data:`APPS` says which Web
API methods and Bolt events each one's code uses, :data:`METHOD_SCOPES` and :data:`EVENTS`
what each needs; a test scans the source (:mod:`bot.golive.source_scan`) and fails when
these tables miss a call or list one that nothing makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bot.errors import TactlineError

AppName = Literal["approval", "community"]
Mode = Literal["socket", "http"]
ROOT = Path(__file__).resolve().parents[2]  # the folder holding bot/ and adapters/

# Web API method -> the bot scopes it needs (Slack's method reference, "Required scopes").
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    # Socket Mode: called with the app-level token, whose scope (connections:write) is
    # chosen when the token is generated, not in the manifest.
    "apps.connections.open": (),
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "views.open": (),
    "usergroups.users.list": ("usergroups:read",),
    "users.info": ("users:read",),
    # public channels, private channels (Tactline answers in both)
    "conversations.history": ("channels:history", "groups:history"),
    "conversations.replies": ("channels:history", "groups:history"),
    "conversations.info": ("channels:read", "groups:read"),
}


@dataclass(frozen=True, slots=True)
class EventSpec:
    """A Bolt event type as the manifest's bot events, and the scopes they need."""

    bot_events: tuple[str, ...]
    scopes: tuple[str, ...]


EVENTS: dict[str, EventSpec] = {
    # Bolt's "message" is one of these per kind of conversation: public and private channels.
    "message": EventSpec(
        ("message.channels", "message.groups"), ("channels:history", "groups:history")
    ),
    "subteam_members_changed": EventSpec(("subteam_members_changed",), ("usergroups:read",)),
    "reaction_added": EventSpec(("reaction_added",), ("reactions:read",)),
    "reaction_removed": EventSpec(("reaction_removed",), ("reactions:read",)),
}


@dataclass(frozen=True, slots=True)
class AppSpec:
    """What one Slack app's code asks of Slack (checked against the source by a test)."""

    title: str
    handle: str  # the bot user's display name: letters, digits, "-", "_", "." only
    description: str
    sources: tuple[str, ...]  # relative to ROOT: the code that talks to this app's Slack
    methods: frozenset[str]
    events: frozenset[str]
    interactive: bool
    path: str  # where its HTTP listener receives events and clicks
    default_mode: Mode


APPS: dict[AppName, AppSpec] = {
    "approval": AppSpec(
        title="Tactline approvals",
        handle="tactline-approvals",
        description="Drafted replies to your community, for your team to approve.",
        sources=(
            "bot/slack_approval",
            "bot/golive/slack_probe.py",
            "bot/golive/approval_probe.py",
        ),
        methods=frozenset(
            {
                "auth.test",
                "apps.connections.open",
                "chat.postMessage",
                "chat.update",
                "chat.postEphemeral",
                "views.open",
                "usergroups.users.list",
                "conversations.info",
            }
        ),
        events=frozenset({"subteam_members_changed"}),
        interactive=True,
        path="/slack/events",
        default_mode="socket",
    ),
    "community": AppSpec(
        title="Tactline",
        handle="tactline",
        description="Reads the community's channels and posts approved replies in threads.",
        sources=("adapters/slack.py", "bot/golive/slack_probe.py"),
        methods=frozenset(
            {
                "auth.test",
                "apps.connections.open",
                "users.info",
                "chat.postMessage",
                "conversations.history",
                "conversations.replies",
            }
        ),
        events=frozenset({"message", "reaction_added", "reaction_removed"}),
        interactive=False,
        path="/slack/community",
        default_mode="http",
    ),
}


def bot_scopes(spec: AppSpec) -> list[str]:
    """The bot scopes the app's methods and events need, sorted."""
    scopes = {s for m in spec.methods for s in METHOD_SCOPES[m]}
    scopes.update(s for e in spec.events for s in EVENTS[e].scopes)
    return sorted(scopes)


def bot_events(spec: AppSpec) -> list[str]:
    return sorted(b for e in spec.events for b in EVENTS[e].bot_events)


def request_url(spec: AppSpec, url: str | None) -> str:
    """The public HTTPS URL Slack posts to: ``url`` with the app's listener path."""
    if not url:
        raise TactlineError(
            f"--url is required with --mode http: the public https:// address that reaches "
            f"Tactline's listener (Slack posts to <url>{spec.path})"
        )
    if not url.startswith("https://"):
        raise TactlineError(f"--url must start with https:// (Slack posts only to HTTPS): {url}")
    base = url.rstrip("/")
    return base if base.endswith(spec.path) else base + spec.path


def _settings(spec: AppSpec, mode: Mode, url: str | None) -> dict[str, Any]:
    endpoint = request_url(spec, url) if mode == "http" else None
    settings: dict[str, Any] = {}
    events = bot_events(spec)
    if events:
        settings["event_subscriptions"] = {"bot_events": events}
        if endpoint:
            settings["event_subscriptions"] = {"request_url": endpoint, "bot_events": events}
    if spec.interactive:
        settings["interactivity"] = {"is_enabled": True}
        if endpoint:
            settings["interactivity"]["request_url"] = endpoint
    settings.update(
        org_deploy_enabled=False,
        socket_mode_enabled=mode == "socket",
        token_rotation_enabled=False,
    )
    return settings


def build_manifest(
    app: AppName, mode: Mode | None = None, url: str | None = None
) -> dict[str, Any]:
    """The manifest of ``app`` as a dict (``mode`` None: the app's default mode)."""
    spec = APPS[app]
    chosen: Mode = mode or spec.default_mode
    if chosen == "socket" and url:
        raise TactlineError("--url is for --mode http; Socket Mode needs no public URL")
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {"name": spec.title, "description": spec.description},
        "features": {"bot_user": {"display_name": spec.handle, "always_online": False}},
        "oauth_config": {"scopes": {"bot": bot_scopes(spec)}},
        "settings": _settings(spec, chosen, url),
    }


def to_yaml(manifest: dict[str, Any]) -> str:
    """The manifest as YAML, keys in the order Slack's own manifests use."""
    import yaml  # PyYAML: installed with transformers (see the report on issue 17)

    text: str = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)
    return text


def source_paths(spec: AppSpec) -> list[Path]:
    return [ROOT / s for s in spec.sources]
