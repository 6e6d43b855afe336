"""A local Telegram Bot API server (aiohttp on 127.0.0.1) for tests.

Serves ``/bot{token}/{method}`` like Telegram: ``{"ok": true, "result": ...}``, errors with
the matching HTTP status and ``parameters.retry_after``; ``getUpdates`` honours ``offset``
(updates below it are confirmed and dropped) and ``timeout`` (long polling), and delivers only
the update types ``allowed_updates`` asks for (the last list given is kept, as Telegram does;
without one, every type but ``message_reaction``, ``message_reaction_count`` and
``chat_member``, which must be asked for by name).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.servers import serve_on_localhost

# Sent only when asked for by name in allowed_updates.
BY_NAME_ONLY = {"message_reaction", "message_reaction_count", "chat_member"}
UPDATE_TYPES = {
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "my_chat_member",
    *BY_NAME_ONLY,
}


@dataclass
class TelegramServer:
    token: str = "123:test"
    updates: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    port: int = 0
    _faults: dict[str, list[tuple[int, str, int | None]]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    _new: asyncio.Event = field(default_factory=asyncio.Event)
    allowed_updates: list[str] | None = None  # the last list a client gave
    member_count: int = 250  # getChatMemberCount, for every chat

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def fail(
        self,
        method: str,
        status: int,
        description: str = "error",
        *,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        self._faults.setdefault(method, []).extend([(status, description, retry_after)] * times)

    def push(
        self,
        text: str,
        *,
        chat_id: int = -100200,
        user_id: int = 42,
        username: str = "maya",
        is_bot: bool = False,
        reply_to: int | None = None,
        edited: bool = False,
        message_id: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue an update, as if a member wrote in a group."""
        message: dict[str, Any] = {
            "message_id": message_id or next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "supergroup", "title": "Inkwell Users"},
            "from": {
                "id": user_id,
                "is_bot": is_bot,
                "first_name": username.title(),
                "username": username,
            },
            "text": text,
        }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
        if reply_to is not None:
            message["reply_to_message"] = {
                "message_id": reply_to,
                "date": int(time.time()),
                "chat": message["chat"],
                "text": "earlier",
            }
        if edited:
            message["edit_date"] = int(time.time())
        update = {
            "update_id": next(self._update_ids),
            ("edited_message" if edited else "message"): message,
        }
        self.updates.append(update)
        self._new.set()
        return update

    def react(
        self,
        message_id: int,
        emoji: str = "👍",
        *,
        chat_id: int = -100200,
        user_id: int = 42,
        username: str = "maya",
        old: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """Queue a ``message_reaction`` update: the member's reactions on a message went
        from ``old`` to ``old`` plus ``emoji`` (``emoji`` "": all taken back)."""
        new = [*old, emoji] if emoji else []
        update = {
            "update_id": next(self._update_ids),
            "message_reaction": {
                "chat": {"id": chat_id, "type": "supergroup", "title": "Inkwell Users"},
                "message_id": message_id,
                "user": {
                    "id": user_id,
                    "is_bot": False,
                    "first_name": username.title(),
                    "username": username,
                },
                "date": int(time.time()),
                "old_reaction": [{"type": "emoji", "emoji": e} for e in old],
                "new_reaction": [{"type": "emoji", "emoji": e} for e in new],
            },
        }
        self.updates.append(update)
        self._new.set()
        return update

    def _delivered(self, update: Any) -> bool:
        kinds = [k for k in update if k != "update_id"] if isinstance(update, dict) else []
        kind = kinds[0] if kinds else None
        if kind not in UPDATE_TYPES:
            return True  # not an update type at all: a malformed payload, sent as it is
        if not self.allowed_updates:
            return kind not in BY_NAME_ONLY
        return kind in self.allowed_updates

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner, self.port = await serve_on_localhost(app, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            args = await request.json()
        else:
            args = dict(await request.post())
            for key in ("reply_parameters", "allowed_updates", "reply_markup", "entities"):
                if isinstance(args.get(key), str):
                    args[key] = json.loads(args[key])
        self.calls.append((method, args))
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        faults = self._faults.get(method)
        if faults:
            status, description, retry_after = faults.pop(0)
            body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
            if retry_after is not None:
                body["parameters"] = {"retry_after": retry_after}
            return web.json_response(body, status=status)
        handler = getattr(self, "_" + method, None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        result = await handler(args)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    async def _getMe(self, args: dict[str, Any]) -> Any:
        return {
            "id": 99,
            "is_bot": True,
            "first_name": "Inkwell",
            "username": "inkwell_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
        }

    async def _getUpdates(self, args: dict[str, Any]) -> Any:
        offset = int(args.get("offset") or 0)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if "allowed_updates" in args:
            self.allowed_updates = list(args["allowed_updates"] or [])
        timeout = float(args.get("timeout") or 0)
        if not any(self._delivered(u) for u in self.updates) and timeout:
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), min(timeout, 1.0))
            except TimeoutError:
                pass
        limit = int(args.get("limit") or 100)
        return [u for u in self.updates if self._delivered(u)][:limit]

    async def _sendMessage(self, args: dict[str, Any]) -> Any:
        text = str(args.get("text", ""))
        if len(text) > 4096:
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"},
                status=400,
            )
        message = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": int(args["chat_id"]), "type": "supergroup"},
            "text": text,
        }
        self.sent.append({**args, "message_id": message["message_id"]})
        return message

    async def _getChatMemberCount(self, args: dict[str, Any]) -> Any:
        return self.member_count

    async def _setWebhook(self, args: dict[str, Any]) -> Any:
        return True

    async def _deleteWebhook(self, args: dict[str, Any]) -> Any:
        return True
