"""A local Discord server for tests: REST (``/api/v10``) and the gateway (websocket), on one
aiohttp app on 127.0.0.1.

Gateway: HELLO, heartbeat ACK, IDENTIFY → READY + GUILD_CREATE, MESSAGE_CREATE / UPDATE /
DELETE dispatches, MESSAGE_REACTION_ADD / REMOVE (only to a session that identified with the
GUILD_MESSAGE_REACTIONS intent, as Discord does), RESUME replaying the session's missed
events, op 9 invalid session, close codes (4014 when the message-content intent is asked
for but not granted). REST: the bot user, channel history, posting with ``nonce`` +
``enforce_nonce`` dedupe, 429 with a ``Retry-After``, 50035 over 2,000 characters. Messages
"written by members" go to the channel's history and, when a session is connected, to the
gateway.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.servers import serve_on_localhost

GUILD_ID = "1"
BOT = {
    "id": "99",
    "username": "inkwell",
    "discriminator": "0",
    "global_name": "Inkwell",
    "bot": True,
    "avatar": None,
}
DISCORD_EPOCH_MS = 1_420_070_400_000
MESSAGE_CONTENT = 1 << 15
GUILD_MESSAGE_REACTIONS = 1 << 10
APP_FLAG_MESSAGE_CONTENT = 1 << 18


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses JSON only when Content-Type is exactly application/json
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


@dataclass
class Session:
    id: str
    events: list[dict[str, Any]] = field(default_factory=list)
    resumable: bool = True
    seq: int = 0
    intents: int = 0


@dataclass
class DiscordServer:
    token: str = "discord-test-token"
    app_flags: int = APP_FLAG_MESSAGE_CONTENT
    channels: dict[str, str] = field(default_factory=lambda: {"10": "general", "11": "help"})
    threads: dict[str, str] = field(default_factory=lambda: {"12": "10"})  # thread -> parent
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    posted: list[dict[str, Any]] = field(default_factory=list)
    identifies: int = 0
    resumes: int = 0
    port: int = 0
    heartbeat_ms: int = 500  # Discord says ~41,250; short here so heartbeats happen in tests
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(10_000))
    _sessions: dict[str, Session] = field(default_factory=dict)
    _ws: web.WebSocketResponse | None = None
    _session: Session | None = None
    _nonces: dict[str, dict[str, Any]] = field(default_factory=dict)
    _faults: list[tuple[int, float]] = field(default_factory=list)
    _lose_answer: bool = False
    _runner: web.AppRunner | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gw/"

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gw/", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner, self.port = await serve_on_localhost(app, self.port)

    async def stop(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- scripting ---------------------------------------------------------------------------

    def _snowflake(self) -> int:
        """A real snowflake: milliseconds since the Discord epoch, then a counter."""
        ms = int(datetime.now(UTC).timestamp() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._ids) & 0xFFF)

    def _thread(self, thread_id: str, parent: str) -> dict[str, Any]:
        return {
            "id": thread_id,
            "type": 11,  # public thread
            "name": "sync bug",
            "guild_id": GUILD_ID,
            "parent_id": parent,
            "owner_id": "42",
            "member_count": 1,
            "message_count": 1,
            "rate_limit_per_user": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": datetime.now(UTC).isoformat(),
                "locked": False,
            },
        }

    def fail_next_post(self, status: int, retry_after: float = 1.0) -> None:
        self._faults.append((status, retry_after))

    def lose_next_answer(self) -> None:
        """The next message is posted but the client gets a 503 (its outcome is unknown)."""
        self._lose_answer = True

    def forget_nonces(self) -> None:
        """Discord keeps nonces only a few minutes."""
        self._nonces.clear()

    def _message(
        self, channel: str, text: str, author: dict[str, Any], **extra: Any
    ) -> dict[str, Any]:
        return {
            "id": str(self._snowflake()),
            "channel_id": channel,
            "guild_id": GUILD_ID,
            "content": text,
            "author": author,
            "type": 0,
            "tts": False,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "flags": 0,
            **extra,
        }

    async def member_says(
        self,
        text: str,
        *,
        channel: str = "10",
        user: str = "42",
        name: str = "maya",
        bot: bool = False,
        mentions_bot: bool = False,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A member writes (``reply_to``: as a reply to that message, type 19)."""
        author = {
            "id": user,
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": None,
            "bot": bot,
        }
        replying: dict[str, Any] = {}
        if reply_to is not None:
            replying = {
                "type": 19,
                "message_reference": {
                    "message_id": reply_to["id"],
                    "channel_id": reply_to["channel_id"],
                    "guild_id": GUILD_ID,
                },
                "referenced_message": reply_to,
            }
        message = self._message(
            channel,
            text,
            author,
            **replying,
            mentions=[BOT] if mentions_bot else [],
            member={
                "roles": [],
                "joined_at": datetime.now(UTC).isoformat(),
                "deaf": False,
                "mute": False,
                "flags": 0,
            },
        )
        self.history.setdefault(channel, []).append(message)
        await self.dispatch("MESSAGE_CREATE", message)
        return message

    async def member_edits(self, message: dict[str, Any], text: str) -> None:
        message["content"] = text
        message["edited_timestamp"] = datetime.now(UTC).isoformat()
        await self.dispatch("MESSAGE_UPDATE", dict(message))

    async def member_deletes(self, message: dict[str, Any]) -> None:
        self.history[message["channel_id"]].remove(message)
        await self.dispatch(
            "MESSAGE_DELETE",
            {"id": message["id"], "channel_id": message["channel_id"], "guild_id": GUILD_ID},
        )

    async def react(
        self,
        message: dict[str, Any],
        emoji: str = "👍",
        *,
        user: str = "42",
        name: str = "maya",
        removed: bool = False,
    ) -> None:
        """A member reacts to a message (or takes the reaction back): dispatched only to a
        session that asked for reaction events."""
        if self._session is None or not self._session.intents & GUILD_MESSAGE_REACTIONS:
            return
        data: dict[str, Any] = {
            "user_id": user,
            "channel_id": message["channel_id"],
            "message_id": message["id"],
            "guild_id": GUILD_ID,
            "emoji": {"id": None, "name": emoji},
            "burst": False,
            "type": 0,
        }
        if not removed:
            data["message_author_id"] = message["author"]["id"]
            data["member"] = {
                "user": {
                    "id": user,
                    "username": name,
                    "discriminator": "0",
                    "global_name": name,
                    "avatar": None,
                },
                "roles": [],
                "joined_at": datetime.now(UTC).isoformat(),
                "deaf": False,
                "mute": False,
                "flags": 0,
            }
        await self.dispatch("MESSAGE_REACTION_REMOVE" if removed else "MESSAGE_REACTION_ADD", data)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        if self._session is None:
            return
        self._session.seq += 1
        payload = {"op": 0, "t": event, "s": self._session.seq, "d": data}
        self._session.events.append(payload)
        if self.connected:
            assert self._ws is not None
            await self._ws.send_str(json.dumps(payload))

    async def ask_to_reconnect(self) -> None:
        """Op 7: the client must reconnect and resume (Discord does this to move sessions)."""
        if self._ws is not None:
            await self._ws.send_str(json.dumps({"op": 7, "d": None}))

    async def drop(self, *, resumable: bool = True) -> None:
        """Cut the connection (close 4000: the client resumes, or re-identifies if the
        session was invalidated meanwhile)."""
        if self._session is not None:
            self._session.resumable = resumable
            if not resumable:
                self._session = None
        if self._ws is not None:
            await self._ws.close(code=4000, message=b"dropped")

    # -- gateway -----------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            op = data.get("op")
            if op == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif op == 2:
                await self._identify(ws, data["d"])
            elif op == 6:
                await self._resume(ws, data["d"])
        if self._ws is ws:
            self._ws = None
        return ws

    async def _identify(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> None:
        if d.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        if d.get("intents", 0) & MESSAGE_CONTENT and not self.app_flags & APP_FLAG_MESSAGE_CONTENT:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        self.identifies += 1
        session = Session(id=f"session-{self.identifies}", intents=d.get("intents", 0))
        self._sessions[session.id] = session
        self._session = session
        await self.dispatch(
            "READY",
            {
                "v": 10,
                "user": BOT,
                "guilds": [{"id": GUILD_ID, "unavailable": True}],
                "session_id": session.id,
                "resume_gateway_url": self.gateway,
                "application": {"id": BOT["id"], "flags": self.app_flags},
                "shard": [0, 1],
                "private_channels": [],
                "relationships": [],
            },
        )
        await self.dispatch(
            "GUILD_CREATE",
            {
                "id": GUILD_ID,
                "name": "Inkwell",
                "owner_id": "1",
                "unavailable": False,
                "member_count": 2,
                "large": False,
                "features": [],
                "emojis": [],
                "stickers": [],
                "roles": [
                    {
                        "id": GUILD_ID,
                        "name": "@everyone",
                        "permissions": "1024",
                        "position": 0,
                        "color": 0,
                        "hoist": False,
                        "managed": False,
                        "mentionable": False,
                    }
                ],
                "members": [],
                "presences": [],
                "voice_states": [],
                "threads": [self._thread(tid, parent) for tid, parent in self.threads.items()],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "channels": [
                    {
                        "id": cid,
                        "type": 0,
                        "name": name,
                        "position": i,
                        "guild_id": GUILD_ID,
                        "permission_overwrites": [],
                        "nsfw": False,
                        "parent_id": None,
                    }
                    for i, (cid, name) in enumerate(self.channels.items())
                ],
                "joined_at": datetime.now(UTC).isoformat(),
                "preferred_locale": "en-US",
                "premium_tier": 0,
                "verification_level": 0,
                "mfa_level": 0,
                "default_message_notifications": 0,
                "explicit_content_filter": 0,
                "system_channel_flags": 0,
                "nsfw_level": 0,
            },
        )

    async def _resume(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> None:
        session = self._sessions.get(d.get("session_id", ""))
        if session is None or not session.resumable:
            await ws.send_str(json.dumps({"op": 9, "d": False}))
            return
        self.resumes += 1
        self._session = session
        for event in session.events:
            if event["s"] > (d.get("seq") or 0):
                await ws.send_str(json.dumps(event))
        session.seq += 1
        await ws.send_str(json.dumps({"op": 0, "t": "RESUMED", "s": session.seq, "d": {}}))

    # -- REST --------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        path, method = request.match_info["path"], request.method
        parts = path.split("/")
        if path == "users/@me":
            return _json(BOT)
        if path == "oauth2/applications/@me":
            return _json(
                {
                    "id": BOT["id"],
                    "name": "Inkwell",
                    "description": "",
                    "icon": None,
                    "bot_public": False,
                    "bot_require_code_grant": False,
                    "owner": {**BOT, "id": "1", "username": "owner", "bot": False},
                    "verify_key": "0" * 64,
                    "flags": self.app_flags,
                }
            )
        if len(parts) == 2 and parts[0] == "channels":
            if parts[1] in self.threads:
                return _json(self._thread(parts[1], self.threads[parts[1]]))
            if parts[1] not in self.channels:
                return _json({"message": "Unknown Channel", "code": 10003}, 404)
            return _json(
                {
                    "id": parts[1],
                    "type": 0,
                    "name": self.channels[parts[1]],
                    "guild_id": GUILD_ID,
                    "position": 0,
                    "permission_overwrites": [],
                }
            )
        if len(parts) == 3 and parts[0] == "channels" and parts[2] == "messages":
            channel = parts[1]
            if method == "GET":
                limit = int(request.query.get("limit", "50"))
                found = sorted(self.history.get(channel, []), key=lambda m: int(m["id"]))
                if "after" in request.query:  # the `limit` messages right after, newest first
                    after = int(request.query["after"])
                    found = [m for m in found if int(m["id"]) > after][:limit]
                else:  # the newest `limit`
                    found = found[-limit:]
                return _json(found[::-1])
            return await self._post(channel, await request.json())
        return _json({"message": "404: Not Found", "code": 0}, 404)

    async def _post(self, channel: str, body: dict[str, Any]) -> web.Response:
        if self._faults:
            status, retry_after = self._faults.pop(0)
            if status == 429:
                return _json(
                    {
                        "message": "You are being rate limited.",
                        "retry_after": retry_after,
                        "global": False,
                    },
                    429,
                    {
                        "Retry-After": str(retry_after),
                        "Via": "1.1 google",
                        "X-RateLimit-Scope": "user",
                    },
                )
            return _json({"message": "server error", "code": 0}, status)
        content = body.get("content") or ""
        if len(content) > 2000:
            return _json(
                {
                    "message": "Invalid Form Body",
                    "code": 50035,
                    "errors": {
                        "content": {
                            "_errors": [
                                {
                                    "code": "BASE_TYPE_MAX_LENGTH",
                                    "message": "Must be 2000 or fewer in length.",
                                }
                            ]
                        }
                    },
                },
                400,
            )
        nonce = body.get("nonce")
        if nonce and body.get("enforce_nonce") and nonce in self._nonces:
            return _json(self._nonces[nonce])
        reference = body.get("message_reference")
        extra: dict[str, Any] = {"nonce": nonce, "type": 19 if reference else 0}
        if reference:  # Discord omits the key on a message that replies to nothing
            extra["message_reference"] = {**reference, "channel_id": channel}
        message = self._message(channel, content, BOT, **extra)
        self.history.setdefault(channel, []).append(message)
        self.posted.append(message)
        if nonce:
            self._nonces[nonce] = message
        await self.dispatch("MESSAGE_CREATE", message)  # the bot hears its own messages too
        if self._lose_answer:
            self._lose_answer = False
            return _json({"message": "upstream connect error", "code": 0}, 503)
        return _json(message)
