"""A local Slack Web API server (aiohttp on 127.0.0.1) for tests.

It answers the methods Tactline calls the way Slack does (``{"ok": true, ...}`` bodies,
form or JSON requests, bearer tokens), records every call, and can inject faults per method:
HTTP 429 with ``Retry-After``, HTTP 5xx, or ``{"ok": false, "error": "invalid_auth"}``.

    server = SlackServer(token="xoxb-test")
    await server.start()
    client = AsyncWebClient(token="xoxb-test", base_url=server.base_url)
    server.fail("chat.postMessage", 429, retry_after=1)
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.servers import serve_on_localhost


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None


@dataclass
class SlackServer:
    token: str = "xoxb-test"
    app_token: str = "xapp-test"  # Socket Mode: apps.connections.open
    user_groups: dict[str, list[str]] = field(default_factory=dict)  # S… -> [U…]
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _faults: dict[str, list[tuple[int, str | None, float | None, bool]]] = field(
        default_factory=dict
    )
    users: dict[str, str] = field(default_factory=dict)  # U… -> display name
    _runner: web.AppRunner | None = None
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    port: int = 0
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def fail(
        self,
        method: str,
        status: int,
        *,
        error: str | None = None,
        retry_after: float | None = None,
        times: int = 1,
        after: bool = False,
    ) -> None:
        """The next ``times`` calls of ``method`` fail with ``status`` (200 + ``error``
        gives a Slack-style error body). ``after``: the call takes effect, then the answer
        is an error (a lost response: the outcome is unknown to the caller)."""
        self._faults.setdefault(method, []).extend([(status, error, retry_after, after)] * times)

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._handle)
        app.router.add_get("/api/{method}", self._handle)  # the SDK GETs some read methods
        app.router.add_get("/socket", self._socket)
        self._runner, self.port = await serve_on_localhost(app, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") or args.get("token")
        self.calls.append(Call(method, args, token))
        faults = self._faults.get(method)
        if faults:
            return self._fault(method, args, token, faults.pop(0))
        if method == "apps.connections.open":
            if token != self.app_token:
                return web.json_response({"ok": False, "error": "invalid_auth"})
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"})
        if token != self.token:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return web.json_response({"ok": True, **handler(args)})

    @staticmethod
    async def _args(request: web.Request) -> dict[str, Any]:
        """The call's arguments, from the query, a JSON body or a form (JSON fields parsed)."""
        if request.method == "GET":
            return dict(request.query)
        if request.content_type == "application/json":
            body: dict[str, Any] = await request.json()
            return body
        args: dict[str, Any] = {k: str(v) for k, v in (await request.post()).items()}
        for key in ("blocks", "view", "attachments", "metadata"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    def _fault(
        self,
        method: str,
        args: dict[str, Any],
        token: str | None,
        fault: tuple[int, str | None, float | None, bool],
    ) -> web.Response:
        """A scripted failure: an error body, a rate limit or a 5xx (``after``: the call
        took effect first, as when Slack fails after doing it)."""
        status, error, retry_after, after = fault
        if after and token == self.token:
            getattr(self, "_" + method.replace(".", "_"))(args)
        if error is not None:
            return web.json_response({"ok": False, "error": error})
        headers = {"Retry-After": str(int(retry_after))} if retry_after is not None else {}
        if status >= 500:
            return web.Response(status=status, text="upstream error", headers=headers)
        return web.json_response(
            {"ok": False, "error": "ratelimited"}, status=status, headers=headers
        )

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "local"},
                "connection_info": {"app_id": "A1"},
            }
        )
        self.sockets.append(ws)
        async for msg in ws:
            if msg.type == web.WSMsgType.TEXT:
                self.acks.append(json.loads(msg.data))
        return ws

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Deliver an event over Socket Mode (kind: "interactive", "events_api"…)."""
        envelope_id = f"env-{next(self._ts)}"
        await self.sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": True,
            }
        )
        return envelope_id

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://test.slack.com/",
            "team": "Test",
            "user": "tactline",
            "team_id": "T1",
            "user_id": "UBOT",
            "bot_id": "B1",
        }

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        message = {"ts": ts, **args}
        self.messages[(args["channel"], ts)] = message
        return {"channel": args["channel"], "ts": ts, "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (args["channel"], args["ts"])
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        self.messages[key] = {**self.messages[key], **args}
        return {"channel": args["channel"], "ts": args["ts"]}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"message_ts": f"{int(time.time())}.{next(self._ts):06d}"}

    def _chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "permalink": f"https://test.slack.com/archives/{args['channel']}/"
            f"p{args['message_ts'].replace('.', '')}"
        }

    def _history(self, channel: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
        found = [
            m
            for (c, _), m in self.messages.items()
            if c == channel
            and (thread_ts is None or m.get("thread_ts") == thread_ts or m["ts"] == thread_ts)
        ]
        return sorted(found, key=lambda m: m["ts"], reverse=True)

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"messages": self._history(args["channel"]), "has_more": False}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"messages": self._history(args["channel"], args["ts"])[::-1], "has_more": False}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        name = self.users.get(args["user"], args["user"])
        return {
            "user": {
                "id": args["user"],
                "name": name,
                "is_bot": False,
                "profile": {"display_name": name, "real_name": name},
            }
        }

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"view": {"id": "V1", **args["view"]}}

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"users": self.user_groups.get(args["usergroup"], [])}
